/**
 * The restore engine (Velero's kubernetesRestorer): extracts the backup tarball, walks its
 * resources in priority order (CRDs first, waiting until they are Established, then discovery is
 * refreshed), filters, maps namespaces, runs restore item actions, handles PVs, creates each item
 * or reconciles it with an existing one, and starts post-restore exec hooks.
 */
import type { Restore, UnstructuredItem } from "@velero-ts/plugin-sdk";
import type { GroupVersionResource, KubeClient } from "../kube/client.js";
import { runWithActionLog } from "../shared/action-log.js";
import type { Logger } from "../shared/logging.js";
import { actionApplies, resolveResourceIncludesExcludes, resolveRestoreItemActions, type ResolvedRestoreItemAction } from "./action-resolver.js";
import {
  itemFilePath,
  ItemDecodeError,
  parseBackupContents,
  readFormatVersion,
  readItem,
  type BackupResource,
} from "./backup-contents.js";
import { pollUntil, systemClock, type RestoreClock } from "./clock.js";
import { groupResourceString, parseApiVersion, parseGroupResource, ResourceResolver, type ServedGroup } from "./discovery.js";
import { formatGoDuration, parseGoDuration } from "../shared/duration.js";
import { RETURNED_ITEM_ADVICE, returnedItemProblem } from "../shared/plugin-items.js";
import { IncludesExcludes } from "./filters.js";
import { runPodExecHooks, type HookRunResult } from "./hooks/exec-hooks.js";
import { groupRestoreExecHooks, restoreHooksFromSpec, type ResourceRestoreHook } from "./hooks/restore-hooks.js";
import { isAlreadyExists, isNotFound } from "./kube-errors.js";
import { EVERYTHING, fromLabelSelector, labelSelectorError, type LabelSelector as LabelMatcher } from "../kube/labels.js";
import {
  addRestoreLabels,
  ANN_MIRROR_POD,
  ANNOTATION_ORIGINAL_PV_NAME,
  ANNOTATION_RESTORE_STATUS,
  createMergePatch,
  deepClone,
  deepEqual,
  getPath,
  resetMetadataAndStatus,
  resetVolumeBindingInfo,
  validLabelValue,
} from "./metadata.js";
import { DEFAULT_RESTORE_PRIORITIES, orderedResources, type RestorePriorities } from "./priorities.js";
import { restorePvFromSnapshot, findSnapshot, type VolumeSnapshotterGetter } from "./pv-restorer.js";
import {
  buildResourceList,
  itemKey,
  type BackupVolumeInfo,
  type HookSummary,
  type RestoredItemStatus,
  type RestoreOperation,
  type RestoreOutcome,
  type RestoreRequest,
  type RestoreVolumeInfo,
} from "./request.js";
import { applyResourceModifiers } from "./resource-modifiers.js";
import { RestoreResultSet } from "./results.js";
import { extractBackupTarball, type ExtractedBackup, type ExtractLimits } from "./tarball.js";
import { BackupTree, isVersionDirectoryEntry } from "./backup-contents.js";
import { groupOfResourceDir, type ChosenVersion } from "./version-chooser.js";
import { chooseVersionsToRestore, loadUserVersionPriorities } from "./api-group-versions.js";
import { API_GROUP_VERSIONS_FEATURE, type FeatureFlags } from "../shared/features.js";
import { csiActionSkipped } from "../shared/csi.js";
import { getErrorMessage, LABELS } from "@velero-ts/plugin-sdk";
import { SerialCalls } from "../shared/serial-calls.js";
import { toKubeTime } from "../shared/clock.js";

/** Resources restored whatever the filters say (Velero's resourceMustHave). */
const MUST_HAVE = new Set(["datauploads.velero.io", "volumesnapshotcontents.snapshot.storage.k8s.io"]);
const CRDS = "customresourcedefinitions.apiextensions.k8s.io";
const POLL_INTERVAL_MS = 1_000;
export const DEFAULT_RESOURCE_TIMEOUT_MS = 10 * 60_000;
export const DEFAULT_RESOURCE_TERMINATING_TIMEOUT_MS = 10 * 60_000;

export interface Restorer {
  /** Throws BackupContentsError when the tarball is unusable; every other problem is in the outcome. */
  restore(request: RestoreRequest): Promise<RestoreOutcome>;
}

/** Items up to this many bytes in all are kept in memory during a restore (the rest on disk). */
export const DEFAULT_EXTRACT_MEMORY_BUDGET_BYTES = 64 * 1024 * 1024;

export interface KubernetesRestorerOptions {
  kube: KubeClient;
  priorities?: RestorePriorities;
  clock?: RestoreClock;
  /** CRD establishment and additional-items readiness wait (Velero --resource-timeout). */
  resourceTimeoutMs?: number;
  /** Wait for a terminating namespace or PV to disappear (Velero --terminating-resource-timeout). */
  resourceTerminatingTimeoutMs?: number;
  /** Items of one resource type restored concurrently (1 = Velero's strictly sequential order). */
  itemConcurrency?: number;
  extractLimits?: ExtractLimits;
  /** Bytes of small items the extraction keeps in memory instead of writing (default 64 MiB). */
  extractMemoryBudgetBytes?: number;
  tempDir?: string;
  /** Native snapshot restore; without it PVs with snapshots fail with a clear error. */
  getVolumeSnapshotter?: VolumeSnapshotterGetter;
  /** The server's --features (EnableAPIGroupVersions: Velero's version priorities). */
  features?: FeatureFlags;
  /** Velero's namespace, where the `enableapigroupversions` ConfigMap is read; default "velero". */
  veleroNamespace?: string;
  /** Aborted when the server stops: post-restore exec hooks still waiting are given up. */
  signal?: AbortSignal;
}

export class KubernetesRestorer implements Restorer {
  readonly #options: KubernetesRestorerOptions;

  constructor(options: KubernetesRestorerOptions) {
    this.#options = options;
  }

  async restore(request: RestoreRequest): Promise<RestoreOutcome> {
    const ctx = new RestoreContext(this.#options, request);
    return ctx.run();
  }
}

interface SelectedItem {
  name: string;
  path: string;
  originalNamespace: string;
  targetNamespace: string;
}

interface SelectedResource {
  groupResource: string;
  items: SelectedItem[];
}

interface ItemResults {
  warnings: RestoreResultSet;
  errors: RestoreResultSet;
}

function newResults(): ItemResults {
  return { warnings: new RestoreResultSet(), errors: new RestoreResultSet() };
}

function resourceId(groupResource: string, namespace: string, name: string): string {
  return namespace === "" ? `${groupResource}/${name}` : `${groupResource}/${namespace}/${name}`;
}

function gvkKey(item: UnstructuredItem): string {
  return `${item.apiVersion}/${item.kind}`;
}

async function runPool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
}

class RestoreContext {
  readonly #o: KubernetesRestorerOptions;
  readonly #req: RestoreRequest;
  readonly #restore: Restore;
  readonly #log: Logger;
  readonly #kube: KubeClient;
  readonly #clock: RestoreClock;
  readonly #resolver: ResourceResolver;
  readonly #warnings = new RestoreResultSet();
  readonly #errors = new RestoreResultSet();
  readonly #restored = new Map<string, RestoredItemStatus>();
  readonly #operations: RestoreOperation[] = [];
  readonly #volumeInfo: RestoreVolumeInfo[] = [];
  readonly #namespaces = new Map<string, Promise<void>>();
  /** Namespaces this restore waited for until --terminating-resource-timeout (they fail at once after). */
  readonly #namespacesTimedOut = new Set<string>();
  readonly #pvsToProvision = new Set<string>();
  readonly #renamedPVs = new Map<string, string>();
  readonly #hookRuns: Promise<{ namespace: string; result: HookRunResult }>[] = [];
  readonly #volumeInfos = new Map<string, BackupVolumeInfo>();
  /** Calls into plugin processes (item actions, volume snapshotters), one at a time as in Velero. */
  readonly #pluginCalls = new SerialCalls();
  /** The options' snapshotter getter, its snapshotters' calls queued on #pluginCalls. */
  readonly #volumeSnapshotter: VolumeSnapshotterGetter | undefined;
  #tree = new BackupTree("");
  #resources = new IncludesExcludes();
  #statusResources: IncludesExcludes | undefined;
  #namespaceFilter = new IncludesExcludes();
  #selector: LabelMatcher = EVERYTHING;
  #orSelectors: LabelMatcher[] = [];
  #actions: ResolvedRestoreItemAction[] = [];
  #specHooks: ResourceRestoreHook[] = [];
  #chosenVersions = new Map<string, ChosenVersion>();
  #totalItems = 0;
  #processedItems = 0;

  constructor(options: KubernetesRestorerOptions, request: RestoreRequest) {
    this.#o = options;
    this.#req = request;
    this.#restore = request.restore;
    this.#log = request.log;
    this.#kube = options.kube;
    this.#clock = options.clock ?? systemClock;
    this.#resolver = new ResourceResolver(options.kube);
    const get = options.getVolumeSnapshotter;
    this.#volumeSnapshotter = get && (async (location) => {
      const { provider, snapshotter } = await get(location);
      return { provider, snapshotter: this.#pluginCalls.wrap(snapshotter) };
    });
    for (const vi of request.backupVolumeInfos ?? []) if (vi.pvName) this.#volumeInfos.set(vi.pvName, vi);
  }

  get #spec(): Restore["spec"] {
    return this.#restore.spec;
  }

  async run(): Promise<RestoreOutcome> {
    const backupName = this.#req.backup.metadata.name ?? this.#spec.backupName ?? "";
    this.#log.info({ backup: backupName }, `starting restore of backup ${this.#req.backup.metadata.namespace ?? ""}/${backupName}`);
    const ready = await this.#prepare();
    const extracted = ready ? await extractBackupTarball(this.#req.backupContents, {
      backupName,
      log: this.#log,
      limits: this.#o.extractLimits,
      tempDir: this.#o.tempDir,
      // Without EnableAPIGroupVersions nothing reads the version directories' copies of the items
      // (half of a backup's files): they are not written out.
      ...(this.#o.features?.isEnabled(API_GROUP_VERSIONS_FEATURE) ? {} : { skipEntry: isVersionDirectoryEntry }),
      // Items are read back once each: up to this much of them is never written to disk at all
      // (a file per item is most of a restore's own CPU where creating files is slow; and the
      // Secrets' data stays off the disk).
      memoryBudgetBytes: this.#o.extractMemoryBudgetBytes ?? DEFAULT_EXTRACT_MEMORY_BUDGET_BYTES,
    }) : undefined;
    if (!ready) this.#req.backupContents.destroy();
    try {
      if (extracted) await this.#restoreContents(extracted);
    } finally {
      await extracted?.dispose();
    }
    return this.#outcome();
  }

  async #prepare(): Promise<boolean> {
    try {
      // A selector Kubernetes refuses (a bad key or value, In without values, Exists with values):
      // nothing is restored and the restore has that one error, as Velero's LabelSelectorAsSelector.
      for (const s of [...(this.#spec.orLabelSelectors ?? []), this.#spec.labelSelector]) {
        const problem = labelSelectorError(s);
        if (problem) throw new Error(problem);
      }
      this.#selector = fromLabelSelector(this.#spec.labelSelector);
      this.#orSelectors = (this.#spec.orLabelSelectors ?? []).map((s) => fromLabelSelector(s));
      this.#resources = await resolveResourceIncludesExcludes(this.#resolver, this.#spec.includedResources, this.#spec.excludedResources);
      if (this.#spec.restoreStatus) {
        const rs = this.#spec.restoreStatus;
        this.#statusResources = await resolveResourceIncludesExcludes(this.#resolver, rs.includedResources, rs.excludedResources);
      }
      this.#namespaceFilter = new IncludesExcludes(this.#spec.includedNamespaces, this.#spec.excludedNamespaces);
      this.#actions = await resolveRestoreItemActions(this.#resolver, this.#req.actions ?? [], this.#pluginCalls);
      this.#specHooks = restoreHooksFromSpec(this.#spec.hooks);
      return true;
    } catch (err) {
      this.#errors.addVelero(getErrorMessage(err));
      return false;
    }
  }

  async #restoreContents(extracted: ExtractedBackup): Promise<void> {
    this.#tree = new BackupTree(extracted.dir, extracted.memory);
    const contents = await parseBackupContents(this.#tree);
    if (contents.size === 0) {
      this.#warnings.addVelero("zero items to be restored: the backup has no resources directory");
      return;
    }
    const formatVersion = this.#req.backup.status?.formatVersion ?? (await readFormatVersion(this.#tree)) ?? "";
    // As Velero: only with EnableAPIGroupVersions is a version directory chosen (by Velero's
    // priorities; an unreadable priority ConfigMap stops the restore before any item); without it
    // every item is read at its plain path (the backup's preferred version, as it was written).
    if (this.#o.features?.isEnabled(API_GROUP_VERSIONS_FEATURE)) {
      if (formatVersion >= "1.1.0" && !(await this.#chooseVersionsByPriority(contents))) return;
    }

    const processed = new Set<string>();
    const crds = await this.#collect(contents, ["customresourcedefinitions"], processed);
    this.#totalItems = crds.reduce((n, r) => n + r.items.length, 0);
    for (const r of crds) await this.#processResource(r, false);
    const crdChanged = [...this.#restored.entries()].some(
      ([k, s]) => k.includes("CustomResourceDefinition") && (s.action === "created" || s.action === "updated"),
    );
    if (crdChanged) {
      try {
        await this.#resolver.refresh();
      } catch (err) {
        this.#warnings.add("", `refresh discovery after restoring CRDs: ${getErrorMessage(err)}`);
      }
    }
    const priorities = this.#o.priorities ?? DEFAULT_RESTORE_PRIORITIES;
    const rest = await this.#collect(contents, orderedResources(priorities, contents.keys()), processed);
    this.#processedItems = 0;
    this.#totalItems = rest.reduce((n, r) => n + r.items.length, 0);
    for (const r of rest) await this.#processResource(r, true);
  }

  async #chooseVersionsByPriority(contents: Map<string, BackupResource>): Promise<boolean> {
    try {
      const user = await loadUserVersionPriorities(this.#kube, this.#o.veleroNamespace ?? "velero", this.#log);
      const targets = new Map<string, ServedGroup | undefined>();
      for (const r of contents.values()) {
        const group = groupOfResourceDir(r.groupResource);
        if (!targets.has(group)) targets.set(group, await this.#resolver.group(group));
      }
      const chosen = chooseVersionsToRestore({ resources: contents.values(), target: (g) => targets.get(g), user, log: this.#log });
      for (const [gr, c] of chosen) this.#chosenVersions.set(gr, c);
      return true;
    } catch (err) {
      this.#errors.addVelero(`choosing API version to restore: ${getErrorMessage(err)}`);
      return false;
    }
  }

  #mustHave(groupResource: string): boolean {
    return MUST_HAVE.has(groupResource);
  }

  #targetNamespace(original: string): string {
    return this.#spec.namespaceMapping?.[original] ?? original;
  }

  /** Velero's getOrderedResourceCollection + getSelectedRestoreableItems. */
  async #collect(contents: Map<string, BackupResource>, names: readonly string[], processed: Set<string>): Promise<SelectedResource[]> {
    const out: SelectedResource[] = [];
    for (const name of names) {
      const gr = (await this.#resolver.resolve(name))?.groupResource ?? name;
      if (processed.has(gr)) continue;
      if (!this.#resources.shouldInclude(gr) && !this.#mustHave(gr)) {
        this.#log.info({ resource: gr }, "skipping restore of resource because the restore spec excludes it");
        continue;
      }
      const resource = contents.get(gr);
      if (!resource) continue;
      for (const [ns, names] of resource.itemsByNamespace) {
        if (!this.#scopeIncluded(gr, ns)) continue;
        // Unlike Velero, a namespace the namespace filter excludes is not created either.
        const wanted = gr === "namespaces" ? names.filter((n) => this.#namespaceFilter.shouldInclude(n)) : names;
        out.push({ groupResource: gr, items: await this.#selectItems(resource, ns, wanted) });
      }
      processed.add(gr);
    }
    return out;
  }

  #scopeIncluded(gr: string, ns: string): boolean {
    if (ns !== "") return this.#namespaceFilter.shouldInclude(ns) || this.#mustHave(gr);
    const include = this.#spec.includeClusterResources;
    if (include === false) return false;
    return include === true || this.#namespaceFilter.includeEverything();
  }

  async #selectItems(resource: BackupResource, ns: string, names: readonly string[]): Promise<SelectedItem[]> {
    const gr = resource.groupResource;
    const target = this.#targetNamespace(ns);
    const selected: SelectedItem[] = [];
    for (const name of names) {
      const path = await this.#itemPath(gr, ns, name);
      if (!this.#mustHave(gr)) {
        let item: UnstructuredItem;
        try {
          item = await readItem(this.#tree, path);
        } catch (err) {
          this.#errors.add(target, getErrorMessage(err));
          continue;
        }
        if (!this.#labelsSelected(item)) continue;
      }
      selected.push({ name, path, originalNamespace: ns, targetNamespace: target });
    }
    return selected;
  }

  /** The chosen version's copy of an item, or the unversioned path when there is no such copy. */
  async #itemPath(gr: string, ns: string, name: string): Promise<string> {
    const unversioned = itemFilePath(this.#tree.dir, gr, ns, name);
    const chosen = this.#chosenVersions.get(gr);
    if (!chosen) return unversioned;
    const versioned = itemFilePath(this.#tree.dir, `${gr}/${chosen.dir}`, ns, name);
    return (await this.#tree.exists(versioned)) ? versioned : unversioned;
  }

  #labelsSelected(item: UnstructuredItem): boolean {
    const labels = item.metadata.labels;
    if (!this.#selector.matches(labels)) return false;
    if (this.#orSelectors.length > 0 && !this.#orSelectors.some((s) => s.matches(labels))) return false;
    return true;
  }

  async #processResource(resource: SelectedResource, reportProgress: boolean): Promise<void> {
    const isNamespaces = resource.groupResource === "namespaces";
    await runPool(resource.items, this.#o.itemConcurrency ?? 1, async (selected) => {
      const original = isNamespaces ? selected.name : selected.originalNamespace;
      const target = isNamespaces ? this.#targetNamespace(selected.name) : selected.targetNamespace;
      if (original !== "") {
        try {
          await this.#ensureNamespace(original, target);
        } catch (err) {
          this.#errors.addVelero(getErrorMessage(err));
          return;
        }
      }
      if (isNamespaces) return;
      let item: UnstructuredItem;
      try {
        item = await readItem(this.#tree, selected.path);
      } catch (err) {
        this.#errors.add(target, getErrorMessage(err));
        return;
      }
      const local = newResults();
      await this.#restoreItem(item, resource.groupResource, target, local);
      this.#warnings.merge(local.warnings);
      this.#errors.merge(local.errors);
      this.#processedItems++;
      if (!reportProgress) return;
      const progress = this.#progressEstimate();
      this.#req.onProgress?.(progress);
      this.#log.info(
        { progress: "", resource: resource.groupResource, namespace: target, name: selected.name },
        `Restored ${progress.itemsRestored} items out of an estimated total of ${progress.totalItems} (estimate will change throughout the restore)`,
      );
    });
  }

  #progressEstimate(): { totalItems: number; itemsRestored: number } {
    return { totalItems: this.#restored.size + (this.#totalItems - this.#processedItems), itemsRestored: this.#restored.size };
  }

  /** Velero's EnsureNamespaceExistsAndIsReady, once per target namespace. */
  #ensureNamespace(original: string, target: string): Promise<void> {
    let pending = this.#namespaces.get(target);
    if (!pending) {
      pending = this.#createNamespace(original, target);
      pending.catch(() => this.#namespaces.delete(target));
      this.#namespaces.set(target, pending);
    }
    return pending;
  }

  async #createNamespace(original: string, target: string): Promise<void> {
    const gvr = { group: "", version: "v1", resource: "namespaces" };
    let exists = false;
    let terminating = false;
    const settled = await pollUntil(this.#clock, POLL_INTERVAL_MS, this.#o.resourceTerminatingTimeoutMs ?? DEFAULT_RESOURCE_TERMINATING_TIMEOUT_MS, async () => {
      const ns = await this.#kube.get(gvr, target);
      if (!ns) return true;
      terminating = ns.metadata.deletionTimestamp !== undefined || getPath(ns, "status", "phase") === "Terminating";
      // A namespace this restore already waited out once fails its other items at once instead of
      // each waiting the whole timeout again (what Velero's deletion tracker means to do; in
      // v1.18.1 it never matches, and each item waits again: README).
      if (terminating && this.#namespacesTimedOut.has(target)) throw new Error(`skipping polling for terminating namespace ${target}: it was still terminating after --terminating-resource-timeout`);
      exists = !terminating;
      return !terminating;
    });
    if (!settled) {
      this.#namespacesTimedOut.add(target);
      throw new Error(`timed out waiting for terminating namespace ${target} to disappear before restoring`);
    }
    if (exists) return;
    const ns = await this.#namespaceFromBackup(original, target);
    try {
      const created = await this.#kube.create(gvr, ns);
      this.#restored.set(itemKey("v1/Namespace", "", target), { action: "created", itemExists: true, createdName: created.metadata.name });
    } catch (err) {
      if (!isAlreadyExists(err)) throw new Error(`error creating namespace ${target}: ${getErrorMessage(err)}`, { cause: err });
    }
  }

  /** The backed-up namespace's labels, annotations and spec under the target name (Velero's getNamespace). */
  async #namespaceFromBackup(original: string, target: string): Promise<UnstructuredItem> {
    const blank: UnstructuredItem = { apiVersion: "v1", kind: "Namespace", metadata: { name: target } };
    try {
      const backed = await readItem(this.#tree, itemFilePath(this.#tree.dir, "namespaces", "", original));
      const ns: UnstructuredItem = { apiVersion: backed.apiVersion, kind: backed.kind, metadata: { name: target } };
      if (backed.metadata.labels) ns.metadata.labels = backed.metadata.labels;
      if (backed.metadata.annotations) ns.metadata.annotations = backed.metadata.annotations;
      if (backed.spec !== undefined) ns.spec = backed.spec;
      return ns;
    } catch (err) {
      if (!(err instanceof ItemDecodeError) || !/ENOENT/.test(err.message)) this.#log.warn({ namespace: original }, `error reading namespace from backup, creating a new one: ${getErrorMessage(err)}`);
      return blank;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // one item

  /** Restores one item (and, through actions, its additional items). Returns whether it exists now. */
  async #restoreItem(obj: UnstructuredItem, gr: string, namespace: string, r: ItemResults): Promise<boolean> {
    const name = obj.metadata.name;
    const id = resourceId(gr, namespace, name);
    if (!(await this.#itemInScope(obj, gr, namespace, r))) return false;
    if (isCompleted(obj, gr)) {
      this.#log.info({ resource: gr, namespace, name }, `${id} is complete - skipping`);
      return false;
    }
    const key = itemKey(gvkKey(obj), namespace, name);
    const previous = this.#restored.get(key);
    if (previous) return previous.itemExists;
    const status: RestoredItemStatus = { itemExists: false };
    this.#restored.set(key, status);
    const before = r.warnings.count() + r.errors.count();
    try {
      return await this.#restoreNewItem(obj, gr, namespace, id, status, r);
    } catch (err) {
      // Whatever goes wrong with one item fails that item, never the whole restore (as in Velero).
      const nested = err instanceof RangeError && /call stack/i.test(err.message);
      r.errors.add(namespace, `error restoring ${id}: ${nested ? "it is nested too deeply for velero-ts to restore (restore it with Velero, or flatten it)" : getErrorMessage(err)}`);
      return false;
    } finally {
      if (status.action === undefined) status.action = r.warnings.count() + r.errors.count() === before ? "skipped" : "failed";
    }
  }

  async #itemInScope(obj: UnstructuredItem, gr: string, namespace: string, r: ItemResults): Promise<boolean> {
    if (!this.#resources.shouldInclude(gr) && !this.#mustHave(gr)) return false;
    if (namespace === "") return this.#spec.includeClusterResources !== false;
    const original = obj.metadata.namespace ?? "";
    if (!this.#namespaceFilter.shouldInclude(original) && !this.#mustHave(gr)) return false;
    try {
      await this.#ensureNamespace(original, namespace);
    } catch (err) {
      r.errors.addVelero(getErrorMessage(err));
      return false;
    }
    return true;
  }

  async #restoreNewItem(obj: UnstructuredItem, gr: string, namespace: string, id: string, status: RestoredItemStatus, r: ItemResults): Promise<boolean> {
    if (gr === "pods" && obj.metadata.annotations?.[ANN_MIRROR_POD]) {
      this.#log.info({ namespace, name: obj.metadata.name }, "not restoring pod because it's a mirror pod");
      return false;
    }
    let item = obj;
    if (gr === "persistentvolumes") {
      const handled = await this.#handlePv(item, r);
      if (!handled) return false;
      item = handled;
    }
    const savedStatus = item.status;
    const itemFromBackup = deepClone(obj);
    item = resetMetadataAndStatus(deepClone(item));
    const prepared = await this.#runActions(item, itemFromBackup, gr, namespace, id, r);
    if (!prepared) return status.itemExists;
    item = prepared;
    if (gr === "persistentvolumeclaims") item = this.#adjustPvc(item, namespace);
    if (this.#req.resourceModifiers) {
      const modified = applyResourceModifiers(this.#req.resourceModifiers, item, gr, this.#log);
      item = modified.item;
      for (const e of modified.errors) r.errors.add(namespace, e);
    }
    if (namespace !== "") item.metadata.namespace = namespace;
    addRestoreLabels(item, this.#restore.metadata.name ?? "", this.#spec.backupName ?? "");
    const restored = await this.#createItem(item, gr, namespace, id, savedStatus, status, r);
    // only a pod this restore created gets its volumes restored (Velero creates PodVolumeRestores for those)
    if (gr === "pods" && status.action === "created") this.#reportFsBackupVolumes(obj, namespace, r);
    return restored;
  }

  /**
   * A pod whose volumes a Velero file-system backup (kopia/restic PodVolumeBackups) holds: Velero
   * restores them through its node agent; velero-ts has none, so they come back empty. That is an
   * error of the restore (PartiallyFailed), naming the volumes, never a silent Completed.
   */
  #reportFsBackupVolumes(pod: UnstructuredItem, targetNamespace: string, r: ItemResults): void {
    const ns = pod.metadata.namespace ?? "";
    const volumes = (this.#req.backupVolumeInfos ?? [])
      .filter((vi) => vi.backupMethod === "PodVolumeBackup")
      .map((vi) => vi["pvbInfo"] as { podName?: string; podNamespace?: string; volumeName?: string } | undefined)
      .filter((p) => p?.podName === pod.metadata.name && (p?.podNamespace ?? "") === ns)
      .map((p) => p?.volumeName ?? "");
    if (volumes.length === 0) return;
    r.errors.add(
      targetNamespace,
      `volumes ${volumes.join(", ")} of pod ${targetNamespace}/${pod.metadata.name} were backed up with file-system backup (PodVolumeBackups), which velero-ts cannot restore (it runs no node agent): they are restored empty; restore this backup with Velero to get their data`,
    );
  }

  // ---------------------------------------------------------------------------------------------
  // persistent volumes

  /** Returns the PV to create, or undefined when it must not be created (dynamic re-provisioning or error). */
  async #handlePv(pv: UnstructuredItem, r: ItemResults): Promise<UnstructuredItem | undefined> {
    const name = pv.metadata.name;
    const info = this.#volumeInfos.get(name);
    const method = info ? info.backupMethod ?? "" : findSnapshot(name, this.#req.volumeSnapshots ?? []) ? "NativeSnapshot" : "";
    try {
      if (method === "NativeSnapshot") return await this.#pvWithNativeSnapshot(pv);
      if (method === "PodVolumeBackup" || method === "CSISnapshot" || getPath(pv, "spec", "persistentVolumeReclaimPolicy") === "Delete") {
        this.#log.info({ name }, "dynamically re-provisioning persistent volume (no native snapshot to restore, or its data is restored another way)");
        this.#pvsToProvision.add(name);
        return undefined;
      }
      this.#log.info({ name }, "restoring persistent volume as-is because it doesn't have a snapshot and its reclaim policy is not Delete");
      return resetVolumeBindingInfo(this.#remapClaimRef(deepClone(pv)));
    } catch (err) {
      r.errors.add("", getErrorMessage(err));
      return undefined;
    }
  }

  #remapClaimRef(pv: UnstructuredItem): UnstructuredItem {
    const claimRef = getPath(pv, "spec", "claimRef") as { namespace?: string } | undefined;
    const mapped = claimRef?.namespace !== undefined ? this.#spec.namespaceMapping?.[claimRef.namespace] : undefined;
    if (claimRef && mapped !== undefined) claimRef.namespace = mapped;
    return pv;
  }

  async #pvWithNativeSnapshot(pv: UnstructuredItem): Promise<UnstructuredItem> {
    const gvr = { group: "", version: "v1", resource: "persistentvolumes" };
    const oldName = pv.metadata.name;
    const claimNs = getPath(pv, "spec", "claimRef", "namespace");
    const mappedClaim = typeof claimNs === "string" && this.#spec.namespaceMapping?.[claimNs] !== undefined;
    const existing = await this.#kube.get(gvr, oldName);
    let rename = mappedClaim && existing !== undefined;
    let out = this.#remapClaimRef(deepClone(pv));
    const shouldRestore = rename || (await this.#pvGoneOrGoing(oldName));
    if (shouldRestore) {
      out = resetVolumeBindingInfo(out);
      this.#log.info({ name: oldName }, "Restoring persistent volume from snapshot.");
      const result = await restorePvFromSnapshot({
        pv: out,
        restorePVs: this.#spec.restorePVs,
        snapshots: this.#req.volumeSnapshots ?? [],
        getVolumeSnapshotter: this.#volumeSnapshotter,
        log: this.#log,
      }).catch((err: unknown) => {
        // Velero's wording, which names the volume
        throw new Error(`error executing PVAction for persistentvolumes/${oldName}: ${getErrorMessage(err)}`, { cause: err });
      });
      out = result.pv;
      if (out.metadata.name !== oldName) rename = true;
      if (result.restored) this.#trackNativeSnapshot(out, result.restored);
    }
    if (rename) {
      const newName = out.metadata.name !== oldName ? out.metadata.name : `velero-clone-${crypto.randomUUID()}`;
      this.#renamedPVs.set(oldName, newName);
      out.metadata.name = newName;
      out.metadata.annotations = { ...(out.metadata.annotations ?? {}), [ANNOTATION_ORIGINAL_PV_NAME]: oldName };
      for (const vi of this.#volumeInfo) if (vi.pvName === oldName) vi.pvName = newName;
    }
    return out;
  }

  #trackNativeSnapshot(pv: UnstructuredItem, info: { snapshotHandle: string; volumeType: string; volumeAZ: string; iops: string }): void {
    const claimRef = getPath(pv, "spec", "claimRef") as { name?: string; namespace?: string } | undefined;
    // Velero's RestoreVolumeInfo field order; its NativeSnapshotInfo has a Phase with no JSON tag,
    // empty on restore
    this.#volumeInfo.push({
      ...(claimRef?.name ? { pvcName: claimRef.name } : {}),
      ...(claimRef?.namespace ? { pvcNamespace: claimRef.namespace } : {}),
      pvName: pv.metadata.name,
      restoreMethod: "NativeSnapshot",
      snapshotDataMoved: false,
      nativeSnapshotInfo: { snapshotHandle: info.snapshotHandle, volumeType: info.volumeType, volumeAZ: info.volumeAZ, iops: info.iops, Phase: "" },
    });
  }

  /**
   * Velero's shouldRestore: true when the PV does not exist; waits while it (or its claim, or the
   * claim's namespace) is being deleted; false when it exists and is in use.
   */
  async #pvGoneOrGoing(name: string): Promise<boolean> {
    let gone = false;
    const timeoutMs = this.#o.resourceTerminatingTimeoutMs ?? DEFAULT_RESOURCE_TERMINATING_TIMEOUT_MS;
    const settled = await pollUntil(this.#clock, POLL_INTERVAL_MS, timeoutMs, async () => {
      const pv = await this.#kube.get({ group: "", version: "v1", resource: "persistentvolumes" }, name);
      if (!pv) {
        gone = true;
        return true;
      }
      if (getPath(pv, "status", "phase") === "Released" || pv.metadata.deletionTimestamp) return false;
      const claimRef = getPath(pv, "spec", "claimRef") as { name?: string; namespace?: string } | undefined;
      if (!claimRef?.name || !claimRef.namespace) return true;
      const pvc = await this.#kube.get({ group: "", version: "v1", resource: "persistentvolumeclaims" }, claimRef.name, claimRef.namespace);
      if (!pvc || pvc.metadata.deletionTimestamp) return false;
      const ns = await this.#kube.get({ group: "", version: "v1", resource: "namespaces" }, claimRef.namespace);
      return ns !== undefined && !ns.metadata.deletionTimestamp && getPath(ns, "status", "phase") !== "Terminating";
    });
    if (!settled) {
      // As Velero: the PV is not restored (creating it now could point a new PV at the old
      // volume, or restore nothing from the snapshot); the item fails with this error.
      this.#log.warn({ pvName: name }, "timeout reached waiting for persistent volume to delete");
      throw new Error(
        `error waiting on in-cluster persistentvolume ${name}: it is still being deleted (or Released) after ${formatGoDuration(timeoutMs)} (--terminating-resource-timeout); a Released PV with reclaim policy Retain stays until it is deleted`,
      );
    }
    if (!gone) this.#log.info({ name }, "persistent volume still exists in the cluster; restoring it without recreating its volume");
    return gone;
  }

  /** Rebinding: drop binding annotations, re-provision or follow a renamed PV. */
  #adjustPvc(pvc: UnstructuredItem, namespace: string): UnstructuredItem {
    const spec = (pvc.spec ?? {}) as { volumeName?: string };
    const volumeName = spec.volumeName;
    if (!volumeName) return pvc;
    resetVolumeBindingInfo(pvc);
    if (this.#pvsToProvision.has(volumeName)) {
      this.#log.info({ namespace, name: pvc.metadata.name }, "resetting PersistentVolumeClaim for dynamic provisioning");
      delete spec.volumeName;
    }
    const renamed = this.#renamedPVs.get(volumeName);
    if (renamed) spec.volumeName = renamed;
    return pvc;
  }

  // ---------------------------------------------------------------------------------------------
  // restore item actions

  async #runActions(
    item: UnstructuredItem,
    itemFromBackup: UnstructuredItem,
    gr: string,
    namespace: string,
    id: string,
    r: ItemResults,
  ): Promise<UnstructuredItem | undefined> {
    let obj = item;
    for (const a of this.#actions) {
      if (!actionApplies(a, gr, namespace, obj.metadata.labels)) continue;
      // As Velero: its CSI actions run only with the EnableCSI feature.
      const csiSkip = csiActionSkipped(a.name, this.#o.features, `${gr}:${obj.metadata.namespace ?? ""}/${obj.metadata.name}`);
      if (csiSkip) {
        this.#log.info(csiSkip);
        continue;
      }
      let out;
      try {
        out = await runWithActionLog(this.#log, () => a.action.execute({ item: obj, itemFromBackup, restore: this.#restore }));
      } catch (err) {
        r.errors.add(namespace, `error preparing ${id}: ${getErrorMessage(err)}`);
        return undefined;
      }
      if (out.operationId) this.#recordOperation(a.name, gr, namespace, itemFromBackup.metadata.name, out.operationId);
      if (out.skipRestore) {
        this.#log.info({ resource: gr, namespace, name: obj.metadata.name, plugin: a.name }, "skipping restore because a registered plugin discarded it");
        return undefined;
      }
      const problem = returnedItemProblem(out.item);
      if (problem) {
        r.errors.add(namespace, `error preparing ${id}: restore item action ${a.name} returned ${problem}; ${RETURNED_ITEM_ADVICE}`);
        return undefined;
      }
      obj = out.item;
      const restoredAdditional = await this.#restoreAdditionalItems(out.additionalItems ?? [], namespace, r);
      if (out.waitForAdditionalItems) await this.#waitForAdditionalItems(a, restoredAdditional, out.additionalItemsReadyTimeoutMs ?? 0, id, namespace, r);
    }
    return obj;
  }

  #recordOperation(action: string, gr: string, namespace: string, name: string, operationId: string): void {
    const { group, resource } = parseGroupResource(gr);
    this.#operations.push({
      spec: {
        restoreName: this.#restore.metadata.name ?? "",
        restoreUID: this.#restore.metadata.uid ?? "",
        restoreItemAction: action,
        resourceIdentifier: { Group: group, Resource: resource, Namespace: namespace, Name: name },
        operationID: operationId,
      },
      // whole seconds, as metav1.Time writes them
      status: { phase: "New", created: toKubeTime(new Date(this.#clock.now())) },
    });
  }

  async #restoreAdditionalItems(
    additional: readonly { group: string; resource: string; namespace: string; name: string }[],
    parentNamespace: string,
    r: ItemResults,
  ): Promise<{ group: string; resource: string; namespace: string; name: string }[]> {
    const present: { group: string; resource: string; namespace: string; name: string }[] = [];
    for (const ai of additional) {
      const gr = groupResourceString(ai.group, ai.resource);
      const path = itemFilePath(this.#tree.dir, gr, ai.namespace, ai.name);
      if (!(await this.#tree.exists(path))) {
        const message = `unable to restore additional item ${resourceId(gr, ai.namespace, ai.name)}: it is not in the backup`;
        this.#log.warn({ resource: gr, namespace: ai.namespace, name: ai.name }, message);
        r.warnings.add(ai.namespace, message);
        continue;
      }
      let obj: UnstructuredItem;
      try {
        obj = await readItem(this.#tree, path);
      } catch (err) {
        r.errors.add(parentNamespace, `error restoring additional item ${resourceId(gr, ai.namespace, ai.name)}: ${getErrorMessage(err)}`);
        continue;
      }
      const target = ai.namespace === "" ? "" : this.#targetNamespace(ai.namespace);
      if (await this.#restoreItem(obj, gr, target, r)) present.push(ai);
    }
    return present;
  }

  async #waitForAdditionalItems(
    a: ResolvedRestoreItemAction,
    items: { group: string; resource: string; namespace: string; name: string }[],
    timeoutMs: number,
    id: string,
    namespace: string,
    r: ItemResults,
  ): Promise<void> {
    try {
      const ready = await pollUntil(this.#clock, POLL_INTERVAL_MS, timeoutMs > 0 ? timeoutMs : this.#o.resourceTimeoutMs ?? DEFAULT_RESOURCE_TIMEOUT_MS, () =>
        a.action.areAdditionalItemsReady(items, this.#restore),
      );
      if (!ready) r.errors.add(namespace, `additional items for ${id} are not ready to use`);
    } catch (err) {
      r.errors.add(namespace, `error verifying additional items are ready to use: ${getErrorMessage(err)}`);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // create, or reconcile with what exists

  async #gvrFor(item: UnstructuredItem, gr: string, namespace: string): Promise<GroupVersionResource> {
    const { group, version } = parseApiVersion(item.apiVersion);
    const { resource } = parseGroupResource(gr);
    const served = await this.#resolver.served(group, version, resource);
    if (served && served.kind === item.kind) return served.gvr;
    // As Velero: the item goes to its resource in the tarball; only an item whose kind an action
    // changed (the served resource's kind is another) is looked up by its kind. A resource not
    // served is not swapped for another that happens to share the kind (a CRD restored but not
    // Established, another CRD with the same kind): the create fails naming the item.
    if (served) {
      const byKind = await this.#resolver.kindFor(group, version, item.kind);
      return byKind ? byKind.gvr : served.gvr;
    }
    this.#log.info({ resource: gr, namespace, name: item.metadata.name }, `${item.apiVersion}/${item.kind} is not served by the cluster; trying anyway`);
    return { group, version, resource };
  }

  async #createItem(
    obj: UnstructuredItem,
    gr: string,
    namespace: string,
    id: string,
    savedStatus: unknown,
    status: RestoredItemStatus,
    r: ItemResults,
  ): Promise<boolean> {
    const gvr = await this.#gvrFor(obj, gr, namespace);
    let created: UnstructuredItem | undefined;
    let createErr: unknown;
    try {
      created = await this.#kube.create(gvr, obj);
    } catch (err) {
      createErr = err;
    }
    if (created) {
      status.action = "created";
      status.itemExists = true;
      status.createdName = created.metadata.name;
      await this.#afterCreate(obj, created, gr, gvr, namespace, savedStatus, r);
      return true;
    }
    // As Velero: whatever made the create fail (AlreadyExists, or a quota, an admission webhook or
    // validation refusing an object that is there already), an object found in the cluster is
    // the existing one, compared and skipped, updated or merged. A Service refused for a node port
    // already allocated is one that exists only when it is found.
    let fromCluster: UnstructuredItem | undefined;
    let getErr: unknown;
    try {
      fromCluster = await this.#kube.get(gvr, obj.metadata.name, namespace || undefined);
    } catch (err) {
      getErr = err;
    }
    if (!fromCluster) {
      if (isAlreadyExists(createErr)) {
        const message = `unable to retrieve in-cluster version of ${id}: ${getErrorMessage(getErr ?? createErr)}; it won't be restored or labelled`;
        this.#log.warn({ resource: gr, namespace, name: obj.metadata.name }, message);
        r.warnings.add(namespace, message);
        return false;
      }
      this.#log.error({ resource: gr, namespace, name: obj.metadata.name, err: getErrorMessage(createErr) }, `error restoring ${obj.metadata.name}`);
      r.errors.add(namespace, `error restoring ${id}: ${getErrorMessage(createErr)}`);
      return false;
    }
    status.itemExists = true;
    await this.#reconcileExisting(obj, fromCluster, gvr, namespace, status, r);
    return true;
  }

  /**
   * The in-cluster object exists: compare, then skip (warn), update, or merge (ServiceAccounts).
   * Only "updated" is set here: otherwise the item counts as skipped, or as failed when it got a
   * warning or error (an existing object that differs), as Velero's restoreItem decides at its end.
   */
  async #reconcileExisting(
    obj: UnstructuredItem,
    live: UnstructuredItem,
    gvr: GroupVersionResource,
    namespace: string,
    status: RestoredItemStatus,
    r: ItemResults,
  ): Promise<void> {
    const name = obj.metadata.name;
    const policy = this.#spec.existingResourcePolicy;
    const base = comparable(resetMetadataAndStatus(deepClone(live)));
    const fromCluster = deepClone(base);
    const desired = comparable(deepClone(obj));
    addRestoreLabels(fromCluster, obj.metadata.labels?.[LABELS.restoreName] ?? "", obj.metadata.labels?.[LABELS.backupName] ?? "");
    if (deepEqual(fromCluster, desired)) {
      if (policy === "update") await this.#patchLabelsOnly(live, obj, gvr, namespace, r);
      this.#log.info({ namespace, name }, `restore of ${name} skipped: it already exists in the cluster and is the same as the backed up version`);
      return;
    }
    if (gvr.group === "" && gvr.resource === "serviceaccounts") {
      // As Velero: the patch goes from the in-cluster object with the restore labels added, so a
      // merge that adds nothing writes nothing (the labels alone are no update)
      await this.#mergeServiceAccount(fromCluster, mergeServiceAccounts(fromCluster, desired), { live, obj, gvr, namespace }, status, r);
      return;
    }
    if (policy === "update") {
      const patch = createMergePatch(base, desired);
      if (!patch) return;
      try {
        await this.#kube.patch(gvr, name, namespace || undefined, patch);
        status.action = "updated";
        this.#log.info({ namespace, name }, `${obj.kind} ${name} successfully updated`);
      } catch (err) {
        r.warnings.add(namespace, `could not update ${obj.kind} "${name}" to match the backup: ${getErrorMessage(err)}`);
        await this.#patchLabelsOnly(live, obj, gvr, namespace, r);
      }
      return;
    }
    // Velero words it one way when existingResourcePolicy is "none" and another when it is unset
    const what = policy === "none" ? `${obj.kind} "${name}"` : `${obj.kind}:${name}`;
    r.warnings.add(namespace, `could not restore, ${what} already exists. Warning: the in-cluster version is different than the backed-up version`);
  }

  async #patchLabelsOnly(live: UnstructuredItem, obj: UnstructuredItem, gvr: GroupVersionResource, namespace: string, r: ItemResults): Promise<void> {
    const labels = {
      [LABELS.backupName]: obj.metadata.labels?.[LABELS.backupName] ?? "",
      [LABELS.restoreName]: obj.metadata.labels?.[LABELS.restoreName] ?? "",
    };
    if (live.metadata.labels?.[LABELS.backupName] === labels[LABELS.backupName] && live.metadata.labels?.[LABELS.restoreName] === labels[LABELS.restoreName]) return;
    try {
      await this.#kube.patch(gvr, obj.metadata.name, namespace || undefined, { metadata: { labels } });
    } catch (err) {
      r.errors.add(namespace, `backup/restore label patch failed for ${obj.kind} ${obj.metadata.name}: ${getErrorMessage(err)}`);
    }
  }

  async #mergeServiceAccount(
    base: UnstructuredItem,
    merged: UnstructuredItem,
    target: { live: UnstructuredItem; obj: UnstructuredItem; gvr: GroupVersionResource; namespace: string },
    status: RestoredItemStatus,
    r: ItemResults,
  ): Promise<void> {
    const { live, obj, gvr, namespace } = target;
    const patch = createMergePatch(base, merged);
    if (!patch) return;
    try {
      await this.#kube.patch(gvr, obj.metadata.name, namespace || undefined, patch);
      status.action = "updated";
    } catch (err) {
      r.warnings.add(namespace, `error merging ServiceAccount ${namespace}/${obj.metadata.name}: ${getErrorMessage(err)}`);
      if (this.#spec.existingResourcePolicy === "update") await this.#patchLabelsOnly(live, obj, gvr, namespace, r);
    }
  }

  async #afterCreate(
    obj: UnstructuredItem,
    created: UnstructuredItem,
    gr: string,
    gvr: GroupVersionResource,
    namespace: string,
    savedStatus: unknown,
    r: ItemResults,
  ): Promise<void> {
    if (savedStatus !== undefined && this.#shouldRestoreStatus(obj, gr)) {
      try {
        await this.#kube.patchStatus(gvr, created.metadata.name, namespace || undefined, { status: savedStatus });
      } catch (err) {
        r.warnings.add(namespace, `status field update failed for ${resourceId(gr, namespace, obj.metadata.name)}: ${getErrorMessage(err)}`);
      }
    }
    await this.#restoreManagedFields(obj, created, gvr, namespace, r);
    if (gvr.group === "" && gvr.resource === "pods") this.#startExecHooks(created, namespace);
    if (gvr.group === "apiextensions.k8s.io" && gvr.resource === "customresourcedefinitions") await this.#waitForCrd(gvr, created.metadata.name, r);
  }

  /**
   * The API server records the restore as the object's only writer; as Velero does, the backed-up
   * managedFields are put back with a patch (field ownership survives the restore, so later
   * server-side applies by the original owners do not conflict).
   */
  async #restoreManagedFields(obj: UnstructuredItem, created: UnstructuredItem, gvr: GroupVersionResource, namespace: string, r: ItemResults): Promise<void> {
    const managedFields = obj.metadata.managedFields;
    if (!Array.isArray(managedFields) || managedFields.length === 0 || deepEqual(managedFields, created.metadata.managedFields)) return;
    const name = created.metadata.name;
    try {
      await this.#kube.patch(gvr, name, namespace || undefined, { metadata: { managedFields } });
      this.#log.info({ namespace, name }, `the managed fields for ${namespace ? `${namespace}/` : ""}${name} is patched`);
    } catch (err) {
      const message = `error patch for managed fields ${namespace ? `${namespace}/` : ""}${name}: ${getErrorMessage(err)}`;
      if (isNotFound(err)) r.warnings.add(namespace, message);
      else r.errors.add(namespace, message);
    }
  }

  #shouldRestoreStatus(obj: UnstructuredItem, gr: string): boolean {
    const fromSpec = this.#statusResources?.shouldInclude(gr) ?? false;
    const annotation = obj.metadata.annotations?.[ANNOTATION_RESTORE_STATUS]?.trim().toLowerCase();
    if (annotation === "true") return true;
    if (annotation === "false") return false;
    return fromSpec;
  }

  async #waitForCrd(gvr: GroupVersionResource, name: string, r: ItemResults): Promise<void> {
    try {
      const ready = await pollUntil(this.#clock, POLL_INTERVAL_MS, this.#o.resourceTimeoutMs ?? DEFAULT_RESOURCE_TIMEOUT_MS, async () => {
        const crd = await this.#kube.get(gvr, name);
        if (!crd) throw new Error(`CRD ${name} disappeared`);
        return isCrdReady(crd);
      });
      if (!ready) r.errors.add("", `the CRD ${name} is not available to use for custom resources`);
    } catch (err) {
      r.errors.add("", `error verifying the CRD ${name} is ready to use: ${getErrorMessage(err)}`);
    }
  }

  #startExecHooks(pod: UnstructuredItem, namespace: string): void {
    const byContainer = groupRestoreExecHooks(pod, this.#specHooks, parseGoDuration);
    if (byContainer.size === 0) return;
    const run = runPodExecHooks(
      {
        kube: this.#kube,
        clock: this.#clock,
        log: this.#log,
        parseDuration: parseGoDuration,
        defaultWaitTimeoutMs: this.#o.resourceTimeoutMs ?? DEFAULT_RESOURCE_TIMEOUT_MS,
        ...(this.#o.signal ? { signal: this.#o.signal } : {}),
      },
      { namespace, name: pod.metadata.name },
      byContainer,
    ).then((result) => ({ namespace, result }));
    this.#hookRuns.push(run);
  }

  async #hookSummary(): Promise<HookSummary> {
    const summary: HookSummary = { attempted: 0, failed: 0, errors: new RestoreResultSet() };
    for (const { namespace, result } of await Promise.all(this.#hookRuns)) {
      summary.attempted += result.attempted;
      summary.failed += result.failed;
      for (const e of result.errors) summary.errors.add(namespace, e);
    }
    return summary;
  }

  #outcome(): RestoreOutcome {
    return {
      warnings: this.#warnings,
      errors: this.#errors,
      resourceList: buildResourceList(this.#restored),
      itemOperations: this.#operations,
      volumeInfo: this.#volumeInfo,
      progress: { totalItems: this.#restored.size, itemsRestored: this.#restored.size },
      hooks: this.#hookSummary(),
      hookPods: this.#hookRuns.length,
    };
  }
}

/** Velero's isCompleted: pods that finished and jobs with a completion time are not restored. */
function isCompleted(obj: UnstructuredItem, gr: string): boolean {
  if (gr === "pods") {
    const phase = getPath(obj, "status", "phase");
    return phase === "Succeeded" || phase === "Failed";
  }
  if (gr === "jobs.batch") {
    const ct = getPath(obj, "status", "completionTime");
    return typeof ct === "string" && ct !== "";
  }
  return false;
}

/** Established and NamesAccepted conditions are True. */
export function isCrdReady(crd: UnstructuredItem): boolean {
  const conditions = (getPath(crd, "status", "conditions") ?? []) as { type?: string; status?: string }[];
  const isTrue = (type: string): boolean => conditions.some((c) => c.type === type && c.status === "True");
  return isTrue("Established") && isTrue("NamesAccepted");
}

/** Drops server bookkeeping that never matches a backup (managedFields). */
function comparable(item: UnstructuredItem): UnstructuredItem {
  delete item.metadata.managedFields;
  return item;
}

/** Velero's mergeServiceAccounts: the union of secrets and imagePullSecrets, labels and annotations. */
export function mergeServiceAccounts(fromCluster: UnstructuredItem, backup: UnstructuredItem): UnstructuredItem {
  const out = deepClone(fromCluster);
  const union = (field: "secrets" | "imagePullSecrets"): void => {
    const live = (out[field] as { name?: string }[] | undefined) ?? [];
    const extra = ((backup[field] as { name?: string }[] | undefined) ?? []).filter((b) => !live.some((l) => l.name === b.name));
    if (live.length + extra.length > 0) out[field] = [...live, ...extra];
  };
  union("secrets");
  union("imagePullSecrets");
  out.metadata.labels = { ...(backup.metadata.labels ?? {}), ...(out.metadata.labels ?? {}) };
  out.metadata.annotations = { ...(backup.metadata.annotations ?? {}), ...(out.metadata.annotations ?? {}) };
  if (Object.keys(out.metadata.annotations).length === 0) delete out.metadata.annotations;
  for (const key of [LABELS.backupName, LABELS.restoreName]) {
    const v = backup.metadata.labels?.[key];
    if (v !== undefined) out.metadata.labels[key] = validLabelValue(v);
  }
  return out;
}
