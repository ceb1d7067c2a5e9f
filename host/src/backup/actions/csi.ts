/**
 * Velero's built-in CSI backup item actions (v2; skipped unless the server runs with
 * `--features=EnableCSI`, velero-compat.md 6.2):
 * - velero.io/csi-pvc-backupper: a claim whose volume is CSI gets a VolumeSnapshot, waited for
 *   until its content has a snapshot handle; the snapshot is backed up with the claim.
 * - velero.io/csi-volumesnapshot-backupper: records the content's handle, driver and size on the
 *   snapshot, backs up its class and content, and starts an operation that completes when the
 *   content is ready to use. While the backup finalizes it deletes the snapshot and its content
 *   from the cluster, keeping the storage snapshot (deletion policy Retain): the backup's copies
 *   of both are what a restore or a deletion of the backup use.
 * - velero.io/csi-volumesnapshotcontent-backupper / -volumesnapshotclass-backupper: back up the
 *   secrets a content's deletion or a class's listing needs.
 * Whether a claim is snapshotted at all (volume policies, snapshotVolumes, fs-backup) the engine
 * decides before calling the claim action, as Velero's item backupper does.
 */
import type { Backup, BackupItemActionV2, BackupItemActionV2Output, OperationProgress, ResourceIdentifier, ResourceSelector, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { ANNOTATIONS, emptyResourceSelector, getErrorMessage, LABELS } from "@velero-ts/plugin-sdk";
import type { KubeClient } from "../../kube/client.js";
import { GVR } from "../../kube/gvr.js";
import { actionLog } from "../../shared/action-log.js";
import { backupSnapshotClassAnnotation, CSI_KEYS, secretFromAnnotations, SNAPSHOT_GROUP } from "../../shared/csi.js";
import { parseGoDuration } from "../../shared/duration.js";
import { binaryQuantity, compareQuantities, parseQuantity } from "../../shared/quantity.js";
import { validLabelValue } from "../../shared/label-value.js";

/** Velero's default --csi-snapshot-timeout. */
const DEFAULT_CSI_SNAPSHOT_TIMEOUT_MS = 10 * 60_000;

type Obj = Record<string, unknown>;
interface SnapshotStatus {
  boundVolumeSnapshotContentName?: string;
  readyToUse?: boolean;
  restoreSize?: string;
  error?: { message?: string };
}
interface ContentStatus {
  snapshotHandle?: string;
  readyToUse?: boolean;
  restoreSize?: number;
  error?: { message?: string };
  volumeGroupSnapshotHandle?: string;
}

function finalizing(backup: Backup): boolean {
  const phase = backup.status?.phase;
  return phase === "Finalizing" || phase === "FinalizingPartiallyFailed";
}

function selector(resource: string): ResourceSelector {
  return { ...emptyResourceSelector(), includedResources: [resource] };
}

function noOperation(operationId: string): Error {
  return new Error(`operation ID ${JSON.stringify(operationId)} is invalid`);
}

function withAnnotations(item: UnstructuredItem, annotations: Record<string, string>, labels: Record<string, string> = {}): UnstructuredItem {
  const out = structuredClone(item);
  out.metadata.annotations = { ...(out.metadata.annotations ?? {}), ...annotations };
  if (Object.keys(labels).length > 0) out.metadata.labels = { ...(out.metadata.labels ?? {}), ...labels };
  return out;
}

/** Options for tests: how the claim action sleeps between looks at its snapshot. */
export interface CsiPvcActionOptions {
  sleep?: (ms: number) => Promise<void>;
  /** First pause between looks (doubled up to maxPollMs). */
  firstPollMs?: number;
  maxPollMs?: number;
}

export class CsiPvcBackupAction implements BackupItemActionV2 {
  readonly #kube: KubeClient;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #firstPollMs: number;
  readonly #maxPollMs: number;

  constructor(kube: KubeClient, options: CsiPvcActionOptions = {}) {
    this.#kube = kube;
    this.#sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.#firstPollMs = options.firstPollMs ?? 100;
    this.#maxPollMs = options.maxPollMs ?? 2000;
  }

  async appliesTo(): Promise<ResourceSelector> {
    return selector("persistentvolumeclaims");
  }

  async execute(item: UnstructuredItem, backup: Backup): Promise<BackupItemActionV2Output> {
    const log = actionLog();
    log?.info("Starting PVCBackupItemAction");
    if (finalizing(backup)) return { item };
    const ns = item.metadata.namespace ?? "";
    const name = item.metadata.name;
    const spec = (item.spec ?? {}) as { storageClassName?: string | null; volumeName?: string; resources?: { requests?: Record<string, string> } };
    if (spec.storageClassName === undefined || spec.storageClassName === null) {
      throw new Error(`Cannot snapshot PVC ${ns}/${name}, PVC has no storage class.`);
    }
    const pv = await persistentVolumeOf((name) => this.#kube.get(GVR.persistentVolumes, name), item);
    if (!(pv.spec as { csi?: unknown } | undefined)?.csi) {
      log?.info(`Skipping PVC ${ns}/${name}, associated PV ${pv.metadata.name} is not a CSI volume`);
      return { item: withAnnotations(item, { [CSI_KEYS.skippedNoCsiPv]: "true" }) };
    }
    if (backup.spec?.snapshotMoveData === true) {
      // Velero would hand the snapshot to its data mover (a DataUpload the node agent serves);
      // as when that cannot be created, the claim is backed up without a snapshot and the error
      // makes the backup PartiallyFailed.
      log?.error(
        `PVC ${ns}/${name}: the backup asks for snapshot data movement (snapshotMoveData), which needs Velero's data mover in its node agent; velero-ts has none, so the volume is not snapshotted. Back up without --snapshot-move-data to keep a CSI snapshot instead.`,
      );
      return { item };
    }

    const storageClass = await this.#kube.get(GVR.storageClasses, spec.storageClassName);
    if (!storageClass) throw new Error(`error getting storage class: storageclasses.storage.k8s.io "${spec.storageClassName}" not found`);
    const provisioner = String((storageClass as Obj)["provisioner"] ?? "");
    const vsClass = await this.#snapshotClass(provisioner, backup, item).catch((err: unknown) => {
      throw new Error(`failed to get VolumeSnapshotClass for StorageClass ${spec.storageClassName}: ${getErrorMessage(err)}`, { cause: err });
    });
    log?.info(`VolumeSnapshotClass=${vsClass}`);

    const backupName = backup.metadata.name ?? "";
    const created = await this.#kube
      .create(GVR.volumeSnapshots, {
        apiVersion: `${SNAPSHOT_GROUP}/v1`,
        kind: "VolumeSnapshot",
        metadata: { generateName: `velero-${name}-`, namespace: ns, labels: { ...(item.metadata.labels ?? {}), [LABELS.backupName]: validLabelValue(backupName) } },
        spec: { source: { persistentVolumeClaimName: name }, volumeSnapshotClassName: vsClass },
      } as unknown as UnstructuredItem)
      .catch((err: unknown) => {
        throw new Error(`error creating volume snapshot for PVC ${ns}/${name}: ${getErrorMessage(err)}`, { cause: err });
      });
    const vsName = created.metadata.name;
    log?.info(`Created VolumeSnapshot ${ns}/${vsName}`);

    const timeoutMs = backup.spec?.csiSnapshotTimeout ? parseGoDuration(backup.spec.csiSnapshotTimeout) : DEFAULT_CSI_SNAPSHOT_TIMEOUT_MS;
    let content: UnstructuredItem;
    try {
      content = await this.#awaitSnapshotHandle(ns, vsName, timeoutMs);
    } catch (err) {
      log?.error(`Failed to wait for VolumeSnapshot ${ns}/${vsName} to become ReadyToUse within timeout ${backup.spec?.csiSnapshotTimeout ?? "10m0s"}: ${getErrorMessage(err)}`);
      await cleanupVolumeSnapshot(this.#kube, ns, vsName);
      throw err;
    }

    const out = withAnnotations(
      item,
      { [CSI_KEYS.volumeSnapshotName]: vsName, [ANNOTATIONS.mustIncludeAdditionalItems]: "true" },
      { [CSI_KEYS.volumeSnapshotName]: vsName, [LABELS.backupName]: backupName },
    );
    growRequestToRestoreSize(out, (content.status as ContentStatus | undefined)?.restoreSize);
    log?.info("Returning from PVCBackupItemAction with 1 additionalItems to backup");
    return { item: out, additionalItems: [{ group: SNAPSHOT_GROUP, resource: "volumesnapshots", namespace: ns, name: vsName }] };
  }

  async progress(operationId: string): Promise<OperationProgress> {
    // Only data movement (which velero-ts has not) makes this action start operations.
    throw noOperation(operationId);
  }

  async cancel(operationId: string): Promise<void> {
    throw noOperation(operationId);
  }

  /** Velero's GetVolumeSnapshotClass: the claim's annotation, the backup's for the driver, then the class labelled for the driver (or Kubernetes' default, or the only one). */
  async #snapshotClass(driver: string, backup: Backup, pvc: UnstructuredItem): Promise<string> {
    const classes = (await this.#kube.list(GVR.volumeSnapshotClasses)).items.map((c) => ({
      name: c.metadata.name,
      driver: String((c as Obj)["driver"] ?? ""),
      labels: c.metadata.labels ?? {},
      annotations: c.metadata.annotations ?? {},
    }));
    const log = actionLog();
    const named = (wanted: string, where: string): string | undefined => {
      const c = classes.find((k) => k.name.toLowerCase() === wanted.toLowerCase());
      if (!c) {
        log?.debug(`No CSI VolumeSnapshotClass found with name ${wanted} for driver ${driver} (${where})`);
        return undefined;
      }
      if (c.driver.toLowerCase() !== driver.toLowerCase()) {
        log?.debug(`Incorrect VolumeSnapshotClass ${c.name} is not for driver ${driver} (${where})`);
        return undefined;
      }
      return c.name;
    };
    const fromClaim = pvc.metadata.annotations?.[CSI_KEYS.snapshotClass];
    const byClaim = fromClaim !== undefined ? named(fromClaim, `annotation of PVC ${pvc.metadata.name}`) : undefined;
    if (byClaim) return byClaim;
    const fromBackup = backup.metadata.annotations?.[backupSnapshotClassAnnotation(driver)];
    const byBackup = fromBackup !== undefined ? named(fromBackup, `annotation of backup ${backup.metadata.name}`) : undefined;
    if (byBackup) return byBackup;
    const forDriver = classes.filter((c) => c.driver === driver);
    const labelled = forDriver.find((c) => CSI_KEYS.snapshotClass in c.labels);
    if (labelled) return labelled.name;
    const byDefault = forDriver.find((c) => CSI_KEYS.defaultSnapshotClass in c.annotations);
    if (byDefault) return byDefault.name;
    if (forDriver.length === 1) return (forDriver[0] as { name: string }).name;
    throw new Error(
      `failed to get VolumeSnapshotClass for provisioner ${driver}: ensure that the desired VolumeSnapshotClass has the ${CSI_KEYS.snapshotClass} label or ${CSI_KEYS.defaultSnapshotClass} annotation, and that its driver matches the StorageClass provisioner`,
    );
  }

  /** Velero's WaitUntilVSCHandleIsReady: the snapshot's content, once it has a snapshot handle. */
  async #awaitSnapshotHandle(ns: string, vsName: string, timeoutMs: number): Promise<UnstructuredItem> {
    const log = actionLog();
    const deadline = Date.now() + timeoutMs;
    let pause = this.#firstPollMs;
    let lastContent: UnstructuredItem | undefined;
    for (let look = 0; ; look++) {
      const vs = await this.#kube.get(GVR.volumeSnapshots, vsName, ns);
      if (!vs) throw new Error(`failed to get volumesnapshot ${ns}/${vsName}: not found`);
      const bound = (vs.status as SnapshotStatus | undefined)?.boundVolumeSnapshotContentName;
      if (bound) {
        const content = await this.#kube.get(GVR.volumeSnapshotContents, bound);
        if (!content) throw new Error(`failed to get VolumeSnapshotContent ${bound} for VolumeSnapshot ${ns}/${vsName}: not found`);
        lastContent = content;
        const status = content.status as ContentStatus | undefined;
        if (status?.snapshotHandle) return content;
        if (look === 0 || pause >= this.#maxPollMs) log?.info(`Waiting for VolumeSnapshotContents ${bound} to have snapshot handle. Retrying in ${pause} ms`);
        if (status?.error?.message) log?.warn(`VolumeSnapshotContent ${bound} has error: ${status.error.message}`);
      } else if (look === 0 || pause >= this.#maxPollMs) {
        log?.info(`Waiting for CSI driver to reconcile volumesnapshot ${ns}/${vsName}. Retrying in ${pause} ms`);
      }
      if (Date.now() + pause > deadline) break;
      await this.#sleep(pause);
      pause = Math.min(pause * 2, this.#maxPollMs);
    }
    const contentError = (lastContent?.status as ContentStatus | undefined)?.error?.message;
    if (contentError) throw new Error(`CSI got timed out with error: ${contentError}`);
    throw new Error(`timed out awaiting reconciliation of volumesnapshot ${ns}/${vsName}: the CSI driver gave it no snapshot handle within ${Math.round(timeoutMs / 1000)}s; check the snapshot controller, the CSI driver's snapshotter sidecar and the VolumeSnapshot's events, or raise --csi-snapshot-timeout`);
  }
}

export class CsiVolumeSnapshotBackupAction implements BackupItemActionV2 {
  readonly #kube: KubeClient;
  readonly #now: () => Date;

  constructor(kube: KubeClient, now: () => Date = () => new Date()) {
    this.#kube = kube;
    this.#now = now;
  }

  async appliesTo(): Promise<ResourceSelector> {
    return selector("volumesnapshots.snapshot.storage.k8s.io");
  }

  async execute(item: UnstructuredItem, backup: Backup): Promise<BackupItemActionV2Output> {
    const log = actionLog();
    log?.info("Executing VolumeSnapshotBackupItemAction");
    const ns = item.metadata.namespace ?? "";
    const name = item.metadata.name;
    const spec = (item.spec ?? {}) as { volumeSnapshotClassName?: string };
    const status = (item.status ?? {}) as SnapshotStatus;
    if (finalizing(backup)) {
      await deleteReadyVolumeSnapshot(this.#kube, ns, name, status.boundVolumeSnapshotContentName);
      return { item };
    }
    const additionalItems: ResourceIdentifier[] = [];
    if (spec.volumeSnapshotClassName) additionalItems.push({ group: SNAPSHOT_GROUP, resource: "volumesnapshotclasses", namespace: "", name: spec.volumeSnapshotClassName });
    log?.info(`Getting VolumesnapshotContent for Volumesnapshot ${ns}/${name}`);
    let content: UnstructuredItem | undefined;
    try {
      if (!status.boundVolumeSnapshotContentName) throw new Error(`invalid snapshot info in volume snapshot ${name}`);
      content = await this.#kube.get(GVR.volumeSnapshotContents, status.boundVolumeSnapshotContentName);
      if (!content) throw new Error(`error getting volume snapshot content from API: volumesnapshotcontents.snapshot.storage.k8s.io "${status.boundVolumeSnapshotContentName}" not found`);
    } catch (err) {
      await cleanupVolumeSnapshot(this.#kube, ns, name);
      throw err;
    }
    const contentSpec = (content.spec ?? {}) as { deletionPolicy?: string; driver?: string };
    const contentStatus = (content.status ?? {}) as ContentStatus;
    const annotations: Record<string, string> = {};
    additionalItems.push({ group: SNAPSHOT_GROUP, resource: "volumesnapshotcontents", namespace: "", name: content.metadata.name });
    annotations[CSI_KEYS.vscDeletionPolicy] = contentSpec.deletionPolicy ?? "";
    if (contentStatus.snapshotHandle) {
      annotations[CSI_KEYS.snapshotHandle] = contentStatus.snapshotHandle;
      annotations[CSI_KEYS.driverName] = contentSpec.driver ?? "";
    }
    if (typeof contentStatus.restoreSize === "number") annotations[CSI_KEYS.restoreSize] = binaryQuantity(contentStatus.restoreSize);
    log?.info(`Patching VolumeSnapshotContent ${content.metadata.name} with velero BackupNameLabel`);
    try {
      await this.#kube.patch(GVR.volumeSnapshotContents, content.metadata.name, undefined, { metadata: { labels: { [LABELS.backupName]: validLabelValue(backup.metadata.name ?? "") } } });
    } catch (err) {
      log?.warn(`Failed to patch VolumeSnapshotContent ${content.metadata.name}: ${getErrorMessage(err)}`);
    }
    try {
      await this.#kube.patch(GVR.volumeSnapshots, name, ns, { metadata: { annotations } });
    } catch (err) {
      log?.error(`Fail to patch VolumeSnapshot: ${getErrorMessage(err)}.`);
      throw err;
    }
    const out = withAnnotations(item, { ...annotations, [ANNOTATIONS.mustIncludeAdditionalItems]: "true" });
    log?.info(`Returning from VolumeSnapshotBackupItemAction with ${additionalItems.length} additionalItems to backup`);
    return {
      item: out,
      additionalItems,
      operationId: `${ns}/${name}/${rfc3339(this.#now())}`,
      postOperationItems: [
        { group: SNAPSHOT_GROUP, resource: "volumesnapshots", namespace: ns, name },
        { group: SNAPSHOT_GROUP, resource: "volumesnapshotcontents", namespace: "", name: content.metadata.name },
      ],
    };
  }

  /** Completed once the snapshot's content is ready to use (or has failed). */
  async progress(operationId: string): Promise<OperationProgress> {
    const parts = operationId.split("/");
    if (operationId === "" || parts.length !== 3) throw noOperation(operationId);
    const [ns, name, started] = parts as [string, string, string];
    const startedAt = new Date(started);
    if (Number.isNaN(startedAt.getTime())) throw new Error(`error parsing operation ID's StartedTime part into time ${operationId}`);
    const progress: OperationProgress = { completed: false, err: "", nCompleted: 0, nTotal: 0, operationUnits: "", description: "", started: startedAt };
    const vs = await this.#kube.get(GVR.volumeSnapshots, name, ns);
    if (!vs) throw new Error(`error getting volumesnapshot ${ns}/${name}: not found`);
    const status = vs.status as SnapshotStatus | undefined;
    if (!status) return progress;
    const log = actionLog();
    if (status.readyToUse !== true && status.error) {
      log?.warn(`VolumeSnapshot has a temporary error ${status.error.message ?? ""}. Snapshot controller will retry later.`);
      return progress;
    }
    if (!status.boundVolumeSnapshotContentName) return progress;
    const content = await this.#kube.get(GVR.volumeSnapshotContents, status.boundVolumeSnapshotContentName);
    if (!content) throw new Error(`error getting VolumeSnapshotContent ${status.boundVolumeSnapshotContentName}: not found`);
    const contentStatus = content.status as ContentStatus | undefined;
    if (!contentStatus) return progress;
    if (contentStatus.readyToUse === true) {
      progress.completed = true;
      progress.updated = this.#now();
    } else if (contentStatus.error) {
      progress.completed = true;
      progress.updated = this.#now();
      progress.err = contentStatus.error.message ?? "";
      log?.warn(`VolumeSnapshotContent meets an error ${progress.err}.`);
    }
    return progress;
  }

  async cancel(): Promise<void> {}
}

/** Backs up the secret named by a pair of annotations (namespace and name) with the item. */
interface SecretAddingOptions {
  resource: string;
  nameKey: string;
  namespaceKey: string;
  /** Velero's action name, for its log lines. */
  label: string;
  /** Velero's content action does nothing while the backup finalizes; its class action runs then too. */
  idleWhileFinalizing: boolean;
}

class SecretAddingAction implements BackupItemActionV2 {
  readonly #o: SecretAddingOptions;

  constructor(options: SecretAddingOptions) {
    this.#o = options;
  }

  async appliesTo(): Promise<ResourceSelector> {
    return selector(this.#o.resource);
  }

  async execute(item: UnstructuredItem, backup: Backup): Promise<BackupItemActionV2Output> {
    const log = actionLog();
    log?.info(`Executing ${this.#o.label}`);
    if (this.#o.idleWhileFinalizing && finalizing(backup)) return { item };
    const secret = secretFromAnnotations(item, this.#o.nameKey, this.#o.namespaceKey);
    log?.info(`Returning from ${this.#o.label} with ${secret ? 1 : 0} additionalItems to backup`);
    if (!secret) return { item, additionalItems: [] };
    return { item: withAnnotations(item, { [ANNOTATIONS.mustIncludeAdditionalItems]: "true" }), additionalItems: [secret] };
  }

  async progress(operationId: string): Promise<OperationProgress> {
    throw noOperation(operationId);
  }

  async cancel(): Promise<void> {}
}

export function csiVolumeSnapshotContentBackupAction(): BackupItemActionV2 {
  return new SecretAddingAction({
    resource: "volumesnapshotcontents.snapshot.storage.k8s.io",
    nameKey: CSI_KEYS.secretName,
    namespaceKey: CSI_KEYS.secretNamespace,
    label: "VolumeSnapshotContentBackupItemAction",
    idleWhileFinalizing: true,
  });
}

export function csiVolumeSnapshotClassBackupAction(): BackupItemActionV2 {
  return new SecretAddingAction({
    resource: "volumesnapshotclasses.snapshot.storage.k8s.io",
    nameKey: CSI_KEYS.listSecretName,
    namespaceKey: CSI_KEYS.listSecretNamespace,
    label: "VolumeSnapshotClassBackupItemAction",
    idleWhileFinalizing: false,
  });
}

/** Velero's built-in CSI backup item actions, in its registration order. */
export function builtinCsiBackupItemActions(kube: KubeClient): { name: string; create(): BackupItemActionV2 }[] {
  return [
    { name: "velero.io/csi-pvc-backupper", create: () => new CsiPvcBackupAction(kube) },
    { name: "velero.io/csi-volumesnapshot-backupper", create: () => new CsiVolumeSnapshotBackupAction(kube) },
    { name: "velero.io/csi-volumesnapshotcontent-backupper", create: csiVolumeSnapshotContentBackupAction },
    { name: "velero.io/csi-volumesnapshotclass-backupper", create: csiVolumeSnapshotClassBackupAction },
  ];
}

/** kubeutil.GetPVForPVC: the claim's bound volume (read with `getPv`), or an error saying why there is none. */
export async function persistentVolumeOf(getPv: (name: string) => Promise<UnstructuredItem | undefined>, pvc: UnstructuredItem): Promise<UnstructuredItem> {
  const where = `${pvc.metadata.namespace ?? ""}/${pvc.metadata.name}`;
  const volumeName = (pvc.spec as { volumeName?: string } | undefined)?.volumeName;
  if (!volumeName) throw new Error(`PVC ${where} has no volume backing this claim`);
  const phase = (pvc.status as { phase?: string } | undefined)?.phase;
  if (phase !== "Bound") throw new Error(`PVC ${where} is in phase ${phase ?? ""} and is not bound to a volume`);
  const pv = await getPv(volumeName);
  if (!pv) throw new Error(`failed to get PV ${volumeName} for PVC ${where}: persistentvolumes "${volumeName}" not found`);
  return pv;
}

/** A claim whose snapshot is larger than its request asks for the snapshot's size (else its restore would not fit). */
function growRequestToRestoreSize(pvc: UnstructuredItem, restoreSize: number | undefined): void {
  if (typeof restoreSize !== "number") return;
  const size = binaryQuantity(restoreSize);
  const spec = ((pvc.spec ??= {}) as { resources?: { requests?: Record<string, string> } });
  const requests = ((spec.resources ??= {}).requests ??= {});
  const current = requests["storage"];
  if (current !== undefined && compareQuantities(parseQuantity(current), parseQuantity(size)) >= 0) return;
  requests["storage"] = size;
  actionLog()?.info(`Resetting storage requests for PVC ${pvc.metadata.namespace ?? ""}/${pvc.metadata.name} to ${size}`);
}

/** Velero's CleanupVolumeSnapshot: the snapshot goes, and its storage snapshot with it. */
async function cleanupVolumeSnapshot(kube: KubeClient, ns: string, name: string): Promise<void> {
  const log = actionLog();
  log?.info(`Deleting Volumesnapshot ${ns}/${name}`);
  try {
    const vs = await kube.get(GVR.volumeSnapshots, name, ns);
    if (!vs) return;
    const bound = (vs.status as SnapshotStatus | undefined)?.boundVolumeSnapshotContentName;
    if (bound) await kube.patch(GVR.volumeSnapshotContents, bound, undefined, { spec: { deletionPolicy: "Delete" } }).catch(() => undefined);
    await kube.delete(GVR.volumeSnapshots, name, ns);
    log?.info(`Deleted volumesnapshot with volumesnapshotContent ${ns}/${name}`);
  } catch (err) {
    log?.debug(`Failed to delete volumesnapshot ${ns}/${name}: ${getErrorMessage(err)}`);
  }
}

/** Velero's DeleteReadyVolumeSnapshot: content set to Retain and deleted, then the snapshot; the storage snapshot stays. */
async function deleteReadyVolumeSnapshot(kube: KubeClient, ns: string, name: string, contentName: string | undefined): Promise<void> {
  const log = actionLog();
  log?.info(`Deleting Volumesnapshot ${ns}/${name}`);
  if (!contentName) {
    log?.error(`VolumeSnapshot ${ns}/${name} is not ready. This is not expected.`);
    return;
  }
  try {
    await kube.patch(GVR.volumeSnapshotContents, contentName, undefined, { spec: { deletionPolicy: "Retain" } });
  } catch (err) {
    log?.warn(`Failed to patch DeletionPolicy of VolumeSnapshot ${ns}/${name}: ${getErrorMessage(err)}`);
    return;
  }
  try {
    await kube.delete(GVR.volumeSnapshotContents, contentName);
  } catch (err) {
    log?.warn(`Failed to delete the VolumeSnapshotContent ${contentName}: ${getErrorMessage(err)}`);
  }
  try {
    await kube.delete(GVR.volumeSnapshots, name, ns);
    log?.info(`Deleted VolumeSnapshot ${ns}/${name} and VolumeSnapshotContent ${contentName}`);
  } catch (err) {
    log?.warn(`Failed to delete VolumeSnapshot ${ns}/${name}: ${getErrorMessage(err)}`);
  }
}

/** Go's time.RFC3339 in UTC ("2026-11-28T17:04:05Z"). */
function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}
