import { describe, expect, it } from "vitest";
import type { VolumeType } from "@aws-sdk/client-ec2";
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import { EbsVolumeSnapshotter, mergeSnapshotTags, tagsForRestoredVolume } from "./volume-snapshotter.js";
import type { Ec2Settings } from "./config.js";
import { ec2Error, FakeEc2Api, networkError, recordingLogger } from "./testing/fakes.js";

async function snapshotterWith(
  fake = new FakeEc2Api(),
  config: Record<string, string> = { region: "us-east-1" },
  env: NodeJS.ProcessEnv = {},
): Promise<{ snapshotter: EbsVolumeSnapshotter; fake: FakeEc2Api; settings: Ec2Settings[] }> {
  const settings: Ec2Settings[] = [];
  const snapshotter = new EbsVolumeSnapshotter({
    env,
    createApi: async (s) => {
      settings.push(s);
      return fake;
    },
  });
  await snapshotter.init(config);
  return { snapshotter, fake, settings };
}

describe("EbsVolumeSnapshotter", () => {
  it("rejects unknown VSL keys at Init", async () => {
    const snapshotter = new EbsVolumeSnapshotter({ env: {}, createApi: async () => new FakeEc2Api() });
    await expect(snapshotter.init({ region: "us-east-1", s3Url: "http://x" })).rejects.toThrow(/invalid keys \[s3Url\]/);
  });

  it("passes region, profile and the credentials file to the EC2 client factory", async () => {
    const { settings } = await snapshotterWith(undefined, { region: "eu-west-1", profile: "p" }, { AWS_SHARED_CREDENTIALS_FILE: "/credentials/cloud" });
    expect(settings).toEqual([{ region: "eu-west-1", profile: "p", credentialsFile: "/credentials/cloud" }]);
  });

  it("snapshots a volume with Velero's tags first and the volume's other tags copied", async () => {
    const fake = new FakeEc2Api();
    fake.addVolume({
      VolumeId: "vol-1",
      VolumeType: "gp3",
      Tags: [
        { Key: "velero.io/backup", Value: "older-backup" },
        { Key: "Name", Value: "data" },
      ],
    });
    const { snapshotter } = await snapshotterWith(fake);
    const snapshotId = await snapshotter.createSnapshot("vol-1", "us-east-1a", { "velero.io/pv": "pv-1", "velero.io/backup": "b1" });
    expect(snapshotId).toMatch(/^snap-/);
    expect(fake.createdSnapshots).toEqual([
      {
        VolumeId: "vol-1",
        TagSpecifications: [
          {
            ResourceType: "snapshot",
            Tags: [
              { Key: "velero.io/backup", Value: "b1" },
              { Key: "velero.io/pv", Value: "pv-1" },
              { Key: "Name", Value: "data" },
            ],
          },
        ],
      },
    ]);
  });

  it.each([
    { name: "io1 keeps its IOPS", type: "io1", iops: 3000, expected: { volumeType: "io1", iops: 3000 } },
    { name: "io2 keeps its IOPS", type: "io2", iops: 16000, expected: { volumeType: "io2", iops: 16000 } },
    { name: "gp3 reports no IOPS (as the Go plugin)", type: "gp3", iops: 3000, expected: { volumeType: "gp3" } },
    { name: "gp2 reports no IOPS", type: "gp2", iops: undefined, expected: { volumeType: "gp2" } },
  ])("getVolumeInfo: $name", async ({ type, iops, expected }) => {
    const fake = new FakeEc2Api();
    fake.addVolume({ VolumeId: "vol-1", VolumeType: type as VolumeType, ...(iops ? { Iops: iops } : {}) });
    const { snapshotter } = await snapshotterWith(fake);
    expect(await snapshotter.getVolumeInfo("vol-1", "us-east-1a")).toEqual(expected);
  });

  it("creates a volume in the requested zone with the original type, IOPS, encryption and tags", async () => {
    const fake = new FakeEc2Api();
    fake.snapshots.set("snap-1", { SnapshotId: "snap-1", Encrypted: true, Tags: [{ Key: "velero.io/backup", Value: "b1" }] });
    const { snapshotter } = await snapshotterWith(fake);
    const volumeId = await snapshotter.createVolumeFromSnapshot({ snapshotId: "snap-1", volumeType: "io1", volumeAZ: "us-east-1c", iops: 4000 });
    expect(fake.volumes.get(volumeId)?.AvailabilityZone).toBe("us-east-1c");
    expect(fake.createdVolumes).toEqual([
      {
        SnapshotId: "snap-1",
        AvailabilityZone: "us-east-1c",
        VolumeType: "io1",
        Iops: 4000,
        Encrypted: true,
        TagSpecifications: [{ ResourceType: "volume", Tags: [{ Key: "velero.io/backup", Value: "b1" }] }],
      },
    ]);
  });

  it("does not send IOPS for types without provisioned IOPS, and applies ebsKmsKeyId", async () => {
    const fake = new FakeEc2Api();
    fake.snapshots.set("snap-1", { SnapshotId: "snap-1", Encrypted: false });
    const { snapshotter } = await snapshotterWith(fake, { region: "us-east-1", ebsKmsKeyId: "alias/ebs" });
    await snapshotter.createVolumeFromSnapshot({ snapshotId: "snap-1", volumeType: "gp3", volumeAZ: "us-east-1a", iops: 3000 });
    expect(fake.createdVolumes[0]).toMatchObject({ VolumeType: "gp3", Encrypted: true, KmsKeyId: "alias/ebs" });
    expect(fake.createdVolumes[0]).not.toHaveProperty("Iops");
  });

  it("sends no tag specification when there are no tags (EC2 rejects empty ones)", async () => {
    const fake = new FakeEc2Api();
    fake.addVolume({ VolumeId: "vol-1", VolumeType: "gp3" });
    const { snapshotter } = await snapshotterWith(fake);
    const snapshotId = await snapshotter.createSnapshot("vol-1", "us-east-1a", {});
    await snapshotter.createVolumeFromSnapshot({ snapshotId, volumeType: "gp3", volumeAZ: "us-east-1a" });
    expect(fake.createdSnapshots[0]).toEqual({ VolumeId: "vol-1" });
    expect(fake.createdVolumes[0]).not.toHaveProperty("TagSpecifications");
  });

  it("treats deleting a snapshot that is already gone as success", async () => {
    const { snapshotter, fake } = await snapshotterWith();
    await expect(snapshotter.deleteSnapshot("snap-missing")).resolves.toBeUndefined();
    fake.snapshots.set("snap-1", { SnapshotId: "snap-1" });
    await snapshotter.deleteSnapshot("snap-1");
    expect(fake.snapshots.has("snap-1")).toBe(false);
  });

  it("reports other delete failures with the snapshot, region and endpoint", async () => {
    const { snapshotter, fake } = await snapshotterWith(new FakeEc2Api({ endpoint: "http://127.0.0.1:5000" }));
    fake.failNext("deleteSnapshot", ec2Error("UnauthorizedOperation", 403, "You are not authorized to perform this operation."));
    await expect(snapshotter.deleteSnapshot("snap-1")).rejects.toThrow(
      'failed to delete snapshot "snap-1" (endpoint "http://127.0.0.1:5000", region "us-east-1"): access denied (UnauthorizedOperation): You are not authorized to perform this operation.; check the credentials (profile "default", default credential chain) and their permissions',
    );
  });

  it("explains an unreachable EC2 endpoint", async () => {
    const { snapshotter, fake } = await snapshotterWith(new FakeEc2Api({ endpoint: "http://127.0.0.1:1" }));
    fake.failNext("describeVolumes", networkError("ECONNREFUSED"));
    await expect(snapshotter.createSnapshot("vol-1", "us-east-1a", {})).rejects.toThrow(
      /failed to snapshot volume "vol-1" \(endpoint "http:\/\/127.0.0.1:1", region "us-east-1"\): endpoint "http:\/\/127.0.0.1:1" is unreachable \(ECONNREFUSED\).*check AWS_ENDPOINT_URL_EC2/,
    );
  });

  it("fails clearly when the volume to snapshot does not exist", async () => {
    const { snapshotter } = await snapshotterWith();
    await expect(snapshotter.createSnapshot("vol-nope", "us-east-1a", {})).rejects.toThrow(
      /failed to snapshot volume "vol-nope" .*not found \(InvalidVolume.NotFound\)/,
    );
  });

  it("returns the volume ID of EBS PVs and '' (with an info log) for other CSI drivers", async () => {
    const log = recordingLogger();
    const snapshotter = new EbsVolumeSnapshotter({ env: {}, log, createApi: async () => new FakeEc2Api() });
    const pv = (spec: object): UnstructuredItem => ({ apiVersion: "v1", kind: "PersistentVolume", metadata: { name: "pv-1" }, spec });
    expect(await snapshotter.getVolumeId(pv({ awsElasticBlockStore: { volumeID: "aws://us-east-1a/vol-9" } }))).toBe("vol-9");
    expect(await snapshotter.getVolumeId(pv({ csi: { driver: "hostpath.csi.k8s.io", volumeHandle: "h" } }))).toBe("");
    expect(log.entries).toEqual([{ level: "info", fields: { name: "pv-1" }, msg: 'unable to handle CSI driver "hostpath.csi.k8s.io"' }]);
    const restored = await snapshotter.setVolumeId(pv({ csi: { driver: "ebs.csi.aws.com", volumeHandle: "vol-1" } }), "vol-2");
    expect(restored["spec"]).toEqual({ csi: { driver: "ebs.csi.aws.com", volumeHandle: "vol-2" } });
  });
});

describe("mergeSnapshotTags", () => {
  it("lets Velero's tags replace same-keyed volume tags", () => {
    expect(
      mergeSnapshotTags({ b: "2", a: "1" }, [
        { Key: "a", Value: "old" },
        { Key: "c", Value: "3" },
      ]),
    ).toEqual([
      { Key: "a", Value: "1" },
      { Key: "b", Value: "2" },
      { Key: "c", Value: "3" },
    ]);
  });
});

describe("tagsForRestoredVolume", () => {
  const snapshotTags = [
    { Key: "kubernetes.io/cluster/old", Value: "owned" },
    { Key: "KubernetesCluster", Value: "old" },
    { Key: "velero.io/backup", Value: "b1" },
  ];

  it("copies the snapshot's tags unchanged without AWS_CLUSTER_NAME", () => {
    expect(tagsForRestoredVolume(snapshotTags, undefined)).toEqual(snapshotTags);
  });

  it("replaces cluster ownership tags with the current cluster's", () => {
    expect(tagsForRestoredVolume(snapshotTags, "new")).toEqual([
      { Key: "kubernetes.io/cluster/new", Value: "owned" },
      { Key: "KubernetesCluster", Value: "new" },
      { Key: "velero.io/backup", Value: "b1" },
    ]);
  });
});
