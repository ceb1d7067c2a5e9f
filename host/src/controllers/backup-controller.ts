/**
 * BackupReconciler (Velero's backup controller plus its queue and finalizer for backups without
 * asynchronous operations): New → Queued → InProgress → Completed | PartiallyFailed | Failed, or
 * FailedValidation with every reason. At most `concurrency` backups run at once; the rest wait
 * as Queued with a queuePosition. A backup becomes Completed only after its tarball, side files
 * and final velero-backup.json are in the bucket (metadata last). InProgress backups this process
 * does not run (left by a crashed server) are marked Failed.
 */
import { open, rm, stat, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import {
  ANNOTATIONS,
  BACKUP_FORMAT_VERSION,
  getErrorMessage,
  LABELS,
  type Backup,
  type BackupPhase,
  type BackupStorageLocation,
  type VolumeSnapshotLocation,
  type UnstructuredItem,
} from "@velero-ts/plugin-sdk";
import { BackupLogger } from "../backup/backup-log.js";
import { KubernetesBackupper, snapshotsTakenBefore, type Backupper } from "../backup/backupper.js";
import type { FeatureFlags } from "../shared/features.js";
import { CSI_FEATURE } from "../shared/csi.js";
import { loadBackupResourcePolicies, type ResourcePolicies } from "../backup/resource-policies.js";
import { formatGoDuration, parseGoDuration, tryParseGoDuration } from "../shared/duration.js";
import {
  NamespaceFilter,
  oldAndNewFiltersMixed,
  useOldResourceFilters,
  validateScopedIncludesExcludes,
} from "../backup/filters.js";
import { validateIncludesExcludes, validateNamespaceIncludesExcludes } from "../shared/includes-excludes.js";
import { TarballWriteError, TarballWriter } from "../backup/tar-writer.js";
import { DEFAULT_ITEM_OPERATION_TIMEOUT } from "./operation-progress.js";
import type { KubeClient } from "../kube/client.js";
import { isConflict } from "../kube/errors.js";
import { GVR } from "../kube/gvr.js";
import { applyMergePatch } from "../kube/merge-patch.js";
import type { CredentialFileStore } from "../persistence/credentials.js";
import type { BackupStore, NativeSnapshotRecord } from "../persistence/backup-store.js";
import type { BackupStoreGetter } from "../persistence/location.js";
import { goBackupStatusMergePatch } from "../persistence/object-backup-store.js";
import type { PluginManager } from "../plugins/manager.js";
import { realClock, toKubeTime, type Clock, type TimerHandle } from "../shared/clock.js";
import type { Logger } from "../shared/logging.js";
import { makeScratchDir } from "../shared/scratch.js";
import { checkBackupItemOperations, countOperations, type BackupPostProcessingTracker, type StoredOperation } from "./backup-operations-controller.js";
import { patchFinalStatus } from "./final-patch.js";
import { backoffDelay } from "./runtime/work-queue.js";
import { keyOf } from "./runtime/informer.js";
import { BACKUP_EXISTS_IN_STORAGE, isWritableAndAvailable, scheduleOf, validLabelValue } from "./lifecycle-common.js";
import { cachedOrGet, type CachedList } from "./runtime/informer.js";
import type { ObjectKey, ReconcileResult, Reconciler } from "./runtime/types.js";

export const DEFAULT_BACKUP_TTL_MS = 720 * 3_600_000;
export const DEFAULT_CSI_SNAPSHOT_TIMEOUT = "10m0s";
export const DEFAULT_RESOURCE_TIMEOUT = "10m0s";
/** Waits between attempts to start a backup whose start failed: 1 s doubling to 5 min. */
const START_RETRY_BACKOFF = { baseMs: 1000, maxMs: 5 * 60_000 };
export const PROGRESS_PATCH_INTERVAL_MS = 1_000;
const BACKUP_VERSION = 1;

const AUTO_EXCLUDE_NAMESPACED = ["volumesnapshots.snapshot.storage.k8s.io"];
const AUTO_EXCLUDE_CLUSTER = ["volumesnapshotcontents.snapshot.storage.k8s.io"];

/** Velero's backup metrics (prom-client implementation in server/metrics.ts). */
export interface BackupMetrics {
  backupAttempt(schedule: string): void;
  backupSuccess(schedule: string): void;
  backupPartialFailure(schedule: string): void;
  backupFailure(schedule: string): void;
  backupValidationFailure(schedule: string): void;
  backupDuration(schedule: string, seconds: number): void;
  backupItems(schedule: string, total: number, errors: number): void;
  backupWarning(schedule: string): void;
  backupLastStatus(schedule: string, success: boolean): void;
  backupLastSuccessfulTimestamp(schedule: string, date: Date): void;
  backupTarballSize(schedule: string, bytes: number): void;
  volumeSnapshots(schedule: string, attempted: number, completed: number): void;
  csiSnapshotAttempts?(schedule: string, backupName: string, attempted: number): void;
  csiSnapshotResults?(schedule: string, backupName: string, completed: number, failed: number): void;
}

export interface BackupReconcilerOptions {
  kube: KubeClient;
  namespace: string;
  logger: Logger;
  plugins: Pick<PluginManager, "getBackupItemActions" | "getItemBlockActions" | "getVolumeSnapshotter" | "withLog">;
  getBackupStore: BackupStoreGetter;
  credentials?: Pick<CredentialFileStore, "path">;
  clock?: Clock;
  backupper?: Backupper;
  /** --default-backup-storage-location (used when no BSL is marked default). */
  defaultBackupLocation?: string;
  /** --default-volume-snapshot-locations as provider → VSL name. */
  defaultVolumeSnapshotLocations?: Record<string, string>;
  /** --default-backup-ttl in ms (default 720h). */
  defaultBackupTtlMs?: number;
  /** Backups running at once (--concurrent-backups, default 1). */
  concurrency?: number;
  /** Item blocks each backup backs up at once (--item-block-worker-count, default 1). */
  itemBlockWorkers?: number;
  /** Log level of the per-backup log. */
  backupLogLevel?: string;
  metrics?: BackupMetrics;
  /** --resource-timeout in ms (default 10 min): the Backup's velero.io/resource-timeout annotation and how long its final status patch is retried. */
  resourceTimeoutMs?: number;
  /** Where backups left waiting for their plugin operations (or finalizing) are recorded for the operations controller. */
  postProcessing?: BackupPostProcessingTracker;
  /** The server's --features, handed to the backup engine. */
  features?: FeatureFlags;
  /** --default-volumes-to-fs-backup: what a Backup that does not say gets. */
  defaultVolumesToFsBackup?: boolean;
  /** --default-item-operation-timeout as a Go duration (default 4h0m0s): for an unset or zero spec.itemOperationTimeout. */
  defaultItemOperationTimeout?: string;
  /** --default-snapshot-move-data: what a Backup without spec.snapshotMoveData gets. */
  defaultSnapshotMoveData?: boolean;
  /** --volume-group-snapshot-label-key: for a Backup without spec.volumeGroupSnapshotLabelKey. */
  defaultVolumeGroupSnapshotLabelKey?: string;
  /**
   * The watch cache's locations of a namespace: a backup's default and its Available, writable
   * location are taken from it (no LIST, no GET); anything else is read afresh.
   */
  cachedLocations?: CachedList;
}

interface Prepared {
  backup: Backup;
  location?: BackupStorageLocation;
  snapshotLocations: VolumeSnapshotLocation[];
  errors: string[];
  resourcePolicies?: ResourcePolicies;
}

/** Phases of a Backup no server has started yet. */
const NOT_STARTED = new Set<string>(["", "New", "Queued", "ReadyToStart"]);

export class BackupReconciler implements Reconciler {
  readonly name = "backup";
  readonly watches = GVR.backups;
  /** Backups not started yet (Velero's backup controller acts on New ones only). */
  wants(object: UnstructuredItem): boolean {
    return NOT_STARTED.has((object as unknown as Backup).status?.phase ?? "");
  }
  readonly #o: BackupReconcilerOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #backupper: Backupper;
  readonly #running = new Map<ObjectKey, Promise<void>>();
  readonly #waiting: ObjectKey[] = [];
  /** The namespace filter of each backup running or waiting (for the namespace conflict check). */
  readonly #namespaceSpecs = new Map<ObjectKey, { includes: string[]; excludes: string[] }>();
  readonly #idle: (() => void)[] = [];
  /** Backups whose start failed (an API error before InProgress): attempts so far and the retry timer. */
  readonly #retries = new Map<ObjectKey, { attempts: number; timer?: TimerHandle }>();
  #closed = false;
  #scheduling: Promise<void> | undefined;
  #scheduleAgain = false;

  constructor(options: BackupReconcilerOptions) {
    this.#o = options;
    this.#clock = options.clock ?? realClock;
    this.#log = options.logger.child({ controller: "backup" });
    this.#backupper = options.backupper ?? new KubernetesBackupper(options.kube);
  }

  /**
   * Takes up the backups an earlier server left waiting, before the controllers start: those
   * ReadyToStart first, then the Queued ones by the queue position they hold (as Velero's queue
   * orders them), so a restart keeps their order instead of the watch's (by name). Reads the
   * namespace's Backups as given (the watch cache's), or LISTs them.
   */
  async resumeQueued(cached?: readonly UnstructuredItem[]): Promise<void> {
    const items = cached ?? (await this.#o.kube.list(GVR.backups, { namespace: this.#o.namespace })).items;
    const rank = (b: Backup): number => (b.status?.phase === "ReadyToStart" ? 0 : 1);
    const waiting = (items as unknown as Backup[])
      .filter((b) => b.status?.phase === "Queued" || b.status?.phase === "ReadyToStart")
      .sort((a, b) => rank(a) - rank(b) || (a.status?.queuePosition ?? 0) - (b.status?.queuePosition ?? 0));
    for (const b of waiting) {
      const key = keyOf(b);
      if (this.#running.has(key) || this.#waiting.includes(key)) continue;
      this.#namespaceSpecs.set(key, { includes: b.spec?.includedNamespaces ?? [], excludes: b.spec?.excludedNamespaces ?? [] });
      this.#waiting.push(key);
    }
    if (waiting.length > 0) {
      this.#log.info({ backups: this.#waiting.length }, "backups queued by an earlier server resume in their queue order");
      void this.#next();
    }
  }

  /** True while this process runs the backup (the GC/deletion controllers' backup tracker). */
  isRunning(backup: { metadata: { name?: string; namespace?: string } }): boolean {
    return this.#running.has(keyOf(backup));
  }

  /** Resolves when no backup runs and none waits (tests), or, once closed, when none runs (shutdown). */
  idle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((r) => this.#idle.push(r));
  }

  #isIdle(): boolean {
    return this.#running.size === 0 && (this.#waiting.length === 0 || this.#closed);
  }

  get #concurrency(): number {
    return Math.max(1, this.#o.concurrency ?? 1);
  }

  /**
   * `cached`, the watch cache's copy, is acted on as it is (as Velero's controller reads its
   * Backup from the cache): a backup is started by a patch conditional on the copy's
   * resourceVersion (queued likewise), so a copy that lags the API server is refused there and
   * the Backup is read afresh (#run). Without one (a retry, a look after a run), it is read.
   */
  async reconcile(key: ObjectKey, cached?: UnstructuredItem): Promise<ReconcileResult> {
    const [namespace, name] = splitKey(key);
    const backup = (cached ?? (await this.#o.kube.get(GVR.backups, name, namespace))) as Backup | undefined;
    if (!backup) return { kind: "done" };
    const phase = backup.status?.phase ?? "";
    switch (phase) {
      case "":
      case "New":
      case "Queued":
      case "ReadyToStart":
        if (this.#running.has(key) || this.#waiting.includes(key) || this.#closed) return { kind: "done" };
        this.#namespaceSpecs.set(key, { includes: backup.spec?.includedNamespaces ?? [], excludes: backup.spec?.excludedNamespaces ?? [] });
        // One at a time: nothing to check. Several: through the queue, whose single scheduling
        // pass keeps backups that share a namespace apart.
        if (this.#concurrency === 1 && this.#running.size === 0 && this.#waiting.length === 0) this.#start(key, backup);
        else {
          await this.#enqueueWaiting(key, backup);
          // capacity may be free while what waits ahead of it is blocked by a namespace conflict
          void this.#next();
        }
        return { kind: "done" };
      // An InProgress backup this process did not start was interrupted by an earlier server:
      // markInProgressFailed (startup.ts) failed those as the server started, as Velero does.
      // One appearing later (synced from a bucket) is left as it is, as in Velero.
      default:
        return { kind: "done" };
    }
  }

  async #enqueueWaiting(key: ObjectKey, backup: Backup): Promise<void> {
    this.#waiting.push(key);
    const position = this.#waiting.length;
    if (backup.status?.phase !== "Queued" || backup.status.queuePosition !== position) {
      // conditional on the version read: the backup may have been started meanwhile (another
      // backup finished), and its InProgress must not be turned back into Queued
      await this.#patch(backup, { metadata: { resourceVersion: backup.metadata.resourceVersion }, status: { phase: "Queued", queuePosition: position } }).catch((err: unknown) => {
        if (!isConflict(err)) throw err;
      });
    }
  }

  /** Runs the backup; `read` is the Backup as just read (else it is read afresh). */
  #start(key: ObjectKey, read?: Backup): void {
    const run = this.#run(key, read)
      .then(
        () => void this.#retries.delete(key),
        (err: unknown) => this.#retryLater(key, err),
      )
      .finally(() => {
        this.#running.delete(key);
        this.#namespaceSpecs.delete(key);
        void this.#next();
        // A Backup deleted and created again under the same name while this one ran waits for
        // this look (its events came while the name was busy).
        if (!this.#closed) void this.reconcile(key).catch(() => undefined);
      });
    this.#running.set(key, run);
  }

  /**
   * The run failed before the backup was InProgress (an API error reading or patching it, say):
   * nothing was done, so it is tried again, with backoff (1 s doubling to 5 min), as long as it
   * waits; its Schedule would otherwise wait for it for good.
   */
  #retryLater(key: ObjectKey, err: unknown): void {
    const entry = this.#retries.get(key) ?? { attempts: 0 };
    entry.attempts++;
    const delayMs = backoffDelay(entry.attempts - 1, START_RETRY_BACKOFF);
    this.#log.error({ backup: key, err: getErrorMessage(err), attempt: entry.attempts }, `backup could not be started; trying again in ${formatGoDuration(delayMs)}`);
    entry.timer?.cancel();
    entry.timer = this.#clock.setTimeout(() => {
      entry.timer = undefined;
      if (!this.#closed) void this.reconcile(key).catch(() => undefined);
    }, delayMs);
    this.#retries.set(key, entry);
  }

  /** Stops retrying (the server is stopping); runs in flight finish (see idle()). */
  close(): void {
    this.#closed = true;
    for (const entry of this.#retries.values()) entry.timer?.cancel();
    this.#retries.clear();
  }

  /** Starts what may start; one pass at a time (a call meanwhile makes the running pass go again). */
  #next(): Promise<void> {
    if (this.#scheduling) {
      this.#scheduleAgain = true;
      return this.#scheduling;
    }
    this.#scheduling = (async () => {
      do {
        this.#scheduleAgain = false;
        await this.#startRunnable();
      } while (this.#scheduleAgain);
    })().finally(() => (this.#scheduling = undefined));
    return this.#scheduling;
  }

  async #startRunnable(): Promise<void> {
    // A stopping server starts nothing new: what waits stays Queued for the next server.
    while (!this.#closed && this.#running.size < this.#concurrency && this.#waiting.length > 0) {
      // The first waiting backup that shares no namespace with a running one (Velero's queue);
      // with none running, the first in line (nothing to compare, no namespace LIST).
      const index = this.#running.size === 0 ? 0 : (await this.#conflictsWithRunning(this.#waiting)).indexOf(false);
      if (index < 0 || this.#closed) break;
      const [key] = this.#waiting.splice(index, 1) as [ObjectKey];
      this.#start(key);
      // Queued backups behind it move up one position.
      for (const [i, k] of this.#waiting.entries()) {
        if (i < index) continue;
        const [ns, n] = splitKey(k);
        await this.#o.kube.patch(GVR.backups, n, ns, { status: { queuePosition: i + 1 } }).catch(() => undefined);
      }
    }
    if (this.#isIdle()) {
      for (const r of this.#idle.splice(0)) r();
    }
  }

  /**
   * For each of `keys` (in queue order): whether it would back up a namespace a running backup,
   * or one before it in `keys`, backs up. As in
   * Velero, backups sharing a namespace never run at once (their hooks would run in the same
   * pods, their snapshots race); one waiting for another stays Queued. Namespaces resolve as the
   * backup resolves them (globs, "*", excludes) against the cluster's.
   */
  async #conflictsWithRunning(keys: readonly ObjectKey[]): Promise<boolean[]> {
    let active: string[];
    try {
      active = (await this.#o.kube.list(GVR.namespaces)).items.map((n) => n.metadata.name);
    } catch (err) {
      this.#log.error({ err: getErrorMessage(err) }, "error listing namespaces for the backup queue's conflict check");
      return keys.map(() => true);
    }
    const namespacesOf = (key: ObjectKey): Set<string> => {
      const spec = this.#namespaceSpecs.get(key) ?? { includes: [], excludes: [] };
      return new Set(new NamespaceFilter(active, spec.includes, spec.excludes).resolve());
    };
    // A waiting backup also waits for those queued ahead of it that share a namespace (Velero's
    // detectNSConflictsInternal counts earlier queued backups too): none overtakes another on a namespace.
    const busy = new Set([...this.#running.keys()].flatMap((k) => [...namespacesOf(k)]));
    return keys.map((k) => {
      const mine = [...namespacesOf(k)];
      const conflict = mine.some((ns) => busy.has(ns));
      for (const ns of mine) busy.add(ns);
      return conflict;
    });
  }

  async #patch(backup: Backup, patch: object): Promise<Backup> {
    return (await this.#o.kube.patch(GVR.backups, backup.metadata.name ?? "", backup.metadata.namespace, patch)) as unknown as Backup;
  }

  // ---- one backup ----------------------------------------------------------------------------

  async #run(key: ObjectKey, read?: Backup): Promise<void> {
    const [namespace, name] = splitKey(key);
    // (its start patch names the resourceVersion read: a Backup changed since is looked at again)
    const current = read ?? ((await this.#o.kube.get(GVR.backups, name, namespace)) as Backup | undefined);
    if (!current || !NOT_STARTED.has(current.status?.phase ?? "")) return;
    const log = this.#log.child({ backup: key });
    // Discovery is the engine's first step: refreshed for every backup (a CRD or an aggregated API
    // added since the last one must be backed up too) and started while validating.
    this.#o.kube.invalidateDiscovery();
    this.#o.kube.discover().catch(() => undefined);
    const prepared = await this.#prepare(current);
    const b = prepared.backup;
    const schedule = scheduleOf(b);
    const failed = prepared.errors.length > 0;
    const statusPatch: Record<string, unknown> = {
      ...b.status,
      phase: failed ? "FailedValidation" : "InProgress",
      queuePosition: null,
      validationErrors: failed ? prepared.errors : null,
      ...(failed ? {} : { startTimestamp: toKubeTime(this.#clock.now()) }),
    };
    // Every patch of this run names the object's uid: the API server refuses it (uid is immutable)
    // if the Backup was deleted and created again under the same name meanwhile. The first also
    // names the resourceVersion read: a Backup changed meanwhile (another server watching this
    // namespace took it, say) is not started twice; it is looked at again.
    const uid = current.metadata.uid;
    const start = this.#patch(current, {
      metadata: { uid, resourceVersion: current.metadata.resourceVersion, labels: b.metadata.labels, annotations: b.metadata.annotations },
      spec: b.spec,
      status: statusPatch,
    });
    const changedMeanwhile = (): Promise<void> => {
      log.info("the Backup changed as it was being started (another server watching this namespace may have taken it); looking at it again");
      return this.#run(key);
    };
    if (failed) {
      try {
        await start;
      } catch (err) {
        if (!isConflict(err)) throw err;
        return changedMeanwhile();
      }
      log.info({ validationErrors: prepared.errors }, "backup failed validation");
      this.#o.metrics?.backupValidationFailure(schedule);
      this.#o.metrics?.backupLastStatus(schedule, false);
      return;
    }
    // The run starts reading (discovery, LISTs) while the InProgress patch is on its way; it backs
    // up nothing, reports no progress and uploads nothing before the patch went through (`started`).
    const started = start.then((patched) => {
      log.info("backup InProgress");
      this.#o.metrics?.backupAttempt(schedule);
      return patched;
    });
    started.catch(() => undefined);
    // the Backup as the patch will make it, for the run to read meanwhile
    const starting = applyMergePatch(structuredClone(b), { status: statusPatch }) as Backup;
    let outcome: { backup: Backup; ran: boolean } | { error: unknown };
    try {
      outcome = await this.#execute(starting, prepared, log, started);
    } catch (error) {
      outcome = { error };
    }
    let owned: Backup;
    try {
      owned = await started;
    } catch (err) {
      if (!isConflict(err)) throw err;
      return changedMeanwhile();
    }
    let final: Backup;
    let ran = false;
    if ("error" in outcome) {
      // #execute records what goes wrong inside a backup; this is what it could not even start
      // (no scratch directory, say): the Backup must not stay InProgress.
      log.error({ err: getErrorMessage(outcome.error) }, "backup failed");
      final = structuredClone(owned);
      final.status = { ...final.status, phase: "Failed", failureReason: getErrorMessage(outcome.error), completionTimestamp: toKubeTime(this.#clock.now()) };
    } else {
      ({ backup: final, ran } = outcome);
    }
    // as Velero's Go struct writes it: zero counters left out (`errors`, `progress.totalItems`...)
    const finalStatus = goBackupStatusMergePatch(final.status as unknown as Record<string, unknown>);
    // a reason another writer left meanwhile (a second server's start failing "InProgress" backups) must not outlive a success
    if (finalStatus["failureReason"] === undefined) finalStatus["failureReason"] = null;
    const finalPatch = { metadata: { uid }, status: finalStatus };
    // the bucket holds the finished backup already
    if (!(await patchFinalStatus("Backup", () => this.#patch(owned, finalPatch), { clock: this.#clock, log, stopping: () => this.#closed, ...(this.#o.resourceTimeoutMs ? { retryMs: this.#o.resourceTimeoutMs } : {}) }))) return;
    const phase = final.status?.phase as BackupPhase;
    if (phase.startsWith("WaitingForPluginOperations") || phase.startsWith("Finalizing")) this.#o.postProcessing?.keys.add(key);
    log.info({ phase }, `backup ${phase}`);
    this.#recordMetrics(schedule, final, ran);
  }

  /**
   * As Velero's backup controller: the outcome counters for a backup that ended here, and, for
   * one whose engine ran (`ran`), what its run produced (items, errors, warnings, volume
   * snapshots; the duration of one that finished) whatever phase it moved to: one waiting for
   * plugin operations or finalizing has its outcome and duration recorded by the operations
   * controller when it ends.
   */
  #recordMetrics(schedule: string, b: Backup, ran: boolean): void {
    const m = this.#o.metrics;
    if (!m) return;
    const s = b.status ?? {};
    const finished = s.phase === "Completed" || s.phase === "PartiallyFailed" || s.phase === "Failed";
    switch (s.phase) {
      case "Completed":
        m.backupSuccess(schedule);
        m.backupLastStatus(schedule, true);
        m.backupLastSuccessfulTimestamp(schedule, new Date(s.completionTimestamp ?? this.#clock.now()));
        break;
      case "PartiallyFailed":
        m.backupPartialFailure(schedule);
        m.backupLastStatus(schedule, false);
        break;
      case "Failed":
        m.backupFailure(schedule);
        m.backupLastStatus(schedule, false);
        break;
      default: // WaitingForPluginOperations*, Finalizing*: not finished
    }
    if (!ran) return;
    if (finished && s.startTimestamp && s.completionTimestamp) {
      m.backupDuration(schedule, Math.floor((Date.parse(s.completionTimestamp) - Date.parse(s.startTimestamp)) / 1000));
    }
    m.backupItems(schedule, s.progress?.totalItems ?? 0, s.errors ?? 0);
    if ((s.warnings ?? 0) > 0) m.backupWarning(schedule);
    m.volumeSnapshots(schedule, s.volumeSnapshotsAttempted ?? 0, s.volumeSnapshotsCompleted ?? 0);
    if (this.#o.features?.isEnabled(CSI_FEATURE)) m.csiSnapshotAttempts?.(schedule, b.metadata.name ?? "", s.csiVolumeSnapshotsAttempted ?? 0);
  }

  /** Runs the engine and uploads; returns the Backup with its terminal status. */
  async #execute(backup: Backup, prepared: Prepared, log: Logger, started: Promise<Backup>): Promise<{ backup: Backup; ran: boolean }> {
    const dir = await makeScratchDir("velero-backup-");
    try {
      return await this.#executeIn(dir, backup, prepared, log, started);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * #execute with `dir`, a scratch directory of its own for the tarball. `ran`: the engine was
   * started (false when the backup failed before anything was written).
   */
  async #executeIn(dir: string, backup: Backup, prepared: Prepared, log: Logger, started: Promise<Backup>): Promise<{ backup: Backup; ran: boolean }> {
    const b = structuredClone(backup);
    b.status ??= {};
    const backupLog = new BackupLogger({ level: this.#o.backupLogLevel ?? "info", tee: log, now: () => this.#clock.now(), compress: true }).child({
      backup: `${b.metadata.namespace}/${b.metadata.name}`,
    });
    // Not named after the backup: a name of up to 253 characters does not fit a file name.
    const tarPath = join(dir, "contents.tar.gz");
    /** Whether the tarball file is whole (closed after every write succeeded), though the backup may have failed. */
    let tarballReadable = false;
    const fatal: string[] = [];
    let output;
    /** The native snapshots a failed engine run had taken (recorded all the same). */
    let snapshotsTaken: NativeSnapshotRecord[] = [];
    // What external plugins log during this backup's calls goes into its log too (as in Velero).
    const view = this.#o.plugins.withLog?.(backupLog, { echoesToServerLog: true });
    const plugins = view ?? this.#o.plugins;
    // Before anything is written, as Velero's runBackup: what fails here fails the backup and
    // uploads nothing (a bucket holding a backup of this name must never be overwritten, not
    // even when the check itself fails).
    let store: BackupStore;
    let actions: Awaited<ReturnType<PluginManager["getBackupItemActions"]>>;
    let itemBlockActions: Awaited<ReturnType<PluginManager["getItemBlockActions"]>>;
    const failBeforeStart = (reason: string): { backup: Backup; ran: boolean } => {
      log.error({ reason }, "backup failed before it started; nothing was uploaded");
      b.status = { ...b.status, phase: "Failed", failureReason: reason, completionTimestamp: toKubeTime(this.#clock.now()) };
      return { backup: b, ran: false };
    };
    try {
      actions = await plugins.getBackupItemActions();
      itemBlockActions = await plugins.getItemBlockActions();
      // through the backup's view: what the object store plugin logs goes to the backup's log
      store = await this.#o.getBackupStore(prepared.location as BackupStorageLocation, view ? { plugins: view } : {});
    } catch (err) {
      return failBeforeStart(getErrorMessage(err));
    }
    try {
      if (await store.backupExists(b.metadata.name ?? "")) return failBeforeStart(BACKUP_EXISTS_IN_STORAGE);
    } catch (err) {
      return failBeforeStart(`error checking if backup already exists in object storage: ${getErrorMessage(err)}`);
    }
    let tarballBroken = false;
    /** The last progress patch: sent while the backup uploads, awaited before the run returns (the final status patch follows it). */
    let progressFlushed: Promise<void> = Promise.resolve();
    try {
      const tarball = new TarballWriter(tarPath, () => this.#clock.now());
      const progress = new ProgressPatcher(this.#clock, (p) =>
        started.then(() => this.#o.kube.patch(GVR.backups, b.metadata.name ?? "", b.metadata.namespace, { metadata: { uid: b.metadata.uid }, status: { progress: p } })).then(() => undefined),
      );
      try {
        output = await this.#backupper.backup({
          backup: b,
          snapshotLocations: prepared.snapshotLocations,
          tarball,
          log: backupLog,
          actions,
          itemBlockActions,
          itemBlockWorkers: this.#o.itemBlockWorkers ?? 1,
          volumeSnapshotter: (vsl) => this.#snapshotterFor(vsl, plugins),
          onProgress: (p) => progress.update(p),
          now: () => this.#clock.now(),
          // prepared.backup is the Backup as the run found it (before the InProgress patch)
          listNotOlderThan: prepared.backup.metadata.resourceVersion,
          started,
          ...(prepared.resourcePolicies ? { resourcePolicies: prepared.resourcePolicies } : {}),
          ...(this.#o.features ? { features: this.#o.features } : {}),
        });
      } catch (err) {
        // A tarball that could not be written is not uploaded; one the engine stopped filling is
        // (Velero uploads a Failed backup's partial tarball: `backup download` still gets it).
        if (err instanceof TarballWriteError) tarballBroken = true;
        throw err;
      } finally {
        progressFlushed = progress.flush();
        await tarball.close().then(() => (tarballReadable = !tarballBroken));
      }
    } catch (err) {
      fatal.push(getErrorMessage(err));
      backupLog.error({ err: getErrorMessage(err) }, "backup failed");
      snapshotsTaken = snapshotsTakenBefore(err);
    }
    // Nothing goes to the bucket before the Backup is this server's (a failed start throws here,
    // and the run is dropped); what is stored is the Backup as the start patch left it.
    const owned = await started;
    b.metadata = structuredClone(owned.metadata);
    b.spec = structuredClone(owned.spec);

    const s = b.status;
    if (!output && snapshotsTaken.length > 0) {
      s.volumeSnapshotsAttempted = snapshotsTaken.length;
      s.volumeSnapshotsCompleted = snapshotsTaken.filter((v) => v.status.phase === "Completed").length;
    }
    if (output) {
      s.progress = output.progress;
      // Go leaves zero counts out (omitempty): `hookStatus: {}` for a backup that ran no hook
      s.hookStatus = {
        ...(output.hookStatus.hooksAttempted ? { hooksAttempted: output.hookStatus.hooksAttempted } : {}),
        ...(output.hookStatus.hooksFailed ? { hooksFailed: output.hookStatus.hooksFailed } : {}),
      };
      s.volumeSnapshotsAttempted = output.volumeSnapshots.length;
      s.volumeSnapshotsCompleted = output.volumeSnapshots.filter((v) => v.status.phase === "Completed").length;
      if (output.csiVolumeSnapshotsAttempted !== undefined) s.csiVolumeSnapshotsAttempted = output.csiVolumeSnapshotsAttempted;
      s.backupItemOperationsAttempted = output.itemOperations.length;
      s.backupItemOperationsCompleted = 0;
      s.backupItemOperationsFailed = 0;
    }
    const hasOperations = (output?.itemOperations.length ?? 0) > 0;
    // As Velero, the operations are asked for their progress before the backup is stored: one
    // already done (or failed) is recorded as such, and a backup whose operations are all done
    // goes straight to Finalizing; failures are errors of the backup. A failed backup's operations
    // are asked too (its status counts them, as Velero's).
    let operationsRunning = false;
    if (output && hasOperations) {
      const operations = output.itemOperations as StoredOperation[];
      const { inProgress, failures } = await checkBackupItemOperations(b, operations, new Map(actions.map((a) => [a.name, a.action])), this.#clock.now(), log);
      operationsRunning = inProgress;
      for (const failure of failures) backupLog.error(failure);
      const counts = countOperations(operations).status;
      s.backupItemOperationsCompleted = counts["backupItemOperationsCompleted"] ?? 0;
      s.backupItemOperationsFailed = counts["backupItemOperationsFailed"] ?? 0;
    }
    s.warnings = backupLog.warnings;
    s.errors = backupLog.errors;
    let terminal: BackupPhase;
    if (fatal.length > 0) {
      s.phase = "Failed";
      terminal = "Failed";
      s.failureReason = fatal.join("; ");
      s.completionTimestamp = toKubeTime(this.#clock.now());
    } else if (backupLog.errors > 0) {
      s.phase = operationsRunning ? "WaitingForPluginOperationsPartiallyFailed" : "FinalizingPartiallyFailed";
      terminal = "PartiallyFailed";
    } else {
      s.phase = operationsRunning ? "WaitingForPluginOperations" : "Finalizing";
      terminal = "Completed";
    }

    {
      let contents: FileHandle | undefined;
      try {
        const size = await stat(tarPath).then((st) => st.size).catch(() => 0);
        this.#o.metrics?.backupTarballSize(scheduleOf(b), size);
        // Opened before the upload starts: a file that cannot be read is this backup's error,
        // never an unhandled stream error event.
        contents = tarballReadable ? await open(tarPath) : undefined;
        await store.putBackup({
          name: b.metadata.name ?? "",
          metadata: b,
          contents: contents ? contents.createReadStream() : Readable.from([]),
          gzippedLog: backupLog.gzipped(),
          podVolumeBackups: [],
          volumeSnapshots: output?.volumeSnapshots ?? snapshotsTaken,
          itemOperations: output?.itemOperations ?? [],
          resourceList: output?.resourceList ?? {},
          results: backupLog.results,
          volumeInfo: output?.volumeInfo ?? [],
        });
        // The finalizer's write: the terminal phase goes to the bucket last. Everything is stored
        // by now: when this write fails the backup stays Finalizing (as the bucket says), and the
        // operations controller retries the write (Velero's finalizer returns the error and is retried).
        // (Velero's first write, of a Finalizing backup, has no completionTimestamp; the finalizer's has)
        if (!hasOperations && s.phase !== "Failed") {
          const finalizing = s.phase;
          s.phase = terminal;
          s.completionTimestamp = toKubeTime(this.#clock.now());
          try {
            await store.putBackupMetadata(b);
          } catch (err) {
            log.error({ err: getErrorMessage(err) }, "error uploading backup json; the backup stays " + finalizing + " and the write is retried");
            s.phase = finalizing;
            delete s.completionTimestamp;
          }
        }
      } catch (err) {
        log.error({ err: getErrorMessage(err) }, "error uploading backup");
        s.phase = "Failed";
        s.failureReason = `error uploading backup: ${getErrorMessage(err)}`;
        s.completionTimestamp ??= toKubeTime(this.#clock.now());
      } finally {
        // the upload's stream closes it when read to the end; not when the upload failed first
        await contents?.close().catch(() => undefined);
      }
    }
    await progressFlushed;
    return { backup: b, ran: true };
  }

  /** `vsl` as validation left it: its config already names the credential's file (credentialsFile). */
  async #snapshotterFor(vsl: VolumeSnapshotLocation, plugins: Pick<PluginManager, "getVolumeSnapshotter">) {
    return plugins.getVolumeSnapshotter(vsl.spec.provider, { ...(vsl.spec.config ?? {}) });
  }

  // ---- validation and defaulting (Velero's prepareBackupRequest) -----------------------------

  async #prepare(original: Backup): Promise<Prepared> {
    const b = structuredClone(original);
    const errors: string[] = [];
    const kube = this.#o.kube;
    const ns = b.metadata.namespace ?? this.#o.namespace;
    b.spec ??= {};
    b.status = { ...(b.status ?? {}), version: BACKUP_VERSION, formatVersion: BACKUP_FORMAT_VERSION };
    // Lookups that depend on nothing else run alongside the location checks.
    const serverVersion = kube.serverVersion();
    const excludedNamespaces = kube.list(GVR.namespaces, { labelSelector: `${LABELS.excludeFromBackup}=true` });
    serverVersion.catch(() => undefined);
    excludedNamespaces.catch(() => undefined);
    const resourcePoliciesLoad = loadBackupResourcePolicies(kube, b, ns);
    const snapshotLookup = this.#snapshotLocations(b, ns);
    snapshotLookup.catch(() => undefined);

    let ttlMs = this.#o.defaultBackupTtlMs ?? DEFAULT_BACKUP_TTL_MS;
    if (b.spec.ttl) {
      try {
        // As in Velero, a zero TTL takes the default. A negative one (Velero: expired at once, the
        // backup deleted at the next collection) is refused.
        const parsed = parseGoDuration(b.spec.ttl);
        if (parsed < 0) errors.push(`invalid ttl "${b.spec.ttl}": it must not be negative (0 or unset takes the server's --default-backup-ttl)`);
        else if (parsed !== 0) ttlMs = parsed;
      } catch {
        errors.push(`invalid ttl "${b.spec.ttl}": expected a duration such as 720h0m0s`);
      }
    }
    // Unset or zero durations take their defaults; an invalid one is reported and left as written
    // (the backup fails validation; the user's value is not replaced).
    if (!b.spec.ttl || tryParseGoDuration(b.spec.ttl) === 0) b.spec.ttl = formatGoDuration(ttlMs);
    b.spec.volumeGroupSnapshotLabelKey ||= this.#o.defaultVolumeGroupSnapshotLabelKey || LABELS.volumeGroup;
    const defaultOperationTimeout = this.#o.defaultItemOperationTimeout ?? DEFAULT_ITEM_OPERATION_TIMEOUT;
    for (const [field, fallback] of [["csiSnapshotTimeout", DEFAULT_CSI_SNAPSHOT_TIMEOUT], ["itemOperationTimeout", defaultOperationTimeout]] as const) {
      const value = b.spec[field];
      const parsed = value ? tryParseGoDuration(value) : 0;
      if (parsed === undefined) errors.push(`invalid ${field} "${value}": expected a duration such as ${fallback}`);
      else if (parsed === 0) b.spec[field] = fallback;
    }
    b.status.expiration = toKubeTime(new Date(this.#clock.now().getTime() + ttlMs));
    if (b.spec.defaultVolumesToRestic === true) b.spec.defaultVolumesToFsBackup = true;
    b.spec.defaultVolumesToFsBackup ??= this.#o.defaultVolumesToFsBackup ?? false;
    b.spec.snapshotMoveData ??= this.#o.defaultSnapshotMoveData ?? false;

    // Storage location.
    let serverSpecified = false;
    if (!b.spec.storageLocation) {
      b.spec.storageLocation = this.#o.defaultBackupLocation ?? "default";
      try {
        // the watch cache's default, else (none there yet) the API server's
        const isDefault = (l: UnstructuredItem): boolean => (l as unknown as BackupStorageLocation).spec?.default === true;
        const def = (await this.#o.cachedLocations?.(ns))?.find(isDefault) ?? (await kube.list(GVR.backupStorageLocations, { namespace: ns })).items.find(isDefault);
        if (def) b.spec.storageLocation = def.metadata.name;
      } catch {
        // fall back to the server default
      }
      serverSpecified = true;
    }
    let location: BackupStorageLocation | undefined;
    const locationName: string = b.spec.storageLocation ?? "default";
    try {
      location = (await cachedOrGet(kube, this.#o.cachedLocations, GVR.backupStorageLocations, locationName, ns, isWritableAndAvailable)) as BackupStorageLocation | undefined;
      if (!location) {
        errors.push(
          serverSpecified
            ? `an existing backup storage location was not specified at backup creation time and the server default ${b.spec.storageLocation} does not exist. Please address this issue (see \`velero backup-location -h\` for options) and create a new backup. Error: BackupStorageLocation.velero.io "${b.spec.storageLocation}" not found`
            : `an existing backup storage location was not specified at backup creation time and the default ${b.spec.storageLocation} was not found. Please address this issue (see \`velero backup-location -h\` for options) and create a new backup. Error: BackupStorageLocation.velero.io "${b.spec.storageLocation}" not found`,
        );
      } else {
        if (location.spec.accessMode === "ReadOnly") {
          errors.push(`backup can't be created because backup storage location ${location.metadata.name} is currently in read-only mode`);
        }
        if (location.status?.phase !== "Available") {
          errors.push(`backup can't be created because BackupStorageLocation ${location.metadata.name} is in Unavailable status.`);
        }
      }
    } catch (err) {
      errors.push(`error getting backup storage location: ${getErrorMessage(err)}`);
    }
    b.metadata.labels = { ...(b.metadata.labels ?? {}), [LABELS.storageLocation]: validLabelValue(locationName) };

    // Volume snapshot locations.
    const { locations: snapshotLocations, errors: vslErrors } = await snapshotLookup;
    if (vslErrors.length > 0) errors.push(...vslErrors);
    else b.spec.volumeSnapshotLocations = snapshotLocations.length ? snapshotLocations.map((l) => l.metadata.name ?? "") : undefined;

    // Cluster version annotations.
    try {
      const v = await serverVersion;
      b.metadata.annotations = {
        ...(b.metadata.annotations ?? {}),
        [ANNOTATIONS.sourceClusterGitVersion]: v.gitVersion,
        [ANNOTATIONS.sourceClusterMajorVersion]: v.major,
        [ANNOTATIONS.sourceClusterMinorVersion]: v.minor,
        [ANNOTATIONS.resourceTimeout]: this.#o.resourceTimeoutMs ? formatGoDuration(this.#o.resourceTimeoutMs) : DEFAULT_RESOURCE_TIMEOUT,
      };
    } catch (err) {
      errors.push(`error getting server version: ${getErrorMessage(err)}`);
    }

    // Namespaces labelled velero.io/exclude-from-backup=true.
    try {
      const excluded = await excludedNamespaces;
      for (const n of excluded.items) {
        const list = (b.spec.excludedNamespaces ??= []);
        if (!list.includes(n.metadata.name)) list.push(n.metadata.name);
      }
    } catch (err) {
      errors.push(`error getting namespace list: ${getErrorMessage(err)}`);
    }

    if (oldAndNewFiltersMixed(b.spec)) {
      errors.push(
        "include-resources, exclude-resources and include-cluster-resources are old filter parameters.\n" +
          "include-cluster-scoped-resources, exclude-cluster-scoped-resources, include-namespace-scoped-resources and exclude-namespace-scoped-resources are new filter parameters.\n" +
          "They cannot be used together",
      );
    }
    if (useOldResourceFilters(b.spec)) {
      const ie = validateIncludesExcludes(b.spec.includedResources, b.spec.excludedResources);
      if (ie.length) errors.push(...ie.map((e) => `Invalid included/excluded resource lists: ${e}`));
      else [b.spec.includedResources, b.spec.excludedResources] = addExcludes(b.spec.includedResources, b.spec.excludedResources, [...AUTO_EXCLUDE_NAMESPACED, ...AUTO_EXCLUDE_CLUSTER]);
    } else {
      const c = validateScopedIncludesExcludes(b.spec.includedClusterScopedResources, b.spec.excludedClusterScopedResources);
      if (c.length) errors.push(...c.map((e) => `Invalid cluster-scoped included/excluded resource lists: ${e}`));
      else
        [b.spec.includedClusterScopedResources, b.spec.excludedClusterScopedResources] = addExcludes(
          b.spec.includedClusterScopedResources,
          b.spec.excludedClusterScopedResources,
          AUTO_EXCLUDE_CLUSTER,
        );
      const n = validateScopedIncludesExcludes(b.spec.includedNamespaceScopedResources, b.spec.excludedNamespaceScopedResources);
      if (n.length) errors.push(...n.map((e) => `Invalid namespace-scoped included/excluded resource lists: ${e}`));
      else
        [b.spec.includedNamespaceScopedResources, b.spec.excludedNamespaceScopedResources] = addExcludes(
          b.spec.includedNamespaceScopedResources,
          b.spec.excludedNamespaceScopedResources,
          AUTO_EXCLUDE_NAMESPACED,
        );
    }
    if (!b.spec.includedNamespaces?.length) b.spec.includedNamespaces = ["*"];
    errors.push(
      ...validateNamespaceIncludesExcludes(b.spec.includedNamespaces, b.spec.excludedNamespaces).map((e) => `Invalid included/excluded namespace lists: ${e}`),
    );
    if (b.spec.orLabelSelectors && b.spec.labelSelector) {
      errors.push("encountered labelSelector as well as orLabelSelectors in backup spec, only one can be specified");
    }
    const { policies: resourcePolicies, error: policyError } = await resourcePoliciesLoad;
    if (policyError) errors.push(policyError);
    if (resourcePolicies?.includeExcludePolicy && useOldResourceFilters(b.spec)) {
      errors.push(
        "include-resources, exclude-resources and include-cluster-resources are old filter parameters.\n" +
          "They cannot be used with include-exclude policies.",
      );
    }
    return { backup: b, location, snapshotLocations, errors, ...(resourcePolicies ? { resourcePolicies } : {}) };
  }

  async #snapshotLocations(b: Backup, ns: string): Promise<{ locations: VolumeSnapshotLocation[]; errors: string[] }> {
    const errors: string[] = [];
    const byProvider = new Map<string, VolumeSnapshotLocation>();
    for (const name of b.spec.volumeSnapshotLocations ?? []) {
      let loc: VolumeSnapshotLocation | undefined;
      try {
        loc = (await this.#o.kube.get(GVR.volumeSnapshotLocations, name, ns)) as VolumeSnapshotLocation | undefined;
      } catch (err) {
        // as Velero: any other failure to read it is a validation error too
        errors.push(`error getting volume snapshot location named ${name}: ${getErrorMessage(err)}`);
        continue;
      }
      if (!loc) {
        errors.push(
          `a VolumeSnapshotLocation CRD for the location ${name} with the name specified in the backup spec needs to be created before this snapshot can be executed. Error: VolumeSnapshotLocation.velero.io "${name}" not found`,
        );
        continue;
      }
      const existing = byProvider.get(loc.spec.provider);
      if (existing && existing.metadata.name !== name) {
        errors.push(`more than one VolumeSnapshotLocation name specified for provider ${loc.spec.provider}: ${name}; unexpected name was ${existing.metadata.name}`);
        continue;
      }
      byProvider.set(loc.spec.provider, loc);
    }
    if (errors.length) return { locations: [], errors };
    let all: VolumeSnapshotLocation[];
    try {
      all = (await this.#o.kube.list(GVR.volumeSnapshotLocations, { namespace: ns })).items as unknown as VolumeSnapshotLocation[];
    } catch (err) {
      return { locations: [], errors: [`error listing volume snapshot locations: ${getErrorMessage(err)}`] };
    }
    const perProvider = new Map<string, VolumeSnapshotLocation[]>();
    for (const l of all) perProvider.set(l.spec.provider, [...(perProvider.get(l.spec.provider) ?? []), l]);
    for (const [provider, locations] of perProvider) {
      if (byProvider.has(provider)) continue;
      if (locations.length > 1) {
        const def = this.#o.defaultVolumeSnapshotLocations?.[provider];
        if (!def) {
          errors.push(`provider ${provider} has more than one possible volume snapshot location, and none were specified explicitly or as a default`);
          continue;
        }
        // by name among all locations, as Velero's Get (whatever its provider)
        const loc = all.find((l) => l.metadata.name === def);
        if (!loc) {
          errors.push(`error getting volume snapshot location named ${def}: VolumeSnapshotLocation.velero.io "${def}" not found`);
          continue;
        }
        byProvider.set(provider, loc);
        continue;
      }
      byProvider.set(provider, locations[0] as VolumeSnapshotLocation);
    }
    if (errors.length) return { locations: [], errors };
    // As Velero (UpdateVolumeSnapshotLocationWithCredentialConfig): each chosen location's
    // credential is written to its file now, snapshots or not, and the location's config names
    // that file for the VolumeSnapshotter; an unreadable one fails validation.
    const locations: VolumeSnapshotLocation[] = [];
    for (const loc of byProvider.values()) {
      if (!loc.spec.credential || !this.#o.credentials) {
        locations.push(loc);
        continue;
      }
      try {
        const credentialsFile = await this.#o.credentials.path(loc.spec.credential);
        locations.push({ ...loc, spec: { ...loc.spec, config: { ...(loc.spec.config ?? {}), credentialsFile } } });
      } catch (err) {
        errors.push(`error adding credentials to volume snapshot location named ${loc.metadata.name ?? ""}: unable to get credentials: ${getErrorMessage(err)}`);
      }
    }
    return { locations: errors.length ? [] : locations, errors };
  }
}

/** Coalesces progress updates into at most one status patch per interval (Velero: 1s ticker). */
class ProgressPatcher {
  #latest: { totalItems: number; itemsBackedUp: number } | undefined;
  #timer: TimerHandle | undefined;
  #inflight: Promise<void> = Promise.resolve();
  constructor(
    private readonly clock: Clock,
    private readonly send: (p: { totalItems: number; itemsBackedUp: number }) => Promise<void>,
  ) {}
  update(p: { totalItems: number; itemsBackedUp: number }): void {
    const first = this.#latest === undefined && this.#timer === undefined;
    this.#latest = p;
    if (first) this.#push();
    else this.#timer ??= this.clock.setTimeout(() => this.#push(), PROGRESS_PATCH_INTERVAL_MS);
  }
  #push(): void {
    this.#timer = undefined;
    const p = this.#latest;
    if (!p) return;
    this.#latest = undefined;
    this.#inflight = this.#inflight.then(() => this.send(p)).catch(() => undefined);
    this.#timer = this.clock.setTimeout(() => this.#push(), PROGRESS_PATCH_INTERVAL_MS);
  }
  async flush(): Promise<void> {
    this.#timer?.cancel();
    this.#timer = undefined;
    const p = this.#latest;
    this.#latest = undefined;
    if (p) this.#inflight = this.#inflight.then(() => this.send(p)).catch(() => undefined);
    await this.#inflight;
  }
}

function addExcludes(include: string[] | undefined, exclude: string[] | undefined, added: string[]): [string[] | undefined, string[] | undefined] {
  const ex = [...(exclude ?? [])];
  for (const a of added) if (!ex.includes(a)) ex.push(a);
  const inc = include?.filter((i) => !ex.includes(i));
  return [inc, ex];
}

function splitKey(key: ObjectKey): [string | undefined, string] {
  const i = key.indexOf("/");
  return i < 0 ? [undefined, key] : [key.slice(0, i), key.slice(i + 1)];
}
