/**
 * Velero's built-in plugins (velero-compat.md 6.2), registered once and used two ways:
 * - in process, by the plugin manager (InProcessPlugins: a new instance per request, no gRPC);
 * - out of process, by `velero run-plugins`, which serves every entry through the SDK's serve().
 *
 * To add built-ins (the backup/restore item actions), add a line to registerBuiltins() below,
 * e.g. `plugins.register("RestoreItemAction", "velero.io/job", () => new JobAction())`.
 */
import {
  comparePluginListing,
  validatePluginName,
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
import type { InProcessPlugins } from "../plugins/in-process.js";
import type { PluginId } from "../plugins/registry.js";
import type { Logger } from "../shared/logging.js";
import { FILESYSTEM_OBJECT_STORE, FilesystemObjectStore } from "./filesystem-object-store.js";

/** What a built-in factory receives (the same shape the SDK's serve() passes to factories). */
export interface BuiltinContext {
  name: string;
  logger: Logger;
}

export type BuiltinFactory<T> = (ctx: BuiltinContext) => T | Promise<T>;

export interface BuiltinEntry<K extends PluginKind = PluginKind> {
  kind: K;
  name: string;
  factory: BuiltinFactory<PluginKindMap[K]>;
}

/** The set of built-in plugins. */
export class BuiltinPlugins implements InProcessPlugins {
  readonly #entries = new Map<string, BuiltinEntry>();
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Adds a built-in; throws on an invalid name or a duplicate (kind, name). */
  register<K extends PluginKind>(kind: K, name: string, factory: BuiltinFactory<PluginKindMap[K]>): this {
    const invalid = validatePluginName(name);
    if (invalid) throw new Error(`cannot register built-in ${kind}: ${invalid}`);
    const key = `${kind}/${name}`;
    if (this.#entries.has(key)) throw new Error(`built-in ${kind} "${name}" is registered twice`);
    this.#entries.set(key, { kind, name, factory } as unknown as BuiltinEntry);
    return this;
  }

  registerObjectStore(name: string, factory: BuiltinFactory<ObjectStore>): this {
    return this.register("ObjectStore", name, factory);
  }
  registerVolumeSnapshotter(name: string, factory: BuiltinFactory<VolumeSnapshotter>): this {
    return this.register("VolumeSnapshotter", name, factory);
  }
  registerBackupItemAction(name: string, factory: BuiltinFactory<BackupItemAction>): this {
    return this.register("BackupItemAction", name, factory);
  }
  registerBackupItemActionV2(name: string, factory: BuiltinFactory<BackupItemActionV2>): this {
    return this.register("BackupItemActionV2", name, factory);
  }
  registerRestoreItemAction(name: string, factory: BuiltinFactory<RestoreItemAction>): this {
    return this.register("RestoreItemAction", name, factory);
  }
  registerRestoreItemActionV2(name: string, factory: BuiltinFactory<RestoreItemActionV2>): this {
    return this.register("RestoreItemActionV2", name, factory);
  }
  registerDeleteItemAction(name: string, factory: BuiltinFactory<DeleteItemAction>): this {
    return this.register("DeleteItemAction", name, factory);
  }
  registerItemBlockAction(name: string, factory: BuiltinFactory<ItemBlockAction>): this {
    return this.register("ItemBlockAction", name, factory);
  }

  /** In Velero's listing order (kinds in its order, names sorted): the order actions run in. */
  list(): PluginId[] {
    return [...this.#entries.values()].map(({ kind, name }) => ({ kind, name })).sort(comparePluginListing);
  }

  entries(): BuiltinEntry[] {
    return [...this.#entries.values()];
  }

  async create<K extends PluginKind>(kind: K, name: string): Promise<PluginKindMap[K]> {
    const entry = this.#entries.get(`${kind}/${name}`) as BuiltinEntry<K> | undefined;
    if (!entry) throw new Error(`no built-in ${kind} plugin named "${name}"`);
    return entry.factory({ name, logger: this.#logger.child({ plugin: name, pluginKind: kind }) });
  }
}

/** Registers every built-in plugin. Backup/restore item actions are added here as they land. */
export function registerBuiltins(plugins: BuiltinPlugins): BuiltinPlugins {
  plugins.registerObjectStore(FILESYSTEM_OBJECT_STORE, () => new FilesystemObjectStore());
  return plugins;
}

/** The complete built-in set, ready for the plugin manager or run-plugins. */
export function createBuiltinPlugins(logger: Logger): BuiltinPlugins {
  return registerBuiltins(new BuiltinPlugins(logger));
}
