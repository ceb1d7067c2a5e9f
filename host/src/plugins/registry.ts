/**
 * Plugin discovery (velero-compat.md 2.3): scan --plugin-dir for executables, start each, call
 * ListPlugins, stop it, validate the listing, and keep (kind, name) → executable.
 *
 * POLICY ON BAD PLUGINS (differs from Velero on purpose): Velero refuses to start when any
 * executable in the plugin dir is not a working plugin, lists an invalid kind or name, or repeats
 * a (kind, name) already registered. We log one error per bad executable naming it and the
 * problem, exclude that executable entirely (none of its plugins are registered), record the
 * problem (PluginRegistry.problems(), for `velero plugin get` and ServerStatusRequest), and keep
 * serving every good plugin. Built-ins register first, then executables in sorted path order, so
 * on a duplicate the earlier registration wins and the later executable is the bad one.
 */
import { readdir, realpath, stat } from "node:fs/promises";
import { join } from "node:path";
import { getErrorMessage, isPluginKind, validatePluginName, type PluginKind } from "@velero-ts/plugin-sdk";
import { listPlugins } from "@velero-ts/plugin-sdk/host";
import type { Logger } from "../shared/logging.js";
import type { RegisteredPlugin } from "./manager.js";
import { describeCommand, launchPlugin, type LaunchOptions, type PluginCommand, type PluginProcess, type PluginTransport } from "./plugin-process.js";

/** How many plugin executables discovery starts at once. */
const DISCOVERY_CONCURRENCY = 4;

/** A plugin kind and name, as listed by ListPlugins. */
export interface PluginId {
  kind: PluginKind;
  name: string;
}

/** Where a registered plugin lives. */
export type PluginLocation = { source: "builtin" } | { source: "external"; command: PluginCommand };

export interface RegistryEntry extends PluginId {
  location: PluginLocation;
}

/** An executable that was excluded, and why. */
export interface PluginProblem {
  executable: string;
  reason: string;
}

export class PluginRegistry {
  readonly #entries: RegistryEntry[] = [];
  readonly #index = new Map<string, RegistryEntry>();
  readonly #problems: PluginProblem[] = [];

  /** Registers everything or nothing; returns the reason when the listing is rejected. */
  register(ids: readonly PluginId[], location: PluginLocation): string | undefined {
    const reason = this.validate(ids);
    if (reason) return reason;
    for (const id of ids) {
      const entry: RegistryEntry = { kind: id.kind, name: id.name, location };
      this.#entries.push(entry);
      this.#index.set(key(id.kind, id.name), entry);
    }
    return undefined;
  }

  /** Why these plugins cannot be registered (duplicates within or against the registry). */
  validate(ids: readonly PluginId[]): string | undefined {
    const seen = new Set<string>();
    for (const id of ids) {
      const k = key(id.kind, id.name);
      if (seen.has(k)) return `it lists ${id.kind} "${id.name}" twice`;
      seen.add(k);
      const existing = this.#index.get(k);
      if (existing) {
        const where = existing.location.source === "builtin" ? "a built-in plugin" : `"${describeCommand(existing.location.command)}"`;
        return `${id.kind} "${id.name}" is already registered by ${where} (duplicate plugin names are not allowed)`;
      }
    }
    return undefined;
  }

  addProblem(problem: PluginProblem): void {
    this.#problems.push(problem);
  }

  find(kind: PluginKind, name: string): RegistryEntry | undefined {
    return this.#index.get(key(kind, name));
  }

  /** Entries of a kind in registration order. */
  ofKind(kind: PluginKind): RegistryEntry[] {
    return this.#entries.filter((e) => e.kind === kind);
  }

  list(): RegisteredPlugin[] {
    return this.#entries.map((e) =>
      e.location.source === "builtin" ? { kind: e.kind, name: e.name } : { kind: e.kind, name: e.name, command: e.location.command.command },
    );
  }

  /** Executables excluded at discovery. */
  problems(): PluginProblem[] {
    return [...this.#problems];
  }
}

function key(kind: string, name: string): string {
  return `${kind}\u0000${name}`;
}

/**
 * Checks one ListPlugins answer: every kind must be a plugin kind (never PluginLister) and every
 * name valid. Returns the typed ids, or the reason the listing is bad.
 */
export function parseListing(listed: readonly { kind: string; name: string }[]): PluginId[] | string {
  if (listed.length === 0) return "it lists no plugins";
  const ids: PluginId[] = [];
  for (const { kind, name } of listed) {
    if (!isPluginKind(kind)) {
      return kind === "PluginLister"
        ? `it lists plugin "${name}" with kind "PluginLister", which plugins must not list`
        : `it lists plugin "${name}" with unknown kind "${kind}"`;
    }
    const invalid = validatePluginName(name);
    if (invalid) return `it lists an invalid ${kind} name: ${invalid}`;
    ids.push({ kind, name });
  }
  return ids;
}

/**
 * Every executable under `dir`, recursively, sorted per directory (Velero's walk). A missing
 * directory means no external plugins, as in Velero, but is logged: a mistyped --plugin-dir would
 * otherwise only show up later as "plugin not found". Files without any exec bit are skipped with
 * a warning.
 */
export async function scanPluginDir(dir: string, logger: Logger): Promise<string[]> {
  const found: string[] = [];
  // Directories are scanned once each: a symlink back up the tree (or two links to one directory)
  // would otherwise launch the same plugins again and again.
  const scanned = new Set<string>();
  const walk = async (current: string): Promise<void> => {
    let names: string[];
    try {
      const real = await realpath(current);
      if (scanned.has(real)) {
        logger.warn({ path: current, target: real }, `skipping "${current}" in the plugin directory: it leads to "${real}", which is already scanned (a symlink loop or a second link to one directory)`);
        return;
      }
      scanned.add(real);
      names = (await readdir(current)).sort();
    } catch (error) {
      if (current === dir && (error as NodeJS.ErrnoException).code === "ENOENT") {
        logger.warn({ pluginDir: dir }, `plugin directory "${dir}" does not exist: only the built-in plugins are available (point --plugin-dir at the directory holding the plugin executables)`);
        return;
      }
      throw new Error(`failed to read plugin directory "${current}": ${getErrorMessage(error)}`, { cause: error });
    }
    for (const name of names) {
      const path = join(current, name);
      let info;
      try {
        info = await stat(path);
      } catch (error) {
        logger.warn({ path, err: getErrorMessage(error) }, "skipping unreadable entry in the plugin directory");
        continue;
      }
      if (info.isDirectory()) await walk(path);
      else if ((info.mode & 0o111) !== 0 || name.endsWith(".exe")) found.push(path);
      else logger.warn({ path }, "skipping non-executable file in the plugin directory (plugins need an exec bit)");
    }
  };
  await walk(dir);
  return found;
}

export interface DiscoveryOptions {
  /** --plugin-dir; undefined or missing means no external plugins. */
  pluginDir?: string;
  /** In-process built-ins; registered first. */
  builtins?: readonly PluginId[];
  /** Arguments passed to every plugin executable (see pluginArgs()). */
  args: readonly string[];
  logger: Logger;
  handshakeTimeoutMs?: number;
  env?: Record<string, string>;
  /** What to offer plugins (default: vtframes1 unless VELERO_TS_PLUGIN_TRANSPORT=grpc). */
  transport?: PluginTransport;
  /** Replaceable for tests. */
  launch?: (command: PluginCommand, options: LaunchOptions) => Promise<PluginProcess>;
}

/** Builds the registry: built-ins, then each executable in the plugin dir (bad ones excluded). */
export async function discoverPlugins(options: DiscoveryOptions): Promise<PluginRegistry> {
  const registry = new PluginRegistry();
  const log = options.logger;
  if (options.builtins) {
    const reason = registry.register(options.builtins, { source: "builtin" });
    if (reason) throw new Error(`built-in plugins are inconsistent: ${reason}`);
  }
  const executables = options.pluginDir ? await scanPluginDir(options.pluginDir, log) : [];
  // List concurrently, register in sorted order so the outcome does not depend on timing.
  const listings = await mapLimit(executables, DISCOVERY_CONCURRENCY, (path) => listExecutable({ command: path, args: options.args }, options));
  executables.forEach((path, i) => {
    const listing = listings[i] as PluginId[] | string;
    const reason = typeof listing === "string" ? listing : registry.register(listing, { source: "external", command: { command: path, args: options.args } });
    if (reason) {
      registry.addProblem({ executable: path, reason });
      log.error({ cmd: path, err: reason }, `plugin executable "${path}" is excluded: ${reason}; the other plugins keep working`);
    } else {
      log.debug({ cmd: path, plugins: (listing as PluginId[]).map((p) => `${p.kind}/${p.name}`) }, "registered plugins");
    }
  });
  return registry;
}

async function listExecutable(command: PluginCommand, options: DiscoveryOptions): Promise<PluginId[] | string> {
  const launch = options.launch ?? launchPlugin;
  let proc: PluginProcess | undefined;
  try {
    proc = await launch(command, { logger: options.logger, handshakeTimeoutMs: options.handshakeTimeoutMs, env: options.env, transport: options.transport });
    const listed = await listPlugins(proc.connection);
    return parseListing(listed);
  } catch (error) {
    // launch errors already name the executable; keep only what went wrong
    const message = getErrorMessage(error);
    const prefix = `plugin executable "${describeCommand(command)}": `;
    return message.startsWith(prefix) ? message.slice(prefix.length) : `ListPlugins failed: ${message}`;
  } finally {
    await proc?.stop();
  }
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Logrus level names Go plugins accept for --log-level ("warn" makes them exit silently). */
const LOGRUS_LEVELS = new Set(["panic", "fatal", "error", "warning", "info", "debug", "trace"]);

export interface ServerFlagsForPlugins {
  logLevel?: string;
  logFormat?: "text" | "json";
  features?: readonly string[];
}

/**
 * The server flags passed to every plugin (Velero passes `os.Args[2:]`). Only flags Go plugin
 * frameworks parse, in values they accept: a bad --log-level makes a Go plugin exit before its
 * handshake (velero-compat.md trap 10).
 */
export function pluginArgs(flags: ServerFlagsForPlugins): string[] {
  const args: string[] = [];
  if (flags.logLevel) {
    const level = flags.logLevel.toLowerCase() === "warn" ? "warning" : flags.logLevel.toLowerCase();
    if (LOGRUS_LEVELS.has(level)) args.push(`--log-level=${level}`);
  }
  if (flags.logFormat) args.push(`--log-format=${flags.logFormat}`);
  if (flags.features && flags.features.length > 0) args.push(`--features=${flags.features.join(",")}`);
  return args;
}
