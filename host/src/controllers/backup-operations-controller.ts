/**
 * BackupOperationsReconciler (Velero's backup operations controller plus the finalizer for backups
 * with asynchronous operations). A Backup in WaitingForPluginOperations[PartiallyFailed] is checked
 * every `syncPeriodMs` (Velero's --item-operation-sync-frequency, 10s): each New/InProgress
 * operation in `<b>-itemoperations.json.gz` is asked for progress by the BackupItemAction v2 that
 * started it, or cancelled and failed once older than spec.itemOperationTimeout (default 4h). The
 * updated operations file is uploaded after every check. When none is left in progress the backup
 * moves to Finalizing (FinalizingPartiallyFailed when an operation failed or the backup already had
 * errors); the finalizer then re-fetches every postOperationItem from the API server and backs it up
 * again through every applicable BackupItemAction (Velero's FinalizeBackup: no exclusion checks,
 * additional items included, an action starting a new operation fails that item), rewrites the
 * tarball with the resulting entries (replacing older copies), uploads it, and writes
 * velero-backup.json last with Completed / PartiallyFailed.
 */
import { createReadStream } from "node:fs";
import { rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { extract } from "tar-stream";
import { getErrorMessage, type Backup, type BackupItemActionV2, type BackupPhase, type BackupStorageLocation, type UnstructuredItem } from "@velero-ts/plugin-sdk";
import { inGoFieldOrder, KubernetesBackupper, type BackupOperation, type Backupper, type BackupVolumeInfo } from "../backup/backupper.js";
import { TarballWriter } from "../backup/tar-writer.js";
import type { KubeClient } from "../kube/client.js";
import { GVR } from "../kube/gvr.js";
import type { BackupStore } from "../persistence/backup-store.js";
import type { BackupStoreGetter } from "../persistence/location.js";
import type { PluginManager } from "../plugins/manager.js";
import { realClock, toKubeTime, type Clock } from "../shared/clock.js";
import type { FeatureFlags } from "../shared/features.js";
import { CSI_FEATURE, isVolumeSnapshotIdentifier } from "../shared/csi.js";
import type { Logger } from "../shared/logging.js";
import { makeScratchDir } from "../shared/scratch.js";
import type { BackupMetrics } from "./backup-controller.js";
import { parseKubeTime, scheduleOf, splitKey } from "./lifecycle-common.js";
import { applyOperationProgress, operationTimeoutMs, type OperationProgressStatus } from "./operation-progress.js";
import type { ObjectKey, ReconcileResult, Reconciler } from "./runtime/types.js";
import { keyOf } from "./runtime/informer.js";
import { goBackupStatusMergePatch } from "../persistence/object-backup-store.js";

/** Velero's default --item-operation-sync-frequency. */
export const DEFAULT_ITEM_OPERATION_SYNC_MS = 10_000;
export const OPERATION_TIMED_OUT = "Asynchronous action timed out";

const WAITING = new Set<string>(["WaitingForPluginOperations", "WaitingForPluginOperationsPartiallyFailed"]);
const FINALIZING = new Set<string>(["Finalizing", "FinalizingPartiallyFailed"]);

type Identifier = { Group: string; Resource: string; Namespace: string; Name: string };

/**
 * The backups this process ran that wait for their plugin operations or their finalization
 * (Velero's backup tracker's post-processing set): the backup controller adds them, this
 * controller removes them when they end. A backup in it cannot be deleted; after a restart the
 * set is empty, so a backup stuck on an operation can be deleted (as in Velero).
 */
export class BackupPostProcessingTracker {
  readonly keys = new Set<ObjectKey>();
  has(backup: { metadata: { name?: string; namespace?: string } }): boolean {
    return this.keys.has(keyOf(backup));
  }
}

/** An operation as stored, with the status fields the controller fills in. */
export type StoredOperation = Omit<BackupOperation, "status"> & {
  status: BackupOperation["status"] & OperationProgressStatus & { error?: string };
};

export interface BackupOperationsReconcilerOptions {
  kube: KubeClient;
  logger: Logger;
  plugins: Pick<PluginManager, "getBackupItemActions">;
  getBackupStore: BackupStoreGetter;
  /** The server's --features (the finalize runs the CSI actions with EnableCSI). */
  features?: FeatureFlags;
  /** The engine that re-backs-up post-operation items; by default a KubernetesBackupper. */
  backupper?: Pick<Backupper, "finalize">;
  clock?: Clock;
  /** --item-operation-sync-frequency in ms (default 10s). */
  syncPeriodMs?: number;
  /** Shared with the backup controller; the backups ended here are removed from it. */
  postProcessing?: BackupPostProcessingTracker;
  /** Outcome metrics of backups finished here (Velero's finalizer records them). */
  metrics?: Pick<BackupMetrics, "backupSuccess" | "backupPartialFailure" | "backupLastStatus" | "backupLastSuccessfulTimestamp" | "backupDuration" | "backupItems" | "backupTarballSize" | "csiSnapshotResults">;
}

export class BackupOperationsReconciler implements Reconciler {
  readonly name = "backup-operations";
  readonly watches = GVR.backups;
  /** Backups waiting for plugin operations or finalizing, and those this process tracks as such (to forget them). */
  wants(object: UnstructuredItem, key: ObjectKey): boolean {
    const phase = (object as unknown as Backup).status?.phase ?? "";
    return WAITING.has(phase) || FINALIZING.has(phase) || this.#o.postProcessing?.keys.has(key) === true;
  }
  readonly #o: BackupOperationsReconcilerOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #periodMs: number;
  readonly #backupper: Pick<Backupper, "finalize">;

  constructor(options: BackupOperationsReconcilerOptions) {
    this.#o = options;
    this.#backupper = options.backupper ?? new KubernetesBackupper(options.kube);
    this.#clock = options.clock ?? realClock;
    this.#log = options.logger.child({ controller: "backup-operations" });
    this.#periodMs = options.syncPeriodMs && options.syncPeriodMs > 0 ? options.syncPeriodMs : DEFAULT_ITEM_OPERATION_SYNC_MS;
  }

  forget(key: ObjectKey): void {
    this.#o.postProcessing?.keys.delete(key);
  }

  async reconcile(key: ObjectKey): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    let backup = (await this.#o.kube.get(GVR.backups, name, namespace)) as unknown as Backup | undefined;
    const phase = backup?.status?.phase ?? "";
    if (!backup || (!WAITING.has(phase) && !FINALIZING.has(phase))) {
      this.#o.postProcessing?.keys.delete(key);
      return { kind: "done" };
    }
    const log = this.#log.child({ backup: key });
    const locationName = backup.spec.storageLocation ?? "";
    const location = (await this.#o.kube.get(GVR.backupStorageLocations, locationName, namespace)) as unknown as BackupStorageLocation | undefined;
    if (WAITING.has(phase) && (!location || location.spec.accessMode === "ReadOnly")) {
      // As Velero's operations controller: without its location (deleted) or with a location now
      // ReadOnly, the operations cannot be followed nor the files written: the backup's phase
      // becomes PartiallyFailed (its errors count and completion time are left as they are, as
      // Velero leaves them), nothing is written to the bucket, and the errors gauge is set.
      log.warn(
        !location
          ? `Cannot check progress on Backup operations because backup storage location ${locationName} does not exist; marking backup PartiallyFailed`
          : `Cannot check progress on Backup operations because backup storage location ${locationName} is currently in read-only mode; marking backup PartiallyFailed`,
      );
      await this.#patch(backup, { phase: "PartiallyFailed" });
      this.#o.metrics?.backupItems(scheduleOf(backup), backup.status?.progress?.totalItems ?? 0, backup.status?.errors ?? 0);
      this.#o.postProcessing?.keys.delete(key);
      return { kind: "done" };
    }
    if (!location) {
      // As Velero's finalizer: retried (with backoff) until the location is back.
      throw new Error(`cannot finalize backup ${key}: its backup storage location "${locationName}" does not exist; create it again to let the backup finish`);
    }
    if (location.spec.accessMode === "ReadOnly") {
      // Velero's finalizer writes to a ReadOnly location; this server writes nothing there: the
      // backup ends PartiallyFailed with an error, its bucket copy left as it was (README).
      log.warn(`Cannot finalize the backup because backup storage location ${locationName} is currently in read-only mode; marking backup PartiallyFailed`);
      const status = { phase: "PartiallyFailed" as const, errors: (backup.status?.errors ?? 0) + 1, completionTimestamp: toKubeTime(this.#clock.now()) };
      this.#recordMetrics(await this.#patch(backup, status));
      this.#o.postProcessing?.keys.delete(key);
      return { kind: "done" };
    }
    const store = await this.#o.getBackupStore(location);
    const operations = (await store.getBackupItemOperations(name)) as StoredOperation[];
    // What only a backup cut short in its upload lacks (its CR restored from elsewhere, its bucket
    // edited): finishing it would mark Completed a backup with no tarball, or one whose plugin
    // operations nobody follows.
    const attempted = backup.status?.backupItemOperationsAttempted ?? 0;
    const missing = !(await store.fileExists("BackupContents", name))
      ? `its tarball (${name}.tar.gz) is missing from object storage`
      : WAITING.has(phase) && attempted > 0 && operations.length === 0
        ? `its ${attempted} item operation(s) are missing from object storage (${name}-itemoperations.json.gz), so they cannot be followed`
        : undefined;
    if (missing) {
      log.error(`backup cannot be finished: ${missing}`);
      this.#recordMetrics(await this.#patch(backup, { phase: "Failed", failureReason: `backup cannot be finished: ${missing}`, completionTimestamp: toKubeTime(this.#clock.now()) }));
      this.#o.postProcessing?.keys.delete(key);
      return { kind: "done" };
    }

    if (WAITING.has(phase)) {
      const { inProgress, newlyFailed } = await this.#checkOperations(backup, operations, log);
      const counts = countOperations(operations);
      const partial = phase === "WaitingForPluginOperationsPartiallyFailed" || counts.failed > 0;
      const status: Record<string, unknown> = { ...counts.status };
      if (newlyFailed > 0) {
        status.errors = (backup.status?.errors ?? 0) + newlyFailed;
        // Velero's errors gauge follows the errors its operations add
        this.#o.metrics?.backupItems(scheduleOf(backup), backup.status?.progress?.totalItems ?? 0, status.errors as number);
      }
      if (inProgress) {
        if (partial) status.phase = "WaitingForPluginOperationsPartiallyFailed";
        // As Velero: the bucket's velero-backup.json follows the status when an operation fails.
        if (newlyFailed > 0) await this.#storeMetadata(store, backup, status);
        await store.putBackupItemOperations(name, operations);
        const current = backup.status as Record<string, unknown> | undefined;
        // A zero count is left out of the status (Go's omitempty): absent and 0 are the same.
        // An unchanged status is not patched: the patch would come back as a watch event and
        // check the operations again at once instead of after the sync period.
        if (Object.entries(status).some(([k, v]) => (current?.[k] ?? 0) !== (v ?? 0))) backup = await this.#patch(backup, goBackupStatusMergePatch(status));
        return { kind: "requeue", afterMs: this.#periodMs };
      }
      status.phase = partial ? "FinalizingPartiallyFailed" : "Finalizing";
      log.info({ phase: status.phase }, "all asynchronous operations of the backup have finished");
      // As Velero: velero-backup.json and the operations file are stored with the Finalizing phase.
      await this.#storeMetadata(store, backup, status);
      await store.putBackupItemOperations(name, operations);
      backup = await this.#patch(backup, goBackupStatusMergePatch(status));
    }
    await this.#finalize(backup, store, operations, log);
    this.#o.postProcessing?.keys.delete(key);
    return { kind: "done" };
  }

  /** Writes velero-backup.json: `backup` with `status` merged into its status. */
  async #storeMetadata(store: BackupStore, backup: Backup, status: Record<string, unknown>): Promise<Backup> {
    const b = structuredClone(backup);
    b.status = { ...(b.status ?? {}), ...status } as Backup["status"];
    await store.putBackupMetadata({ ...b, apiVersion: "velero.io/v1", kind: "Backup" });
    return b;
  }

  /** Updates each unfinished operation in place; reports whether any is still running. */
  async #checkOperations(backup: Backup, operations: StoredOperation[], log: Logger): Promise<{ inProgress: boolean; newlyFailed: number }> {
    const actions = new Map<string, BackupItemActionV2>((await this.#o.plugins.getBackupItemActions()).map((a) => [a.name, a.action]));
    const { inProgress, failures } = await checkBackupItemOperations(backup, operations, actions, this.#clock.now(), log);
    return { inProgress, newlyFailed: failures.length };
  }

  /**
   * Re-backs-up post-operation items, re-uploads the tarball, then writes the final metadata. An
   * item that cannot be read or backed up again keeps its earlier copy and is an error of the
   * backup, which ends PartiallyFailed (Velero only logs it: README). As Velero's finalizer, a
   * failure to read or write the tarball throws, so the backup stays Finalizing and is tried again
   * with backoff.
   */
  async #finalize(backup: Backup, store: BackupStore, operations: StoredOperation[], log: Logger): Promise<void> {
    let failed = 0;
    const post = operations.flatMap((o) => o.spec.postOperationItems ?? []);
    if (post.length > 0) {
      const rewritten = await this.#rewriteTarball(backup, store, post, log);
      failed = rewritten.failed;
      if (failed > 0) log.error(`${failed} post-operation item(s) could not be backed up again; the tarball keeps their earlier copies`);
      if (rewritten.tarballBytes !== undefined) this.#o.metrics?.backupTarballSize(scheduleOf(backup), rewritten.tarballBytes);
    }
    await updateCsiVolumeInfos(store, backup.metadata.name ?? "", operations);
    const final: BackupPhase = backup.status?.phase === "FinalizingPartiallyFailed" || failed > 0 ? "PartiallyFailed" : "Completed";
    // Velero's updateCSIVolumeSnapshotsCompleted: the VolumeSnapshot operations that completed
    const csiCompleted = operations.filter((o) => isVolumeSnapshotIdentifier(o.spec.resourceIdentifier) && o.status.phase === "Completed").length;
    const b = await this.#storeMetadata(store, backup, {
      ...countOperations(operations).status,
      ...(csiCompleted > 0 ? { csiVolumeSnapshotsCompleted: csiCompleted } : {}),
      phase: final,
      ...(failed > 0 ? { errors: (backup.status?.errors ?? 0) + failed } : {}),
      completionTimestamp: toKubeTime(this.#clock.now()),
    });
    // as Velero's Go struct writes it: zero counters left out
    await this.#patch(backup, goBackupStatusMergePatch(b.status as unknown as Record<string, unknown>));
    log.info({ phase: final }, `backup ${final}`);
    this.#recordMetrics(b);
    if (this.#o.features?.isEnabled(CSI_FEATURE)) {
      const attempted = b.status?.csiVolumeSnapshotsAttempted ?? 0;
      this.#o.metrics?.csiSnapshotResults?.(scheduleOf(b), b.metadata.name ?? "", csiCompleted, attempted - csiCompleted);
    }
  }

  #recordMetrics(b: Backup): void {
    const m = this.#o.metrics;
    if (!m) return;
    const schedule = scheduleOf(b);
    const s = b.status ?? {};
    if (s.phase === "Completed") {
      m.backupSuccess(schedule);
      m.backupLastStatus(schedule, true);
      m.backupLastSuccessfulTimestamp(schedule, new Date(s.completionTimestamp ?? this.#clock.now()));
    } else {
      m.backupPartialFailure(schedule);
      m.backupLastStatus(schedule, false);
    }
    if (s.startTimestamp && s.completionTimestamp) {
      m.backupDuration(schedule, Math.floor((Date.parse(s.completionTimestamp) - Date.parse(s.startTimestamp)) / 1000));
    }
  }

  /**
   * Rewrites the tarball with the re-backed-up entries: as Velero's buildFinalTarball, an entry of
   * the same path is replaced where it stands, every other entry is copied (its header's mtime
   * kept), and new paths go at the end. Returns how many post-operation items could not be backed
   * up again and the new tarball's size (undefined when nothing was rewritten).
   */
  async #rewriteTarball(backup: Backup, store: BackupStore, items: Identifier[], log: Logger): Promise<{ failed: number; tarballBytes: number | undefined }> {
    const name = backup.metadata.name ?? "";
    const { files, failed } = await this.#backupper.finalize({
      backup,
      items: items.map((id) => ({ group: id.Group, resource: id.Resource, namespace: id.Namespace, name: id.Name })),
      actions: await this.#o.plugins.getBackupItemActions(),
      log,
      ...(this.#o.features ? { features: this.#o.features } : {}),
    });
    if (files.size === 0) return { failed, tarballBytes: undefined };
    const dir = await makeScratchDir("velero-finalize-");
    try {
      const tarPath = join(dir, `${name}.tar.gz`);
      const writer = new TarballWriter(tarPath, () => this.#clock.now());
      const pending = new Map(files);
      try {
        await copyEntries(await store.getBackupContents(name), async (path, data, mtime) => {
          const replacement = pending.get(path);
          pending.delete(path);
          await (replacement !== undefined ? writer.writeFile(path, replacement) : writer.writeFile(path, data, mtime));
        });
        for (const [path, data] of pending) await writer.writeFile(path, data);
      } finally {
        await writer.close();
      }
      await store.putBackupContents(name, createReadStream(tarPath));
      return { failed, tarballBytes: (await stat(tarPath)).size };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async #patch(backup: Backup, status: object): Promise<Backup> {
    return (await this.#o.kube.patch(GVR.backups, backup.metadata.name ?? "", backup.metadata.namespace, { status })) as unknown as Backup;
  }
}

/**
 * Velero's getBackupItemOperationProgress: asks each unfinished operation's action for its
 * progress and updates the operation in place (Completed, Failed, or InProgress; timed out when
 * past spec.itemOperationTimeout and not complete). Used when a backup's items are written (so a
 * backup whose operations are already done skips WaitingForPluginOperations) and then every sync
 * period. Returns whether any is still running, and a message per newly failed one.
 */
export async function checkBackupItemOperations(
  backup: Backup,
  operations: StoredOperation[],
  actions: ReadonlyMap<string, BackupItemActionV2>,
  now: Date,
  log: Logger,
): Promise<{ inProgress: boolean; failures: string[] }> {
  const timeoutMs = operationTimeoutMs(backup.spec.itemOperationTimeout);
  let inProgress = false;
  const failures: string[] = [];
  for (const op of operations) {
    if (op.status.phase !== "New" && op.status.phase !== "InProgress") continue;
    const id = op.spec.operationID;
    // As Velero's getBackupItemOperationProgress: the plugin is asked first; the timeout only
    // fails an operation that has not completed; a failure keeps the plugin's last `updated`.
    // The failure as Velero's wrapErrMsg words it for the backup log: "<error>, plugin: <name>".
    const fail = (message: string, plugin = op.spec.backupItemAction): void => {
      op.status.phase = "Failed";
      op.status.error = message;
      failures.push(`${message ? `${message}, ` : ""}plugin: ${plugin}`);
      log.warn({ operationID: id, backupItemAction: op.spec.backupItemAction }, `backup item operation failed: ${message}`);
    };
    const action = actions.get(op.spec.backupItemAction);
    if (!action) {
      log.warn({ operationID: id }, `backup item action "${op.spec.backupItemAction}" is not registered: install the plugin that provides it`);
      fail(`unable to get valid BackupItemActionV2 for "${op.spec.backupItemAction}"`, "unknown");
      continue;
    }
    let p;
    try {
      p = await action.progress(id, backup);
    } catch (err) {
      fail(getErrorMessage(err));
      continue;
    }
    applyOperationProgress(op.status, p);
    if (p.completed) {
      if (p.err) fail(p.err);
      else op.status.phase = "Completed";
      continue;
    }
    const created = parseKubeTime(op.status.created);
    if (created && now.getTime() - created.getTime() > timeoutMs) {
      try {
        await action.cancel(id, backup);
      } catch (err) {
        log.warn({ operationID: id, err: getErrorMessage(err) }, "error cancelling timed-out backup item operation");
      }
      fail(OPERATION_TIMED_OUT);
      continue;
    }
    // As Velero: New until the plugin reports the operation started
    if (op.status.phase === "New" && op.status.started) op.status.phase = "InProgress";
    inProgress = true;
  }
  return { inProgress, failures };
}

export function countOperations(operations: StoredOperation[]): { failed: number; status: Record<string, number> } {
  const completed = operations.filter((o) => o.status.phase === "Completed").length;
  const failed = operations.filter((o) => o.status.phase === "Failed").length;
  return {
    failed,
    status: { backupItemOperationsAttempted: operations.length, backupItemOperationsCompleted: completed, backupItemOperationsFailed: failed },
  };
}

/** Calls `onEntry` for each regular file of a gzip(tar) stream, in order. */
async function copyEntries(source: Readable, onEntry: (path: string, data: Buffer, mtime: Date | undefined) => Promise<void>): Promise<void> {
  const ex = extract();
  source.on("error", (err) => ex.destroy(err));
  source.pipe(createGunzip()).on("error", (err) => ex.destroy(err)).pipe(ex);
  for await (const entry of ex) {
    const chunks: Buffer[] = [];
    for await (const c of entry) chunks.push(c as Buffer);
    if (entry.header.type === "file") await onEntry(entry.header.name, Buffer.concat(chunks), entry.header.mtime);
  }
}

/**
 * Velero's updateVolumeInfos, run while a backup finalizes: each CSI snapshot's volume info takes its
 * operation's last update as completionTimestamp and succeeded (or failed, when the operation has an
 * error) as result. A backup without volume info (or without CSI snapshots) is left as it is.
 */
export async function updateCsiVolumeInfos(store: Pick<BackupStore, "getBackupVolumeInfos" | "putBackupVolumeInfos">, name: string, operations: StoredOperation[]): Promise<void> {
  // only a VolumeSnapshot's operation has a CSI volume info: no download for any other backup
  if (!operations.some((o) => isVolumeSnapshotIdentifier(o.spec.resourceIdentifier))) return;
  const infos = (await store.getBackupVolumeInfos(name)) as BackupVolumeInfo[] | undefined;
  if (!infos) return;
  let changed = false;
  const updated = infos.map((info) => {
    const operationID = info.csiSnapshotInfo?.operationID;
    if (info.backupMethod !== "CSISnapshot" || !operationID) return info;
    const op = operations.find((o) => o.spec.operationID === operationID);
    if (!op) return info;
    changed = true;
    return inGoFieldOrder({ ...info, result: op.status.error ? "failed" : "succeeded", ...(op.status.updated ? { completionTimestamp: op.status.updated } : {}) });
  });
  if (changed) await store.putBackupVolumeInfos(name, updated);
}
