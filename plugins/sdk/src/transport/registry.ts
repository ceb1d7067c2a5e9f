/**
 * Velero's ServerMux: per kind, plugin name -> factory; the instance is created on the first
 * request for that name and cached for the life of the process.
 */
import { NotFoundError, ValidationError } from "../contract/errors.js";
import { comparePluginListing, validatePluginName, veleroBuiltinClash, type PluginKind } from "../contract/kinds.js";
import type { PluginKindMap } from "../contract/plugins.js";
import type { PluginLogger } from "../logger.js";
import { adaptBackupItemActionV1, adaptRestoreItemActionV1 } from "./adapters.js";

/** What a factory receives when its plugin is first used. */
export interface PluginFactoryContext {
  /** The registered plugin name (e.g. "example.io/my-store"). */
  name: string;
  /** A logger with `plugin` and `pluginKind` fields already set. */
  logger: PluginLogger;
}

/** Creates the implementation of one named plugin; called once, on first use. */
export type PluginFactory<T> = (ctx: PluginFactoryContext) => T | Promise<T>;

interface Entry {
  kind: PluginKind;
  name: string;
  factory: PluginFactory<unknown>;
}

export class PluginRegistry {
  #entries = new Map<string, Entry>();
  readonly #instances = new Map<string, Promise<unknown>>();
  readonly #logger: PluginLogger;
  readonly #warnOnBuiltins: boolean;

  /** `warnOnBuiltins`: warn when a registration takes a name Velero's own binary serves. */
  constructor(logger: PluginLogger, options: { warnOnBuiltins?: boolean } = {}) {
    this.#logger = logger;
    this.#warnOnBuiltins = options.warnOnBuiltins ?? true;
  }

  /**
   * The same registrations (later ones included) with instances of its own, whose factories get
   * children of `logger`: what the in-process test harness serves.
   */
  withLogger(logger: PluginLogger): PluginRegistry {
    const view = new PluginRegistry(logger);
    view.#entries = this.#entries;
    return view;
  }

  /**
   * Registers a plugin. An invalid name or a (kind, name) already registered is logged as an
   * error and left out, as Velero's Go plugin framework does (its ServerMux.Register): the binary
   * still serves its other plugins. Throwing here would stop the process before its handshake,
   * and Velero's server refuses to start when any plugin binary fails to list its plugins.
   * Returns whether the plugin was registered.
   */
  register<K extends PluginKind>(kind: K, name: string, factory: PluginFactory<PluginKindMap[K]>): boolean {
    if (typeof factory !== "function") {
      throw new ValidationError(`cannot register ${kind} plugin "${name}": the factory must be a function returning the implementation`);
    }
    const key = `${kind}/${name}`;
    const problem = validatePluginName(name) ?? (this.#entries.has(key) ? `plugin name ${name} already exists (a ${kind} of this name is registered already)` : undefined);
    if (problem) {
      this.#logger.error({ pluginKind: kind }, `invalid plugin name ${JSON.stringify(name)}: ${problem}; this ${kind} is not served`);
      return false;
    }
    const builtin = this.#warnOnBuiltins ? veleroBuiltinClash(kind, name) : undefined;
    if (builtin) {
      this.#logger.warn(
        { pluginKind: kind },
        `plugin name ${JSON.stringify(name)} is Velero's built-in ${builtin.kind} of that name: a Velero server refuses to start with this binary in its plugin dir, and velero-ts leaves the binary out; name it under your own domain (example.io/...)`,
      );
    }
    this.#entries.set(key, { kind, name, factory: factory as PluginFactory<unknown> });
    return true;
  }

  /**
   * Every registration, each under its own kind only (the host adapts v1 to v2), in the order
   * Velero's Go plugin framework lists them: by kind (its fixed order) and by name within a kind.
   * A Velero host runs item actions in this order, each on the item the previous one returned.
   */
  list(): { kind: PluginKind; name: string }[] {
    return [...this.#entries.values()].map(({ kind, name }) => ({ kind, name })).sort(comparePluginListing);
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * The (lazily created) implementation. For the v2 item-action kinds, a name registered only as
   * v1 is served through the v1->v2 adapter.
   */
  async get<K extends PluginKind>(kind: K, name: string): Promise<PluginKindMap[K]> {
    const key = `${kind}/${name}`;
    const entry = this.#entries.get(key);
    if (entry) return (await this.#instance(key, entry)) as PluginKindMap[K];
    if (kind === "BackupItemActionV2" && this.#entries.has(`BackupItemAction/${name}`)) {
      return adaptBackupItemActionV1(await this.get("BackupItemAction", name)) as PluginKindMap[K];
    }
    if (kind === "RestoreItemActionV2" && this.#entries.has(`RestoreItemAction/${name}`)) {
      return adaptRestoreItemActionV1(await this.get("RestoreItemAction", name)) as PluginKindMap[K];
    }
    throw new NotFoundError(`${kind} plugin: ${name} was not found or has an invalid name format`);
  }

  #instance(key: string, entry: Entry): Promise<unknown> {
    let instance = this.#instances.get(key);
    if (!instance) {
      const logger = this.#logger.child({ plugin: entry.name, pluginKind: entry.kind });
      const created = Promise.resolve().then(() => entry.factory({ name: entry.name, logger }));
      this.#instances.set(key, created);
      // A failed factory is retried on the next request rather than failing forever.
      created.catch(() => {
        if (this.#instances.get(key) === created) this.#instances.delete(key);
      });
      instance = created;
    }
    return instance;
  }
}

