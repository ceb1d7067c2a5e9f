/**
 * The PluginManager: resolves (kind, name) through the registry to an in-process built-in or to a
 * restartable external plugin process, behind the same contract interfaces.
 *
 * Processes: one RestartableProcess per plugin executable, shared by every plugin of that
 * executable and by concurrent callers (one gRPC connection). Exception: a plugin process holds
 * ONE configuration per (kind, name) (Init reconfigures the shared instance), so an object store
 * or volume snapshotter requested with a different config than the one the process already serves
 * gets a second process of the same executable; one of those nothing has used for ten minutes is
 * stopped (releaseIdleProcesses). close() stops every process this manager started.
 */
import {
  NotFoundError,
  PluginUnavailableError,
  qualifyPluginName,
  type BackupItemAction,
  type BackupItemActionV2,
  type DeleteItemAction,
  type ItemBlockAction,
  type ObjectStore,
  type PluginKind,
  type PluginKindMap,
  type RestoreItemAction,
  type RestoreItemActionV2,
  type VolumeSnapshotter,
} from "@velero-ts/plugin-sdk";
import { adaptBackupItemActionV1, adaptRestoreItemActionV1 } from "@velero-ts/plugin-sdk/host";
import type { Logger } from "../shared/logging.js";
import { PluginLogRouter, withCallLogger, type AttachOptions } from "./log-router.js";
import type { InProcessPlugins } from "./in-process.js";
import type { NamedAction, PluginManager, RegisteredPlugin } from "./manager.js";
import { launchPlugin, type LaunchOptions, type PluginCommand, type PluginProcess, type PluginTransport } from "./plugin-process.js";
import type { PluginRegistry, RegistryEntry } from "./registry.js";
import { RestartableProcess } from "./restartable-process.js";
import { createRestartablePlugin, type PluginClientOptions } from "./restartable/restartable-plugin.js";

export interface DefaultPluginManagerOptions {
  registry: PluginRegistry;
  /** In-process built-ins; required when the registry lists any. */
  builtins?: InProcessPlugins;
  logger: Logger;
  handshakeTimeoutMs?: number;
  /** Extra environment for plugin processes. */
  env?: Record<string, string>;
  /** What to offer plugins (default: vtframes1 unless VELERO_TS_PLUGIN_TRANSPORT=grpc). */
  transport?: PluginTransport;
  /** Replaceable for tests. */
  launch?: (command: PluginCommand, options: LaunchOptions) => Promise<PluginProcess>;
  /** gRPC client options (PutObject message size). */
  clientOptions?: PluginClientOptions;
  /**
   * A process serving an object store or volume snapshotter configuration nothing has used for
   * this long is stopped (the next call starts it again), unless it is its executable's last one
   * running. Default 10 minutes; 0 never.
   */
  idleReleaseMs?: number;
  /** Milliseconds now (tests); default Date.now. */
  now?: () => number;
}

/** How often idle processes are looked for. */
const IDLE_SWEEP_MS = 60_000;
export const DEFAULT_IDLE_RELEASE_MS = 10 * 60_000;

/** A running external plugin process (for status output and tests). */
export interface PluginProcessInfo {
  command: string;
  args: readonly string[];
  pid: number | undefined;
  starts: number;
  /** The wire protocol of the live process ("grpc" or "vtframes1"), undefined when none runs. */
  protocol: string | undefined;
}

/** The logger a withLog view attaches to the plugin processes during its calls. */
interface LogScope {
  logger: Logger;
  options: AttachOptions;
}

interface ProcessSlot {
  process: RestartableProcess;
  /** Sends the process's log lines to the loggers of the calls it serves (withLog views). */
  logRouter: PluginLogRouter;
  /** `${kind}/${name}` → the config that process serves for it. */
  configs: Map<string, string>;
}

export class DefaultPluginManager implements PluginManager {
  readonly #registry: PluginRegistry;
  readonly #builtins: InProcessPlugins | undefined;
  readonly #log: Logger;
  readonly #launchOptions: LaunchOptions;
  readonly #launch: (command: PluginCommand, options: LaunchOptions) => Promise<PluginProcess>;
  readonly #slots = new Map<string, ProcessSlot[]>();
  readonly #clientOptions: PluginClientOptions;
  readonly #idleReleaseMs: number;
  readonly #now: () => number;
  #sweeper: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: DefaultPluginManagerOptions) {
    this.#registry = options.registry;
    this.#builtins = options.builtins;
    this.#log = options.logger;
    this.#launch = options.launch ?? launchPlugin;
    this.#launchOptions = { logger: options.logger, handshakeTimeoutMs: options.handshakeTimeoutMs, env: options.env, transport: options.transport };
    this.#clientOptions = options.clientOptions ?? {};
    this.#idleReleaseMs = options.idleReleaseMs ?? DEFAULT_IDLE_RELEASE_MS;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Stops the processes of an executable that nothing has used for idleReleaseMs, keeping its
   * most recently used one: a location or snapshot location whose config changed (or that was
   * deleted) otherwise left a process serving the old config for as long as the server ran.
   * A released process starts again, re-initialised, if its config is used again.
   */
  async releaseIdleProcesses(): Promise<number> {
    if (this.#idleReleaseMs <= 0 || this.#closed) return 0;
    let released = 0;
    for (const slots of this.#slots.values()) {
      const running = slots.filter((s) => s.process.pid !== undefined).sort((a, b) => a.process.idleMs - b.process.idleMs);
      for (const slot of running.slice(1)) {
        if (slot.process.idleMs >= this.#idleReleaseMs && (await slot.process.release())) {
          released++;
          this.#log.info({ cmd: slot.process.command.command, configs: slot.configs.size }, "stopped a plugin process nothing has used for a while");
        }
      }
    }
    return released;
  }

  list(): RegisteredPlugin[] {
    return this.#registry.list();
  }

  getObjectStore(provider: string, config: Record<string, string>): Promise<ObjectStore> {
    return this.#initialised("ObjectStore", qualifyPluginName(provider), config);
  }

  getVolumeSnapshotter(provider: string, config: Record<string, string>): Promise<VolumeSnapshotter> {
    return this.#initialised("VolumeSnapshotter", qualifyPluginName(provider), config);
  }

  /** One action per name, v2 preferred, v1 adapted to v2, in registration order. */
  getBackupItemActions(): Promise<NamedAction<BackupItemActionV2>[]> {
    return this.#backupItemActions();
  }

  getRestoreItemActions(): Promise<NamedAction<RestoreItemActionV2>[]> {
    return this.#restoreItemActions();
  }

  getDeleteItemActions(): Promise<NamedAction<DeleteItemAction>[]> {
    return this.#unversioned("DeleteItemAction");
  }

  getItemBlockActions(): Promise<NamedAction<ItemBlockAction>[]> {
    return this.#unversioned("ItemBlockAction");
  }

  /**
   * A view of this manager (same plugins, same processes) whose external plugins also send what
   * they log during its calls to `logger`, as Velero's per-backup plugin managers do: a backup's
   * or restore's log then holds its plugins' lines, and their warnings and errors count there.
   * Closing the view closes nothing.
   */
  withLog(logger: Logger, options: AttachOptions = {}): PluginManager {
    const scope: LogScope = { logger, options };
    return {
      list: () => this.list(),
      getObjectStore: (provider, config) => this.#initialised("ObjectStore", qualifyPluginName(provider), config, scope),
      getVolumeSnapshotter: (provider, config) => this.#initialised("VolumeSnapshotter", qualifyPluginName(provider), config, scope),
      getBackupItemActions: () => this.#backupItemActions(scope),
      getRestoreItemActions: () => this.#restoreItemActions(scope),
      getDeleteItemActions: () => this.#unversioned("DeleteItemAction", scope),
      getItemBlockActions: () => this.#unversioned("ItemBlockAction", scope),
      withLog: (other, otherOptions) => this.withLog(other, otherOptions),
      close: async () => {},
    };
  }

  #backupItemActions(scope?: LogScope): Promise<NamedAction<BackupItemActionV2>[]> {
    return this.#versioned("BackupItemActionV2", "BackupItemAction", (v1: BackupItemAction) => adaptBackupItemActionV1(v1), scope);
  }

  #restoreItemActions(scope?: LogScope): Promise<NamedAction<RestoreItemActionV2>[]> {
    return this.#versioned("RestoreItemActionV2", "RestoreItemAction", (v1: RestoreItemAction) => adaptRestoreItemActionV1(v1), scope);
  }

  #unversioned<K extends "DeleteItemAction" | "ItemBlockAction">(kind: K, scope?: LogScope): Promise<NamedAction<PluginKindMap[K]>[]> {
    return Promise.all(this.#registry.ofKind(kind).map(async (e) => ({ name: e.name, action: await this.#resolve(kind, e, undefined, scope), ...externalFlag(e) })));
  }

  /** One plugin by kind and name (short names get "velero.io/"); item actions only, no Init. */
  async get<K extends Exclude<PluginKind, "ObjectStore" | "VolumeSnapshotter">>(kind: K, name: string): Promise<PluginKindMap[K]> {
    return this.#resolve(kind, this.#entry(kind, qualifyPluginName(name)));
  }

  /** External plugin processes this manager has started. */
  processes(): PluginProcessInfo[] {
    return [...this.#slots.values()].flat().map(({ process }) => ({
      command: process.command.command,
      args: process.command.args,
      pid: process.pid,
      starts: process.starts,
      protocol: process.protocol,
    }));
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#sweeper) clearInterval(this.#sweeper);
    const all = [...this.#slots.values()].flat();
    this.#slots.clear();
    await Promise.all(all.map((slot) => slot.process.stop()));
  }

  async #initialised<K extends "ObjectStore" | "VolumeSnapshotter">(kind: K, name: string, config: Record<string, string>, scope?: LogScope): Promise<PluginKindMap[K]> {
    const entry = this.#entry(kind, name);
    const plugin = await this.#resolve(kind, entry, config, scope);
    await plugin.init(config);
    return plugin;
  }

  async #versioned<V2K extends "BackupItemActionV2" | "RestoreItemActionV2", V1K extends "BackupItemAction" | "RestoreItemAction">(
    v2Kind: V2K,
    v1Kind: V1K,
    adapt: (v1: PluginKindMap[V1K]) => PluginKindMap[V2K],
    scope?: LogScope,
  ): Promise<NamedAction<PluginKindMap[V2K]>[]> {
    const v2Names = new Set(this.#registry.ofKind(v2Kind).map((e) => e.name));
    const out: NamedAction<PluginKindMap[V2K]>[] = [];
    for (const plugin of this.#registry.list()) {
      if (plugin.kind === v2Kind) {
        const entry = this.#entry(v2Kind, plugin.name);
        out.push({ name: plugin.name, action: await this.#resolve(v2Kind, entry, undefined, scope), ...externalFlag(entry) });
      } else if (plugin.kind === v1Kind && !v2Names.has(plugin.name)) {
        const entry = this.#entry(v1Kind, plugin.name);
        out.push({ name: plugin.name, action: adapt(await this.#resolve(v1Kind, entry, undefined, scope)), ...externalFlag(entry) });
      }
    }
    return out;
  }

  #entry(kind: PluginKind, name: string): RegistryEntry {
    const entry = this.#registry.find(kind, name);
    if (!entry) {
      const known = this.#registry.ofKind(kind).map((e) => `"${e.name}"`);
      // Velero's words first (its registry's plugin-not-found error), then what to do
      throw new NotFoundError(
        `unable to locate ${kind} plugin named ${name} (registered: ${known.length > 0 ? known.join(", ") : "none"}; install the plugin into --plugin-dir)`,
      );
    }
    return entry;
  }

  async #resolve<K extends PluginKind>(kind: K, entry: RegistryEntry, config?: Record<string, string>, scope?: LogScope): Promise<PluginKindMap[K]> {
    if (this.#closed) throw new PluginUnavailableError(`plugin manager is closed; cannot use ${kind} plugin "${entry.name}"`);
    if (entry.location.source === "builtin") {
      if (!this.#builtins) throw new Error(`built-in ${kind} plugin "${entry.name}" is registered but no built-ins were provided`);
      return this.#builtins.create(kind, entry.name);
    }
    const slot = this.#slotFor(entry.location.command, `${kind}/${entry.name}`, config);
    const plugin = createRestartablePlugin(slot.process, kind, entry.name, this.#clientOptions);
    // A call of the manager itself (a location's validation, say) holds the process's lines for the
    // server log while it runs: a backup's call in flight (or just done) on the same process must
    // not get them, nor count their warnings and errors.
    return scope ? withCallLogger(plugin, slot.logRouter, scope.logger, scope.options) : withCallLogger(plugin, slot.logRouter, this.#log, { echoesToServerLog: true });
  }

  #slotFor(command: PluginCommand, pluginKey: string, config: Record<string, string> | undefined): ProcessSlot {
    const key = [command.command, ...command.args].join("\u0000");
    let slots = this.#slots.get(key);
    if (!slots) {
      slots = [];
      this.#slots.set(key, slots);
    }
    const wanted = config === undefined ? undefined : canonicalConfig(config);
    let slot = slots.find((s) => wanted === undefined || !s.configs.has(pluginKey) || s.configs.get(pluginKey) === wanted);
    if (!slot) {
      const logRouter = new PluginLogRouter();
      const process = new RestartableProcess({
        command,
        launch: (cmd) => this.#launch(cmd, { ...this.#launchOptions, logRouter }),
        logger: this.#log,
        now: this.#now,
      });
      slot = { process, logRouter, configs: new Map() };
      slots.push(slot);
      // a second process of an executable: from now on, look for idle ones
      if (slots.length > 1 && !this.#sweeper && this.#idleReleaseMs > 0) {
        this.#sweeper = setInterval(() => void this.releaseIdleProcesses().catch(() => undefined), IDLE_SWEEP_MS);
        this.#sweeper.unref();
      }
    }
    if (wanted !== undefined) slot.configs.set(pluginKey, wanted);
    return slot;
  }
}

function canonicalConfig(config: Record<string, string>): string {
  return JSON.stringify(Object.entries(config).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** `external: true` for a plugin served by a plugin process (NamedAction.external). */
function externalFlag(entry: RegistryEntry): { external?: true } {
  return entry.location.source === "builtin" ? {} : { external: true };
}
