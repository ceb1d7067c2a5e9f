/**
 * Restore controller (Velero's restoreReconciler + the finalizing half of its restore finalizer):
 * validates a New Restore (FailedValidation with reasons), resolves `--from-schedule` to the
 * newest Completed backup, runs the restore engine with throttled progress updates, checks its
 * asynchronous item operations once, uploads the restore's log, results, resource list, item
 * operations and volume info to `restores/<r>/`. A restore with operations still running is left
 * in WaitingForPluginOperations[PartiallyFailed] for the RestoreOperationsReconciler; any other
 * waits for its post-restore exec hooks and ends in Completed, PartiallyFailed or Failed.
 * Deleting a Restore deletes its files in the bucket.
 */
import type { Readable } from "node:stream";
import { LABELS, type Backup, type BackupStorageLocation, type Restore, type RestoreItemActionV2, type UnstructuredItem, type VolumeSnapshotLocation } from "@velero-ts/plugin-sdk";
import type { KubeClient } from "../kube/client.js";
import { isConflict } from "../kube/errors.js";
import { patchFinalStatus } from "./final-patch.js";
import { GVR } from "../kube/gvr.js";
import { fromLabelSelector, labelSelectorError } from "../kube/labels.js";
import { readGzipJsonFileIfPresent, type BackupStore, type NativeSnapshotRecord, type RestoreUpload } from "../persistence/backup-store.js";
import type { CredentialFileStore } from "../persistence/credentials.js";
import type { BackupStoreGetter } from "../persistence/location.js";
import type { NamedAction, PluginManager } from "../plugins/manager.js";
import {
  KubernetesRestorer,
  NON_RESTORABLE_RESOURCES,
  parseResourceModifiers,
  RestoreLogFile,
  RestoreResultSet,
  validateIncludesExcludes,
  validateInitContainer,
  validateResourceModifiers,
  type BackupVolumeInfo,
  type KubernetesRestorerOptions,
  type RestoreOutcome,
  type Restorer,
  type ResourceModifiers,
} from "../restore/index.js";
import { realClock, toKubeTime, type Clock, type TimerHandle } from "../shared/clock.js";
import { tryParseGoDuration } from "../shared/duration.js";
import { validateNamespaceMapping } from "../shared/includes-excludes.js";
import type { FeatureFlags } from "../shared/features.js";
import { getErrorMessage } from "@velero-ts/plugin-sdk";
import type { Logger, LogLevel } from "../shared/logging.js";
import { parseKubeTime, splitKey } from "./lifecycle-common.js";
import { cachedOrGet, type CachedList } from "./runtime/informer.js";
import type { ObjectKey, ReconcileResult, Reconciler } from "./runtime/types.js";
import { DEFAULT_ITEM_OPERATION_TIMEOUT } from "./operation-progress.js";
import {
  checkRestoreItemOperations,
  countRestoreOperations,
  builtinRestoreActions,
  goHookStatus,
  goRestoreStatusMergePatch,
  restoreActionsByName,
  RestoreRunTracker,
} from "./restore-operations-controller.js";

/** Removes the restore's files from object storage when the Restore is deleted. */
export const RESTORE_FINALIZER = "restores.velero.io/external-resources-finalizer";
export const PROGRESS_UPDATE_INTERVAL_MS = 1_000;

export interface RestoreReconcilerOptions {
  kube: KubeClient;
  /** Velero's namespace. */
  namespace: string;
  log: Logger;
  /** The watch cache's Backups and locations: a deleted restore's backup and location are taken from them (else read afresh). */
  cachedBackups?: CachedList;
  cachedLocations?: CachedList;
  plugins: Pick<PluginManager, "getRestoreItemActions" | "getVolumeSnapshotter" | "withLog">;
  getBackupStore: BackupStoreGetter;
  /** For VolumeSnapshotLocation credentials (written to a file, passed as credentialsFile). */
  credentials?: CredentialFileStore;
  /** The engine; by default a KubernetesRestorer built with `restorerOptions`. */
  restorer?: Restorer;
  restorerOptions?: Omit<KubernetesRestorerOptions, "kube" | "getVolumeSnapshotter" | "veleroNamespace" | "features">;
  /** The server's --features, handed to the restore engine. */
  features?: FeatureFlags;
  /**
   * Actions placed before the plugin manager's (de-duplicated by name). Default: Velero's built-in
   * restore item actions (`builtinRestoreItemActions`), run in process; pass [] when the plugin
   * manager serves them.
   */
  builtinActions?: NamedAction<RestoreItemActionV2>[];
  /** Restore outcome counters (Velero's restore_* metrics), labelled by schedule name. */
  metrics?: RestoreMetrics;
  clock?: Clock;
  restoreLogLevel?: LogLevel;
  restoreLogFormat?: "text" | "json";
  defaultItemOperationTimeout?: string;
  progressIntervalMs?: number;
  /** Shared with the RestoreOperationsReconciler that follows the restores this one leaves waiting. */
  tracker?: RestoreRunTracker;
}

export interface RestoreMetrics {
  restoreAttempt(schedule: string): void;
  restoreSuccess(schedule: string): void;
  restorePartialFailure(schedule: string): void;
  restoreFailed(schedule: string): void;
  restoreValidationFailed(schedule: string): void;
}

/** Items of one resource type restored concurrently by the server's restorer. */
export const DEFAULT_ITEM_CONCURRENCY = 8;

interface Validated {
  backup: Backup;
  location: BackupStorageLocation;
  modifiers?: ResourceModifiers;
}

type StatusPatch = Partial<NonNullable<Restore["status"]>> & Record<string, unknown>;

function hasRestoreFinalizer(restore: Restore): boolean {
  return (restore.metadata.finalizers ?? []).includes(RESTORE_FINALIZER);
}

/** A restore whose end (its post-restore exec hooks, files and final status) goes on in the background. */
class FinishingLater {
  constructor(readonly later: Promise<StatusPatch>) {}
}

export class RestoreReconciler implements Reconciler {
  readonly name = "restore";
  readonly watches = GVR.restores;
  /** New restores, those being deleted, and those still without Velero's finalizer. */
  wants(object: UnstructuredItem): boolean {
    const restore = object as unknown as Restore;
    const phase = restore.status?.phase ?? "";
    return phase === "" || phase === "New" || Boolean(restore.metadata.deletionTimestamp) || !hasRestoreFinalizer(restore);
  }
  readonly #o: RestoreReconcilerOptions;
  readonly #kube: KubeClient;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #tracker: RestoreRunTracker;
  readonly #builtins: NamedAction<RestoreItemActionV2>[];
  /** Restores finishing in the background while their post-restore exec hooks run. */
  readonly #finishing = new Set<Promise<void>>();
  /** Aborted when the server stops: hooks still waiting are given up, nothing more is written. */
  readonly #stopping = new AbortController();

  constructor(options: RestoreReconcilerOptions) {
    this.#o = options;
    this.#kube = options.kube;
    this.#log = options.log.child({ controller: "restore" });
    this.#clock = options.clock ?? realClock;
    this.#tracker = options.tracker ?? new RestoreRunTracker();
    this.#builtins =
      options.builtinActions ??
      builtinRestoreActions(options.kube, options.namespace, this.#log);
  }

  async reconcile(key: ObjectKey): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const restore = (await this.#kube.get(GVR.restores, name, namespace)) as unknown as Restore | undefined;
    if (!restore) return { kind: "done" };
    const log = this.#log.child({ restore: key });
    if (restore.metadata.deletionTimestamp) return this.#finalizeDeletion(restore, log);
    const phase = restore.status?.phase ?? "";
    // As Velero's: every Restore carries the finalizer that deletes its files with it (one made by
    // an older Velero, or created with it stripped, gets it here); a new one gets it as it starts.
    if (phase !== "" && phase !== "New" && !hasRestoreFinalizer(restore)) {
      await this.#patch(restore, { metadata: { resourceVersion: restore.metadata.resourceVersion, finalizers: [...(restore.metadata.finalizers ?? []), RESTORE_FINALIZER] } });
      return { kind: "done" };
    }
    // InProgress ones an earlier server left were failed as this one started (startup.ts).
    if (phase !== "" && phase !== "New") return { kind: "done" };
    this.#tracker.running.add(key);
    let finishing: Promise<void> | undefined;
    try {
      finishing = (await this.#process(restore, log))?.background;
    } finally {
      if (!finishing) this.#tracker.running.delete(key);
    }
    if (finishing) {
      // The restore waits for its pods' post-restore exec hooks in the background (Velero's
      // Finalizing): the next restore need not wait for them.
      const done: Promise<void> = finishing
        .catch((err: unknown) => log.error({ err: getErrorMessage(err) }, "error finishing the restore"))
        .finally(() => {
          this.#tracker.running.delete(key);
          this.#finishing.delete(done);
        });
      this.#finishing.add(done);
    }
    return { kind: "done" };
  }

  /** Whether the Restore is gone or being deleted (a restore finishing in the background then stops). */
  async #deletedMeanwhile(restore: Restore): Promise<boolean> {
    const current = (await this.#kube.get(GVR.restores, restore.metadata.name ?? "", restore.metadata.namespace)) as unknown as Restore | undefined;
    return !current || current.metadata.uid !== restore.metadata.uid || Boolean(current.metadata.deletionTimestamp);
  }

  /** Resolves when no restore is finishing in the background (tests; shutdown after close()). */
  async idle(): Promise<void> {
    while (this.#finishing.size > 0) await Promise.all([...this.#finishing]);
  }

  /**
   * The server stops: post-restore exec hooks still waiting are given up and the restores waiting
   * for them are left Finalizing (a restarted server's operations controller finishes them, as
   * Velero's finalizer does after a restart).
   */
  close(): void {
    this.#stopping.abort();
  }

  #now(): string {
    return toKubeTime(this.#clock.now());
  }

  /**
   * Every patch names the Restore's uid: the API server refuses it (uid is immutable) when the
   * Restore was deleted and created again under the same name meanwhile.
   */
  async #patch(restore: Restore, patch: { spec?: Partial<Restore["spec"]>; status?: StatusPatch; metadata?: Record<string, unknown> }): Promise<Restore> {
    const metadata = { ...(restore.metadata.uid ? { uid: restore.metadata.uid } : {}), ...patch.metadata };
    return (await this.#kube.patch(GVR.restores, restore.metadata.name ?? "", restore.metadata.namespace, { ...patch, metadata })) as unknown as Restore;
  }

  /**
   * The patch that starts a New restore (or fails its validation) names the resourceVersion read:
   * a Restore changed meanwhile (another server watching this namespace took it, say) is not run
   * twice; the conflict makes this reconcile fail and the Restore is looked at again.
   */
  async #startPatch(restore: Restore, patch: { spec?: Partial<Restore["spec"]>; status?: StatusPatch; metadata?: Record<string, unknown> }): Promise<Restore> {
    try {
      return await this.#patch(restore, { ...patch, metadata: { ...patch.metadata, resourceVersion: restore.metadata.resourceVersion } });
    } catch (err) {
      if (!isConflict(err)) throw err;
      throw new Error(`restore ${restore.metadata.namespace ?? ""}/${restore.metadata.name ?? ""} changed as it was being started (another server watching this namespace may have taken it); looking at it again`, { cause: err });
    }
  }

  // ---------------------------------------------------------------------------------------------
  // validation

  /** Velero's validateAndComplete: fills in the spec, returns the problems. */
  async #validate(restore: Restore): Promise<{ errors: string[]; validated?: Validated }> {
    const spec = restore.spec;
    const errors: string[] = [];
    if (spec.itemOperationTimeout && tryParseGoDuration(spec.itemOperationTimeout) === undefined) {
      errors.push(`invalid itemOperationTimeout "${spec.itemOperationTimeout}": expected a duration such as ${DEFAULT_ITEM_OPERATION_TIMEOUT}`);
    }
    spec.excludedResources = [...(spec.excludedResources ?? [])];
    for (const r of NON_RESTORABLE_RESOURCES) if (!spec.excludedResources.includes(r)) spec.excludedResources.push(r);
    for (const r of NON_RESTORABLE_RESOURCES) if (spec.includedResources?.includes(r)) errors.push(`${r} are non-restorable resources`);
    for (const e of validateIncludesExcludes(spec.includedResources, spec.excludedResources)) errors.push(`Invalid included/excluded resource lists: ${e}`);
    for (const e of validateIncludesExcludes(spec.includedNamespaces, spec.excludedNamespaces)) errors.push(`Invalid included/excluded namespace lists: ${e}`);
    errors.push(...validateNamespaceMapping(spec.namespaceMapping));
    if (spec.orLabelSelectors && spec.labelSelector) errors.push("encountered labelSelector as well as orLabelSelectors in restore spec, only one can be specified");
    // (the restore's own selectors are not validated here, as in Velero: one Kubernetes refuses
    // makes the restorer restore nothing, with that error)
    if (Boolean(spec.backupName) === Boolean(spec.scheduleName)) {
      errors.push("Either a backup or schedule must be specified as a source for the restore, but not both");
      return { errors };
    }
    for (const r of spec.hooks?.resources ?? []) {
      // As Velero's GetRestoreHooksFromSpec at validation: a hook's label selector Kubernetes
      // refuses (an unknown operator, In without values, a bad value) fails it, in its words
      const problem = labelSelectorError(r.labelSelector);
      if (problem) errors.push(problem);
      for (const h of r.postHooks ?? []) for (const c of h.init?.initContainers ?? []) {
        const problem = validateInitContainer(c);
        if (problem) errors.push(problem);
      }
    }
    // "" and null are unset, as in Velero (manifests generated by Helm or GitOps tools write "")
    if (spec.existingResourcePolicy && spec.existingResourcePolicy !== "none" && spec.existingResourcePolicy !== "update") {
      errors.push(`Invalid ExistingResourcePolicy: ${String(spec.existingResourcePolicy)}`);
    }
    if (spec.scheduleName && !(await this.#resolveSchedule(restore, errors))) return { errors };
    const found = await this.#findBackup(restore, errors);
    if (!found) return { errors };
    if (!spec.scheduleName) {
      const fromLabel = found.backup.metadata.labels?.[LABELS.scheduleName];
      if (fromLabel) spec.scheduleName = fromLabel;
    }
    const modifiers = await this.#loadModifiers(restore, errors);
    if (errors.length > 0) return { errors };
    return { errors, validated: { ...found, modifiers } };
  }

  async #resolveSchedule(restore: Restore, errors: string[]): Promise<boolean> {
    const schedule = restore.spec.scheduleName ?? "";
    let backups: Backup[];
    try {
      const { items } = await this.#kube.list(GVR.backups, { namespace: this.#o.namespace, labelSelector: `${LABELS.scheduleName}=${schedule}` });
      backups = items as unknown as Backup[];
    } catch {
      errors.push("Unable to list backups for schedule");
      return false;
    }
    if (backups.length === 0) errors.push("No backups found for schedule");
    const started = (b: Backup): number => parseKubeTime(b.status?.startTimestamp)?.getTime() ?? 0;
    const newest = [...backups].sort((a, b) => started(b) - started(a)).find((b) => b.status?.phase === "Completed");
    if (!newest) {
      errors.push("No completed backups found for schedule");
      return false;
    }
    restore.spec.backupName = newest.metadata.name ?? "";
    return true;
  }

  async #findBackup(restore: Restore, errors: string[]): Promise<{ backup: Backup; location: BackupStorageLocation } | undefined> {
    const ns = this.#o.namespace;
    const backupName = restore.spec.backupName ?? "";
    const backup = (await this.#kube.get(GVR.backups, backupName, ns)) as unknown as Backup | undefined;
    if (!backup) {
      // Velero's words (its cached client names the kind).
      errors.push(`Error retrieving backup: can't find backup ${ns}/${backupName}: Backup.velero.io "${backupName}" not found`);
      return undefined;
    }
    const phase = backup.status?.phase ?? "";
    if (phase !== "Completed" && phase !== "PartiallyFailed") {
      errors.push(`backup "${backupName}" is in phase "${phase || "New"}"; only Completed or PartiallyFailed backups can be restored`);
      return undefined;
    }
    const locationName = backup.spec.storageLocation ?? "";
    const location = (await this.#kube.get(GVR.backupStorageLocations, locationName, ns)) as unknown as BackupStorageLocation | undefined;
    if (!location) {
      errors.push(`Error retrieving backup: BackupStorageLocation.velero.io "${locationName}" not found`);
      return undefined;
    }
    if (location.status?.phase !== "Available") {
      errors.push(`The BSL ${locationName} is unavailable, cannot retrieve the backup`);
      return undefined;
    }
    return { backup, location };
  }

  async #loadModifiers(restore: Restore, errors: string[]): Promise<ResourceModifiers | undefined> {
    const ref = restore.spec.resourceModifier;
    if (!ref) return undefined;
    // (Velero ignores another kind: the restore runs without the user's modifiers)
    if (ref.kind?.toLowerCase() !== "configmap") {
      errors.push(`resourceModifier kind "${ref.kind ?? ""}" is not supported: resource modifiers are read from a ConfigMap; set spec.resourceModifier.kind to ConfigMap`);
      return undefined;
    }
    const ns = restore.metadata.namespace ?? this.#o.namespace;
    const where = `${ns}/${ref.name}`;
    const cm = await this.#kube.get(GVR.configMaps, ref.name, ns);
    if (!cm) {
      errors.push(`failed to get resource modifiers configmap ${where}`);
      return undefined;
    }
    try {
      const modifiers = parseResourceModifiers(cm.data as Record<string, string> | undefined, where);
      const problem = validateResourceModifiers(modifiers);
      if (problem) {
        errors.push(`Validation error in resource modifiers provided in configmap ${where}: ${problem}`);
        return undefined;
      }
      return modifiers;
    } catch (err) {
      errors.push(`Error in parsing resource modifiers provided in configmap ${where}: ${getErrorMessage(err)}`);
      return undefined;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // running

  /**
   * Runs a New restore; returns the promise of its finishing when that goes on in the background
   * (wrapped: awaiting a promise of a promise would wait for the inner one).
   */
  async #process(restore: Restore, log: Logger): Promise<{ background: Promise<void> } | undefined> {
    const { errors, validated } = await this.#validate(restore);
    const spec = restore.spec;
    // As in Velero, an unset or zero timeout ("0s", what `restore create` writes without the flag)
    // takes the server's --default-item-operation-timeout.
    if (tryParseGoDuration(spec.itemOperationTimeout || "0s") === 0) spec.itemOperationTimeout = this.#o.defaultItemOperationTimeout ?? DEFAULT_ITEM_OPERATION_TIMEOUT;
    const specPatch = {
      backupName: spec.backupName,
      scheduleName: spec.scheduleName,
      excludedResources: spec.excludedResources,
      itemOperationTimeout: spec.itemOperationTimeout,
    };
    const finalizers = [...new Set([...(restore.metadata.finalizers ?? []), RESTORE_FINALIZER])];
    const schedule = spec.scheduleName ?? "";
    this.#o.metrics?.restoreAttempt(schedule);
    if (!validated) {
      this.#o.metrics?.restoreValidationFailed(schedule);
      log.info({ errors }, "restore failed validation");
      await this.#startPatch(restore, { spec: specPatch, status: { phase: "FailedValidation", validationErrors: errors } });
      return undefined;
    }
    // Item actions get the Restore as it now is in the cluster (InProgress, the finalizer), as in Velero.
    const current = await this.#startPatch(restore, { metadata: { finalizers }, spec: specPatch, status: { phase: "InProgress", startTimestamp: this.#now() } });
    log.info({ backup: spec.backupName }, "restore started");
    const result = await this.#run(current, validated, log);
    if (result instanceof FinishingLater) {
      return {
        background: result.later.then(async (status) => {
          if (this.#stopping.signal.aborted || (await this.#deletedMeanwhile(current))) return;
          await this.#finish(current, status, schedule, log);
        }),
      };
    }
    const status = result;
    if (status.phase === "WaitingForPluginOperations" || status.phase === "WaitingForPluginOperationsPartiallyFailed") {
      // its files are stored: the RestoreOperationsReconciler takes it from here
      await this.#patch(current, { status: goRestoreStatusMergePatch(status) });
      log.info({ phase: status.phase, errors: status.errors, warnings: status.warnings }, "restore waiting for asynchronous item operations");
      return undefined;
    }
    await this.#finish(current, status, schedule, log);
    return undefined;
  }

  /** The final status patch (retried) and the outcome metrics. */
  async #finish(current: Restore, status: StatusPatch, schedule: string, log: Logger): Promise<void> {
    status.completionTimestamp = this.#now();
    // (a reason another writer left meanwhile must not outlive the outcome)
    const finalStatus: Record<string, unknown> = { ...goRestoreStatusMergePatch(status) };
    if (finalStatus["failureReason"] === undefined) finalStatus["failureReason"] = null;
    if (!(await patchFinalStatus("Restore", () => this.#patch(current, { status: finalStatus }), { clock: this.#clock, log, ...(this.#o.restorerOptions?.resourceTimeoutMs ? { retryMs: this.#o.restorerOptions.resourceTimeoutMs } : {}) }))) return;
    if (status.phase === "Completed") this.#o.metrics?.restoreSuccess(schedule);
    else if (status.phase === "PartiallyFailed") this.#o.metrics?.restorePartialFailure(schedule);
    else this.#o.metrics?.restoreFailed(schedule);
    log.info({ phase: status.phase, errors: status.errors, warnings: status.warnings }, "restore finished");
  }

  async #run(restore: Restore, v: Validated, log: Logger): Promise<StatusPatch | FinishingLater> {
    const restoreName = restore.metadata.name ?? "";
    const restoreLog = await RestoreLogFile.create(
      { restore: `${restore.metadata.namespace ?? ""}/${restoreName}` },
      // every line to the server's log too, as Velero's restore logger writes them to its output
      { level: this.#o.restoreLogLevel ?? "info", format: this.#o.restoreLogFormat ?? "text", tee: log },
    );
    let store: BackupStore | undefined;
    /** The log is handed over to the background finishing (which disposes of it). */
    let handedOver = false;
    try {
      // through the restore's view: what the object store plugin logs goes to the restore's log
      const view = this.#o.plugins.withLog?.(restoreLog.logger);
      store = await this.#o.getBackupStore(v.location, view ? { plugins: view } : {});
      const outcome = await this.#runEngine(restore, v, store, restoreLog.logger);
      const operations = await this.#checkOperations(restore, outcome, restoreLog.logger);
      if (operations.inProgress) {
        // As Velero: every file is stored before the restore waits, so `velero restore logs` and
        // `describe --details` work meanwhile, and a restarted server can carry on from the bucket.
        logResults(restoreLog.logger, outcome.errors, outcome.warnings);
        restoreLog.logger.info("restore completed");
        await this.#upload(store, restoreName, outcome, () => restoreLog.finish(), log);
        this.#tracker.hooks.set(`${restore.metadata.namespace ?? ""}/${restoreName}`, outcome.hooks);
        return {
          ...operations.status,
          phase: outcome.errors.isEmpty() ? "WaitingForPluginOperations" : "WaitingForPluginOperationsPartiallyFailed",
          warnings: outcome.warnings.count(),
          errors: outcome.errors.count(),
          progress: outcome.progress,
        };
      }
      const hooksPending = (outcome.hookPods ?? 0) > 0;
      // As Velero, the files are stored before the post-restore exec hooks run, which may wait
      // minutes for their pods: `velero restore logs` and `describe --details` work meanwhile, and
      // a server stopped meanwhile leaves them (they are stored again, complete, at the end).
      if (hooksPending) await this.#upload(store, restoreName, outcome, () => restoreLog.snapshot(), log, { countLogFailure: false });
      // (Velero patches the counts with the Finalizing phase)
      await this.#patch(restore, {
        status: goRestoreStatusMergePatch({
          phase: outcome.errors.isEmpty() ? "Finalizing" : "FinalizingPartiallyFailed",
          progress: outcome.progress,
          warnings: outcome.warnings.count(),
          errors: outcome.errors.count(),
        }),
      });
      if (hooksPending) {
        // The hooks, the complete files and the final status go on in the background, so the next
        // restore does not wait.
        handedOver = true;
        return new FinishingLater(this.#finishLater(restore, outcome, operations.status, store, restoreLog, log));
      }
      const status = { ...(await this.#finishOutcome(outcome, restoreLog.logger)), ...operations.status };
      return await this.#storeAndCount(status, store, restoreName, outcome, restoreLog, log);
    } catch (err) {
      const reason = getErrorMessage(err);
      restoreLog.logger.error({ err: reason }, "restore failed");
      log.error({ err: reason }, "restore failed");
      if (store) {
        try {
          await store.putRestoreFiles({ restoreName, log: await restoreLog.finish(), results: { errors: { velero: [reason] }, warnings: {} } });
        } catch (uploadErr) {
          log.error({ err: getErrorMessage(uploadErr) }, "error uploading the restore log of a failed restore");
        }
      }
      return { phase: "Failed", failureReason: reason, errors: 1 };
    } finally {
      if (!handedOver) await restoreLog.dispose();
    }
  }

  /**
   * The end of a restore whose pods run post-restore exec hooks: waits for the hooks, stores the
   * files and returns the final status. When the server stops meanwhile, the hooks still waiting
   * are given up and nothing is written: the restore stays Finalizing for the next server.
   */
  async #finishLater(restore: Restore, outcome: RestoreOutcome, operationsStatus: StatusPatch, store: BackupStore, restoreLog: RestoreLogFile, log: Logger): Promise<StatusPatch> {
    try {
      const status = { ...(await this.#finishOutcome(outcome, restoreLog.logger)), ...operationsStatus };
      // (a restore deleted while its hooks ran has had its files removed: none are stored again)
      if (this.#stopping.signal.aborted || (await this.#deletedMeanwhile(restore))) return status;
      return await this.#storeAndCount(status, store, restore.metadata.name ?? "", outcome, restoreLog, log);
    } catch (err) {
      const reason = getErrorMessage(err);
      log.error({ err: reason }, "restore failed");
      return { phase: "Failed", failureReason: reason, errors: 1 };
    } finally {
      await restoreLog.dispose();
    }
  }

  async #runEngine(restore: Restore, v: Validated, store: BackupStore, restoreLog: Logger): Promise<RestoreOutcome> {
    const backupName = restore.spec.backupName ?? "";
    // What external plugins log during this restore's calls goes into its log too (as in Velero).
    const plugins = this.#o.plugins.withLog?.(restoreLog) ?? this.#o.plugins;
    const [contents, volumeSnapshots, volumeInfos, actions] = await Promise.all([
      store.getBackupContents(backupName),
      store.getBackupVolumeSnapshots(backupName),
      readVolumeInfos(store, backupName, restoreLog),
      this.#actions(plugins),
    ]);
    restoreLog.info("starting restore");
    const progress = this.#progressReporter(restore);
    try {
      return await this.#restorer(plugins).restore({
        restore,
        backup: v.backup,
        backupContents: contents,
        volumeSnapshots,
        backupVolumeInfos: volumeInfos,
        resourceModifiers: v.modifiers,
        actions,
        log: restoreLog,
        onProgress: progress.update,
      });
    } finally {
      await progress.stop();
    }
  }

  #restorer(plugins: Pick<PluginManager, "getVolumeSnapshotter">): Restorer {
    return (
      this.#o.restorer ??
      new KubernetesRestorer({
        itemConcurrency: DEFAULT_ITEM_CONCURRENCY,
        ...this.#o.restorerOptions,
        kube: this.#kube,
        veleroNamespace: this.#o.namespace,
        ...(this.#o.features ? { features: this.#o.features } : {}),
        getVolumeSnapshotter: (location) => this.#volumeSnapshotter(location, plugins),
        signal: this.#stopping.signal,
      })
    );
  }

  async #volumeSnapshotter(locationName: string, plugins: Pick<PluginManager, "getVolumeSnapshotter">): Promise<{ provider: string; snapshotter: import("@velero-ts/plugin-sdk").VolumeSnapshotter }> {
    const vsl = (await this.#kube.get(GVR.volumeSnapshotLocations, locationName, this.#o.namespace)) as unknown as VolumeSnapshotLocation | undefined;
    // Velero's words (the API's NotFound); the restorer prefixes "error executing PVAction for persistentvolumes/<pv>: "
    if (!vsl) throw new Error(`VolumeSnapshotLocation.velero.io "${locationName}" not found`);
    const config = { ...(vsl.spec.config ?? {}) };
    if (vsl.spec.credential) {
      if (!this.#o.credentials) throw new Error(`volume snapshot location "${locationName}" has a credential but the server has no credential store`);
      config.credentialsFile = await this.#o.credentials.path(vsl.spec.credential);
    }
    const snapshotter = await plugins.getVolumeSnapshotter(vsl.spec.provider, config);
    return { provider: vsl.spec.provider, snapshotter };
  }

  async #actions(plugins: Pick<PluginManager, "getRestoreItemActions">): Promise<NamedAction<RestoreItemActionV2>[]> {
    const builtins = this.#builtins;
    const fromPlugins = (await plugins.getRestoreItemActions()).filter((a) => !builtins.some((b) => b.name === a.name));
    return [...builtins, ...fromPlugins];
  }

  /** Patches status.progress at most once per interval with the latest value (Velero: every second). */
  #progressReporter(restore: Restore): { update: (p: { totalItems: number; itemsRestored: number }) => void; stop: () => Promise<void> } {
    let latest: { totalItems: number; itemsRestored: number } | undefined;
    let timer: TimerHandle | undefined;
    let inFlight: Promise<void> = Promise.resolve();
    const interval = this.#o.progressIntervalMs ?? PROGRESS_UPDATE_INTERVAL_MS;
    const flush = (): void => {
      timer = undefined;
      const value = latest;
      latest = undefined;
      if (!value) return;
      inFlight = inFlight
        .then(async () => {
          const patched = await this.#patch(restore, { status: { progress: value } });
          if (patched?.status) restore.status = patched.status;
        })
        .catch((err: unknown) => this.#log.warn({ err: getErrorMessage(err) }, "got error trying to update restore's status.progress"));
    };
    return {
      update: (p) => {
        latest = p;
        timer ??= this.#clock.setTimeout(flush, interval);
      },
      stop: async () => {
        timer?.cancel();
        timer = undefined;
        latest = undefined;
        await inFlight;
      },
    };
  }

  /**
   * Velero's check right after the engine: each operation asked once for its progress; the errors
   * of those that failed go into the restore's errors ("error from restore item operation: ...").
   */
  async #checkOperations(restore: Restore, outcome: RestoreOutcome, restoreLog: Logger): Promise<{ inProgress: boolean; status: StatusPatch }> {
    const operations = outcome.itemOperations;
    if (operations.length === 0) return { inProgress: false, status: {} };
    const actions = await restoreActionsByName(this.#o.plugins, this.#builtins);
    const { inProgress, errors } = await checkRestoreItemOperations(restore, operations, actions, this.#clock.now(), restoreLog);
    for (const e of errors) outcome.errors.addVelero(`error from restore item operation: ${e}`);
    const counts = countRestoreOperations(operations);
    return {
      inProgress,
      status: { restoreItemOperationsAttempted: counts.attempted, restoreItemOperationsCompleted: counts.completed, restoreItemOperationsFailed: counts.failed },
    };
  }

  /** Hooks, counts and the final phase of a restore with no operation left running. */
  async #finishOutcome(outcome: RestoreOutcome, restoreLog: Logger): Promise<StatusPatch> {
    const status: StatusPatch = {};
    const hooks = await outcome.hooks;
    outcome.errors.merge(hooks.errors);
    // (Go leaves a zero count out: omitempty)
    status.hookStatus = goHookStatus(hooks);
    logResults(restoreLog, outcome.errors, outcome.warnings);
    restoreLog.info("restore completed");
    status.warnings = outcome.warnings.count();
    status.errors = outcome.errors.count();
    status.progress = outcome.progress;
    status.phase = status.errors > 0 ? "PartiallyFailed" : "Completed";
    return status;
  }

  /** Stores the files; a log that could not be stored is an error of the restore (Velero), counted with the others. */
  async #storeAndCount(status: StatusPatch, store: BackupStore, restoreName: string, outcome: RestoreOutcome, restoreLog: RestoreLogFile, log: Logger): Promise<StatusPatch> {
    await this.#upload(store, restoreName, outcome, () => restoreLog.finish(), log);
    status.errors = outcome.errors.count();
    status.phase = status.errors > 0 ? "PartiallyFailed" : "Completed";
    return status;
  }

  /**
   * Stores the restore's files as Velero does: the log first (a failure is an error of the
   * restore, so it is in the results and the counts); then the results, resource list, item
   * operations and volume info, each on its own (a failure is logged, the others still go).
   * Never throws: the restore's objects are in the cluster whatever the bucket does. With
   * `countLogFailure: false` (the files stored before post-restore hooks, stored again after
   * them) a log that cannot be stored is only logged.
   */
  async #upload(store: BackupStore, restoreName: string, outcome: RestoreOutcome, logReader: () => Promise<Readable>, log: Logger, o: { countLogFailure?: boolean } = {}): Promise<void> {
    const logFailure = (message: string): void => {
      if (o.countLogFailure === false) log.error(message);
      else outcome.errors.addVelero(message);
    };
    let reader: Readable | undefined;
    try {
      reader = await logReader();
    } catch (err) {
      logFailure(`error getting restore log reader: ${getErrorMessage(err)}`);
    }
    if (reader) {
      try {
        await store.putRestoreFiles({ restoreName, log: reader });
      } catch (err) {
        logFailure(`error uploading log file to backup storage: ${getErrorMessage(err)}`);
      }
    }
    const files: [string, Omit<RestoreUpload, "restoreName">][] = [
      ["Error uploading restore results to backup storage", { results: { errors: outcome.errors.toJSON(), warnings: outcome.warnings.toJSON() } }],
      ["Error uploading restored resource list to backup storage", { resourceList: outcome.resourceList }],
      ["Error uploading restore item action operation resource list to backup storage", { itemOperations: outcome.itemOperations }],
      ["Error uploading restored volume info to backup storage", { volumeInfo: outcome.volumeInfo }],
    ];
    for (const [message, file] of files) {
      try {
        await store.putRestoreFiles({ restoreName, ...file });
      } catch (err) {
        log.error({ err: getErrorMessage(err) }, message);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // deletion

  async #finalizeDeletion(restore: Restore, log: Logger): Promise<ReconcileResult> {
    this.#tracker.hooks.delete(`${restore.metadata.namespace ?? ""}/${restore.metadata.name ?? ""}`);
    if (!hasRestoreFinalizer(restore)) return { kind: "done" };
    const finalizers = restore.metadata.finalizers ?? [];
    const backupName = restore.spec.backupName ?? "";
    if (backupName !== "") {
      // from the watch caches when they hold them (a location that is not Available is read afresh)
      const backup = (await cachedOrGet(this.#kube, this.#o.cachedBackups, GVR.backups, backupName, this.#o.namespace)) as unknown as Backup | undefined;
      const location = backup
        ? ((await cachedOrGet(this.#kube, this.#o.cachedLocations, GVR.backupStorageLocations, backup.spec.storageLocation ?? "", this.#o.namespace, (l) => (l as unknown as BackupStorageLocation).status?.phase === "Available")) as unknown as
            | BackupStorageLocation
            | undefined)
        : undefined;
      // As Velero, an error line says the files stay: the backup (or its location) is gone
      if (!backup) log.error(`got not found error: backups.velero.io "${backupName}" not found, skip deleting the restore files in object storage`);
      else if (!location) log.error(`got not found error: backupstoragelocations.velero.io "${backup.spec.storageLocation ?? ""}" not found, skip deleting the restore files in object storage`);
      // As Velero, also from a ReadOnly location: the restore's own files were written there.
      if (location) {
        if (location.status?.phase !== "Available") throw new Error(`backup storage location "${location.metadata.name ?? ""}" is unavailable; cannot delete the files of restore "${restore.metadata.name ?? ""}"`);
        const store = await this.#o.getBackupStore(location);
        await store.deleteRestore(restore.metadata.name ?? "");
        log.info("deleted the restore's files from object storage");
      }
    }
    await this.#patch(restore, { metadata: { finalizers: finalizers.filter((f) => f !== RESTORE_FINALIZER) } });
    return { kind: "done" };
  }
}

/**
 * `<b>-volumeinfo.json.gz`, or undefined when the backup has none (made by Velero before 1.13):
 * the restorer then decides from the native snapshot records and reclaim policies, as Velero.
 * A file that exists but cannot be read fails the restore, as Velero's GetBackupVolumeInfos error
 * does (deciding without it could restore a PV as it was where it must be re-provisioned).
 */
async function readVolumeInfos(store: BackupStore, backupName: string, log: Logger): Promise<BackupVolumeInfo[] | undefined> {
  let infos: unknown;
  try {
    infos = await readGzipJsonFileIfPresent(store, "BackupVolumeInfos", backupName);
  } catch (err) {
    throw new Error(`fail to get VolumeInfos metadata file for backup ${backupName}: ${getErrorMessage(err)}`, { cause: err });
  }
  if (infos === undefined) {
    log.debug({ backup: backupName }, "the backup has no volume info file; deciding from snapshot records");
    return undefined;
  }
  return (infos as BackupVolumeInfo[] | null) ?? [];
}

function logResults(log: Logger, errors: RestoreResultSet, warnings: RestoreResultSet): void {
  for (const m of errors.velero) log.error(`Velero restore error: ${m}`);
  for (const m of errors.cluster) log.error(`Cluster resource restore error: ${m}`);
  for (const [ns, list] of errors.namespaces) for (const m of list) log.error(`Namespace ${ns}, resource restore error: ${m}`);
  for (const m of warnings.velero) log.warn(`Velero restore warning: ${m}`);
  for (const m of warnings.cluster) log.warn(`Cluster resource restore warning: ${m}`);
  for (const [ns, list] of warnings.namespaces) for (const m of list) log.warn(`Namespace ${ns}, resource restore warning: ${m}`);
}
