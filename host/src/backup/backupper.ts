/**
 * The backup engine (Velero pkg/backup): collects the items a Backup selects, groups each with its
 * related items into an item block (ItemBlockActions, transitively), runs the block's pod pre hooks,
 * backs up its items through the item actions (with additional items, each backed up once),
 * snapshots PVs through the VSL's VolumeSnapshotter, runs the post hooks, and writes the tarball in
 * Velero's format. It also re-backs-up the post-operation items of a finalizing backup.
 */
import type {
  ApiResource,
  GroupVersionResource,
  KubeClient,
} from "../kube/client.js";
import {
  ANNOTATIONS,
  getErrorMessage,
  LABELS,
  resourceSelectorOf,
  type Backup,
  type BackupItemActionV2,
  type ItemBlockAction,
  type ResourceIdentifier,
  type ResourceSelectorInit,
  type UnstructuredItem,
  type VolumeSnapshotLocation,
  type VolumeSnapshotter,
} from "@velero-ts/plugin-sdk";
import { isNotFound } from "../kube/errors.js";
import { GVR, groupResourceString, groupVersionString, parseApiVersion } from "../kube/gvr.js";
import { formatLabelSelector, fromLabelSelector, labelSelectorError, parseLabelSelector, type LabelSelector } from "../kube/labels.js";
import type { NativeSnapshotRecord } from "../persistence/backup-store.js";
import { runWithActionLog } from "../shared/action-log.js";
import { marshalGo } from "../persistence/go-json.js";
import type { NamedAction } from "../plugins/manager.js";
import type { Logger } from "../shared/logging.js";
import { toKubeTime } from "../shared/clock.js";
import { RETURNED_ITEM_ADVICE, returnedItemProblem } from "../shared/plugin-items.js";
import {
  GlobalResourceFilter,
  IncludesExcludes,
  NamespaceFilter,
  ScopedResourceFilter,
  useOldResourceFilters,
  type ResourceFilter,
} from "./filters.js";
import { API_GROUP_VERSIONS_FEATURE, type FeatureFlags } from "../shared/features.js";
import { CSI_FEATURE, CSI_KEYS, CSI_PVC_BACKUPPER, csiActionSkipped, isVolumeSnapshotIdentifier } from "../shared/csi.js";
import { persistentVolumeOf } from "./actions/csi.js";
import { validLabelValue } from "../shared/label-value.js";
import { quantityBytes } from "../shared/quantity.js";
import { resourceVersionsToBackUp } from "./api-group-versions.js";
import { HookTracker, resolveResourceHooks, runPodHooks, type HookRunContext, type ResourceHook } from "./hooks.js";
import { ItemBlock, itemBlockKey, type ItemBlockItem } from "./item-block.js";
import { ListWindow } from "./list-window.js";
import { isFsBackupCandidate, podNotRunningReason, type PodVolume, type ResourcePolicies } from "./resource-policies.js";
import { ResourceCatalog } from "./resources.js";
import { itemPath, TarballWriteError, type TarballWriter } from "./tar-writer.js";

export const EXCLUDE_FROM_BACKUP_LABEL = "velero.io/exclude-from-backup";
export const SKIP_FROM_BACKUP_ANNOTATION = "velero.io/skip-from-backup";
export const MUST_INCLUDE_ADDITIONAL_ITEMS_ANNOTATION = "backup.velero.io/must-include-additional-items";

/** The native snapshots a failed backup had taken, by its error (snapshotsTakenBefore). */
const SNAPSHOTS_BEFORE_FAILURE = new WeakMap<object, NativeSnapshotRecord[]>();

/**
 * The native snapshots a backup that failed with `err` had taken: recorded with the failed backup
 * (as Velero records them), so that deleting it deletes them.
 */
export function snapshotsTakenBefore(err: unknown): NativeSnapshotRecord[] {
  return typeof err === "object" && err !== null ? (SNAPSHOTS_BEFORE_FAILURE.get(err) ?? []) : [];
}

/** The label Argo CD puts on the namespaces it manages (Velero warns when a backup includes one). */
const ARGOCD_MANAGED_BY_LABEL = "argocd.argoproj.io/managed-by";

/** Resources shared between two groups: only the first one seen is backed up (Velero's cohabitating resources). */
const COHABITATING: Record<string, [string, string]> = {
  deployments: ["extensions", "apps"],
  daemonsets: ["extensions", "apps"],
  replicasets: ["extensions", "apps"],
  networkpolicies: ["extensions", "networking.k8s.io"],
  events: ["", "events.k8s.io"],
};

export interface BackupOperation {
  spec: {
    backupName: string;
    backupUID: string;
    backupItemAction: string;
    resourceIdentifier: { Group: string; Resource: string; Namespace: string; Name: string };
    operationID: string;
    postOperationItems?: { Group: string; Resource: string; Namespace: string; Name: string }[] | null;
  };
  status: { phase: "New" | "InProgress" | "Completed" | "Failed"; created?: string };
}

export interface BackupVolumeInfo {
  pvcName?: string;
  pvcNamespace?: string;
  pvName?: string;
  backupMethod?: "NativeSnapshot" | "PodVolumeBackup" | "CSISnapshot";
  snapshotDataMoved: boolean;
  preserveLocalSnapshot: boolean;
  skipped: boolean;
  skippedReason?: string;
  startTimestamp?: string;
  /** Set while the backup finalizes, from its operation (a CSI snapshot's). */
  completionTimestamp?: string;
  result?: "succeeded" | "failed";
  /** `Phase` as Velero writes it (a Go field without a JSON tag): the snapshot's phase. */
  nativeSnapshotInfo?: { snapshotHandle: string; volumeType: string; volumeAZ: string; iops: string; Phase: "Completed" | "Failed" };
  /** `ReadyToUse` as Velero writes it (a Go *bool without a JSON tag). */
  csiSnapshotInfo?: { snapshotHandle: string; size: number; driver: string; vscName: string; operationID?: string; ReadyToUse: boolean | null };
  /** `labels` is the PV's (null when it has none: a nil Go map, no omitempty). */
  pvInfo?: { reclaimPolicy: string; labels: Record<string, string> | null };
}

export interface BackupProgress {
  totalItems: number;
  itemsBackedUp: number;
}

const NO_BLOCK_ITEMS: readonly ItemBlockItem[] = [];

/** Where item files go: the tarball, or (finalize) the entries that replace the tarball's. */
export type TarballSink = Pick<TarballWriter, "appendCopies" | "writeVersion">;

export interface BackupInput {
  /** The Backup after the controller's defaulting (spec final, uid set). */
  backup: Backup;
  snapshotLocations: VolumeSnapshotLocation[];
  tarball: TarballSink;
  log: Logger;
  actions: NamedAction<BackupItemActionV2>[];
  /** Built-in and plugin ItemBlockActions, in the plugin manager's order. */
  itemBlockActions?: NamedAction<ItemBlockAction>[];
  /** Item blocks backed up at once (--item-block-worker-count); default 1. */
  itemBlockWorkers?: number;
  /** An initialised VolumeSnapshotter for a location. */
  volumeSnapshotter?: (location: VolumeSnapshotLocation) => Promise<VolumeSnapshotter>;
  onProgress?: (progress: BackupProgress) => void;
  now?: () => Date;
  /** The validated resource policies the Backup references (spec.resourcePolicy), if any. */
  resourcePolicies?: ResourcePolicies;
  /** The server's --features (EnableAPIGroupVersions: back up every served version). */
  features?: FeatureFlags;
  /**
   * A resourceVersion from when the backup began (the Backup's own): every LIST of the backup asks
   * for a state not older than it (resourceVersionMatch=NotOlderThan). Each is then served from
   * the API server's watch cache as it stands, instead of a consistent read that, after any write
   * in the cluster (the backup's own status patches included), waits for the cache to catch up
   * with etcd (up to ~100 ms per LIST on kube-apiserver with ConsistentListFromCache). What was
   * written before the backup began is in the backup either way.
   */
  listNotOlderThan?: string;
  /**
   * Resolves once the backup is this server's to run (its InProgress patch went through). Until
   * then the engine only reads (discovery, LISTs): it backs up no item (no action, hook, snapshot
   * or tarball entry) and reports no progress; a rejection is thrown as it is. Default: started.
   */
  started?: Promise<unknown>;
}

export interface BackupOutput {
  resourceList: Record<string, string[]>;
  volumeSnapshots: NativeSnapshotRecord[];
  itemOperations: BackupOperation[];
  volumeInfo: BackupVolumeInfo[];
  hookStatus: { hooksAttempted: number; hooksFailed: number };
  progress: BackupProgress;
  /** With EnableCSI: the VolumeSnapshots labelled with the backup (Velero's csiVolumeSnapshotsAttempted). */
  csiVolumeSnapshotsAttempted?: number;
}

export interface FinalizeInput {
  /** The finalizing Backup. */
  backup: Backup;
  /** The postOperationItems of the backup's item operations. */
  items: ResourceIdentifier[];
  /** Every backup item action (Velero's finalizer resolves them all again). */
  actions: NamedAction<BackupItemActionV2>[];
  log: Logger;
  /** The server's --features (EnableCSI runs the CSI actions). */
  features?: FeatureFlags;
}

export interface FinalizeOutput {
  /** Tarball entries by path: each replaces the entry of that path, or is added. */
  files: Map<string, string>;
  /** Post-operation items that could not be backed up again (unknown resource, gone, action error). */
  failed: number;
}

export interface Backupper {
  backup(input: BackupInput): Promise<BackupOutput>;
  /**
   * Velero's FinalizeBackup: gets each post-operation item from the API server and backs it up
   * again through every applicable item action (no exclusion checks, additional items included,
   * no new operations, no volume snapshots, no hooks); returns the tarball entries to replace.
   */
  finalize(input: FinalizeInput): Promise<FinalizeOutput>;
}

interface CollectedItem extends ItemBlockItem {
  ordered: boolean;
}

interface ResolvedAction<T> {
  name: string;
  action: T;
  resources: IncludesExcludes;
  namespaces: IncludesExcludes;
  selector?: LabelSelector;
}

export class KubernetesBackupper implements Backupper {
  readonly #kube: KubeClient;

  constructor(kube: KubeClient) {
    this.#kube = kube;
  }

  async backup(input: BackupInput): Promise<BackupOutput> {
    const namespaces = this.#kube
      .list({ group: "", version: "v1", resource: "namespaces" }, { notOlderThan: input.listNotOlderThan })
      .then((l) => l.items);
    namespaces.catch(() => undefined);
    const run = new BackupRun(this.#kube, input, await ResourceCatalog.load(this.#kube), namespaces);
    try {
      return await run.execute();
    } catch (err) {
      // The snapshots taken before the failure must still be recorded (deleting the backup
      // deletes them); the error keeps its type and message.
      if (run.snapshotsTaken.length > 0 && typeof err === "object" && err !== null) SNAPSHOTS_BEFORE_FAILURE.set(err, run.snapshotsTaken);
      throw err;
    }
  }

  async finalize(input: FinalizeInput): Promise<FinalizeOutput> {
    const sink = new FinalizeSink();
    const run = new BackupRun(
      this.#kube,
      { backup: input.backup, snapshotLocations: [], tarball: sink, log: input.log, actions: input.actions, ...(input.features ? { features: input.features } : {}) },
      await ResourceCatalog.load(this.#kube),
      Promise.resolve([]),
      sink,
    );
    const failed = await run.finalize(input.items);
    return { files: sink.files, failed };
  }
}

/**
 * Collects the entries of a finalize run. The files of one post-operation item (with its
 * additional items) are kept only when that item was backed up (Velero drops them otherwise).
 */
class FinalizeSink implements TarballSink {
  readonly files = new Map<string, string>();
  #current = new Map<string, string>();

  appendCopies(names: readonly string[], content: Buffer | string): undefined {
    const text = typeof content === "string" ? content : content.toString("utf8");
    for (const name of names) this.#current.set(name, text);
    return undefined;
  }

  async writeVersion(): Promise<void> {}

  begin(): void {
    this.#current = new Map();
  }

  commit(): void {
    for (const [path, data] of this.#current) this.files.set(path, data);
    this.#current = new Map();
  }
}

class BackupRun {
  readonly #kube: KubeClient;
  readonly #in: BackupInput;
  readonly #catalog: ResourceCatalog;
  /** The namespace LIST, started alongside discovery. */
  readonly #allNamespaces: Promise<UnstructuredItem[]>;
  readonly #log: Logger;
  /** Whether debug lines are kept: messages only built for them are skipped otherwise. */
  readonly #debug: boolean;
  readonly #now: () => Date;
  #namespaces!: NamespaceFilter;
  #resources!: ResourceFilter;
  #hooks: ResourceHook[] = [];
  #actions: ResolvedAction<BackupItemActionV2>[] = [];
  #itemBlockActions: ResolvedAction<ItemBlockAction>[] = [];
  /** Set when this run re-backs-up post-operation items (Velero's finalize). */
  readonly #finalizeSink: FinalizeSink | undefined;
  /** itemBlockKey of every item already in a block or excluded (Velero's inItemBlockOrExcluded). */
  readonly #claimed = new Set<string>();
  /** The collected items being processed: where related items are looked up first (indexed on first lookup). */
  #batch: CollectedItem[] = [];
  #batchIndex: Map<string, CollectedItem[]> | undefined;
  /** EnableAPIGroupVersions: every served version is collected, and all versions of an item share its block. */
  #allGroupVersions = false;
  /** Item blocks being backed up (at most itemBlockWorkers). */
  readonly #inflight = new Set<Promise<void>>();
  readonly #hookTracker = new HookTracker();
  #hookCtx: HookRunContext | undefined;
  /** Keys of items written (or being written): "<apiVersion>/<Kind>|ns|name". */
  readonly #backedUp = new Set<string>();
  readonly #resourceList = new Map<string, Set<string>>();
  readonly #snapshots: NativeSnapshotRecord[] = [];
  readonly #operations: BackupOperation[] = [];
  readonly #volumeInfo = new Map<string, BackupVolumeInfo>();
  /** The backed-up PVs by their claim ("ns/name"), for the CSI snapshots' volume info. */
  readonly #pvsByClaim = new Map<string, UnstructuredItem>();
  readonly #pvGets = new Map<string, Promise<UnstructuredItem | undefined>>();
  readonly #backedUpGRs = new Set<string>();
  /** The pods of a namespace, listed once per backup when a claimed PV is looked at (Velero's PVC-to-pod cache). */
  readonly #podsByNamespace = new Map<string, Promise<UnstructuredItem[]>>();
  readonly #snapshotters = new Map<string, Promise<VolumeSnapshotter>>();
  readonly #skippedPVs = new SkippedPVTracker();
  /**
   * Velero's pod volume tracker: per `namespace/claim` of a backed-up pod's volume, whether the
   * first pod to name it chose fs-backup for it or opted it out, and the last pod that named it.
   */
  readonly #podVolumeClaims = new Map<string, { optedOut: boolean; pod: string }>();
  #total = 0;

  constructor(kube: KubeClient, input: BackupInput, catalog: ResourceCatalog, allNamespaces: Promise<UnstructuredItem[]>, finalizeSink?: FinalizeSink) {
    this.#kube = kube;
    this.#finalizeSink = finalizeSink;
    this.#allNamespaces = allNamespaces;
    this.#in = input;
    this.#catalog = catalog;
    this.#log = input.log;
    this.#debug = input.log.isLevelEnabled?.("debug") ?? true;
    this.#now = input.now ?? (() => new Date());
  }
  /** The native snapshots taken so far (also after a failure). */
  get snapshotsTaken(): NativeSnapshotRecord[] {
    return this.#snapshots;
  }


  get #spec(): Backup["spec"] {
    return this.#in.backup.spec;
  }

  async execute(): Promise<BackupOutput> {
    const log = this.#log;
    const tw = this.#in.tarball;
    // In Velero three of its built-in actions (the service account backup item and item block
    // actions, the CRD version remapping action) refresh their own discovery as each backup
    // creates them, and each warns in the backup's log about every group version it could not
    // read: the same three warnings here, so the counts and results match.
    for (let action = 0; action < 3; action++) {
      for (const f of this.#catalog.failures) log.warn({ err: f.error }, `Failed to discover group: ${f.groupVersion}`);
    }
    log.info("Writing backup version file");
    await tw.writeVersion();

    // The cluster's namespaces are needed up front only to expand glob patterns; otherwise the
    // LISTs start at once and the namespace LIST is awaited when namespace objects are collected.
    const includedNamespaces = this.#spec.includedNamespaces ?? [];
    const excludedNamespaces = this.#spec.excludedNamespaces ?? [];
    const activeNamespaces = NamespaceFilter.needsActiveNamespaces(includedNamespaces, excludedNamespaces)
      ? (await this.#allNamespaces).map((n) => n.metadata.name)
      : [];
    this.#namespaces = new NamespaceFilter(activeNamespaces, includedNamespaces, excludedNamespaces);
    log.info(`Including namespaces: ${this.#namespaces.filter.includesString()}`);
    log.info(`Excluding namespaces: ${this.#namespaces.filter.excludesString()}`);
    this.#resources = useOldResourceFilters(this.#spec)
      ? new GlobalResourceFilter(
          this.#catalog,
          this.#spec.includedResources ?? [],
          this.#spec.excludedResources ?? [],
          this.#spec.includeClusterResources ?? undefined,
          this.#namespaces,
        )
      : new ScopedResourceFilter(this.#catalog, this.#spec, this.#namespaces, this.#in.resourcePolicies?.includeExcludePolicy);
    if (this.#resources instanceof ScopedResourceFilter && this.#in.resourcePolicies?.includeExcludePolicy) {
      const { namespaced, cluster } = this.#resources;
      log.info("Scoped resource includes/excludes after combining with resource policy");
      log.info(`Including namespace-scoped resources: ${namespaced.includesString()}`);
      log.info(`Excluding namespace-scoped resources: ${namespaced.excludesString()}`);
      log.info(`Including cluster-scoped resources: ${cluster.includesString()}`);
      log.info(`Excluding cluster-scoped resources: ${cluster.excludesString()}`);
    }
    log.info(`Backing up all volumes using pod volume backup: ${this.#spec.defaultVolumesToFsBackup === true}`);
    this.#hooks = resolveResourceHooks(this.#spec.hooks?.resources, this.#catalog);
    this.#actions = await this.#resolveActions(this.#in.actions, "backup item action");
    this.#itemBlockActions = await this.#resolveActions(this.#in.itemBlockActions ?? [], "item block action");

    // Each resource's items are grouped into item blocks and backed up as soon as its LISTs are
    // in, while the next LISTs are already in flight; namespace objects go last, once it is known
    // which ones hold selected items.
    // (each hand-over waits for `started`: no item and no progress before it)
    const namespaceItems = await this.#collect(this.#allNamespaces, async (items) => {
      await this.#in.started;
      this.#total += items.length;
      this.#progress();
      await this.#processItems(items);
    });
    await this.#in.started;
    this.#total += namespaceItems.length;
    // As Velero: a warning naming the selected namespaces Argo CD manages (it may undo a restore).
    const argoManaged = (await this.#allNamespaces.catch(() => [] as UnstructuredItem[]))
      .filter((n) => (n.metadata.labels?.[ARGOCD_MANAGED_BY_LABEL] ?? "") !== "" && this.#namespaces.shouldInclude(n.metadata.name))
      .map((n) => n.metadata.name);
    if (argoManaged.length > 0) {
      log.warn(`backup operation may encounter complications and potentially produce undesirable results due to the inclusion of namespaces [${argoManaged.join(" ")}] managed by ArgoCD in the backup.`);
    }
    log.info({ progress: "" }, `Collected ${this.#total} items matching the backup spec from the Kubernetes API (actual number of items backed up may be more or less depending on velero.io/exclude-from-backup annotation, plugins returning additional related items to back up, etc.)`);
    this.#progress();
    await this.#processItems(namespaceItems);
    await Promise.all(this.#inflight);
    log.info("done processing ItemBlocks");

    const crdGR = "customresourcedefinitions.apiextensions.k8s.io";
    if (!this.#resources.shouldExclude(crdGR) && !this.#resources.shouldInclude(crdGR)) {
      for (const gr of [...this.#backedUpGRs].sort()) await this.#backupCrdFor(gr);
    }

    const csiSnapshots = await this.#collectCsiSnapshots(log);

    const skipped = this.#skippedPVs.summary();
    log.info(`Summary for skipped PVs: ${JSON.stringify(skipped)}`);
    for (const { name, reasons } of skipped) {
      const info = this.#volumeInfo.get(name);
      if (info?.skipped) info.skippedReason = reasons.map((r) => `${r.approach}: ${r.reason};`).join("");
    }
    const done = this.#backedUp.size;
    log.info({ progress: "" }, `Backed up a total of ${done} items`);
    const progress = { totalItems: done, itemsBackedUp: done };
    this.#in.onProgress?.(progress);
    return {
      resourceList: Object.fromEntries(
        [...this.#resourceList.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, [...v].sort()]),
      ),
      volumeSnapshots: this.#snapshots,
      itemOperations: this.#operations,
      // Velero's order: skipped volumes, then native snapshots (as taken), then the other methods
      volumeInfo: [...this.#volumeInfo.values(), ...csiSnapshots.volumeInfo].sort((a, b) => volumeInfoRank(a) - volumeInfoRank(b)).map(inGoFieldOrder),
      ...(csiSnapshots.attempted !== undefined ? { csiVolumeSnapshotsAttempted: csiSnapshots.attempted } : {}),
      hookStatus: { hooksAttempted: this.#hookTracker.attempted, hooksFailed: this.#hookTracker.failed },
      progress,
    };
  }

  /**
   * Velero's GetBackupCSIResources and the CSI part of its volume info: with EnableCSI (and no data
   * movement), the VolumeSnapshots labelled with the backup are its CSI snapshots attempted; each
   * whose content and claim's volume are known gets a CSISnapshot volume info entry.
   */
  async #collectCsiSnapshots(log: Logger): Promise<{ attempted?: number; volumeInfo: BackupVolumeInfo[] }> {
    if (!this.#csiEnabled || this.#finalizeSink) return { volumeInfo: [] };
    if (this.#spec.snapshotMoveData === true) {
      log.info("backup SnapshotMoveData is set to true, skip VolumeSnapshot resource persistence.");
      return { volumeInfo: [] };
    }
    const backupName = this.#in.backup.metadata.name ?? "";
    const labelSelector = `${LABELS.backupName}=${validLabelValue(backupName)}`;
    const listed = async (gvr: GroupVersionResource): Promise<UnstructuredItem[]> => {
      try {
        return (await this.#kube.list(gvr, { labelSelector })).items;
      } catch (err) {
        log.error({ err: getErrorMessage(err) }, `error listing ${gvr.resource}.${gvr.group} of the backup`);
        return [];
      }
    };
    const snapshots = await listed(GVR.volumeSnapshots);
    const contents = new Map((await listed(GVR.volumeSnapshotContents)).map((c) => [c.metadata.name, c]));
    const volumeInfo: BackupVolumeInfo[] = [];
    for (const vs of snapshots) {
      const where = `${vs.metadata.namespace ?? ""}/${vs.metadata.name}`;
      if (vs.metadata.labels?.[LABELS.backupName] !== backupName) continue;
      const status = (vs.status ?? {}) as { boundVolumeSnapshotContentName?: string; restoreSize?: string; readyToUse?: boolean; creationTime?: string };
      const claim = (vs.spec as { source?: { persistentVolumeClaimName?: string } } | undefined)?.source?.persistentVolumeClaimName;
      if (!status.boundVolumeSnapshotContentName) {
        log.warn(`Cannot fine VolumeSnapshotContent for VolumeSnapshot ${where}`);
        continue;
      }
      if (!claim) {
        log.warn(`VolumeSnapshot ${where} doesn't have a source PVC`);
        continue;
      }
      const content = contents.get(status.boundVolumeSnapshotContentName);
      if (!content) {
        log.warn(`fail to get VolumeSnapshotContent for VolumeSnapshot: ${where}`);
        continue;
      }
      const pv = this.#pvsByClaim.get(`${vs.metadata.namespace ?? ""}/${claim}`);
      if (!pv) {
        log.warn(`cannot find info for PVC ${vs.metadata.namespace ?? ""}/${claim}`);
        continue;
      }
      const operation = this.#operations.find(({ spec: { resourceIdentifier: id } }) => isVolumeSnapshotIdentifier(id) && id.Namespace === vs.metadata.namespace && id.Name === vs.metadata.name);
      const pvSpec = (pv.spec ?? {}) as { persistentVolumeReclaimPolicy?: string };
      // The snapshot controller copies the content's creation time and size to the snapshot a
      // moment after binding them: a backup done sooner reads them from the content (Velero reads
      // the snapshot's alone, and records nothing when they are not there yet).
      // (nanoseconds since the epoch: past 2^53, so a parsed number has lost its last digits, never its seconds)
      const contentStatus = (content.status ?? {}) as { creationTime?: unknown; restoreSize?: unknown };
      const created = Number(contentStatus.creationTime);
      const startTimestamp = status.creationTime ?? (contentStatus.creationTime !== undefined && Number.isFinite(created) ? toKubeTime(new Date(Math.floor(created / 1e6))) : undefined);
      const contentSize = Number(contentStatus.restoreSize);
      const size = status.restoreSize ? quantityBytes(status.restoreSize) : contentStatus.restoreSize !== undefined && Number.isFinite(contentSize) ? contentSize : 0;
      volumeInfo.push({
        pvcName: claim,
        pvcNamespace: vs.metadata.namespace ?? "",
        pvName: pv.metadata.name,
        backupMethod: "CSISnapshot",
        snapshotDataMoved: false,
        preserveLocalSnapshot: true,
        skipped: false,
        ...(startTimestamp ? { startTimestamp } : {}),
        csiSnapshotInfo: {
          snapshotHandle: (content.status as { snapshotHandle?: string } | undefined)?.snapshotHandle ?? "",
          size,
          driver: (content.spec as { driver?: string } | undefined)?.driver ?? "",
          vscName: status.boundVolumeSnapshotContentName,
          ...(operation ? { operationID: operation.spec.operationID } : {}),
          ReadyToUse: status.readyToUse ?? null,
        },
        pvInfo: { reclaimPolicy: pvSpec.persistentVolumeReclaimPolicy ?? "", labels: pv.metadata.labels ?? null },
      });
    }
    return { attempted: snapshots.length, volumeInfo };
  }

  #progress(): void {
    this.#in.onProgress?.({ totalItems: Math.max(this.#total, this.#backedUp.size), itemsBackedUp: this.#backedUp.size });
  }

  // ---- collection ----------------------------------------------------------------------------

  /**
   * Lists every selected resource, handing its items to `onResource` in backup order (per LIST, or
   * the whole resource at once when spec.orderedResources sorts it); returns the namespace objects
   * to back up, known only at the end.
   */
  async #collect(allNamespaces: Promise<UnstructuredItem[]>, onResource: (items: CollectedItem[]) => Promise<void>): Promise<CollectedItem[]> {
    const namespaceItems: CollectedItem[] = [];
    const seenCohabitating = new Set<string>();
    const trackedNamespaces = new Set<string>();
    // As Velero: a selector LabelSelectorAsSelector refuses is an error here, matches nothing in
    // memory, and goes to the API server as "<error>", which fails each LIST (PartiallyFailed).
    // Velero's collectNamespaces reports a refused selector, so only a backup of namespaces does.
    const selectorProblems: { what: string; selector: string; problem: string }[] = [];
    const usable = (s: NonNullable<Parameters<typeof labelSelectorError>[0]>, what: string): LabelSelector | undefined => {
      const problem = labelSelectorError(s);
      if (problem === undefined) return fromLabelSelector(s);
      selectorProblems.push({ what, selector: formatLabelSelector(s), problem });
      return undefined;
    };
    const selector = this.#spec.labelSelector ? usable(this.#spec.labelSelector, "LabelSelector") : undefined;
    const orSelectors = (this.#spec.orLabelSelectors ?? []).flatMap((s) => usable(s, "OrLabelSelector") ?? []);
    const selectors = (this.#spec.orLabelSelectors ?? []).length > 0 ? (this.#spec.orLabelSelectors ?? []).map((s) => formatLabelSelector(s)) : [formatLabelSelector(this.#spec.labelSelector)];

    // Decide every LIST first (no decision depends on a LIST's result), then run them a few at a
    // time while the results are consumed in order: the API server serves the next lists while
    // this process backs up the items of the previous ones.
    interface Step {
      resource: ApiResource;
      /** The version LISTed: `resource`'s own, or another served one with EnableAPIGroupVersions. */
      listed: ApiResource;
      gr: string;
      log: Logger;
      lists: { namespace: string; labelSelector: string }[];
    }
    const steps: Step[] = [];
    const allGroupVersions = (this.#allGroupVersions = this.#in.features?.isEnabled(API_GROUP_VERSIONS_FEATURE) ?? false);
    if (allGroupVersions) this.#log.info(`The '${API_GROUP_VERSIONS_FEATURE}' feature flag was specified, using all API group versions.`);
    for (const { preferred: resource, listed } of resourceVersionsToBackUp(this.#catalog, allGroupVersions)) {
      const gr = groupResourceString(resource.group, resource.resource);
      // Velero's item collector logs a resource by its plain name (item lines use "resource.group").
      const log = this.#log.child({ resource: resource.resource });
      if (!this.#resources.shouldInclude(gr)) {
        log.info("Skipping resource because it's excluded");
        continue;
      }
      const cohab = COHABITATING[resource.resource];
      if (cohab && cohab.includes(resource.group)) {
        if (seenCohabitating.has(resource.resource)) {
          log.info("Skipping resource because it cohabitates and we've already processed it");
          continue;
        }
        seenCohabitating.add(resource.resource);
      }
      const namespaces = gr === "namespaces" ? [] : listed.namespaced ? this.#namespaces.namespacesToList() : [""];
      steps.push({ resource, listed, gr, log, lists: namespaces.flatMap((namespace) => selectors.map((labelSelector) => ({ namespace, labelSelector }))) });
    }
    const lists = steps.flatMap((step) =>
      step.lists.map(({ namespace, labelSelector }) => ({
        gvr: { group: step.listed.group, version: step.listed.version, resource: step.listed.resource },
        options: { namespace: namespace || undefined, labelSelector: labelSelector || undefined },
      })),
    );
    const window = new ListWindow(
      lists.map(({ gvr, options }) => () => this.#kube.listPages(gvr, { ...options, notOlderThan: this.#in.listNotOlderThan })),
      LIST_CONCURRENCY,
      {
        maxOpen: LIST_MAX_OPEN,
        // what held little when last listed (by this server: an earlier backup) is light
        light: (i) => {
          const { gvr, options } = lists[i] as (typeof lists)[number];
          const bytes = this.#kube.lastListBytes?.(gvr, options);
          return bytes !== undefined && bytes <= LIGHT_LIST_BYTES;
        },
      },
    );

    let call = 0;
    // The versions of one resource are consecutive steps (EnableAPIGroupVersions): their items are
    // handed over as one batch, so that all versions of an item join one item block.
    let earlierVersions: CollectedItem[] = [];
    for (let s = 0; s < steps.length; s++) {
      const { resource, gr, log, lists } = steps[s] as Step;
      const moreVersions = steps[s + 1]?.gr === gr;
      const batchVersions = moreVersions || earlierVersions.length > 0 || steps[s - 1]?.gr === gr;
      if (gr === "namespaces") {
        const existing = await allNamespaces;
        // As Velero's collectNamespaces: each named include (globs are expanded by now) that is not
        // a namespace of the cluster is an error, so the backup ends PartiallyFailed.
        const names = new Set(existing.map((n) => n.metadata.name));
        for (const wanted of [...this.#namespaces.filter.includes].sort()) {
          if (wanted !== "*" && !names.has(wanted)) log.error(`fail to get the namespace ${wanted} specified in backup.Spec.IncludedNamespaces`);
        }
        for (const p of selectorProblems) log.error({ err: p.problem }, `Fail to convert backup ${p.what} ${p.selector} into selector.`);
        for (const ns of existing) {
          if ((ns.status as { phase?: string } | undefined)?.phase && (ns.status as { phase?: string }).phase !== "Active") {
            this.#log.info(`Skip namespace ${ns.metadata.name} because it's not in Active phase.`);
            continue;
          }
          const labels = ns.metadata.labels;
          const name = ns.metadata.name;
          if ((selector && selector.matches(labels)) || orSelectors.some((s) => s.matches(labels))) trackedNamespaces.add(name);
          else if (!(this.#namespaces.includeEverything() && (selector || orSelectors.length > 0)) && this.#namespaces.shouldInclude(name)) {
            trackedNamespaces.add(name);
          }
          namespaceItems.push({ resource, gr, object: { ...ns, apiVersion: groupVersionString(resource.group, resource.version), kind: resource.kind }, ordered: false });
        }
        continue;
      }
      // Without an explicit order, each page of a LIST is backed up as soon as it is in (so a
      // resource is never held whole); ordered resources and the versions of one resource are
      // backed up once all their LISTs are in.
      const order = this.#spec.orderedResources?.[resource.resource];
      const streamed = !order && !batchVersions;
      let items: CollectedItem[] = [];
      let retrieved = 0;
      for (const { namespace: ns } of lists) {
        try {
          for await (const page of window.pages(call++)) {
            for (const object of page.items) {
              const itemNs = object.metadata.namespace;
              if (itemNs) {
                const included = this.#namespaces.shouldInclude(itemNs);
                // A LIST over every namespace (the includes are "*") holds the excluded ones' items
                // too: they are not this backup's, nor counted (Velero lists namespace by namespace).
                if (!included && ns === "") continue;
                if (included) trackedNamespaces.add(itemNs);
              }
              items.push({ resource, gr, object, ordered: false });
            }
            if (streamed && items.length > 0) {
              retrieved += items.length;
              const batch = items;
              items = [];
              try {
                await onResource(batch);
              } catch (err) {
                throw new ProcessingFailure(err);
              }
            }
          }
        } catch (err) {
          // An error backing up a page's items (the tarball cannot be written) is not the LIST's.
          if (err instanceof ProcessingFailure) throw err.error;
          if (isNotFound(err)) {
            // The resource type vanished after discovery (a CRD deleted meanwhile): nothing of it
            // exists any more, so there is nothing to lose by skipping it.
            log.warn({ namespace: ns || undefined, err: getErrorMessage(err) }, "Resource is no longer served, skipping it");
            continue;
          }
          // As Velero: a paged LIST (--client-page-size, 500 by default) fails first in the pager,
          // which logs on the collector's own logger; then the resource's error.
          if ((this.#kube.listPageSize ?? 500) > 0) this.#log.error({ err: getErrorMessage(err) }, "Error listing resources");
          log.error({ namespace: ns, err: getErrorMessage(err) }, "Error listing items");
        }
      }
      if (order) items = sortByOrder(items, order.split(","), this.#log); // Velero's sortResourcesByOrder logs without the resource
      retrieved += items.length;
      log.info(`Retrieved ${retrieved} items`);
      if (moreVersions) {
        earlierVersions = [...earlierVersions, ...items];
        continue;
      }
      items = [...earlierVersions, ...items];
      earlierVersions = [];
      if (items.length > 0) await onResource(items);
    }
    // Namespace objects are kept only when the namespace is selected or holds a selected item.
    return namespaceItems.filter((i) => trackedNamespaces.has(i.object.metadata.name));
  }

  // ---- actions -------------------------------------------------------------------------------

  async #resolveActions<T extends { appliesTo(): Promise<ResourceSelectorInit> }>(actions: NamedAction<T>[], kind: string): Promise<ResolvedAction<T>[]> {
    const out: ResolvedAction<T>[] = [];
    for (const { name, action } of actions) {
      const sel = resourceSelectorOf(await action.appliesTo());
      let selector: LabelSelector | undefined;
      try {
        selector = parseSelector(sel.selector);
      } catch (err) {
        throw new Error(`${kind} "${name}" has an invalid label selector: ${(err as Error).message}`, { cause: err });
      }
      out.push({
        name,
        action,
        resources: new IncludesExcludes(
          (sel.includedResources ?? []).map((r) => (r === "*" ? r : this.#catalog.canonical(r))),
          (sel.excludedResources ?? []).map((r) => this.#catalog.canonical(r)),
        ),
        namespaces: new IncludesExcludes(sel.includedNamespaces ?? [], sel.excludedNamespaces ?? []),
        selector,
      });
    }
    return out;
  }

  #actionApplies(a: ResolvedAction<unknown>, gr: string, item: UnstructuredItem): boolean {
    if (!a.resources.shouldInclude(gr)) return false;
    const ns = item.metadata.namespace ?? "";
    if (ns && !a.namespaces.shouldInclude(ns)) return false;
    if (!ns && !a.namespaces.includeEverything()) return false;
    if (a.selector && !a.selector.matches(item.metadata.labels)) return false;
    return true;
  }

  // ---- items ---------------------------------------------------------------------------------

  /**
   * Velero's item block loop over collected items (in backup order): an item not yet in a block
   * starts one, which its ItemBlockActions grow; consecutive ordered items of one resource
   * (spec.orderedResources) share a block. Each finished block is handed to a block worker.
   */
  async #processItems(items: CollectedItem[]): Promise<void> {
    this.#batch = items;
    this.#batchIndex = undefined;
    let block: ItemBlock | undefined;
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as CollectedItem;
      const { namespace, name } = item.object.metadata;
      // Velero's fields: a cluster-scoped item's namespace is "" (its warnings go under Cluster)
      const log = this.#log.child({ resource: item.gr, namespace: namespace ?? "", name });
      log.info({ progress: "" }, "Processing item");
      // As in Velero, only "Processing item" and the item's own backup carry its fields; building
      // its block (related items, exclusions) logs on the backup's logger.
      const blockLog = this.#log;
      const key = itemBlockKey(item.gr, namespace, name);
      if (this.#claimed.has(key)) {
        if (this.#debug) blockLog.debug(`Not creating new ItemBlock for ${item.gr} ${namespace ?? ""}/${name} because it's already in an ItemBlock`);
      } else {
        block ??= new ItemBlock();
        item.log = log;
        if (this.#addToBlock(block, item, blockLog, "debug", key)) {
          const actions = this.#itemBlockActionsFor(item);
          if (actions) await this.#runItemBlockActions(block, item, blockLog, actions);
        }
      }
      const next = items[i + 1];
      const addNextToBlock = next !== undefined && item.ordered && next.ordered && item.gr === next.gr;
      if (block && block.items.length > 0 && !addNextToBlock) {
        // Velero logs every block at info; a one-item block says no more than "Processing item" did
        // (and most blocks have one item: one line less per item of a large backup).
        if (block.items.length > 1 || this.#debug) {
          this.#log[block.items.length > 1 ? "info" : "debug"](`Backing Up Item Block including ${item.gr} ${namespace ?? ""}/${name} (${block.items.length} items in block)`);
        }
        await this.#submitBlock(block);
        block = undefined;
      }
    }
    this.#batch = [];
    this.#batchIndex = undefined;
  }

  /**
   * Adds an item not yet claimed by a block when it passes the exclusion checks; claims it either
   * way. (The block's own item is announced at debug: "Processing item" already names it.)
   */
  #addToBlock(block: ItemBlock, item: ItemBlockItem, log: Logger, level: "info" | "debug" = "info", key = itemBlockKey(item.gr, item.object.metadata.namespace, item.object.metadata.name)): boolean {
    const { namespace, name } = item.object.metadata;
    if (this.#claimed.has(key)) return false;
    this.#claimed.add(key);
    if (!this.#included(item.object, item.gr, false, log)) return false;
    log[level](`adding ${item.gr} ${namespace ?? ""}/${name} to ItemBlock`);
    block.add(item);
    // The item's other versions (collected with EnableAPIGroupVersions) join the same block.
    if (this.#allGroupVersions) {
      for (const other of this.#indexedBatch().get(key) ?? []) if (other.object.apiVersion !== item.object.apiVersion) block.add(other);
    }
    return true;
  }

  /** The ItemBlockActions that apply to an item; undefined when none does (most items: no async call, no array). */
  #itemBlockActionsFor(item: ItemBlockItem): ResolvedAction<ItemBlockAction>[] | undefined {
    let out: ResolvedAction<ItemBlockAction>[] | undefined;
    for (const a of this.#itemBlockActions) if (this.#actionApplies(a, item.gr, item.object)) (out ??= []).push(a);
    return out;
  }

  /** Adds the related items the item's ItemBlockActions name, and theirs, to the block. */
  async #runItemBlockActions(block: ItemBlock, item: ItemBlockItem, log: Logger, actions: ResolvedAction<ItemBlockAction>[]): Promise<void> {
    const { namespace, name } = item.object.metadata;
    for (const a of actions) {
      log.info({ plugin: a.name }, "Executing ItemBlock action");
      let related: ResourceIdentifier[];
      try {
        related = await runWithActionLog(this.#log, () => a.action.getRelatedItems(item.object, this.#in.backup));
      } catch (err) {
        log.error({ plugin: a.name, err: getErrorMessage(err) }, `error executing ItemBlock action (groupResource=${item.gr}, namespace=${namespace ?? ""}, name=${name})`);
        continue;
      }
      for (const id of related) {
        const found = await this.#relatedItem(id, log);
        if (found && this.#addToBlock(block, found, log)) {
          if (this.#allGroupVersions) for (const other of await this.#otherVersionsFromCluster(found, log)) block.add(other);
          const next = this.#itemBlockActionsFor(found);
          if (next) await this.#runItemBlockActions(block, found, log, next);
        }
      }
    }
  }

  /**
   * A related item: the collected copy when it is among the items being processed, else (not yet
   * claimed) from the API server. Undefined when it is already claimed or cannot be read.
   */
  async #relatedItem(id: ResourceIdentifier, log: Logger): Promise<ItemBlockItem | undefined> {
    const wanted = groupResourceString(id.group, id.resource);
    const resource = this.#catalog.resolve(wanted);
    const where = `${wanted} ${id.namespace}/${id.name}`;
    if (!resource) {
      log.error(`Unable to obtain gvr and resource for related item ${where}: the resource is not served by the cluster`);
      return undefined;
    }
    const gr = groupResourceString(resource.group, resource.resource);
    const key = itemBlockKey(gr, id.namespace, id.name);
    const listed = this.#indexedBatch().get(key)?.[0];
    if (listed || this.#claimed.has(key)) return listed;
    let object: UnstructuredItem | undefined;
    try {
      object = await this.#kube.get({ group: resource.group, version: resource.version, resource: resource.resource }, id.name, id.namespace || undefined);
    } catch (err) {
      log.error({ err: getErrorMessage(err) }, `Error while trying to get related item ${where} from cluster`);
      return undefined;
    }
    if (!object) {
      log.warn({ groupResource: gr, namespace: id.namespace, name: id.name }, "Related item was not found in Kubernetes API, can't add to item block");
      return undefined;
    }
    object.apiVersion ||= groupVersionString(resource.group, resource.version);
    object.kind ||= resource.kind;
    return { gr, resource, object };
  }

  /**
   * EnableAPIGroupVersions: the other served versions of a related item read from the API server
   * (one not among the items being processed). Velero finds them in its list of every collected item.
   */
  async #otherVersionsFromCluster(item: ItemBlockItem, log: Logger): Promise<ItemBlockItem[]> {
    const { namespace, name } = item.object.metadata;
    if (this.#indexedBatch().has(itemBlockKey(item.gr, namespace, name))) return [];
    const out: ItemBlockItem[] = [];
    for (const r of this.#catalog.allVersions) {
      if (r.group !== item.resource.group || r.resource !== item.resource.resource || r.version === parseApiVersion(item.object.apiVersion).version) continue;
      try {
        const object = await this.#kube.get({ group: r.group, version: r.version, resource: r.resource }, name, namespace);
        if (!object) continue;
        object.apiVersion ||= groupVersionString(r.group, r.version);
        object.kind ||= r.kind;
        out.push({ gr: item.gr, resource: item.resource, object });
      } catch (err) {
        log.error({ err: getErrorMessage(err) }, `Error while trying to get related item ${item.gr} ${namespace ?? ""}/${name} at version ${r.version} from cluster`);
      }
    }
    return out;
  }

  /** The batch by itemBlockKey, each key with its items in collection order (several with EnableAPIGroupVersions). */
  #indexedBatch(): Map<string, CollectedItem[]> {
    if (!this.#batchIndex) {
      this.#batchIndex = new Map();
      for (const i of this.#batch) {
        const key = itemBlockKey(i.gr, i.object.metadata.namespace, i.object.metadata.name);
        const list = this.#batchIndex.get(key);
        if (list) list.push(i);
        else this.#batchIndex.set(key, [i]);
      }
    }
    return this.#batchIndex;
  }

  /** Starts backing up a block; waits while itemBlockWorkers blocks are in flight. */
  async #submitBlock(block: ItemBlock): Promise<void> {
    const workers = Math.max(1, this.#in.itemBlockWorkers ?? 1);
    if (workers === 1) return this.#backupBlock(block);
    const done: Promise<void> = this.#backupBlock(block).finally(() => this.#inflight.delete(done));
    this.#inflight.add(done);
    while (this.#inflight.size >= workers) await Promise.race(this.#inflight);
  }

  /** Pre hooks of the block's pods, then every item of the block, then the post hooks. */
  async #backupBlock(block: ItemBlock): Promise<void> {
    // Pods already backed up (another block's additional item) get no hooks. (Most blocks hold
    // one item and no pod: no list of them is built then, nor any hook state.)
    const pods = block.items.some((i) => i.gr === "pods") ? block.items.filter((i) => i.gr === "pods" && !this.#backedUp.has(this.#key(i.object))) : NO_BLOCK_ITEMS;
    const hooked = pods.length === 0 ? NO_BLOCK_ITEMS : await this.#runPreHooks(pods);
    try {
      for (const item of block.items) {
        const log = (item.log ??= this.#log.child({ resource: item.gr, namespace: item.object.metadata.namespace ?? "", name: item.object.metadata.name }));
        try {
          // As Velero, only a block's own items (not additional items of actions) count as
          // resources backed up, whose CRDs are looked for at the end.
          if (await this.#backupItem(item.object, item.gr, item.resource, false, log, log, block)) this.#backedUpGRs.add(item.gr);
        } catch (err) {
          if (err instanceof TarballWriteError) throw err;
          // As Velero: on the block's (backup's) logger with the item's name only, so the results
          // file it under "Velero", not under the item's namespace.
          this.#log.error({ name: item.object.metadata.name, err: getErrorMessage(err) }, "Error backing up item");
        }
      }
    } finally {
      // Post hooks run even when the tarball cannot be written (disk full) and the backup fails:
      // a pod whose pre hook froze it (fsfreeze, a database lock) must be thawed. Velero's item
      // loop never stops early, so its post hooks always run.
      for (const pod of hooked) {
        const failure = await runPodHooks(pod.object, "post", this.#hookContext());
        if (failure) this.#log.error({ name: pod.object.metadata.name, err: failure.message }, "Error running post hooks for pod");
      }
    }
    this.#progress();
  }

  /**
   * The pre hooks of a block's pods; returns the pods whose hooks did not fail (they get their post
   * hooks). As Velero: every pod's pre hooks first, then the failures; a pod whose pre hook failed
   * is treated as handled, not backed up: Velero adds it to the backed-up set, so it is in the
   * resource list, though not in the tarball.
   */
  async #runPreHooks(pods: readonly ItemBlockItem[]): Promise<ItemBlockItem[]> {
    const hooked: ItemBlockItem[] = [];
    const failed: { pod: ItemBlockItem; failure: Error }[] = [];
    for (const pod of pods) {
      const failure = await runPodHooks(pod.object, "pre", this.#hookContext());
      if (failure) failed.push({ pod, failure });
      else hooked.push(pod);
    }
    for (const { pod, failure } of failed) {
      // Velero names the pod by its name alone here (the error is filed under "Velero" in the results).
      this.#log.error({ name: pod.object.metadata.name, err: failure.message }, "Error running pre hooks for pod");
      this.#backedUp.add(this.#key(pod.object));
      this.#addToResourceList(pod.object);
    }
    return hooked;
  }

  #hookContext(): HookRunContext {
    return (this.#hookCtx ??= { kube: this.#kube, log: this.#log, tracker: this.#hookTracker, hooks: this.#hooks });
  }

  /**
   * Backs up each post-operation item again (resource order, then as listed); returns how many
   * failed. Each item's files (with those of its additional items) are kept only on success.
   */
  async finalize(ids: ResourceIdentifier[]): Promise<number> {
    const sink = this.#finalizeSink as FinalizeSink;
    this.#actions = await this.#resolveActions(this.#in.actions, "backup item action");
    const order = new Map(this.#catalog.resources.map((r, i) => [groupResourceString(r.group, r.resource), i]));
    const resolved = ids.map((id) => ({ id, resource: this.#catalog.resolve(groupResourceString(id.group, id.resource)) }));
    resolved.sort((a, b) => rank(a.resource) - rank(b.resource));
    function rank(r: ApiResource | undefined): number {
      return r ? (order.get(groupResourceString(r.group, r.resource)) ?? order.size) : order.size;
    }
    this.#log.info({ progress: "" }, `Collected ${ids.length} items from the async BIA operations PostOperationItems list`);
    let failed = 0;
    for (const { id, resource } of resolved) {
      const wanted = groupResourceString(id.group, id.resource);
      const log = this.#log.child({ resource: wanted, namespace: id.namespace ?? "", name: id.name });
      log.info({ progress: "" }, "Processing item");
      if (!resource) {
        log.error(`post-operation item resource ${wanted} is not served by the cluster`);
        failed++;
        continue;
      }
      const gr = groupResourceString(resource.group, resource.resource);
      // As Velero's getItemsFromResourceIdentifiers: an item that cannot be read is logged and skipped.
      let object: UnstructuredItem | undefined;
      try {
        object = await this.#kube.get({ group: resource.group, version: resource.version, resource: resource.resource }, id.name, id.namespace || undefined);
      } catch (err) {
        log.error({ err: getErrorMessage(err) }, "Error getting item");
        failed++;
        continue;
      }
      if (!object) {
        log.error(`post-operation item ${gr} ${id.namespace ? `${id.namespace}/` : ""}${id.name} was not found in the cluster`);
        failed++;
        continue;
      }
      object.apiVersion ||= groupVersionString(resource.group, resource.version);
      object.kind ||= resource.kind;
      sink.begin();
      try {
        if (await this.#backupItem(object, gr, resource, true, log, log)) sink.commit();
      } catch (err) {
        if (err instanceof TarballWriteError) throw err;
        this.#log.error({ name: object.metadata.name, err: getErrorMessage(err) }, "Error backing up item");
        failed++;
      }
    }
    this.#log.info({ progress: "" }, `Updated a total of ${this.#backedUp.size} items`);
    return failed;
  }

  #key(o: UnstructuredItem): string {
    return `${o.apiVersion}/${o.kind}|${o.metadata.namespace ?? ""}|${o.metadata.name}`;
  }

  #included(o: UnstructuredItem, gr: string, mustInclude: boolean, log: Logger): boolean {
    if (mustInclude) {
      log.info("Skipping the exclusion checks for this resource");
    } else {
      if (o.metadata.labels?.[EXCLUDE_FROM_BACKUP_LABEL] === "true") {
        log.info(`Excluding item because it has label ${EXCLUDE_FROM_BACKUP_LABEL}=true`);
        // As Velero: the volume of an excluded PV or claim is skipped by any approach.
        const pvName = gr === "persistentvolumes" ? o.metadata.name : gr === "persistentvolumeclaims" ? (o.spec as { volumeName?: string } | undefined)?.volumeName : undefined;
        if (pvName) this.#skippedPVs.track(pvName, "", `item has label ${EXCLUDE_FROM_BACKUP_LABEL}=true`);
        return false;
      }
      const ns = o.metadata.namespace ?? "";
      if (ns && !this.#namespaces.shouldInclude(ns)) {
        log.info("Excluding item because namespace is excluded");
        return false;
      }
      if (!ns && gr !== "namespaces" && this.#resources.shouldExclude(gr)) {
        log.info("Excluding item because resource is cluster-scoped and is excluded by cluster filter.");
        return false;
      }
      if (ns && !this.#resources.shouldInclude(gr)) {
        log.info("Excluding item because resource is excluded");
        return false;
      }
    }
    if (o.metadata.deletionTimestamp) {
      log.info("Skipping item because it's being deleted.");
      return false;
    }
    return true;
  }

  /**
   * Backs up one item (and, through actions, its additional items, taken from `block` when it holds
   * them). Returns whether it was selected.
   */
  async #backupItem(original: UnstructuredItem, gr: string, resource: ApiResource, mustInclude: boolean, parentLog: Logger, itemLog?: Logger, block?: ItemBlock): Promise<boolean> {
    const log = itemLog ?? parentLog.child({ resource: gr, namespace: original.metadata.namespace ?? "", name: original.metadata.name });
    if (!this.#included(original, gr, mustInclude, log)) return false;
    const key = this.#key(original);
    if (this.#backedUp.has(key)) {
      log.info("Skipping item because it's already been backed up.");
      return true;
    }
    // As Velero: the item counts as backed up (and is in the resource list) from here on, even
    // when an action or its snapshot then fails it; only an action skipping it takes it out.
    this.#backedUp.add(key);
    this.#addToResourceList(original);
    log.info("Backing up item");
    // A claim a pod's volume opted out of fs-backup: its PV is skipped by that approach (Velero
    // records "podvolume: opted out due to annotation in pod <pod>" in the volume info).
    if (gr === "persistentvolumeclaims") {
      const claim = this.#podVolumeClaims.get(`${original.metadata.namespace ?? ""}/${original.metadata.name}`);
      const pvName = (original.spec as { volumeName?: string } | undefined)?.volumeName;
      if (claim?.optedOut && pvName) this.#skippedPVs.track(pvName, "podvolume", `opted out due to annotation in pod ${claim.pod}`);
    }
    // Velero's CSI claim action (velero.io/csi-pvc-backupper) is skipped for a claim whose volume
    // matches a `skip` volume policy, and that records a reason of approach "any" for the claim's
    // PV, which its volume info then shows (recorded whether or not the action is registered).
    const claimSkippedByPolicy = gr === "persistentvolumeclaims" && (await this.#claimSkippedByPolicy(original));
    // Before the actions: the pod action's additional items (its claims) are backed up within them.
    const fsPlan = gr === "pods" && !this.#finalizeSink ? await this.#podVolumeDecisions(original, log) : undefined;
    // The version directory is the one the item was read at: an action may change its apiVersion.
    const version = parseApiVersion(original.apiVersion).version;

    let obj = original;
    // As Velero's executeActions: every action is matched against the item as read (its namespace
    // and labels then), and errors name it so, whatever earlier actions changed. (Actions return
    // new objects: plugins out of process, the built-in ones copy what they change.)
    const { namespace: readNamespace = "", name: readName } = original.metadata;
    for (const a of this.#actions) {
      if (!this.#actionApplies(a, gr, original)) continue;
      log.info({ plugin: a.name }, "Executing custom action");
      if (claimSkippedByPolicy && a.name === CSI_PVC_BACKUPPER) {
        log.info(`Skip executing Backup Item Action: ${a.name} of resource ${gr}: ${readNamespace}/${readName} for the matched resource policies`);
        continue;
      }
      // As Velero: its CSI actions run only with the EnableCSI feature.
      const csiSkip = csiActionSkipped(a.name, this.#in.features, `${gr}:${readNamespace}/${readName}`);
      if (csiSkip) {
        log.info(csiSkip);
        continue;
      }
      if (gr === "persistentvolumeclaims" && a.name === CSI_PVC_BACKUPPER && !(await this.#shouldSnapshotClaim(original, log))) {
        const pvName = (original.spec as { volumeName?: string } | undefined)?.volumeName;
        if (pvName) this.#skippedPVs.track(pvName, "volumeSnapshot", "not satisfy the criteria for VolumePolicy or the legacy snapshot way");
        continue;
      }
      let out;
      try {
        out = await runWithActionLog(this.#log, () => a.action.execute(obj, this.#in.backup));
      } catch (err) {
        throw new Error(`error executing custom action (groupResource=${gr}, namespace=${readNamespace}, name=${readName}): ${getErrorMessage(err)}`, { cause: err });
      }
      const problem = returnedItemProblem(out.item);
      if (problem) {
        throw new Error(
          `error executing custom action (groupResource=${gr}, namespace=${readNamespace}, name=${readName}): plugin ${a.name} returned ${problem}; ${RETURNED_ITEM_ADVICE}`,
        );
      }
      const updated = out.item;
      if (a.name === CSI_PVC_BACKUPPER && gr === "persistentvolumeclaims") this.#afterCsiClaimAction(updated, out.additionalItems, log);
      if (updated.metadata.annotations && SKIP_FROM_BACKUP_ANNOTATION in updated.metadata.annotations) {
        log.info(`Resource is skipped from backup by action ${a.name}.`);
        this.#backedUp.delete(key);
        this.#removeFromResourceList(original);
        return false;
      }
      // While finalizing, additional items skip the exclusion checks too (Velero).
      const mustIncludeAdditional = updated.metadata.annotations?.[MUST_INCLUDE_ADDITIONAL_ITEMS_ANNOTATION] === "true" || this.#finalizeSink !== undefined;
      // The annotation stays on the item written to the tarball, as in Velero: its executeActions
      // deletes it from the map unstructured's GetAnnotations returns, which is a copy (checked
      // against real Velero v1.18.1, whose CSI-snapshotted claims keep it).
      obj = updated;
      if (out.operationId && this.#finalizeSink) {
        this.#backedUp.delete(key);
        throw new Error(`backup Item Action created operation during finalize (groupResource=${gr}, namespace=${obj.metadata.namespace ?? ""}, name=${obj.metadata.name})`);
      }
      if (out.operationId) this.#recordOperation(a.name, gr, obj, out.operationId, out.postOperationItems ?? []);
      for (const additional of out.additionalItems ?? []) {
        await this.#backupAdditional(additional, mustIncludeAdditional, log, block);
      }
    }

    // Volumes were snapshotted by the backup itself; finalizing only rewrites item JSON.
    if (gr === "persistentvolumes" && !this.#finalizeSink) {
      const claimRef = (obj.spec as { claimRef?: { name?: string; namespace?: string } } | undefined)?.claimRef;
      if (claimRef?.name && this.#csiEnabled) this.#pvsByClaim.set(`${claimRef.namespace ?? ""}/${claimRef.name}`, obj);
      await this.#snapshotPV(obj, log);
    }
    if (fsPlan) this.#fsBackup(original, fsPlan, log);

    // Encoded once; both entries (plain and preferred-version paths) hold the same bytes.
    const json = marshalGo(obj);
    const ns = obj.metadata.namespace;
    let paths: string[];
    if (version === resource.version) {
      if (this.#debug) log.debug(`Resource ${gr}/${obj.metadata.name}, version= ${version}, preferredVersion=${resource.version}`);
      paths = [itemPath(gr, ns, obj.metadata.name), itemPath(gr, ns, obj.metadata.name, `${version}-preferredversion`)];
    } else {
      paths = [itemPath(gr, ns, obj.metadata.name, version)];
    }
    const backpressure = this.#in.tarball.appendCopies(paths, json);
    if (backpressure) await backpressure;
    return true;
  }

  /**
   * The resource list (`<b>-resource-list.json.gz`) is Velero's BackedUpItems: "<apiVersion>/<Kind>"
   * → "[ns/]name", of the item as read (before actions).
   */
  #addToResourceList(obj: UnstructuredItem): void {
    const listKey = `${obj.apiVersion}/${obj.kind}`;
    let set = this.#resourceList.get(listKey);
    if (!set) this.#resourceList.set(listKey, (set = new Set()));
    set.add(obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name);
  }

  #removeFromResourceList(obj: UnstructuredItem): void {
    const listKey = `${obj.apiVersion}/${obj.kind}`;
    const set = this.#resourceList.get(listKey);
    set?.delete(obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name);
    if (set?.size === 0) this.#resourceList.delete(listKey);
  }

  async #backupAdditional(id: ResourceIdentifier, mustInclude: boolean, log: Logger, block?: ItemBlock): Promise<void> {
    const gr = groupResourceString(id.group, id.resource);
    const resource = this.#catalog.resolve(gr);
    if (!resource) {
      // As Velero: the item whose action named it fails (it is not written), with this error.
      throw new Error(`additional item resource ${gr} (${id.namespace ? `${id.namespace}/` : ""}${id.name}) is not served by the cluster`);
    }
    const canonical = groupResourceString(resource.group, resource.resource);
    // Every version of the item in the block (several with EnableAPIGroupVersions).
    const inBlock = block?.findAll(canonical, id.namespace, id.name) ?? [];
    if (inBlock.length > 0) {
      for (const i of inBlock) await this.#backupItem(i.object, canonical, i.resource, mustInclude, log, undefined, block);
      this.#progress();
      return;
    }
    log.info(`Additional Item ${gr} ${id.namespace}/${id.name} not found in ItemBlock, getting from cluster`);
    const gvr = { group: resource.group, version: resource.version, resource: resource.resource };
    const item = await this.#kube.get(gvr, id.name, id.namespace || undefined);
    if (!item) {
      // Velero's fields: the missing item's namespace and name replace the item's own in the line (and results).
      log.warn({ groupResource: canonical, namespace: id.namespace, name: id.name }, "Additional item was not found in Kubernetes API, can't back it up");
      return;
    }
    item.apiVersion ||= groupVersionString(resource.group, resource.version);
    item.kind ||= resource.kind;
    await this.#backupItem(item, canonical, resource, mustInclude, log, undefined, block);
    this.#progress();
  }

  #recordOperation(action: string, gr: string, obj: UnstructuredItem, operationId: string, post: ResourceIdentifier[]): void {
    const [resource, ...group] = gr.split(".");
    const ident = (g: string, r: string, ns: string, n: string) => ({ Group: g, Resource: r, Namespace: ns, Name: n });
    this.#operations.push({
      spec: {
        backupName: this.#in.backup.metadata.name ?? "",
        backupUID: this.#in.backup.metadata.uid ?? "",
        backupItemAction: action,
        resourceIdentifier: ident(group.join("."), resource ?? "", obj.metadata.namespace ?? "", obj.metadata.name),
        operationID: operationId,
        // Go writes a nil slice as null (the field has no omitempty)
        postOperationItems: post.length ? post.map((p) => ident(p.group, p.resource, p.namespace, p.name)) : null,
      },
      status: { phase: "New", created: toKubeTime(this.#now()) },
    });
  }

  async #backupCrdFor(gr: string): Promise<void> {
    const r = this.#catalog.byGroupResource(gr);
    // A CRD's group has a dot (the core and built-in groups without one cannot be custom);
    // *.k8s.io groups can (the Gateway API's): one that is not answers NotFound.
    if (!r || !r.group.includes(".")) return;
    const crdResource = this.#catalog.byGroupResource("customresourcedefinitions.apiextensions.k8s.io");
    if (!crdResource) return;
    let crd: UnstructuredItem | undefined;
    try {
      crd = await this.#kube.get({ group: crdResource.group, version: crdResource.version, resource: crdResource.resource }, `${r.resource}.${r.group}`);
    } catch (err) {
      // As in Velero: an error, not the end of the backup.
      this.#log.error({ resource: gr, err: getErrorMessage(err) }, "Error getting CRD");
      return;
    }
    if (!crd) return;
    crd.apiVersion ||= groupVersionString(crdResource.group, crdResource.version);
    crd.kind ||= crdResource.kind;
    this.#log.info(`Found associated CRD ${r.resource}.${r.group} to add to backup`);
    try {
      // through the exclusion checks, as in Velero (a CRD labelled velero.io/exclude-from-backup stays out)
      await this.#backupItem(crd, "customresourcedefinitions.apiextensions.k8s.io", crdResource, false, this.#log);
    } catch (err) {
      if (err instanceof TarballWriteError) throw err;
      this.#log.error({ resource: gr, err: getErrorMessage(err) }, "Error backing up CRD");
    }
  }

  // ---- volume snapshots ----------------------------------------------------------------------

  async #snapshotPV(pv: UnstructuredItem, parentLog: Logger): Promise<void> {
    const log = parentLog.child({ persistentVolume: pv.metadata.name });
    const spec = (pv.spec ?? {}) as { claimRef?: { name?: string; namespace?: string }; persistentVolumeReclaimPolicy?: string };
    const info: BackupVolumeInfo = {
      ...(spec.claimRef?.name ? { pvcName: spec.claimRef.name, pvcNamespace: spec.claimRef.namespace } : {}),
      pvName: pv.metadata.name,
      snapshotDataMoved: false,
      preserveLocalSnapshot: false,
      skipped: true,
      pvInfo: { reclaimPolicy: spec.persistentVolumeReclaimPolicy ?? "", labels: pv.metadata.labels ?? null },
    };
    this.#volumeInfo.set(pv.metadata.name, info);
    if (!(await this.#shouldSnapshot(pv, log))) {
      this.#skippedPVs.track(pv.metadata.name, "volumeSnapshot", "not satisfy the criteria for VolumePolicy or the legacy snapshot way");
      return;
    }
    // As Velero (#4758): with EnableCSI, a CSI volume is left to the CSI actions.
    if (this.#csiEnabled && (pv.spec as { csi?: unknown } | undefined)?.csi) {
      log.info(`Skipping snapshot of persistent volume ${pv.metadata.name}, because it's handled by CSI plugin.`);
      if (!this.#skippedPVs.has(pv.metadata.name)) this.#volumeInfo.delete(pv.metadata.name);
      return;
    }
    if (this.#spec.snapshotMoveData === true) {
      // as Velero: data movement is for CSI snapshots only
      log.warn("VolumeSnapshotter plugin doesn't support data movement.");
      if (this.#in.features?.isEnabled("EnableCSI") && !(pv.spec as { csi?: unknown } | undefined)?.csi) {
        log.warn("Cannot use CSI data mover to handle PV, because PV doesn't contain CSI in spec. Fall back to Velero native snapshot.");
      }
    }
    if (await this.#skippedByPolicyWithClaim(pv, spec.claimRef, log)) return;
    let found: { snapshotter: VolumeSnapshotter; location: string; volumeId: string } | undefined;
    for (const location of this.#in.snapshotLocations) {
      const getter = this.#in.volumeSnapshotter;
      if (!getter) break;
      const name = location.metadata.name ?? "";
      // Velero's two messages: the snapshotter could not be had, or could not name the volume
      let snapshotter: VolumeSnapshotter;
      try {
        let p = this.#snapshotters.get(name);
        if (!p) this.#snapshotters.set(name, (p = getter(location)));
        snapshotter = await p;
      } catch (err) {
        log.error({ volumeSnapshotLocation: name, err: getErrorMessage(err) }, "Error getting volume snapshotter for volume snapshot location");
        continue;
      }
      let volumeId: string;
      try {
        volumeId = await snapshotter.getVolumeId(pv);
      } catch (err) {
        log.error({ volumeSnapshotLocation: name, err: getErrorMessage(err) }, "Error attempting to get volume ID for persistent volume");
        continue;
      }
      if (!volumeId) {
        log.warn({ volumeSnapshotLocation: name }, "No volume ID returned by volume snapshotter for persistent volume");
        continue;
      }
      found = { snapshotter, location: name, volumeId };
      break;
    }
    if (!found) {
      log.info("Persistent volume is not a supported volume type for Velero-native volumeSnapshotter snapshot, skipping.");
      this.#skippedPVs.track(pv.metadata.name, "volumeSnapshot", "no applicable volumesnapshotter found");
      return;
    }
    const az = zoneOf(pv);
    const tags: Record<string, string> = { ...(this.#in.backup.metadata.labels ?? {}) };
    tags["velero.io/backup"] = this.#in.backup.metadata.name ?? "";
    tags["velero.io/pv"] = pv.metadata.name;
    log.info({ volumeID: found.volumeId }, "Getting volume information");
    let volumeInfo;
    try {
      volumeInfo = await found.snapshotter.getVolumeInfo(found.volumeId, az);
    } catch (err) {
      // As Velero: the PV's item fails with this error, and it has no volume info of its own
      // unless a reason to skip it was recorded.
      if (!this.#skippedPVs.has(pv.metadata.name)) this.#volumeInfo.delete(pv.metadata.name);
      throw new Error(`error getting volume info: ${getErrorMessage(err)}`, { cause: err });
    }
    const record: NativeSnapshotRecord = {
      spec: {
        backupName: this.#in.backup.metadata.name ?? "",
        backupUID: this.#in.backup.metadata.uid ?? "",
        location: found.location,
        persistentVolumeName: pv.metadata.name,
        providerVolumeID: found.volumeId,
        volumeType: volumeInfo.volumeType,
        ...(az ? { volumeAZ: az } : {}),
        ...(volumeInfo.iops ? { volumeIOPS: volumeInfo.iops } : {}),
      },
      status: { phase: "New" },
    };
    info.skipped = false;
    this.#skippedPVs.untrack(pv.metadata.name);
    info.backupMethod = "NativeSnapshot";
    // as Velero's newNativeSnapshotInfo: IOPS written as a number ("0" when none), and the phase
    const nativeInfo = (snapshotHandle: string, phase: "Completed" | "Failed") => ({
      snapshotHandle,
      volumeType: volumeInfo.volumeType,
      volumeAZ: az,
      iops: String(volumeInfo.iops ?? 0),
      Phase: phase,
    });
    log.info({ volumeID: found.volumeId }, "Snapshotting persistent volume");
    try {
      const snapshotId = await found.snapshotter.createSnapshot(found.volumeId, az, tags);
      record.status = { providerSnapshotID: snapshotId, phase: "Completed" };
      info.result = "succeeded";
      info.nativeSnapshotInfo = nativeInfo(snapshotId, "Completed");
    } catch (err) {
      record.status = { phase: "Failed" };
      info.result = "failed";
      info.nativeSnapshotInfo = nativeInfo("", "Failed");
      this.#snapshots.push(record);
      throw new Error(`error taking snapshot of volume: ${getErrorMessage(err)}`, { cause: err });
    }
    this.#snapshots.push(record);
  }

  get #csiEnabled(): boolean {
    return this.#in.features?.isEnabled(CSI_FEATURE) ?? false;
  }

  /**
   * Velero's getMatchAction for the CSI claim action: whether a `skip` volume policy matches the
   * claim (and its volume, when bound); a bound claim's PV is then tracked as skipped.
   */
  async #claimSkippedByPolicy(pvc: UnstructuredItem): Promise<boolean> {
    const policies = this.#in.resourcePolicies;
    if (!policies) return false;
    const pvName = (pvc.spec as { volumeName?: string } | undefined)?.volumeName;
    const pv = pvName ? await this.#persistentVolume(pvName) : undefined;
    if (policies.matchAction({ ...(pv ? { pv } : {}), pvc })?.type !== "skip") return false;
    if (pvName && !this.#finalizeSink) this.#skippedPVs.track(pvName, "any", "skipped due to resource policy ");
    return true;
  }

  /** A PV by name, read once per backup (the claim's policy check, its snapshot decision and its pods' volumes ask for it). */
  #persistentVolume(name: string): Promise<UnstructuredItem | undefined> {
    let pv = this.#pvGets.get(name);
    if (!pv) this.#pvGets.set(name, (pv = this.#kube.get(GVR.persistentVolumes, name)));
    return pv;
  }

  /**
   * Velero's ShouldPerformSnapshot for a claim, asked before its CSI action runs: a claim that is
   * not bound fails (unless a volume policy decides it), as in Velero.
   */
  async #shouldSnapshotClaim(pvc: UnstructuredItem, log: Logger): Promise<boolean> {
    let pv: UnstructuredItem | undefined;
    let noVolume: unknown;
    try {
      pv = await persistentVolumeOf((name) => this.#persistentVolume(name), pvc);
    } catch (err) {
      noVolume = err;
    }
    const action = this.#in.resourcePolicies?.matchAction({ ...(pv ? { pv } : {}), pvc });
    if (action) return action.type === "snapshot";
    if (!pv) throw noVolume;
    return this.#snapshotUnlessOptedOut(pv, log);
  }

  /** What Velero's item backupper does after its CSI claim action: the claim's volume is skipped (not CSI) or taken care of. */
  #afterCsiClaimAction(claim: UnstructuredItem, additional: ResourceIdentifier[] | undefined, log: Logger): void {
    const pvName = (claim.spec as { volumeName?: string } | undefined)?.volumeName ?? "";
    const where = `${claim.metadata.namespace ?? ""}/${claim.metadata.name}`;
    if (!additional?.length && claim.metadata.annotations?.[CSI_KEYS.skippedNoCsiPv] === "true") {
      log.info(`skip CSI snapshot for PVC ${where} as it's not a CSI compatible volume`);
      this.#skippedPVs.track(pvName, "csiSnapshot", "skipped b/c it's not a CSI volume");
      // (Velero deletes the annotation from a copy of the map, as the must-include one: it stays)
      return;
    }
    log.info(`Untrack the PVC ${where}, because it's backed up by CSI BIA.`);
    if (pvName) this.#skippedPVs.untrack(pvName);
  }

  /** Velero's ShouldPerformSnapshot for a PV: a matching volume policy decides, else #snapshotUnlessOptedOut. */
  async #shouldSnapshot(pv: UnstructuredItem, log: Logger): Promise<boolean> {
    const action = this.#in.resourcePolicies?.matchAction({ pv });
    if (action) {
      log.info(`${action.type === "snapshot" ? "Performing" : "Skipping"} snapshot of persistent volume ${pv.metadata.name}: the matched volume policy's action is ${action.type}`);
      return action.type === "snapshot";
    }
    return this.#snapshotUnlessOptedOut(pv, log);
  }

  /** ShouldPerformSnapshot when no volume policy decides: not for a volume a pod backs up with fs-backup, else spec.snapshotVolumes. */
  async #snapshotUnlessOptedOut(pv: UnstructuredItem, log: Logger): Promise<boolean> {
    // As Velero's volume helper: a claimed volume that a pod using the claim backs up with fs-backup
    // (its opt-in annotation, or defaultVolumesToFsBackup without its opt-out) is not snapshotted too.
    // Only the pods of the backup's namespaces count (Velero's PVC-to-pod cache holds those alone): a
    // pod of another namespace is not backed up, so its fs-backup opt-in saves nothing.
    const claimRef = (pv.spec as { claimRef?: { name?: string; namespace?: string } } | undefined)?.claimRef;
    if (claimRef?.name && this.#namespaces.shouldInclude(claimRef.namespace ?? "")) {
      const pods = await this.#podsIn(claimRef.namespace ?? "");
      const toFs = this.#spec.defaultVolumesToFsBackup === true;
      for (const pod of pods) {
        for (const volume of ((pod.spec as { volumes?: PodVolume[] } | undefined)?.volumes ?? [])) {
          if ((volume["persistentVolumeClaim"] as { claimName?: string } | undefined)?.claimName !== claimRef.name) continue;
          if (fsBackupByAnnotation(pod, volume.name, toFs)) {
            log.info(`Skipping snapshot of pv ${pv.metadata.name} because it is backed up with PodVolumeBackup.`);
            return false;
          }
        }
      }
    }
    if (this.#spec.snapshotVolumes === false) {
      log.info("Skipping snapshot of persistent volume because snapshotVolumes is false");
      return false;
    }
    return true;
  }

  #podsIn(namespace: string): Promise<UnstructuredItem[]> {
    let pods = this.#podsByNamespace.get(namespace);
    if (!pods) {
      pods = this.#kube.list(GVR.pods, { namespace, notOlderThan: this.#in.listNotOlderThan }).then((l) => l.items);
      this.#podsByNamespace.set(namespace, pods);
    }
    return pods;
  }

  async #skippedByPolicyWithClaim(pv: UnstructuredItem, claimRef: { name?: string; namespace?: string } | undefined, log: Logger): Promise<boolean> {
    const policies = this.#in.resourcePolicies;
    if (!policies) return false;
    const pvc = claimRef?.name ? await this.#kube.get(GVR.persistentVolumeClaims, claimRef.name, claimRef.namespace) : undefined;
    if (policies.matchAction({ pv, ...(pvc ? { pvc } : {}) })?.type !== "skip") return false;
    log.info(`skip snapshot of pv ${pv.metadata.name} for the matched resource policies`);
    this.#skippedPVs.track(pv.metadata.name, "volumeSnapshot", "matched action is 'skip' in chosen resource policies");
    return true;
  }

  /**
   * Velero's ShouldPerformFSBackup for each volume of a pod being backed up (before its actions: the
   * pod action's additional items, its claims, are backed up within them): a volume policy's action
   * when one matches, else the opt-in (`backup.velero.io/backup-volumes`) or, with
   * defaultVolumesToFsBackup, opt-out (`backup.velero.io/backup-volumes-excludes`) annotation. Each
   * claim is recorded in the pod volume tracker (a volume that cannot be decided counts as opted
   * out, as in Velero); the volumes chosen for fs-backup are returned for #fsBackup.
   */
  async #podVolumeDecisions(pod: UnstructuredItem, log: Logger): Promise<FsBackupPlan> {
    const ns = pod.metadata.namespace ?? "";
    const where = `${ns}/${pod.metadata.name}`;
    const plan: FsBackupPlan = { chosen: [], errors: [] };
    for (const volume of ((pod.spec as { volumes?: PodVolume[] } | undefined)?.volumes ?? [])) {
      const claimName = (volume["persistentVolumeClaim"] as { claimName?: string } | undefined)?.claimName;
      let fsBackup = false;
      let by: FsBackupWay = "annotation";
      let pvName: string | undefined;
      let decided = false;
      if (!isFsBackupCandidate(volume, !this.#resources.shouldInclude("persistentvolumeclaims"))) {
        decided = true;
      } else if (this.#in.resourcePolicies) {
        const r = await this.#policyActionFor(volume, ns, this.#in.resourcePolicies);
        pvName = r.pvName;
        if (r.error) {
          plan.errors.push(`${r.error} of pod ${where}: not found`);
          decided = true;
        } else if (r.action) {
          decided = true;
          fsBackup = r.action.type === "fs-backup";
          by = "policy";
          if (fsBackup) log.info(`Perform fs-backup action for volume ${volume.name} of pod ${where} due to volume policy match`);
          else log.info(`Skip fs-backup action for volume ${volume.name} for pod ${where} because the action type is ${r.action.type}`);
        } else if (r.pvMissing) {
          plan.errors.push(r.pvMissing);
          decided = true;
        }
      }
      if (!decided) {
        fsBackup = fsBackupByAnnotation(pod, volume.name, this.#spec.defaultVolumesToFsBackup === true);
        by = this.#spec.defaultVolumesToFsBackup === true ? "default" : "annotation";
        log.info(`${fsBackup ? "Perform" : "Skip"} fs-backup action for volume ${volume.name} of pod ${where} due to opt-in/out way`);
        if (fsBackup && claimName && pvName === undefined) {
          const pvc = await this.#kube.get(GVR.persistentVolumeClaims, claimName, ns);
          pvName = (pvc?.spec as { volumeName?: string } | undefined)?.volumeName || undefined;
        }
      }
      if (fsBackup) plan.chosen.push({ volume: volume.name, by, ...(pvName ? { pvName } : {}) });
      if (claimName) {
        const key = `${ns}/${claimName}`;
        this.#podVolumeClaims.set(key, { optedOut: this.#podVolumeClaims.get(key)?.optedOut ?? !fsBackup, pod: pod.metadata.name });
      }
    }
    return plan;
  }

  /** The volume policy action for a pod volume (looked up through its claim and volume when it has them). */
  async #policyActionFor(volume: PodVolume, ns: string, policies: ResourcePolicies): Promise<{ action?: ReturnType<ResourcePolicies["matchAction"]>; pvName?: string; error?: string; pvMissing?: string }> {
    const claimName = (volume["persistentVolumeClaim"] as { claimName?: string } | undefined)?.claimName;
    let pvc: UnstructuredItem | undefined;
    let pv: UnstructuredItem | undefined;
    let pvMissing: string | undefined;
    if (claimName) {
      pvc = await this.#kube.get(GVR.persistentVolumeClaims, claimName, ns);
      if (!pvc) return { error: `failed to get PVC ${claimName} for volume ${volume.name}` };
      const volumeName = (pvc.spec as { volumeName?: string } | undefined)?.volumeName;
      if (volumeName) pv = await this.#persistentVolume(volumeName);
      if (!pv) pvMissing = `fail to get PV for PVC ${ns}/${claimName}: ${volumeName ? `persistentvolumes "${volumeName}" not found` : "the claim is not bound to a volume"}`;
    }
    const action = policies.matchAction(pv ? { pv, pvc } : { podVolume: volume, ...(pvc ? { pvc } : {}) });
    return { ...(action ? { action } : {}), ...(pv ? { pvName: pv.metadata.name } : {}), ...(pvMissing ? { pvMissing } : {}) };
  }

  /**
   * The pod volumes chosen for fs-backup (#podVolumeDecisions). This server has no node agent (a
   * node-agent DaemonSet that `velero install --use-node-agent` made does nothing for it), so, as
   * Velero does when none runs on the pod's node, they are skipped and the pod item fails (unless
   * the pod is not running, which only skips them). The advice fits how each volume was chosen.
   */
  #fsBackup(pod: UnstructuredItem, plan: FsBackupPlan, log: Logger): void {
    const where = `${pod.metadata.namespace ?? ""}/${pod.metadata.name}`;
    const errors = [...plan.errors];
    if (plan.chosen.length > 0) {
      const notRunning = podNotRunningReason(pod);
      const advice = [...new Set(plan.chosen.map((c) => FS_BACKUP_ADVICE[c.by]))].join("; or ");
      const reason = notRunning ?? `velero-ts has no node agent: file-system backup (kopia/restic) of pod volumes is not implemented; back these volumes up with snapshots instead (${advice})`;
      for (const { volume, pvName } of plan.chosen) {
        log.warn({ err: reason }, `Skip pod volume ${volume}`);
        if (pvName) this.#skippedPVs.track(pvName, "podvolume", `encountered a problem with backing up the PVC of pod ${where}: ${reason}`);
      }
      if (!notRunning) errors.push(`fs-backup of volumes ${plan.chosen.map((c) => c.volume).join(", ")} of pod ${where} is not possible: ${reason}`);
    }
    if (errors.length > 0) throw new Error(errors.join("; "));
  }
}

/** How a pod volume came to be chosen for fs-backup: a volume policy, the pod's opt-in annotation, or the backup's default (opt-out). */
type FsBackupWay = "policy" | "annotation" | "default";

const FS_BACKUP_ADVICE: Record<FsBackupWay, string> = {
  annotation: "remove them from the pod's backup.velero.io/backup-volumes annotation",
  default: "list them in the pod's backup.velero.io/backup-volumes-excludes annotation, or back up without --default-volumes-to-fs-backup",
  policy: "give them the snapshot or skip action in the resource policies instead of fs-backup",
};

/** A pod's volumes chosen for fs-backup, and the problems deciding (#podVolumeDecisions). */
interface FsBackupPlan {
  chosen: { volume: string; by: FsBackupWay; pvName?: string }[];
  errors: string[];
}

/** Wraps what backing up a streamed page threw, so the LIST's error handling lets it through. */
class ProcessingFailure {
  constructor(readonly error: unknown) {}
}

/** Velero's skipped-PV tracker: per PV, one reason per backup approach, until a snapshot takes it. */
class SkippedPVTracker {
  readonly #pvs = new Map<string, Map<string, string>>();
  readonly #taken = new Set<string>();

  track(name: string, approach: string, reason: string): void {
    if (!name || !reason || this.#taken.has(name)) return;
    let reasons = this.#pvs.get(name);
    if (!reasons) this.#pvs.set(name, (reasons = new Map()));
    reasons.set(approach || "any", reason);
  }

  /** Whether a reason to skip this PV is recorded. */
  has(name: string): boolean {
    return this.#pvs.has(name);
  }

  untrack(name: string): void {
    this.#taken.add(name);
    this.#pvs.delete(name);
  }

  summary(): { name: string; reasons: { approach: string; reason: string }[] }[] {
    const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
    return [...this.#pvs.keys()].sort(byName).map((name) => {
      const reasons = this.#pvs.get(name) as Map<string, string>;
      return { name, reasons: [...reasons.keys()].sort(byName).map((approach) => ({ approach, reason: reasons.get(approach) as string })) };
    });
  }
}

const GKE_ZONE_KEY = "topology.gke.io/zone";
const ZONE_KEYS = [
  "topology.ebs.csi.aws.com/zone",
  "topology.disk.csi.azure.com/zone",
  GKE_ZONE_KEY,
  "topology.manila.csi.openstack.org/zone",
  "topology.cinder.csi.openstack.org/zone",
  "topology.kubernetes.io/zone",
  "failure-domain.beta.kubernetes.io/zone",
];

/**
 * A PV's availability zone as Velero finds it: its zone label (a label present but empty counts),
 * the deprecated one, else its node affinity: the first zone key required "In" some values, except
 * that the GKE key's zones of every term are joined with "__" (a regional disk, which the GCP
 * plugin knows by that separator).
 */
function zoneOf(pv: UnstructuredItem): string {
  const labels = pv.metadata.labels ?? {};
  for (const key of ["topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone"]) {
    if (Object.hasOwn(labels, key)) return labels[key] ?? "";
  }
  const terms =
    (pv.spec as { nodeAffinity?: { required?: { nodeSelectorTerms?: { matchExpressions?: { key: string; operator: string; values?: string[] }[] }[] } } })
      ?.nodeAffinity?.required?.nodeSelectorTerms ?? [];
  const gkeZones: string[] = [];
  for (const t of terms) {
    for (const e of t.matchExpressions ?? []) {
      if (!ZONE_KEYS.includes(e.key) || e.operator !== "In" || !e.values?.length) continue;
      if (e.key !== GKE_ZONE_KEY) return e.values[0] as string;
      gkeZones.push(e.values[0] as string);
    }
  }
  return gkeZones.join("__");
}

/** LISTs open at once while collecting (ListWindow), light ones aside. */
const LIST_CONCURRENCY = 4;
/** LISTs open at once, light ones (ListWindow) included. */
const LIST_MAX_OPEN = 16;
/** A LIST whose last listing was at most this size is light (it opens beyond the window). */
const LIGHT_LIST_BYTES = 64 * 1024;

function parseSelector(text: string): LabelSelector | undefined {
  return text ? parseLabelSelector(text) : undefined;
}

function sortByOrder(items: CollectedItem[], order: string[], log: Logger): CollectedItem[] {
  const name = (i: CollectedItem): string => (i.object.metadata.namespace ? `${i.object.metadata.namespace}/${i.object.metadata.name}` : i.object.metadata.name);
  const byName = new Map(items.map((i) => [name(i), i]));
  const sorted: CollectedItem[] = [];
  for (const n of order) {
    const item = byName.get(n.trim());
    if (item) {
      item.ordered = true;
      sorted.push(item);
      byName.delete(n.trim());
    } else log.warn(`Cannot find resource '${n}'.`);
  }
  for (const i of items) if (byName.has(name(i))) sorted.push(i);
  return sorted;
}

/**
 * A volume info entry with its fields in the order of Velero's BackupVolumeInfo struct
 * (internal/volume/volumes_information.go), which is the order its JSON has; empty strings left
 * out as its omitempty tags do. The entry is filled in as the backup goes, in another order.
 */
/**
 * A volume info entry with its fields in the order of Velero's Go struct (empty strings of its
 * omitempty fields left out); fields velero-ts does not know (another writer's) are kept, last.
 */
export function inGoFieldOrder(info: BackupVolumeInfo): BackupVolumeInfo {
  const nonEmpty = <T>(v: T | undefined): T | undefined => (v === "" ? undefined : v);
  // Every field of BackupVolumeInfo must be listed (a new one fails to compile until placed).
  const ordered: { [K in keyof Required<BackupVolumeInfo>]: BackupVolumeInfo[K] } = {
    pvcName: nonEmpty(info.pvcName),
    pvcNamespace: nonEmpty(info.pvcNamespace),
    pvName: nonEmpty(info.pvName),
    backupMethod: info.backupMethod,
    snapshotDataMoved: info.snapshotDataMoved,
    preserveLocalSnapshot: info.preserveLocalSnapshot,
    skipped: info.skipped,
    skippedReason: nonEmpty(info.skippedReason),
    startTimestamp: info.startTimestamp,
    completionTimestamp: info.completionTimestamp,
    result: info.result,
    csiSnapshotInfo: info.csiSnapshotInfo,
    nativeSnapshotInfo: info.nativeSnapshotInfo,
    pvInfo: info.pvInfo,
  };
  const known = Object.entries(ordered).filter(([, v]) => v !== undefined);
  const others = Object.entries(info).filter(([k]) => !(k in ordered));
  return Object.fromEntries([...known, ...others]) as unknown as BackupVolumeInfo;
}

/** Where Velero's BackupVolumesInformation.Result puts a volume: skipped, native, CSI, pod volume. */
function volumeInfoRank(info: BackupVolumeInfo): number {
  if (info.skipped) return 0;
  return info.backupMethod === "NativeSnapshot" ? 1 : info.backupMethod === "CSISnapshot" ? 2 : 3;
}

/**
 * Whether a pod's annotations choose fs-backup for its volume (Velero's shouldPerformFSBackupLegacy):
 * listed in backup.velero.io/backup-volumes, or, with defaultVolumesToFsBackup, not listed in
 * backup.velero.io/backup-volumes-excludes.
 */
function fsBackupByAnnotation(pod: UnstructuredItem, volumeName: string, defaultToFs: boolean): boolean {
  // Split on "," alone, as Velero: "a, b" names "a" and " b" (so volume b is not listed).
  const listed = (key: string): string[] => (pod.metadata.annotations?.[key] ?? "").split(",");
  return defaultToFs ? !listed(ANNOTATIONS.backupVolumesExcludes).includes(volumeName) : listed(ANNOTATIONS.backupVolumes).includes(volumeName);
}
