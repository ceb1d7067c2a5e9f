/**
 * The VolumeSnapshotter conformance suite (vitest).
 *
 * ```ts
 * describeVolumeSnapshotterConformance("EbsSnapshotter (fake EC2)", async () => ({
 *   snapshotter, config: { region: "us-east-1" },
 *   volume: { id: "vol-1", az: "us-east-1a", type: "gp3" },
 *   persistentVolume: pvOf("vol-1"),            // a PV whose volume ID is "vol-1"
 *   foreignPersistentVolume: nfsPv,             // a PV of some other provider
 * }));
 * ```
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UnstructuredItem } from "../api/v1/types.js";
import type { VolumeSnapshotter } from "../contract/plugins.js";

export interface VolumeSnapshotterConformanceTarget {
  /** A snapshotter ready to use (already initialised). */
  snapshotter: VolumeSnapshotter;
  /** A valid init() config (init is called again with it). */
  config?: Record<string, string>;
  /** An existing volume the suite may snapshot. */
  volume: { id: string; az: string; type: string };
  /** A PersistentVolume of this provider whose volume ID is `volume.id`. */
  persistentVolume: UnstructuredItem;
  /**
   * A volume ID the suite writes into the PV with setVolumeId and expects back from getVolumeId;
   * default "conformance-new-id". Providers whose IDs have a fixed shape (EBS: "vol-…") pass one.
   */
  newVolumeId?: string;
  /** A PersistentVolume of another provider (getVolumeId must return ""). */
  foreignPersistentVolume?: UnstructuredItem;
  cleanup?: () => Promise<void>;
}

export function describeVolumeSnapshotterConformance(name: string, factory: () => Promise<VolumeSnapshotterConformanceTarget>): void {
  describe(`VolumeSnapshotter conformance: ${name}`, () => {
    let t: VolumeSnapshotterConformanceTarget;
    const snapshots: string[] = [];

    beforeAll(async () => {
      t = await factory();
    });
    afterAll(async () => {
      if (!t) return;
      for (const id of snapshots) await t.snapshotter.deleteSnapshot(id).catch(() => undefined);
      await t.cleanup?.();
    });

    it("can be initialised again with the same config", async () => {
      await t.snapshotter.init(t.config ?? {});
      await t.snapshotter.init(t.config ?? {});
      expect(await t.snapshotter.getVolumeId(t.persistentVolume)).toBe(t.volume.id);
    });

    it("reads the volume ID of its own PersistentVolume", async () => {
      expect(await t.snapshotter.getVolumeId(t.persistentVolume)).toBe(t.volume.id);
    });

    it("returns an empty volume ID for another provider's PersistentVolume", async () => {
      const foreign: UnstructuredItem = t.foreignPersistentVolume ?? {
        apiVersion: "v1",
        kind: "PersistentVolume",
        metadata: { name: "conformance-foreign" },
        spec: { nfs: { server: "nfs.example", path: "/export" } },
      };
      expect(await t.snapshotter.getVolumeId(foreign)).toBe("");
    });

    it("rewrites the volume ID of a PersistentVolume without touching its name", async () => {
      const newId = t.newVolumeId ?? "conformance-new-id";
      const updated = await t.snapshotter.setVolumeId(t.persistentVolume, newId);
      expect(updated.metadata.name).toBe(t.persistentVolume.metadata.name);
      expect(await t.snapshotter.getVolumeId(updated)).toBe(newId);
    });

    it("reports the volume type of a volume", async () => {
      const info = await t.snapshotter.getVolumeInfo(t.volume.id, t.volume.az);
      expect(info.volumeType).toBe(t.volume.type);
    });

    it("snapshots a volume and creates a new volume from the snapshot", async () => {
      const snapshotId = await t.snapshotter.createSnapshot(t.volume.id, t.volume.az, { "velero.io/backup": "conformance" });
      snapshots.push(snapshotId);
      expect(snapshotId).not.toBe("");
      const volumeId = await t.snapshotter.createVolumeFromSnapshot({ snapshotId, volumeType: t.volume.type, volumeAZ: t.volume.az });
      expect(volumeId).not.toBe("");
      expect(volumeId).not.toBe(t.volume.id);
      expect((await t.snapshotter.getVolumeInfo(volumeId, t.volume.az)).volumeType).toBe(t.volume.type);
    });

    it("deletes a snapshot, and deleting it again succeeds", async () => {
      // Velero always tags snapshots with at least these two (the Go aws plugin, like EC2 itself,
      // refuses an empty tag set, so the suite asks nothing Velero would not)
      const snapshotId = await t.snapshotter.createSnapshot(t.volume.id, t.volume.az, { "velero.io/backup": "conformance", "velero.io/pv": "conformance-pv" });
      await t.snapshotter.deleteSnapshot(snapshotId);
      await expect(t.snapshotter.deleteSnapshot(snapshotId)).resolves.toBeUndefined();
    });
  });
}
