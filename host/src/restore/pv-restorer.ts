/**
 * Recreates a PersistentVolume's volume from its native snapshot (Velero's pvRestorer): the
 * snapshot record names the VolumeSnapshotLocation, whose provider's VolumeSnapshotter creates a
 * volume from the snapshot and rewrites the PV to point at it.
 */
import type { UnstructuredItem, VolumeSnapshotter } from "@velero-ts/plugin-sdk";
import type { NativeSnapshotRecord } from "../persistence/backup-store.js";
import type { Logger } from "../shared/logging.js";

/** Resolves a VolumeSnapshotLocation name to an initialised snapshotter of its provider. */
export type VolumeSnapshotterGetter = (locationName: string) => Promise<{ provider: string; snapshotter: VolumeSnapshotter }>;

/** What RestoreVolumeInfo records for a native snapshot restore. */
export interface NativeSnapshotRestoreInfo {
  pvName: string;
  snapshotHandle: string;
  volumeType: string;
  volumeAZ: string;
  iops: string;
}

export function findSnapshot(pvName: string, snapshots: readonly NativeSnapshotRecord[]): NativeSnapshotRecord | undefined {
  return snapshots.find((s) => s.spec.persistentVolumeName === pvName);
}

export interface PvRestoreResult {
  pv: UnstructuredItem;
  restored?: NativeSnapshotRestoreInfo;
}

/**
 * Returns the PV unchanged when restorePVs is false or there is no snapshot; otherwise the PV
 * pointing at the new volume. Throws with the PV and location named when the provider fails.
 */
export async function restorePvFromSnapshot(input: {
  pv: UnstructuredItem;
  restorePVs: boolean | undefined;
  snapshots: readonly NativeSnapshotRecord[];
  getVolumeSnapshotter: VolumeSnapshotterGetter | undefined;
  log: Logger;
}): Promise<PvRestoreResult> {
  const { pv, log } = input;
  const pvName = pv.metadata.name;
  if (input.restorePVs === false) return { pv };
  const snapshot = findSnapshot(pvName, input.snapshots);
  if (!snapshot) {
    log.info({ name: pvName }, "no snapshot found for persistent volume");
    return { pv };
  }
  const snapshotId = snapshot.status.providerSnapshotID ?? "";
  if (snapshotId === "") throw new Error(`native snapshot of persistent volume "${pvName}" has no providerSnapshotID (phase ${snapshot.status.phase ?? "unknown"})`);
  if (!input.getVolumeSnapshotter) {
    throw new Error(`persistent volume "${pvName}" has a native snapshot in location "${snapshot.spec.location}" but no volume snapshotter is configured`);
  }
  const { provider, snapshotter } = await input.getVolumeSnapshotter(snapshot.spec.location);
  const volumeId = await snapshotter.createVolumeFromSnapshot({
    snapshotId,
    volumeType: snapshot.spec.volumeType,
    volumeAZ: snapshot.spec.volumeAZ ?? "",
    iops: snapshot.spec.volumeIOPS,
  });
  log.info({ name: pvName, plugin: provider }, `restored persistent volume from snapshot ${snapshotId} as volume ${volumeId}`);
  const updated = await snapshotter.setVolumeId(pv, volumeId);
  return {
    pv: updated,
    restored: {
      pvName: updated.metadata.name,
      snapshotHandle: snapshotId,
      volumeType: snapshot.spec.volumeType,
      volumeAZ: snapshot.spec.volumeAZ ?? "",
      iops: String(snapshot.spec.volumeIOPS ?? 0),
    },
  };
}
