/**
 * RestoreOperationsReconciler (Velero's restore operations controller plus its restore finalizer
 * for restores with asynchronous operations). A Restore in WaitingForPluginOperations[PartiallyFailed]
 * is checked every `syncPeriodMs` (Velero's --item-operation-sync-frequency, 10s): its
 * `restore-<r>-itemoperations.json.gz` is read back from the bucket, each New/InProgress operation
 * is asked for progress by the RestoreItemAction v2 that started it (cancelled and failed once
 * older than spec.itemOperationTimeout), and the file is uploaded again when anything changed.
 * When none is left in progress the restore moves to Finalizing[PartiallyFailed]; the finalizer
 * waits for the post-restore exec hooks this process still tracks, merges their errors into the
 * results file, and writes Completed / PartiallyFailed. Everything it needs is in the cluster and
 * the bucket, so a restarted server carries on where the last one stopped.
 */
import { getErrorMessage, type Backup, type BackupStorageLocation, type Restore, type RestoreItemActionV2, type UnstructuredItem } from "@velero-ts/plugin-sdk";
import type { KubeClient } from "../kube/client.js";
import { GVR } from "../kube/gvr.js";
import { readGzipJsonFileIfPresent, type BackupStore, type Result } from "../persistence/backup-store.js";
import { omitEmptyMergePatch } from "../persistence/go-json.js";
import type { BackupStoreGetter } from "../persistence/location.js";
import type { NamedAction, PluginManager } from "../plugins/manager.js";
import { asRestoreItemActionV2, builtinRestoreItemActions, RestoreResultSet, type HookSummary, type RestoreOperation } from "../restore/index.js";
import { realClock, toKubeTime, type Clock } from "../shared/clock.js";
import type { Logger } from "../shared/logging.js";
import { patchFinalStatus } from "./final-patch.js";
import { parseKubeTime, splitKey } from "./lifecycle-common.js";
import { applyOperationProgress, operationTimeoutMs } from "./operation-progress.js";
import type { ObjectKey, ReconcileResult, Reconciler } from "./runtime/types.js";

/** Velero's default --item-operation-sync-frequency. */
const DEFAULT_RESTORE_OPERATION_SYNC_MS = 10_000;
/** Velero's operation error for a timed-out operation. */
export const RESTORE_OPERATION_TIMED_OUT = "Asynchronous action timed out";

const WAITING = new Set<string>(["WaitingForPluginOperations", "WaitingForPluginOperationsPartiallyFailed"]);
const FINALIZING = new Set<string>(["Finalizing", "FinalizingPartiallyFailed"]);

/**
 * What the restore controller and this one share in memory (Velero's multiHookTracker): the
 * restores the restore controller is running itself (it finishes those), and the post-restore
 * exec hooks of restores that went on to wait for their operations. A restarted server has none:
 * like Velero's, its finalizer then has no hooks to wait for.
 */
export class RestoreRunTracker {
  readonly running = new Set<ObjectKey>();
  readonly hooks = new Map<ObjectKey, Promise<HookSummary>>();
}

type StatusPatch = Partial<NonNullable<Restore["status"]>> & Record<string, unknown>;

export interface RestoreOperationsReconcilerOptions {
  kube: KubeClient;
  /** Velero's namespace (backups and locations are looked up there). */
  namespace: string;
  logger: Logger;
  plugins: Pick<PluginManager, "getRestoreItemActions">;
  getBackupStore: BackupStoreGetter;
  /** As RestoreReconcilerOptions.builtinActions: actions found before the plugin manager's. */
  builtinActions?: NamedAction<RestoreItemActionV2>[];
  tracker?: RestoreRunTracker;
  clock?: Clock;
  /** --item-operation-sync-frequency in ms (default 10s). */
  syncPeriodMs?: number;
  metrics?: { restoreSuccess(schedule: string): void; restorePartialFailure(schedule: string): void };
  /** --resource-timeout in ms: how long the final status patch is retried before the reconcile is (default 10 min). */
  resourceTimeoutMs?: number;
}

export class RestoreOperationsReconciler implements Reconciler {
  readonly name = "restore-operations";
  readonly watches = GVR.restores;
  /** Restores waiting for plugin operations or finalizing. */
  wants(object: UnstructuredItem): boolean {
    const phase = (object as unknown as Restore).status?.phase ?? "";
    return WAITING.has(phase) || FINALIZING.has(phase);
  }
  readonly #o: RestoreOperationsReconcilerOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #periodMs: number;
  readonly #tracker: RestoreRunTracker;
  readonly #builtins: NamedAction<RestoreItemActionV2>[];

  constructor(options: RestoreOperationsReconcilerOptions) {
    this.#o = options;
    this.#clock = options.clock ?? realClock;
    this.#log = options.logger.child({ controller: "restore-operations" });
    this.#periodMs = options.syncPeriodMs && options.syncPeriodMs > 0 ? options.syncPeriodMs : DEFAULT_RESTORE_OPERATION_SYNC_MS;
    this.#tracker = options.tracker ?? new RestoreRunTracker();
    this.#builtins =
      options.builtinActions ??
      builtinRestoreActions(options.kube, options.namespace, this.#log);
  }

  async reconcile(key: ObjectKey): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    let restore = (await this.#o.kube.get(GVR.restores, name, namespace)) as unknown as Restore | undefined;
    const phase = restore?.status?.phase ?? "";
    if (!restore || restore.metadata.deletionTimestamp) return { kind: "done" };
    // A restore the restore controller is running in this process is finished by it.
    if (!WAITING.has(phase) && !(FINALIZING.has(phase) && !this.#tracker.running.has(key))) return { kind: "done" };
    const log = this.#log.child({ restore: key });
    const store = await this.#store(restore, log);
    if (WAITING.has(phase)) {
      if (!store) {
        // As Velero: without its backup the operations cannot be followed (the phase says so; the
        // errors count is left as it is, as Velero leaves it).
        restore = await this.#patch(restore, { phase: "FinalizingPartiallyFailed" });
      } else {
        const next = await this.#checkOperations(restore, store, log);
        if (!next) return { kind: "requeue", afterMs: this.#periodMs };
        restore = next;
      }
    }
    await this.#finalize(restore, store, log);
    return { kind: "done" };
  }

  /** The backup store of the restore's backup; undefined when the backup or its location is gone. */
  async #store(restore: Restore, log: Logger): Promise<BackupStore | undefined> {
    const ns = this.#o.namespace;
    const backupName = restore.spec.backupName ?? "";
    const backup = (await this.#o.kube.get(GVR.backups, backupName, ns)) as unknown as Backup | undefined;
    const locationName = backup?.spec.storageLocation ?? "";
    const location = backup ? ((await this.#o.kube.get(GVR.backupStorageLocations, locationName, ns)) as unknown as BackupStorageLocation | undefined) : undefined;
    if (!location) {
      log.warn(backup ? `backup storage location "${locationName}" does not exist` : `backup "${backupName}" does not exist`);
      return undefined;
    }
    return this.#o.getBackupStore(location);
  }

  /** One check of the operations; the restore moved to Finalizing[PartiallyFailed], or undefined while any is running. */
  async #checkOperations(restore: Restore, store: BackupStore, log: Logger): Promise<Restore | undefined> {
    const name = restore.metadata.name ?? "";
    const operations = await readRestoreItemOperations(store, name);
    const actions = await restoreActionsByName(this.#o.plugins, this.#builtins);
    const { inProgress, changed, errors } = await checkRestoreItemOperations(restore, operations, actions, this.#clock.now(), log);
    const counts = countRestoreOperations(operations);
    const status: StatusPatch = { restoreItemOperationsCompleted: counts.completed, restoreItemOperationsFailed: counts.failed };
    if (errors.length > 0) {
      // As Velero: operation errors count in status.errors (its results file is not rewritten for them).
      log.info(`Restore has ${errors.length} errors`);
      status.errors = (restore.status?.errors ?? 0) + errors.length;
      status.phase = "WaitingForPluginOperationsPartiallyFailed";
    }
    if (changed || errors.length > 0 || !inProgress) await store.putRestoreFiles({ restoreName: name, itemOperations: operations });
    if (inProgress) {
      const current = restore.status as Record<string, unknown> | undefined;
      // An unchanged status is not patched: the watch event would bring the check back at once.
      if (Object.entries(status).some(([k, v]) => (current?.[k] ?? 0) !== (v ?? 0))) await this.#patch(restore, status);
      return undefined;
    }
    const partial = restore.status?.phase === "WaitingForPluginOperationsPartiallyFailed" || errors.length > 0;
    status.phase = partial ? "FinalizingPartiallyFailed" : "Finalizing";
    log.info({ phase: status.phase }, "all asynchronous operations of the restore have finished");
    return this.#patch(restore, status);
  }

  /** Velero's restore finalizer: post-restore exec hooks, results, final phase. */
  async #finalize(restore: Restore, store: BackupStore | undefined, log: Logger): Promise<void> {
    const name = restore.metadata.name ?? "";
    const key = `${restore.metadata.namespace ?? ""}/${name}`;
    // Read before anything is marked done (a store that fails is retried with backoff). A restore
    // whose results are not in the bucket (the server stopped between Finalizing and storing its
    // files, or their upload failed) is finished all the same, as Velero does: it was restored.
    const stored = store ? await readRestoreResults(store, name) : undefined;
    if (store && !stored) log.warn(`the results of restore "${name}" are not in object storage (the server stopped before storing them, or storing them failed); finishing it without them`);
    const status: StatusPatch = {};
    let partial = restore.status?.phase === "FinalizingPartiallyFailed" || !store;
    const hooksPending = this.#tracker.hooks.get(key);
    // As Velero's finalizer, hookStatus is always written: {} when this process ran no hook of it
    // (a restore it did not run, or one left Finalizing by a server that stopped).
    status.hookStatus = {};
    if (hooksPending) {
      const hooks = await hooksPending;
      status.hookStatus = goHookStatus(hooks);
      if (!hooks.errors.isEmpty()) {
        partial = true;
        status.errors = (restore.status?.errors ?? 0) + hooks.errors.count();
        // As Velero's updateResults: the new errors are merged into the stored results.
        if (store) {
          const errors = RestoreResultSet.fromJSON(stored?.errors);
          errors.merge(hooks.errors);
          await store.putRestoreFiles({ restoreName: name, results: { errors: errors.toJSON(), warnings: stored?.warnings ?? {} } });
        }
      }
    }
    status.phase = partial ? "PartiallyFailed" : "Completed";
    status.completionTimestamp = toKubeTime(this.#clock.now());
    const retryMs = this.#o.resourceTimeoutMs ? { retryMs: this.#o.resourceTimeoutMs } : {};
    if (!(await patchFinalStatus("Restore", () => this.#patch(restore, status), { clock: this.#clock, log, ...retryMs }))) {
      // As Velero's finalizer (its error requeues it): tried again with backoff. A restore deleted
      // meanwhile is found gone then, and left alone.
      throw new Error(`could not write the final status of restore ${key}; trying again`);
    }
    this.#tracker.hooks.delete(key);
    const schedule = restore.spec.scheduleName ?? "";
    if (partial) this.#o.metrics?.restorePartialFailure(schedule);
    else this.#o.metrics?.restoreSuccess(schedule);
    log.info({ phase: status.phase }, `restore ${status.phase}`);
  }

  /** Names the Restore's uid, as the restore controller's patches do. */
  async #patch(restore: Restore, status: StatusPatch): Promise<Restore> {
    const metadata = restore.metadata.uid ? { uid: restore.metadata.uid } : {};
    return (await this.#o.kube.patch(GVR.restores, restore.metadata.name ?? "", restore.metadata.namespace, { metadata, status: goRestoreStatusMergePatch(status) })) as unknown as Restore;
  }
}

/**
 * Velero's getRestoreItemOperationProgress: asks each New/InProgress operation's action for its
 * progress and updates it in place: Completed, Failed (the action's error, a Progress error, or a
 * timeout, which first calls Cancel), or still running (InProgress once it has started). Returns
 * whether any is still running, whether any operation changed, and the error of each newly failed one.
 */
export async function checkRestoreItemOperations(
  restore: Restore,
  operations: RestoreOperation[],
  actions: ReadonlyMap<string, RestoreItemActionV2>,
  now: Date,
  log: Logger,
): Promise<{ inProgress: boolean; changed: boolean; errors: string[] }> {
  const timeoutMs = operationTimeoutMs(restore.spec.itemOperationTimeout);
  let inProgress = false;
  let changed = false;
  const errors: string[] = [];
  for (const op of operations) {
    if (op.status.phase !== "New" && op.status.phase !== "InProgress") continue;
    const id = op.spec.operationID;
    const fail = (message: string): void => {
      op.status.phase = "Failed";
      op.status.error = message;
      errors.push(message);
      changed = true;
      log.warn({ operationID: id, restoreItemAction: op.spec.restoreItemAction }, `restore item operation failed: ${message}`);
    };
    const action = actions.get(op.spec.restoreItemAction);
    if (!action) {
      fail(`unable to get valid RestoreItemActionV2 for "${op.spec.restoreItemAction}"`);
      continue;
    }
    let p;
    try {
      p = await action.progress(id, restore);
    } catch (err) {
      fail(getErrorMessage(err));
      continue;
    }
    const before = JSON.stringify(op.status);
    applyOperationProgress(op.status, p);
    if (JSON.stringify(op.status) !== before) changed = true;
    if (p.completed) {
      if (p.err) fail(p.err);
      else {
        op.status.phase = "Completed";
        changed = true;
      }
      continue;
    }
    const created = parseKubeTime(op.status.created);
    if (created && created.getTime() + timeoutMs < now.getTime()) {
      try {
        await action.cancel(id, restore);
      } catch (err) {
        log.warn({ operationID: id, err: getErrorMessage(err) }, "error cancelling timed-out restore item operation");
      }
      fail(RESTORE_OPERATION_TIMED_OUT);
      continue;
    }
    if (op.status.phase === "New" && op.status.started) {
      op.status.phase = "InProgress";
      changed = true;
    }
    inProgress = true;
  }
  return { inProgress, changed, errors };
}

export function countRestoreOperations(operations: RestoreOperation[]): { attempted: number; completed: number; failed: number } {
  return {
    attempted: operations.length,
    completed: operations.filter((o) => o.status.phase === "Completed").length,
    failed: operations.filter((o) => o.status.phase === "Failed").length,
  };
}

/** Velero's built-in restore item actions, in process, as v2 actions. */
export function builtinRestoreActions(kube: KubeClient, veleroNamespace: string, logger: Logger): NamedAction<RestoreItemActionV2>[] {
  return builtinRestoreItemActions({ kube, veleroNamespace, logger }).map((b) => ({ name: b.name, action: asRestoreItemActionV2(b.create()) }));
}

/** The restore item actions by name, built-in ones over plugins' of the same name (as the restore runs them). */
export async function restoreActionsByName(
  plugins: Pick<PluginManager, "getRestoreItemActions">,
  builtins: readonly NamedAction<RestoreItemActionV2>[],
): Promise<Map<string, RestoreItemActionV2>> {
  const byName = new Map((await plugins.getRestoreItemActions()).map((a) => [a.name, a.action]));
  for (const b of builtins) byName.set(b.name, b.action);
  return byName;
}

/** status.hookStatus as Velero's finalizer always sets it ({} with no hooks: Go leaves zero counts out). */
export function goHookStatus(hooks: Pick<HookSummary, "attempted" | "failed">): { hooksAttempted?: number; hooksFailed?: number } {
  return { ...(hooks.attempted > 0 ? { hooksAttempted: hooks.attempted } : {}), ...(hooks.failed > 0 ? { hooksFailed: hooks.failed } : {}) };
}

/**
 * `restore-<r>-itemoperations.json.gz` as stored; none when the file is missing (Velero's
 * GetRestoreItemOperations: its upload failed, or a server stopped before storing it).
 */
async function readRestoreItemOperations(store: BackupStore, restoreName: string): Promise<RestoreOperation[]> {
  return ((await readGzipJsonFileIfPresent(store, "RestoreItemOperations", restoreName)) as RestoreOperation[] | null | undefined) ?? [];
}

/** `restore-<r>-results.gz`; undefined when missing (Velero's GetRestoreResults reads that as empty). */
async function readRestoreResults(store: BackupStore, restoreName: string): Promise<{ errors?: Result; warnings?: Result } | undefined> {
  return ((await readGzipJsonFileIfPresent(store, "RestoreResults", restoreName)) ?? undefined) as { errors?: Result; warnings?: Result } | undefined;
}

/** RestoreStatus fields Go leaves out when zero (omitempty), and those of its progress. */
const RESTORE_OMITTED_WHEN_ZERO = ["warnings", "errors", "restoreItemOperationsAttempted", "restoreItemOperationsCompleted", "restoreItemOperationsFailed"];

/** A status merge patch leaving the Restore as Velero's Go struct writes it (zero counts deleted). */
export function goRestoreStatusMergePatch(status: StatusPatch): StatusPatch {
  return omitEmptyMergePatch(status, RESTORE_OMITTED_WHEN_ZERO, ["progress"]);
}
