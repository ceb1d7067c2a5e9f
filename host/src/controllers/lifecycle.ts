/**
 * The lifecycle controllers (schedule, gc, backup-deletion, backup-sync, download-request,
 * server-status-request) built from the server's dependencies, for the composition root to add to
 * its ControllerManager. Names are Velero's controller names (as used by --disable-controllers).
 */
import type { Backup, UnstructuredItem } from "@velero-ts/plugin-sdk";
import type { KubeClient } from "../kube/client.js";
import type { CredentialFileStore } from "../persistence/credentials.js";
import type { BackupStoreGetter } from "../persistence/location.js";
import type { PluginManager } from "../plugins/manager.js";
import type { Clock } from "../shared/clock.js";
import type { Logger } from "../shared/logging.js";
import { BackupSyncReconciler } from "./backup-sync-controller.js";
import { DeleteBackupRequestReconciler, type DeletionMetrics } from "./delete-backup-request-controller.js";
import { DownloadRequestReconciler } from "./download-request-controller.js";
import { GarbageCollectionReconciler } from "./gc-controller.js";
import type { CachedList } from "./runtime/informer.js";
import type { Reconciler } from "./runtime/types.js";
import { ScheduleReconciler, type ScheduleMetrics } from "./schedule-controller.js";
import { ServerStatusRequestReconciler } from "./server-status-request-controller.js";

export const LIFECYCLE_CONTROLLERS = ["schedule", "gc", "backup-deletion", "backup-sync", "download-request", "server-status-request"] as const;

export interface LifecycleControllerDeps {
  kube: KubeClient;
  logger: Logger;
  clock?: Clock;
  getBackupStore: BackupStoreGetter;
  plugins: Pick<PluginManager, "list" | "getDeleteItemActions" | "getVolumeSnapshotter">;
  /** Writes VSL credentials to files for the snapshotter's credentialsFile. */
  credentials?: Pick<CredentialFileStore, "path">;
  /** status.serverVersion of ServerStatusRequests. */
  serverVersion: string;
  /** --garbage-collection-frequency (ms); default 1h. */
  gcFrequencyMs?: number;
  /** --backup-sync-period (ms) for locations without spec.backupSyncPeriod; default 1m. */
  backupSyncPeriodMs?: number;
  /** The watch cache's Backups of a namespace, read by backup sync instead of a LIST (read only). */
  cachedBackups?: CachedList;
  /** The watch cache's Restores and DeleteBackupRequests, read by backup deletion instead of LISTs. */
  cachedRestores?: CachedList;
  cachedDeleteBackupRequests?: CachedList;
  /** The watch cache's locations (backup deletion takes a usable one from it). */
  cachedLocations?: CachedList;
  /** --schedule-skip-immediately. */
  scheduleSkipImmediately?: boolean;
  /** The backup tracker: true while this server still runs the backup (refuses its deletion). */
  isBackupInProgress?: (backup: Backup) => boolean;
  deletionMetrics?: DeletionMetrics;
  scheduleMetrics?: ScheduleMetrics;
  /** --disable-controllers names to leave out. */
  disabled?: ReadonlySet<string>;
}

/** One reconciler per enabled lifecycle controller. */
export function createLifecycleReconcilers(deps: LifecycleControllerDeps): Reconciler[] {
  const base = { kube: deps.kube, log: deps.logger, clock: deps.clock };
  const all: Reconciler[] = [
    new ScheduleReconciler({ ...base, skipImmediately: deps.scheduleSkipImmediately, ...(deps.scheduleMetrics ? { metrics: deps.scheduleMetrics } : {}), ...(deps.cachedBackups ? { cachedBackups: deps.cachedBackups } : {}) }),
    new GarbageCollectionReconciler({ ...base, frequencyMs: deps.gcFrequencyMs }),
    new DeleteBackupRequestReconciler({
      ...base,
      getBackupStore: deps.getBackupStore,
      plugins: deps.plugins,
      credentials: deps.credentials,
      isBackupInProgress: deps.isBackupInProgress,
      metrics: deps.deletionMetrics,
      ...(deps.cachedRestores ? { cachedRestores: deps.cachedRestores } : {}),
      ...(deps.cachedDeleteBackupRequests ? { cachedRequests: deps.cachedDeleteBackupRequests } : {}),
      ...(deps.cachedBackups ? { cachedBackups: deps.cachedBackups } : {}),
      ...(deps.cachedLocations ? { cachedLocations: deps.cachedLocations } : {}),
    }),
    new BackupSyncReconciler({ ...base, getBackupStore: deps.getBackupStore, defaultSyncPeriodMs: deps.backupSyncPeriodMs, ...(deps.cachedBackups ? { cachedBackups: deps.cachedBackups } : {}) }),
    new DownloadRequestReconciler({ ...base, getBackupStore: deps.getBackupStore }),
    new ServerStatusRequestReconciler({ ...base, plugins: deps.plugins, serverVersion: deps.serverVersion }),
  ];
  return all.filter((r) => !deps.disabled?.has(r.name));
}
