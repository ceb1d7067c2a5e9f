/**
 * DeleteBackupRequest controller (Velero's backupDeletionReconciler), phases New → InProgress →
 * Processed. Refuses (Processed with a reason in status.errors) when the backup is missing or
 * still running, or its location is missing, read-only or unavailable. Otherwise: Backup phase
 * Deleting; DeleteItemActions over the backup's items; native snapshots deleted through each
 * VolumeSnapshotLocation's VolumeSnapshotter; the backup's objects removed from the bucket;
 * restores of the backup (files and CRs) removed; the Backup CR deleted; and, when everything
 * succeeded, every DeleteBackupRequest of that backup (this one included) deleted.
 */
import {
  LABELS,
  getErrorMessage,
  isVeleroError,
  saysNotFound,
  type Backup,
  type BackupStorageLocation,
  type DeleteBackupRequest,
  type Restore,
  type UnstructuredItem,
  type VolumeSnapshotLocation,
  type VolumeSnapshotter,
} from "@velero-ts/plugin-sdk";
import type { KubeClient } from "../kube/client.js";
import { GVR } from "../kube/gvr.js";
import type { BackupStoreGetter } from "../persistence/location.js";
import type { BackupStore } from "../persistence/backup-store.js";
import type { CredentialFileStore } from "../persistence/credentials.js";
import type { PluginManager } from "../plugins/manager.js";
import { realClock, type Clock } from "../shared/clock.js";
import type { Logger } from "../shared/logging.js";
import { invokeDeleteItemActions } from "./delete-item-actions.js";
import { failedOnAnotherBackupsName, isWritableAndAvailable, labelSelectorOf, parseKubeTime, patchStatus, scheduleOf, splitKey, validLabelValue } from "./lifecycle-common.js";
import { cachedOrGet, type CachedList } from "./runtime/informer.js";
import type { ObjectKey, ReconcileResult, Reconciler } from "./runtime/types.js";

/** InProgress/Processed requests older than this are deleted (Velero's deleteBackupRequestMaxAge). */
export const DELETE_BACKUP_REQUEST_MAX_AGE_MS = 24 * 60 * 60 * 1000;

/** Velero's backup_deletion_{attempt,success,failure}_total, labelled by schedule. */
export interface DeletionMetrics {
  deletionAttempt(schedule: string): void;
  deletionSuccess(schedule: string): void;
  deletionFailure(schedule: string): void;
}

export interface DeleteBackupRequestReconcilerOptions {
  kube: KubeClient;
  log: Logger;
  getBackupStore: BackupStoreGetter;
  plugins: Pick<PluginManager, "getDeleteItemActions" | "getVolumeSnapshotter">;
  /** Writes a location's credential Secret key to a file for the plugin's credentialsFile (Velero's file store). */
  credentials?: Pick<CredentialFileStore, "path">;
  /** Opens the snapshotter of a location; default: plugins.getVolumeSnapshotter(provider, config + credentialsFile). */
  getVolumeSnapshotter?: (location: VolumeSnapshotLocation) => Promise<VolumeSnapshotter>;
  /**
   * True while this server still has the backup in hand (Velero's backup tracker): running it,
   * or following the plugin operations of one it ran. Not a phase: after a restart a backup stuck
   * waiting for an operation can be deleted, as in Velero. Default: phase InProgress.
   */
  isBackupInProgress?: (backup: Backup) => boolean;
  metrics?: DeletionMetrics;
  clock?: Clock;
  /** The watch cache's Restores of a namespace, read instead of LISTs (to delete a backup's and wait until they are gone). */
  cachedRestores?: CachedList;
  /** The watch cache's DeleteBackupRequests of a namespace, read instead of LISTs (the other requests for the same backup). */
  cachedRequests?: CachedList;
  /** The watch cache's Backups and locations: the backup and a usable location are taken from them (else read afresh). */
  cachedBackups?: CachedList;
  cachedLocations?: CachedList;
}

/** How long a deletion waits for the backup's deleted Restores to be gone, and how often it looks (Velero: 1 min, 1 s). */
const RESTORE_DELETION_WAIT_MS = 60_000;
const RESTORE_DELETION_POLL_MS = 1_000;
/** How often the watch cache is looked at instead (no API request: the backup goes soon after its restores). */
const RESTORE_DELETION_CACHE_POLL_MS = 100;

class Refusal extends Error {}

export class DeleteBackupRequestReconciler implements Reconciler {
  readonly name = "backup-deletion";
  readonly watches = GVR.deleteBackupRequests;
  readonly #kube: KubeClient;
  readonly #log: Logger;
  readonly #getBackupStore: BackupStoreGetter;
  readonly #plugins: DeleteBackupRequestReconcilerOptions["plugins"];
  readonly #getVolumeSnapshotter: (location: VolumeSnapshotLocation) => Promise<VolumeSnapshotter>;
  readonly #isBackupInProgress: (backup: Backup) => boolean;
  readonly #metrics: DeletionMetrics | undefined;
  readonly #clock: Clock;
  readonly #cachedRestores: CachedList | undefined;
  readonly #cachedRequests: CachedList | undefined;
  readonly #cachedBackups: CachedList | undefined;
  readonly #cachedLocations: CachedList | undefined;

  constructor(options: DeleteBackupRequestReconcilerOptions) {
    this.#kube = options.kube;
    this.#log = options.log.child({ controller: "backup-deletion" });
    this.#getBackupStore = options.getBackupStore;
    this.#plugins = options.plugins;
    this.#getVolumeSnapshotter = options.getVolumeSnapshotter ?? ((vsl) => this.#openSnapshotter(vsl, options.credentials));
    this.#isBackupInProgress = options.isBackupInProgress ?? ((b: Backup) => b.status?.phase === "InProgress");
    this.#metrics = options.metrics;
    this.#clock = options.clock ?? realClock;
    this.#cachedRestores = options.cachedRestores;
    this.#cachedRequests = options.cachedRequests;
    this.#cachedBackups = options.cachedBackups;
    this.#cachedLocations = options.cachedLocations;
  }

  /** A namespace's Restores: from the watch cache when there is one, else a LIST. */
  async #restores(namespace: string | undefined): Promise<{ items: readonly UnstructuredItem[]; cached: boolean }> {
    const cached = namespace ? await this.#cachedRestores?.(namespace) : undefined;
    return cached ? { items: cached, cached: true } : { items: (await this.#kube.list(GVR.restores, { namespace })).items, cached: false };
  }

  /** A namespace's DeleteBackupRequests with the given labels: from the watch cache when there is one, else a LIST. */
  async #requests(namespace: string | undefined, labels: Record<string, string>): Promise<readonly UnstructuredItem[]> {
    const cached = namespace ? await this.#cachedRequests?.(namespace) : undefined;
    if (cached) return cached.filter((r) => Object.entries(labels).every(([k, v]) => r.metadata.labels?.[k] === v));
    return (await this.#kube.list(GVR.deleteBackupRequests, { namespace, labelSelector: labelSelectorOf(labels) })).items;
  }

  /**
   * Velero's UpdateVolumeSnapshotLocationWithCredentialConfig (its error as it is), then the
   * plugin, in Velero's words for a provider without a plugin and for an Init that fails.
   */
  async #openSnapshotter(vsl: VolumeSnapshotLocation, credentials: Pick<CredentialFileStore, "path"> | undefined): Promise<VolumeSnapshotter> {
    const config = { ...(vsl.spec.config ?? {}) };
    if (vsl.spec.credential && credentials) config.credentialsFile = await credentials.path(vsl.spec.credential);
    try {
      return await this.#plugins.getVolumeSnapshotter(vsl.spec.provider, config);
    } catch (err) {
      const missing = isVeleroError(err) && err.code === "VELERO_NOT_FOUND" && /^unable to locate /.test(err.message);
      throw new Refusal(
        missing
          ? `error getting volume snapshotter for provider ${vsl.spec.provider}: ${getErrorMessage(err)}`
          : `error initializing volume snapshotter for volume snapshot location ${vsl.metadata.name ?? ""}: ${getErrorMessage(err)}`,
      );
    }
  }

  async reconcile(key: ObjectKey, cached?: UnstructuredItem): Promise<ReconcileResult> {
    // the watch cache's copy of a request already handled (its own patches coming back) says how
    // long until it expires, with no GET
    const early = cached ? this.#untilExpiry(cached as unknown as DeleteBackupRequest) : undefined;
    if (early) return early;
    const { namespace, name } = splitKey(key);
    const request = (await this.#kube.get(GVR.deleteBackupRequests, name, namespace)) as unknown as DeleteBackupRequest | undefined;
    if (!request) return { kind: "done" };
    const phase = request.status?.phase ?? "";
    if (phase === "InProgress" || phase === "Processed") return this.#expireOld(request);

    const log = this.#log.child({ name: key, backup: request.spec.backupName });
    try {
      const { backup, location } = await this.#admit(request, log);
      await this.#delete(request, backup, location, log);
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      log.warn({ reason: err.message }, "backup deletion refused");
      await patchStatus(this.#kube, GVR.deleteBackupRequests, request, { phase: "Processed", errors: [err.message] });
    }
    return { kind: "done" };
  }

  /** A requeue until a handled (InProgress or Processed) request expires; undefined for one to handle or to delete now. */
  #untilExpiry(request: DeleteBackupRequest): ReconcileResult | undefined {
    const phase = request.status?.phase ?? "";
    if (phase !== "InProgress" && phase !== "Processed") return undefined;
    const now = this.#clock.now();
    const created = parseKubeTime(request.metadata.creationTimestamp) ?? now;
    const age = now.getTime() - created.getTime();
    return age < DELETE_BACKUP_REQUEST_MAX_AGE_MS ? { kind: "requeue", afterMs: DELETE_BACKUP_REQUEST_MAX_AGE_MS - age } : undefined;
  }

  /** Velero deletes handled requests a day after their creation. */
  async #expireOld(request: DeleteBackupRequest): Promise<ReconcileResult> {
    const notYet = this.#untilExpiry(request);
    if (notYet) return notYet;
    await this.#kube.delete(GVR.deleteBackupRequests, request.metadata.name ?? "", request.metadata.namespace);
    return { kind: "done" };
  }

  /** The checks before anything is touched; a Refusal ends the request with its message. */
  async #admit(request: DeleteBackupRequest, log: Logger): Promise<{ backup: Backup; location: BackupStorageLocation }> {
    const namespace = request.metadata.namespace;
    const backupName = request.spec.backupName ?? "";
    if (backupName === "") throw new Refusal("spec.backupName is required");
    await this.#deleteOtherRequests(request, log);

    const backup = (await cachedOrGet(this.#kube, this.#cachedBackups, GVR.backups, backupName, namespace ?? "", (b) => !this.#isBackupInProgress(b as unknown as Backup))) as unknown as
      | Backup
      | undefined;
    if (!backup) throw new Refusal("backup not found");
    if (this.#isBackupInProgress(backup)) throw new Refusal("backup is still in progress");
    const locationName = backup.spec.storageLocation ?? "";
    // a refusal is never made on a cached copy
    const location = (await cachedOrGet(this.#kube, this.#cachedLocations, GVR.backupStorageLocations, locationName, namespace ?? "", isWritableAndAvailable)) as unknown as BackupStorageLocation | undefined;
    if (!location) throw new Refusal(`backup storage location ${locationName} not found`);
    if (location.spec.accessMode === "ReadOnly") {
      throw new Refusal(`cannot delete backup because backup storage location ${locationName} is currently in read-only mode`);
    }
    if (location.status?.phase !== "Available") {
      throw new Refusal(`cannot delete backup because backup storage location ${locationName} is currently in Unavailable state`);
    }
    return { backup, location };
  }

  /** Velero removes older requests for the same backup (by name label) before handling a new one. */
  async #deleteOtherRequests(request: DeleteBackupRequest, log: Logger): Promise<void> {
    const items = await this.#requests(request.metadata.namespace, { [LABELS.backupName]: validLabelValue(request.spec.backupName) });
    for (const other of items) {
      if (other.metadata.name === request.metadata.name) continue;
      await this.#kube.delete(GVR.deleteBackupRequests, other.metadata.name, other.metadata.namespace);
      log.info(`deletion request "${other.metadata.name}" removed`);
    }
  }

  async #delete(request: DeleteBackupRequest, backup: Backup, location: BackupStorageLocation, log: Logger): Promise<void> {
    await this.#kube.patch(GVR.deleteBackupRequests, request.metadata.name ?? "", request.metadata.namespace, {
      metadata: { labels: { [LABELS.backupName]: validLabelValue(backup.metadata.name ?? ""), [LABELS.backupUid]: backup.metadata.uid ?? "" } },
      status: { phase: "InProgress" },
    });
    try {
      await this.#carryOut(request, backup, location, log);
    } catch (err) {
      // Once InProgress the request is never retried (Velero): end it with the reason instead.
      throw err instanceof Refusal ? err : new Refusal(getErrorMessage(err));
    }
  }

  async #carryOut(request: DeleteBackupRequest, original: Backup, location: BackupStorageLocation, log: Logger): Promise<void> {
    const backupName = original.metadata.name ?? "";
    try {
      await patchStatus(this.#kube, GVR.backups, original, { phase: "Deleting" });
    } catch (err) {
      throw new Refusal(`error setting backup phase to deleting: ${getErrorMessage(err)}`);
    }
    // What DeleteItemActions are given is the Backup as it now is, as in Velero
    const backup: Backup = { ...original, status: { ...original.status, phase: "Deleting" } };
    const schedule = scheduleOf(backup);
    this.#metrics?.deletionAttempt(schedule);

    let store: BackupStore;
    try {
      store = await this.#getBackupStore(location);
    } catch (err) {
      throw new Refusal(`error getting the backup store: ${getErrorMessage(err)}`);
    }
    const errors: string[] = [];
    if (failedOnAnotherBackupsName(original)) {
      // It wrote nothing: what the bucket holds under its name, the snapshots listed there and the
      // restores of that name are another backup's (Velero deletes them with this one).
      log.info("backup failed because object storage already held a backup of its name: that backup's files, snapshots and restores are kept");
    } else {
      errors.push(...(await this.#runDeleteItemActions(store, backup, log)));
      errors.push(...(await this.#deleteNativeSnapshots(store, backup, log)));
      if (errors.length === 0) {
        log.info("removing backup from backup storage");
        await collect(errors, () => store.deleteBackup(backupName));
      } else {
        log.info("skipping removal of backup from backup storage due to previous errors");
      }
      const restores = await this.#deleteRestores(store, backup, log);
      errors.push(...restores.errors);
      await this.#waitForRestoresGone(backup, restores.deleted, log);
    }
    if (errors.length === 0) {
      await collect(errors, () => this.#kube.delete(GVR.backups, backupName, backup.metadata.namespace), `error deleting backup ${backup.metadata.namespace}/${backupName}`);
    }

    if (errors.length === 0) this.#metrics?.deletionSuccess(schedule);
    else this.#metrics?.deletionFailure(schedule);
    await patchStatus(this.#kube, GVR.deleteBackupRequests, request, { phase: "Processed", errors: errors.length > 0 ? errors : null });
    if (errors.length === 0) await this.#deleteAllRequestsOf(backup, request, log);
    log.info({ errors }, errors.length === 0 ? "backup deleted" : "backup deletion finished with errors");
  }

  /**
   * Runs the DeleteItemActions over the backup's items. Returns the errors that must keep the
   * backup's data and CR: a tarball that could not be read (throttling, credentials, network)
   * while actions wait for it, as in Velero (the deletion can then be asked again); a tarball that
   * does not exist (a backup that failed before its upload) is no error.
   */
  async #runDeleteItemActions(store: BackupStore, backup: Backup, log: Logger): Promise<string[]> {
    let actions;
    try {
      actions = await this.#plugins.getDeleteItemActions();
    } catch (err) {
      log.error({ err }, "error getting delete item actions");
      throw new Refusal("error getting delete item actions");
    }
    if (actions.length === 0) return [];
    let contents;
    try {
      contents = await store.getBackupContents(backup.metadata.name ?? "");
    } catch (err) {
      log.error({ err: getErrorMessage(err) }, `Unable to download tarball for backup ${backup.metadata.name}, skipping associated DeleteItemAction plugins`);
      if (isTarballNotFound(err)) return [];
      return [`error downloading backup tarball, CSI snapshot cleanup was skipped: ${getErrorMessage(err)}`];
    }
    try {
      await invokeDeleteItemActions({ backup, contents, actions, resources: await this.#kube.discover(), log });
    } catch (err) {
      log.error({ err }, "error invoking delete item actions");
      throw new Refusal("error invoking delete item actions");
    }
    return [];
  }

  async #deleteNativeSnapshots(store: BackupStore, backup: Backup, log: Logger): Promise<string[]> {
    const errors: string[] = [];
    let snapshots;
    try {
      snapshots = await store.getBackupVolumeSnapshots(backup.metadata.name ?? "");
    } catch (err) {
      return [`error getting backup's volume snapshots: ${getErrorMessage(err)}`];
    }
    const snapshotters = new Map<string, VolumeSnapshotter>();
    for (const snapshot of snapshots ?? []) {
      const snapshotId = snapshot.status?.providerSnapshotID;
      if (!snapshotId) continue;
      log.info({ providerSnapshotID: snapshotId }, "removing snapshot associated with backup");
      try {
        const snapshotter = await this.#snapshotterFor(snapshot.spec.location, backup.metadata.namespace, snapshotters);
        await snapshotter.deleteSnapshot(snapshotId);
      } catch (err) {
        errors.push(err instanceof Refusal ? err.message : `error deleting snapshot ${snapshotId}: ${getErrorMessage(err)}`);
      }
    }
    return errors;
  }

  async #snapshotterFor(locationName: string, namespace: string | undefined, cache: Map<string, VolumeSnapshotter>): Promise<VolumeSnapshotter> {
    const cached = cache.get(locationName);
    if (cached) return cached;
    const vsl = (await this.#kube.get(GVR.volumeSnapshotLocations, locationName, namespace)) as unknown as VolumeSnapshotLocation | undefined;
    // Velero's text: its client's NotFound error, wrapped
    if (!vsl) throw new Refusal(`error getting volume snapshot location ${locationName}: VolumeSnapshotLocation.velero.io "${locationName}" not found`);
    let snapshotter: VolumeSnapshotter;
    try {
      snapshotter = await this.#getVolumeSnapshotter(vsl);
    } catch (err) {
      throw err instanceof Refusal ? err : new Refusal(getErrorMessage(err));
    }
    cache.set(locationName, snapshotter);
    return snapshotter;
  }

  /** Restores of the backup: their files in the bucket and their CRs. Returns the errors and the Restores deleted. */
  async #deleteRestores(store: BackupStore, backup: Backup, log: Logger): Promise<{ errors: string[]; deleted: string[] }> {
    const errors: string[] = [];
    const deleted: string[] = [];
    let restores;
    try {
      ({ items: restores } = await this.#restores(backup.metadata.namespace));
    } catch (err) {
      log.error({ err }, "error listing restore API objects");
      return { errors, deleted };
    }
    for (const item of restores) {
      const restore = item as unknown as Restore;
      if (restore.spec.backupName !== backup.metadata.name) continue;
      const restoreKey = `${restore.metadata.namespace}/${restore.metadata.name}`;
      log.info({ restore: restoreKey }, "deleting restore referencing backup");
      await collect(
        errors,
        async () => {
          await store.deleteRestore(restore.metadata.name ?? "");
          await this.#kube.delete(GVR.restores, restore.metadata.name ?? "", restore.metadata.namespace);
          deleted.push(restore.metadata.name ?? "");
        },
        `error deleting restore ${restoreKey}`,
      );
    }
    return { errors, deleted };
  }

  /**
   * As Velero, the Restores just deleted are waited for (each has a finalizer the restore
   * controller removes once its files are gone), for a minute at most (looking at the watch cache
   * every 100 ms, or LISTing each second as Velero polls when there is no cache), before
   * the Backup goes: the finalizer looks the Backup up to find the files' location. Past the
   * minute the deletion goes on, with an error in the server log. (Velero also waits for a
   * Restore it failed to delete, a minute for nothing; that one is not waited for here.)
   */
  async #waitForRestoresGone(backup: Backup, deleted: readonly string[], log: Logger): Promise<void> {
    if (deleted.length === 0) return;
    const deadline = this.#clock.now().getTime() + RESTORE_DELETION_WAIT_MS;
    for (;;) {
      let left: string[];
      let cached: boolean;
      try {
        let items: readonly UnstructuredItem[];
        ({ items, cached } = await this.#restores(backup.metadata.namespace));
        left = items
          .filter((r) => (r as unknown as Restore).spec?.backupName === backup.metadata.name && deleted.includes(r.metadata.name))
          .map((r) => r.metadata.name);
      } catch (err) {
        log.error({ err: getErrorMessage(err) }, "Error polling for deletion of restores");
        return;
      }
      if (left.length === 0) return;
      if (this.#clock.now().getTime() >= deadline) {
        log.error({ restores: left }, `Error polling for deletion of restores: still present after ${RESTORE_DELETION_WAIT_MS / 1000}s (their finalizers were not removed)`);
        return;
      }
      const pollMs = cached ? RESTORE_DELETION_CACHE_POLL_MS : RESTORE_DELETION_POLL_MS;
      await new Promise<void>((resolve) => this.#clock.setTimeout(resolve, pollMs));
    }
  }

  /**
   * Every request labelled with the backup's name and uid (as Velero's DeleteAllOf by those labels),
   * this one always among them: the watch cache may not have seen its labels yet.
   */
  async #deleteAllRequestsOf(backup: Backup, request: DeleteBackupRequest, log: Logger): Promise<void> {
    const namespace = request.metadata.namespace;
    try {
      const labelled = await this.#requests(namespace, { [LABELS.backupName]: validLabelValue(backup.metadata.name ?? ""), [LABELS.backupUid]: backup.metadata.uid ?? "" });
      const names = new Set([request.metadata.name ?? "", ...labelled.map((r) => r.metadata.name)]);
      // (a request already gone is no error: delete ignores a 404)
      for (const name of names) await this.#kube.delete(GVR.deleteBackupRequests, name, namespace);
    } catch (err) {
      log.error({ err }, "error deleting the DeleteBackupRequests of the deleted backup");
    }
  }
}

/**
 * Whether reading the tarball failed because there is none: our stores' not-found, or the words
 * object stores use for it (a Go plugin's error arrives as text; Velero's isTarballNotFoundError).
 */
function isTarballNotFound(err: unknown): boolean {
  return (isVeleroError(err) && err.code === "VELERO_NOT_FOUND") || saysNotFound(getErrorMessage(err));
}

/** Runs fn; a failure is appended to errors (prefixed with context) instead of thrown. */
async function collect(errors: string[], fn: () => Promise<unknown>, context?: string): Promise<void> {
  try {
    await fn();
  } catch (err) {
    errors.push(context ? `${context}: ${getErrorMessage(err)}` : getErrorMessage(err));
  }
}
