// velero.io/aws VolumeSnapshotter against moto's EC2, with the plugin running as a real process
// spawned by the host's plugin manager. The plugin finds moto through AWS_ENDPOINT_URL_EC2 in its
// environment, as the Go plugin does (a VolumeSnapshotLocation has no endpoint key).
import { DescribeSnapshotsCommand, DescribeVolumesCommand } from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UnstructuredItem, VolumeSnapshotter } from "@velero-ts/plugin-sdk";
import { describeVolumeSnapshotterConformance } from "@velero-ts/plugin-sdk/testing";
import { loadEndpoints } from "../../helpers/endpoints.ts";
import { createEbsVolume, motoClients, persistentVolume, startAwsPluginHost, type AwsPluginHost } from "./helpers.ts";

const pv = persistentVolume;

describe("velero.io/aws volume snapshotter (plugin process, moto EC2)", () => {
  const { ec2 } = motoClients();
  const region = loadEndpoints().ec2.region;
  const zone = `${region}a`;
  let host: AwsPluginHost;

  const createVolume = (type: "gp3" | "io1", tags: Record<string, string> = {}): Promise<string> => createEbsVolume(ec2, zone, type, tags);

  beforeAll(async () => {
    host = await startAwsPluginHost();
  });
  afterAll(async () => {
    await host?.close();
  });

  describeVolumeSnapshotterConformance("velero.io/aws (EBS CSI PV)", async () => {
    const volumeId = await createVolume("gp3");
    const config = { region };
    return {
      snapshotter: await host.manager.getVolumeSnapshotter("aws", config),
      config,
      volume: { id: volumeId, az: zone, type: "gp3" },
      persistentVolume: pv("pv-csi", { csi: { driver: "ebs.csi.aws.com", volumeHandle: volumeId, fsType: "ext4" } }),
      foreignPersistentVolume: pv("pv-hostpath", { csi: { driver: "hostpath.csi.k8s.io", volumeHandle: "abc" } }),
      newVolumeId: "vol-0123456789abcdef0",
    };
  });

  describe("Velero's snapshot flow", () => {
    let snapshotter: VolumeSnapshotter;

    beforeAll(async () => {
      snapshotter = await host.manager.getVolumeSnapshotter("velero.io/aws", { region });
    });

    it("backs up an in-tree EBS PV and restores it to a new io1 volume in the original zone", async () => {
      const source = await createVolume("io1", { Name: "app-data", "velero.io/backup": "an-older-backup" });
      const original = pv("pv-ebs", { awsElasticBlockStore: { volumeID: `aws://${zone}/${source}`, fsType: "ext4" } }, {
        "failure-domain.beta.kubernetes.io/zone": zone,
      });

      // backup: GetVolumeID → GetVolumeInfo → CreateSnapshot with Velero's tags
      const volumeId = await snapshotter.getVolumeId(original);
      expect(volumeId).toBe(source);
      expect(await snapshotter.getVolumeInfo(volumeId, zone)).toEqual({ volumeType: "io1", iops: 700 });
      const snapshotId = await snapshotter.createSnapshot(volumeId, zone, { "velero.io/backup": "b1", "velero.io/pv": "pv-ebs" });

      const described = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }));
      const tags = Object.fromEntries((described.Snapshots?.[0]?.Tags ?? []).map((t) => [t.Key, t.Value]));
      expect(tags).toEqual({ "velero.io/backup": "b1", "velero.io/pv": "pv-ebs", Name: "app-data" });

      // restore: CreateVolumeFromSnapshot → SetVolumeID
      const restoredId = await snapshotter.createVolumeFromSnapshot({ snapshotId, volumeType: "io1", volumeAZ: zone, iops: 700 });
      expect(restoredId).not.toBe(source);
      const restored = (await ec2.send(new DescribeVolumesCommand({ VolumeIds: [restoredId] }))).Volumes?.[0];
      expect(restored).toMatchObject({ AvailabilityZone: zone, VolumeType: "io1", Iops: 700, SnapshotId: snapshotId });
      expect(Object.fromEntries((restored?.Tags ?? []).map((t) => [t.Key, t.Value]))).toMatchObject({ "velero.io/backup": "b1" });

      const rewritten = await snapshotter.setVolumeId(original, restoredId);
      expect((rewritten["spec"] as { awsElasticBlockStore: { volumeID: string } }).awsElasticBlockStore.volumeID).toBe(
        `aws://${zone}/${restoredId}`,
      );

      // backup deletion: DeleteSnapshot, twice (the second finds nothing and still succeeds)
      await snapshotter.deleteSnapshot(snapshotId);
      await snapshotter.deleteSnapshot(snapshotId);
      const after = await ec2.send(new DescribeSnapshotsCommand({ Filters: [{ Name: "snapshot-id", Values: [snapshotId] }] }));
      expect(after.Snapshots ?? []).toEqual([]);
    });

    it("explains a missing volume with the volume, region and endpoint", async () => {
      const error = await snapshotter.createSnapshot("vol-00000000000000000", zone, {}).catch((e: unknown) => e);
      const message = (error as Error).message;
      expect(message).toContain('failed to snapshot volume "vol-00000000000000000"');
      expect(message).toContain(`endpoint "${loadEndpoints().ec2.endpoint}", region "${region}"`);
      expect(message).toContain("InvalidVolume.NotFound");
    });

    it("rejects a VolumeSnapshotLocation config with unknown keys or without region", async () => {
      const unknown = await host.manager.getVolumeSnapshotter("aws", { region, bucket: "b" }).catch((e: unknown) => e);
      expect((unknown as Error).message).toMatch(/invalid keys \[bucket\]; valid keys are \[region profile credentialsFile enableSharedConfig ebsKmsKeyId\]/);
      const noRegion = await host.manager.getVolumeSnapshotter("aws", { profile: "default" }).catch((e: unknown) => e);
      expect((noRegion as Error).message).toMatch(/missing region/);
    });
  });
});
