/**
 * The plugin manager port the engines and controllers use. Implementations resolve a
 * (kind, name) to a built-in in-process implementation or a gRPC client of an external plugin
 * process; callers cannot tell the difference.
 */
import type {
  BackupItemActionV2,
  DeleteItemAction,
  ItemBlockAction,
  ObjectStore,
  PluginKind,
  RestoreItemActionV2,
  VolumeSnapshotter,
} from "@velero-ts/plugin-sdk";
import type { Logger } from "../shared/logging.js";

/** One registered plugin. `command` is the executable (absent for in-process built-ins). */
export interface RegisteredPlugin {
  kind: PluginKind;
  name: string;
  command?: string;
}

export interface NamedAction<T> {
  name: string;
  action: T;
  /** Served by a plugin process (not in process): its author may expect one call at a time, as Velero makes them. */
  external?: boolean;
}

export interface PluginManager {
  /** Every registered plugin, built-ins first, in registration order. */
  list(): RegisteredPlugin[];
  /** An initialised object store for the provider (short names get "velero.io/"). */
  getObjectStore(provider: string, config: Record<string, string>): Promise<ObjectStore>;
  getVolumeSnapshotter(provider: string, config: Record<string, string>): Promise<VolumeSnapshotter>;
  /** All backup item actions (v1 adapted to v2). */
  getBackupItemActions(): Promise<NamedAction<BackupItemActionV2>[]>;
  /** All restore item actions (v1 adapted to v2). */
  getRestoreItemActions(): Promise<NamedAction<RestoreItemActionV2>[]>;
  getDeleteItemActions(): Promise<NamedAction<DeleteItemAction>[]>;
  getItemBlockActions(): Promise<NamedAction<ItemBlockAction>[]>;
  /**
   * A view whose external plugins also log to `logger` during its calls (a backup's or restore's
   * log, as in Velero); optional: managers without plugin processes need not have it.
   */
  withLog?(logger: Logger, options?: { echoesToServerLog?: boolean }): PluginManager;
  /** Stops every plugin process this manager started. */
  close(): Promise<void>;
}
