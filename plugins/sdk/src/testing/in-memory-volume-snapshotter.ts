// A VolumeSnapshotter kept in memory. Its PersistentVolumes are CSI volumes of the driver
// IN_MEMORY_CSI_DRIVER whose volumeHandle is the volume ID.
import { randomUUID } from "node:crypto";
import type { UnstructuredItem } from "../api/v1/types.js";
import { NotFoundError, ValidationError } from "../contract/errors.js";
import type { CreateVolumeFromSnapshotInput, VolumeInfo, VolumeSnapshotter } from "../contract/plugins.js";

export const IN_MEMORY_CSI_DRIVER = "memory.velero-ts.io";

interface Volume {
  volumeType: string;
  volumeAZ: string;
  iops?: number;
  fromSnapshot?: string;
}

interface Snapshot {
  volumeId: string;
  volumeAZ: string;
  tags: Record<string, string>;
}

export class InMemoryVolumeSnapshotter implements VolumeSnapshotter {
  readonly volumes = new Map<string, Volume>();
  readonly snapshots = new Map<string, Snapshot>();
  #config: Record<string, string> = {};

  get config(): Record<string, string> {
    return { ...this.#config };
  }

  /** Creates a volume to snapshot and returns its ID (test setup). */
  addVolume(volume: { volumeType: string; volumeAZ: string; iops?: number }, id = `vol-${randomUUID()}`): string {
    this.volumes.set(id, { ...volume });
    return id;
  }

  /** A PersistentVolume of this provider for the volume. */
  persistentVolumeFor(volumeId: string, name = `pv-${volumeId}`): UnstructuredItem {
    return {
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: { name },
      spec: { capacity: { storage: "1Gi" }, csi: { driver: IN_MEMORY_CSI_DRIVER, volumeHandle: volumeId } },
    };
  }

  init(config: Record<string, string>): Promise<void> {
    this.#config = { ...config };
    return Promise.resolve();
  }

  createVolumeFromSnapshot(input: CreateVolumeFromSnapshotInput): Promise<string> {
    const snapshot = this.snapshots.get(input.snapshotId);
    if (!snapshot) return Promise.reject(new NotFoundError(`snapshot "${input.snapshotId}" not found`));
    const volume: Volume = { volumeType: input.volumeType, volumeAZ: input.volumeAZ, fromSnapshot: input.snapshotId };
    if (input.iops) volume.iops = input.iops;
    return Promise.resolve(this.addVolume(volume));
  }

  getVolumeInfo(volumeId: string, _volumeAZ: string): Promise<VolumeInfo> {
    const volume = this.volumes.get(volumeId);
    if (!volume) return Promise.reject(new NotFoundError(`volume "${volumeId}" not found`));
    return Promise.resolve(volume.iops ? { volumeType: volume.volumeType, iops: volume.iops } : { volumeType: volume.volumeType });
  }

  createSnapshot(volumeId: string, volumeAZ: string, tags: Record<string, string>): Promise<string> {
    if (!this.volumes.has(volumeId)) return Promise.reject(new NotFoundError(`volume "${volumeId}" not found`));
    const id = `snap-${randomUUID()}`;
    this.snapshots.set(id, { volumeId, volumeAZ, tags: { ...tags } });
    return Promise.resolve(id);
  }

  deleteSnapshot(snapshotId: string): Promise<void> {
    this.snapshots.delete(snapshotId);
    return Promise.resolve();
  }

  getVolumeId(pv: UnstructuredItem): Promise<string> {
    const csi = (pv.spec as { csi?: { driver?: string; volumeHandle?: string } } | undefined)?.csi;
    return Promise.resolve(csi?.driver === IN_MEMORY_CSI_DRIVER ? (csi.volumeHandle ?? "") : "");
  }

  setVolumeId(pv: UnstructuredItem, volumeId: string): Promise<UnstructuredItem> {
    const spec = (pv.spec ?? {}) as { csi?: Record<string, unknown> };
    if ((spec.csi as { driver?: string } | undefined)?.driver !== IN_MEMORY_CSI_DRIVER) {
      return Promise.reject(new ValidationError(`PersistentVolume "${pv.metadata.name}" is not an ${IN_MEMORY_CSI_DRIVER} volume (spec.csi.driver)`));
    }
    return Promise.resolve({ ...pv, spec: { ...spec, csi: { ...spec.csi, volumeHandle: volumeId } } });
  }
}
