/**
 * Backup sync (Velero's backupSyncReconciler), per BackupStorageLocation every backupSyncPeriod
 * (server default 1m, 0 disables): backups found in the location's bucket but not in the cluster
 * become Backup CRs (with their PodVolumeBackups) — this is how a second cluster pointed at the
 * same bucket sees the first one's backups; Completed/PartiallyFailed Backup CRs of the location
 * whose objects are gone from the bucket are deleted (CR only). Each location's key is requeued for
 * its next sync time instead of scanning every location on a fixed tick.
 */
import {
  LABELS,
  type Backup,
  type BackupPhase,
  type BackupStorageLocation,
  type PodVolumeBackup,
  type Schedule,
  type UnstructuredItem,
} from "@velero-ts/plugin-sdk";
import type { V1OwnerReference } from "@kubernetes/client-node";
import type { KubeClient } from "../kube/client.js";
import { isAlreadyExists } from "../kube/errors.js";
import { GVR } from "../kube/gvr.js";
import type { BackupStoreGetter } from "../persistence/location.js";
import type { BackupStore } from "../persistence/backup-store.js";
import { realClock, toKubeTime, type Clock } from "../shared/clock.js";
import { parseGoDuration } from "../shared/duration.js";
import type { Logger } from "../shared/logging.js";
import { delayUntil, labelSelectorOf, parseKubeTime, patchStatus, splitKey, validLabelValue } from "./lifecycle-common.js";
import type { CachedList } from "./runtime/informer.js";
import type { ObjectKey, ReconcileResult, Reconciler } from "./runtime/types.js";

/** Velero's default --backup-sync-period. */
export const DEFAULT_BACKUP_SYNC_PERIOD_MS = 60_000;

/** A store that can also read `<b>-podvolumebackups.json.gz` (optional on the BackupStore port). */
type SyncableStore = BackupStore & { getPodVolumeBackups?(name: string): Promise<PodVolumeBackup[]> };

export interface BackupSyncReconcilerOptions {
  kube: KubeClient;
  log: Logger;
  getBackupStore: BackupStoreGetter;
  /** --backup-sync-period in ms, used when a location leaves spec.backupSyncPeriod unset (a location's 0 disables its sync). */
  defaultSyncPeriodMs?: number;
  clock?: Clock;
  /**
   * The Backups of a namespace as the server's watch cache holds them (read only), as Velero's sync
   * reads its informer's: without it, each sync LISTs them from the API server (twice a location,
   * every minute by default: megabytes a minute with thousands of backups).
   */
  cachedBackups?: CachedList;
}

const INCOMPLETE_PHASES = new Set<BackupPhase | undefined>([
  "WaitingForPluginOperations",
  "WaitingForPluginOperationsPartiallyFailed",
  "Finalizing",
  "FinalizingPartiallyFailed",
]);

/** Server-owned metadata that must not travel from another cluster's object. */
const SERVER_METADATA = ["uid", "resourceVersion", "generation", "managedFields", "selfLink", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds"] as const;

export class BackupSyncReconciler implements Reconciler {
  readonly name = "backup-sync";
  readonly watches = GVR.backupStorageLocations;
  readonly #kube: KubeClient;
  readonly #log: Logger;
  readonly #getBackupStore: BackupStoreGetter;
  readonly #defaultPeriodMs: number;
  readonly #clock: Clock;
  readonly #cachedBackups: BackupSyncReconcilerOptions["cachedBackups"];

  constructor(options: BackupSyncReconcilerOptions) {
    this.#kube = options.kube;
    this.#log = options.log.child({ controller: "backup-sync" });
    this.#getBackupStore = options.getBackupStore;
    this.#defaultPeriodMs = options.defaultSyncPeriodMs ?? DEFAULT_BACKUP_SYNC_PERIOD_MS;
    this.#clock = options.clock ?? realClock;
    this.#cachedBackups = options.cachedBackups;
  }

  /** The namespace's Backups (from the watch cache when there is one), optionally of one location. */
  async #clusterBackups(namespace: string | undefined, locationName?: string): Promise<readonly UnstructuredItem[]> {
    const label = locationName === undefined ? undefined : validLabelValue(locationName);
    const cached = namespace ? await this.#cachedBackups?.(namespace) : undefined;
    if (cached) return label === undefined ? cached : cached.filter((b) => b.metadata.labels?.[LABELS.storageLocation] === label);
    const labelSelector = label === undefined ? undefined : labelSelectorOf({ [LABELS.storageLocation]: label });
    return (await this.#kube.list(GVR.backups, { namespace, ...(labelSelector ? { labelSelector } : {}) })).items;
  }

  /** Done when syncing is off, a requeue when the next sync is not due yet; undefined when it is due now. */
  #notDue(location: BackupStorageLocation, periodMs: number): ReconcileResult | undefined {
    if (periodMs === 0) return { kind: "done" };
    const now = this.#clock.now();
    const lastSynced = parseKubeTime(location.status?.lastSyncedTime);
    if (lastSynced) {
      const due = new Date(lastSynced.getTime() + periodMs);
      if (now < due) return { kind: "requeue", afterMs: delayUntil(due, now) };
    }
    return undefined;
  }

  async reconcile(key: ObjectKey, cached?: UnstructuredItem): Promise<ReconcileResult> {
    // the watch cache's copy (the location controller's status patches come back as events) says
    // whether a sync is due, with no GET
    if (cached) {
      const location = cached as unknown as BackupStorageLocation;
      const early = this.#notDue(location, this.#syncPeriodMs(location, undefined));
      if (early) return early;
    }
    const { namespace, name } = splitKey(key);
    const location = (await this.#kube.get(GVR.backupStorageLocations, name, namespace)) as unknown as BackupStorageLocation | undefined;
    if (!location) return { kind: "done" };
    const log = this.#log.child({ backupLocation: key });
    const periodMs = this.#syncPeriodMs(location, log);
    const notDue = this.#notDue(location, periodMs);
    if (notDue) return notDue;
    const now = this.#clock.now();
    const next: ReconcileResult = { kind: "requeue", afterMs: periodMs };
    if (location.status?.phase !== "Available") {
      // Velero's line, at error level for a location found Unavailable (Velero also logs it for one
      // not validated yet, at every start: a debug line here)
      if (location.status?.phase === "Unavailable") log.error("BackupStorageLocation is in unavailable state, skip syncing backup from it.");
      else log.debug("BackupStorageLocation is not validated yet, skip syncing backup from it.");
      return next;
    }

    let store: SyncableStore;
    let inStore: Set<string>;
    try {
      store = await this.#getBackupStore(location);
      inStore = new Set(await store.listBackups());
    } catch (err) {
      log.error({ err }, "error listing backups in the backup store");
      return next;
    }
    await this.#syncIntoCluster(location, store, inStore, log);
    await this.#deleteOrphans(location, store, inStore, log);
    await patchStatus(this.#kube, GVR.backupStorageLocations, location, { lastSyncedTime: toKubeTime(now) });
    return next;
  }

  /** spec.backupSyncPeriod, else the server default; a negative or invalid period means the default (said to the log, when given). */
  #syncPeriodMs(location: BackupStorageLocation, log: Logger | undefined): number {
    const text = location.spec.backupSyncPeriod;
    if (text === undefined || text === null || text === "") return this.#defaultPeriodMs;
    try {
      const ms = parseGoDuration(text);
      if (ms >= 0) return ms;
      log?.warn({ backupSyncPeriod: text }, "backup sync period must be non-negative, using the default");
    } catch (err) {
      log?.warn({ err, backupSyncPeriod: text }, "invalid backup sync period, using the default");
    }
    return this.#defaultPeriodMs;
  }

  async #syncIntoCluster(location: BackupStorageLocation, store: SyncableStore, inStore: Set<string>, log: Logger): Promise<void> {
    const items = await this.#clusterBackups(location.metadata.namespace);
    const inCluster = new Set(items.map((b) => b.metadata.name));
    const missing = [...inStore].filter((n) => !inCluster.has(n));
    if (missing.length > 0) log.info(`found ${missing.length} backups in the backup location that do not exist in the cluster and need to be synced`);
    const preferred = missing.length > 0 ? await this.#defaultLocationBeside(location, log) : undefined;
    for (const backupName of missing) {
      try {
        if (preferred && (await preferred.store.backupExists(backupName))) {
          log.info({ backup: backupName, defaultLocation: preferred.location.metadata.name }, "backup is also in the default backup storage location: synced from there");
          await this.#syncBackup(preferred.location, preferred.store, backupName, log.child({ backup: backupName, backupLocation: `${preferred.location.metadata.namespace}/${preferred.location.metadata.name}` }));
          continue;
        }
      } catch (err) {
        log.warn({ err, backup: backupName }, "could not look for the backup in the default backup storage location; syncing it from this one");
      }
      try {
        await this.#syncBackup(location, store, backupName, log.child({ backup: backupName }));
      } catch (err) {
        log.error({ err, backup: backupName }, "error syncing backup into cluster");
      }
    }
  }

  /**
   * The default location of `location`'s namespace when it is another one that is Available and
   * synced. Velero syncs every due location each minute, the default first, so a backup in both
   * buckets (a replicated bucket, say) becomes the default location's. Here each location has its
   * own timer: a backup that the default location holds too is synced from the default, whichever
   * location's sync meets it first.
   */
  async #defaultLocationBeside(location: BackupStorageLocation, log: Logger): Promise<{ location: BackupStorageLocation; store: SyncableStore } | undefined> {
    if (location.spec.default) return undefined;
    try {
      const { items } = await this.#kube.list(GVR.backupStorageLocations, { namespace: location.metadata.namespace });
      const def = (items as unknown as BackupStorageLocation[]).find((l) => l.spec?.default && l.metadata.name !== location.metadata.name);
      if (!def || def.status?.phase !== "Available" || this.#syncPeriodMs(def, log) === 0) return undefined;
      return { location: def, store: await this.#getBackupStore(def) };
    } catch (err) {
      log.warn({ err }, "could not open the default backup storage location; backups are synced from this one");
      return undefined;
    }
  }

  async #syncBackup(location: BackupStorageLocation, store: SyncableStore, backupName: string, log: Logger): Promise<void> {
    if (!(await store.backupExists(backupName))) {
      log.debug("backup has no velero-backup.json in the backup store, skipping");
      return;
    }
    const stored = await store.getBackupMetadata(backupName);
    if (stored.metadata?.name !== backupName) {
      // Synced under the other name, it would be an orphan of the next sync (no directory of that
      // name), deleted, and synced again, every period (Velero's sync does so).
      log.error(
        `backups/${backupName}/velero-backup.json names backup "${stored.metadata?.name ?? ""}"; a backup's directory must bear its name: rename the directory or fix the file. Not synced`,
      );
      return;
    }
    if (INCOMPLETE_PHASES.has(stored.status?.phase)) {
      const expiration = parseKubeTime(stored.status?.expiration);
      if (!expiration || expiration > this.#clock.now()) {
        log.debug(`skipping non-expired incomplete backup in phase ${stored.status?.phase}`);
        return;
      }
      log.debug("incomplete backup is past expiration, syncing it for garbage collection");
      stored.status = { ...stored.status, phase: "PartiallyFailed" };
    }
    const backup = await this.#localCopy(stored, location, log);
    let created: UnstructuredItem;
    try {
      created = await this.#kube.create(GVR.backups, backup as unknown as UnstructuredItem);
    } catch (err) {
      if (isAlreadyExists(err)) return;
      throw err;
    }
    log.info("synced backup into cluster");
    // read from the backup's directory in the bucket (its name there), as Velero does
    if (store.getPodVolumeBackups) await this.#syncPodVolumeBackups(location, () => store.getPodVolumeBackups?.(backupName) ?? Promise.resolve([]), created, log);
  }

  /** The stored Backup as this cluster's object: our namespace and location, no server-owned metadata. */
  async #localCopy(stored: Backup, location: BackupStorageLocation, log: Logger): Promise<Backup> {
    const backup = structuredClone(stored);
    backup.apiVersion = "velero.io/v1";
    backup.kind = "Backup";
    const metadata = backup.metadata as unknown as Record<string, unknown>;
    for (const field of SERVER_METADATA) delete metadata[field];
    backup.metadata.namespace = location.metadata.namespace;
    const locationName = location.metadata.name ?? "";
    backup.spec = { ...backup.spec, storageLocation: locationName };
    backup.metadata.labels = { ...(backup.metadata.labels ?? {}), [LABELS.storageLocation]: validLabelValue(locationName) };
    const owners = await this.#filterOwnerReferences(backup.metadata.ownerReferences ?? [], location.metadata.namespace, log);
    if (owners.length > 0) backup.metadata.ownerReferences = owners;
    else delete backup.metadata.ownerReferences;
    return backup;
  }

  /** Velero keeps a Schedule owner only if that schedule exists here with the same uid. */
  async #filterOwnerReferences(refs: V1OwnerReference[], namespace: string | undefined, log: Logger): Promise<V1OwnerReference[]> {
    const kept: V1OwnerReference[] = [];
    for (const ref of refs) {
      if (ref.kind !== "Schedule") {
        log.warn(`unable to check ownership reference for unknown kind ${ref.kind}, keeping it`);
        kept.push(ref);
        continue;
      }
      let schedule: Schedule | undefined;
      try {
        schedule = (await this.#kube.get(GVR.schedules, ref.name, namespace)) as unknown as Schedule | undefined;
      } catch (err) {
        log.error({ err }, "error finding the schedule of an ownership reference, keeping it");
        kept.push(ref);
        continue;
      }
      if (!schedule) log.warn(`removing missing schedule ownership reference ${namespace}/${ref.name} from backup`);
      else if (schedule.metadata.uid !== ref.uid) log.warn(`removing schedule ownership reference with mismatched uid ${ref.uid} (schedule has ${schedule.metadata.uid})`);
      else kept.push(ref);
    }
    return kept;
  }

  async #syncPodVolumeBackups(
    location: BackupStorageLocation,
    getPodVolumeBackups: () => Promise<PodVolumeBackup[]>,
    backup: UnstructuredItem,
    log: Logger,
  ): Promise<void> {
    let stored: PodVolumeBackup[];
    try {
      stored = (await getPodVolumeBackups()) ?? [];
    } catch (err) {
      log.error({ err }, "error getting pod volume backups for this backup from backup store");
      return;
    }
    for (const pvb of stored) {
      const copy = structuredClone(pvb);
      const metadata = copy.metadata as unknown as Record<string, unknown>;
      for (const field of SERVER_METADATA) delete metadata[field];
      copy.metadata.namespace = backup.metadata.namespace;
      for (const ref of copy.metadata.ownerReferences ?? []) {
        if (ref.apiVersion === "velero.io/v1" && ref.kind === "Backup" && ref.name === backup.metadata.name) ref.uid = backup.metadata.uid ?? "";
      }
      if (copy.metadata.labels?.[LABELS.backupUid] !== undefined) copy.metadata.labels[LABELS.backupUid] = backup.metadata.uid ?? "";
      copy.spec = { ...copy.spec, backupStorageLocation: location.metadata.name ?? "" };
      try {
        await this.#kube.create(GVR.podVolumeBackups, { apiVersion: "velero.io/v1", kind: "PodVolumeBackup", ...copy } as unknown as UnstructuredItem);
      } catch (err) {
        if (!isAlreadyExists(err)) log.error({ err, name: copy.metadata.name }, "error syncing pod volume backup into cluster");
      }
    }
  }

  /** Completed/PartiallyFailed CRs of this location whose backup is gone from the bucket. */
  async #deleteOrphans(location: BackupStorageLocation, store: SyncableStore, inStore: Set<string>, log: Logger): Promise<void> {
    let items: readonly UnstructuredItem[];
    try {
      items = await this.#clusterBackups(location.metadata.namespace, location.metadata.name ?? "");
    } catch (err) {
      log.error({ err }, "error listing backups from cluster");
      return;
    }
    for (const item of items) {
      const phase = (item as unknown as Backup).status?.phase;
      if ((phase !== "Completed" && phase !== "PartiallyFailed") || inStore.has(item.metadata.name)) continue;
      try {
        // The listing may predate a backup that completed meanwhile: look again before deleting.
        if (await store.backupExists(item.metadata.name)) continue;
        log.info({ backup: item.metadata.name }, "deleting orphaned backup (no longer in the backup store) from cluster");
        await this.#kube.delete(GVR.backups, item.metadata.name, item.metadata.namespace);
      } catch (err) {
        log.error({ err, backup: item.metadata.name }, "error deleting orphaned backup from cluster");
      }
    }
  }
}
