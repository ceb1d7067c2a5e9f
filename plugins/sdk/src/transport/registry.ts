/**
 * Velero's ServerMux: per kind, plugin name -> factory; the instance is created on the first
 * request for that name and cached for the life of the process.
 */
import { NotFoundError, ValidationError } from "../contract/errors.js";
import { validatePluginName, type PluginKind } from "../contract/kinds.js";
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
  instance?: Promise<unknown>;
}

export class PluginRegistry {
  readonly #entries = new Map<string, Entry>();
  readonly #logger: PluginLogger;

  constructor(logger: PluginLogger) {
    this.#logger = logger;
  }

  /** Validates the name and rejects a duplicate (kind, name). */
  register<K extends PluginKind>(kind: K, name: string, factory: PluginFactory<PluginKindMap[K]>): void {
    const invalid = validatePluginName(name);
    if (invalid) throw new ValidationError(`cannot register ${kind} plugin: ${invalid}`, [{ path: "name", reason: invalid }]);
    if (typeof factory !== "function") {
      throw new ValidationError(`cannot register ${kind} plugin "${name}": the factory must be a function returning the implementation`);
    }
    const key = `${kind}/${name}`;
    if (this.#entries.has(key)) {
      throw new ValidationError(`cannot register ${kind} plugin "${name}": a ${kind} with this name is already registered`);
    }
    this.#entries.set(key, { kind, name, factory: factory as PluginFactory<unknown> });
  }

  /** Every registration in order, each under its own kind only (the host adapts v1 to v2). */
  list(): { kind: PluginKind; name: string }[] {
    return [...this.#entries.values()].map(({ kind, name }) => ({ kind, name }));
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * The (lazily created) implementation. For the v2 item-action kinds, a name registered only as
   * v1 is served through the v1->v2 adapter.
   */
  async get<K extends PluginKind>(kind: K, name: string): Promise<PluginKindMap[K]> {
    const entry = this.#entries.get(`${kind}/${name}`);
    if (entry) return (await this.#instance(entry)) as PluginKindMap[K];
    if (kind === "BackupItemActionV2" && this.#entries.has(`BackupItemAction/${name}`)) {
      return adaptBackupItemActionV1(await this.get("BackupItemAction", name)) as PluginKindMap[K];
    }
    if (kind === "RestoreItemActionV2" && this.#entries.has(`RestoreItemAction/${name}`)) {
      return adaptRestoreItemActionV1(await this.get("RestoreItemAction", name)) as PluginKindMap[K];
    }
    throw new NotFoundError(`${kind} plugin: ${name} was not found or has an invalid name format`);
  }

  #instance(entry: Entry): Promise<unknown> {
    if (!entry.instance) {
      const logger = this.#logger.child({ plugin: entry.name, pluginKind: entry.kind });
      const created = Promise.resolve().then(() => entry.factory({ name: entry.name, logger }));
      entry.instance = created;
      // A failed factory is retried on the next request rather than failing forever.
      created.catch(() => {
        if (entry.instance === created) entry.instance = undefined;
      });
    }
    return entry.instance;
  }
}

