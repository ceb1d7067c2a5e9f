/**
 * velero.io/csi-volumesnapshotcontent-delete: deletes the storage snapshot of a VolumeSnapshotContent
 * in a backup being deleted. The content itself is long gone from the cluster (the backup keeps its
 * snapshot, Retain), so a temporary content is made for the recorded snapshot handle (deletionPolicy
 * Delete) and bound to a temporary VolumeSnapshot in the backup's namespace, as a pre-provisioned
 * snapshot is; deleting that snapshot makes the snapshot controller delete the content and the CSI
 * snapshotter the storage snapshot. Contents the backup did not take (no velero.io/backup-name label
 * for it) are left alone.
 *
 * Velero v1.18.1 creates the temporary content alone, with the finalizers of the backed-up copy,
 * and deletes it two seconds later: the finalizer keeps the content until the CSI snapshotter has
 * deleted the snapshot. A content is given no finalizer by external-snapshotter v8 while no
 * VolumeSnapshot is bound to it, so that way depends on the backed-up copy carrying one; binding
 * the content, the documented way to delete a pre-provisioned snapshot, does not, and the action
 * can wait for the deletion and say when it did not happen.
 */
import { randomUUID } from "node:crypto";
import { LABELS, getErrorMessage, type Backup, type DeleteItemAction, type UnstructuredItem } from "@velero-ts/plugin-sdk";
import type { KubeClient } from "../kube/client.js";
import { isNotFound } from "../kube/errors.js";
import { GVR } from "../kube/gvr.js";
import { pollUntil, systemClock } from "../restore/clock.js";
import { actionLog } from "../shared/action-log.js";
import { validLabelValue } from "../shared/label-value.js";
import type { Logger } from "../shared/logging.js";

export const CSI_VSC_DELETE = "velero.io/csi-volumesnapshotcontent-delete";

/** How long the snapshot controller gets to bind the temporary snapshot, and then to delete the content. */
export const TEMP_SNAPSHOT_TIMEOUT_MS = 60_000;

export interface CsiVolumeSnapshotContentDeleteOptions {
  kube: KubeClient;
  logger: Logger;
  /** Default TEMP_SNAPSHOT_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Pause between looks at the temporary objects; default 200 ms. */
  pollMs?: number;
}

type Obj = Record<string, unknown>;

export class CsiVolumeSnapshotContentDeleteAction implements DeleteItemAction {
  readonly #kube: KubeClient;
  readonly #logger: Logger;
  readonly #timeoutMs: number;
  readonly #pollMs: number;

  constructor(options: CsiVolumeSnapshotContentDeleteOptions) {
    this.#kube = options.kube;
    this.#logger = options.logger;
    this.#timeoutMs = options.timeoutMs ?? TEMP_SNAPSHOT_TIMEOUT_MS;
    this.#pollMs = options.pollMs ?? 200;
  }

  async appliesTo() {
    return { includedResources: ["volumesnapshotcontents.snapshot.storage.k8s.io"] };
  }

  async execute(item: UnstructuredItem, backup: Backup): Promise<void> {
    const log = (actionLog() ?? this.#logger).child({ backup: backup.metadata.name, resource: "volumesnapshotcontents.snapshot.storage.k8s.io", name: item.metadata.name });
    log.info("Starting VolumeSnapshotContentDeleteItemAction");
    if (!hasBackupLabel(item, backup.metadata.name)) {
      log.info(`VolumeSnapshotContent ${item.metadata.name} was not taken by backup ${backup.metadata.name}, skipping deletion`);
      return;
    }
    log.info(`Deleting VolumeSnapshotContent ${item.metadata.name}`);
    const name = `vsc-${randomUUID()}`;
    const namespace = backup.metadata.namespace ?? "velero";
    const temp = temporaryContent(item, name, namespace);
    const handle = (temp.spec as { source: { snapshotHandle: string } }).source.snapshotHandle;
    try {
      await this.#kube.create(GVR.volumeSnapshotContents, temp);
    } catch (err) {
      throw new Error(`fail to create VolumeSnapshotContent ${name} to delete the snapshot of VolumeSnapshotContent ${item.metadata.name}: ${getErrorMessage(err)}`, { cause: err });
    }
    try {
      await this.#kube.create(GVR.volumeSnapshots, {
        apiVersion: "snapshot.storage.k8s.io/v1",
        kind: "VolumeSnapshot",
        metadata: { namespace, name, labels: { [LABELS.backupName]: validLabelValue(backup.metadata.name ?? "") } },
        spec: { source: { volumeSnapshotContentName: name } },
      } as UnstructuredItem);
      const bound = await this.#until(async () => {
        const vs = await this.#kube.get(GVR.volumeSnapshots, name, namespace);
        return (vs?.status as { boundVolumeSnapshotContentName?: string } | undefined)?.boundVolumeSnapshotContentName === name;
      });
      if (!bound) {
        throw new Error(
          `the snapshot controller did not bind the temporary VolumeSnapshot ${namespace}/${name} to VolumeSnapshotContent ${name} within ${Math.round(this.#timeoutMs / 1000)}s, so the storage snapshot ${handle} of VolumeSnapshotContent ${item.metadata.name} was not deleted; check that the snapshot controller and the CSI driver's snapshotter are running, then delete the snapshot ${handle} on the storage`,
        );
      }
      await this.#deleteSnapshot(name, namespace);
      const gone = await this.#until(async () => (await this.#kube.get(GVR.volumeSnapshotContents, name)) === undefined);
      if (!gone) {
        throw new Error(
          `VolumeSnapshotContent ${name}, made to delete the storage snapshot ${handle} of VolumeSnapshotContent ${item.metadata.name}, is still there after ${Math.round(this.#timeoutMs / 1000)}s; see its status and events ("kubectl describe volumesnapshotcontent ${name}") for why the CSI driver did not delete the snapshot`,
        );
      }
      log.info(`Deleted the storage snapshot ${handle} of VolumeSnapshotContent ${item.metadata.name}`);
    } catch (err) {
      // whatever failed, no temporary object outlives the call (the content keeps Delete: a snapshot
      // controller that comes back may still delete the storage snapshot through it)
      await this.#deleteSnapshot(name, namespace).catch(() => undefined);
      throw err;
    }
  }

  #until(probe: () => Promise<boolean>): Promise<boolean> {
    return pollUntil(systemClock, this.#pollMs, this.#timeoutMs, probe);
  }

  /** Deletes the temporary VolumeSnapshot (one already gone is no error). */
  async #deleteSnapshot(name: string, namespace: string): Promise<void> {
    try {
      await this.#kube.delete(GVR.volumeSnapshots, name, namespace);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

export function createCsiVolumeSnapshotContentDeleteAction(options: CsiVolumeSnapshotContentDeleteOptions): DeleteItemAction {
  return new CsiVolumeSnapshotContentDeleteAction(options);
}

/** Velero's HasBackupLabel: the item's velero.io/backup-name label is the backup's name in label form. */
function hasBackupLabel(item: UnstructuredItem, backupName: string): boolean {
  const labels = item.metadata.labels;
  if (!labels || backupName.trim() === "") return false;
  return labels[LABELS.backupName] === validLabelValue(backupName);
}

/**
 * A new content for the backed-up one's snapshot handle, under a fresh name, with deletionPolicy
 * Delete, pre-bound to the temporary VolumeSnapshot of the same name, without a class (the
 * deletion must not depend on one) and without the server-set metadata and status.
 */
function temporaryContent(item: UnstructuredItem, name: string, namespace: string): UnstructuredItem {
  const snapshotHandle = (item.status as Obj | undefined)?.snapshotHandle;
  if (typeof snapshotHandle !== "string" || snapshotHandle === "") {
    throw new Error(
      `cannot delete the snapshot of VolumeSnapshotContent ${item.metadata.name}: the backed-up content has no status.snapshotHandle, so there is no snapshot to delete (it was backed up before its snapshot was taken); check the storage for a leftover snapshot and delete it there if one exists`,
    );
  }
  const { volumeSnapshotClassName: _class, ...spec } = (item.spec ?? {}) as Obj;
  return {
    apiVersion: "snapshot.storage.k8s.io/v1",
    kind: "VolumeSnapshotContent",
    metadata: {
      name,
      ...(item.metadata.labels ? { labels: { ...item.metadata.labels } } : {}),
      ...(item.metadata.annotations ? { annotations: { ...item.metadata.annotations } } : {}),
    },
    spec: {
      ...spec,
      deletionPolicy: "Delete",
      source: { snapshotHandle },
      volumeSnapshotRef: { apiVersion: "snapshot.storage.k8s.io/v1", kind: "VolumeSnapshot", namespace, name },
    },
  };
}
