/**
 * The narrow EC2 port the volume snapshotter talks to, and its adapter over @aws-sdk/client-ec2.
 * The endpoint comes from AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL like the Go plugin's SDK
 * (a VolumeSnapshotLocation has no endpoint key); that is how tests point it at moto.
 */
import type { CreateSnapshotCommandInput, CreateVolumeCommandInput, Snapshot, Volume } from "@aws-sdk/client-ec2";
import type { Ec2Settings } from "./config.js";
import { awsClientBaseConfig, configuredEndpoint } from "./aws-client.js";
import type { AwsTarget } from "./errors.js";
import { redactUrlPasswords } from "@velero-ts/plugin-sdk";

/** The EC2 operations the volume snapshotter needs. Implementations throw the SDK's errors unchanged. */
export interface Ec2Api {
  readonly target: AwsTarget;
  describeVolumes(volumeIds: string[]): Promise<Volume[]>;
  describeSnapshots(snapshotIds: string[]): Promise<Snapshot[]>;
  /** Returns the new snapshot's ID. */
  createSnapshot(input: CreateSnapshotCommandInput): Promise<string>;
  /** Returns the new volume's ID. */
  createVolume(input: CreateVolumeCommandInput): Promise<string>;
  deleteSnapshot(snapshotId: string): Promise<void>;
}

export type Ec2ApiFactory = (settings: Ec2Settings) => Promise<Ec2Api>;

/**
 * The production factory. @aws-sdk/client-ec2 is loaded on first use only: it costs ~80 MiB of
 * heap, which a plugin process that only serves the object store should not pay.
 */
export const createAwsEc2Api: Ec2ApiFactory = async (settings) => {
  const { CreateSnapshotCommand, CreateVolumeCommand, DeleteSnapshotCommand, DescribeSnapshotsCommand, DescribeVolumesCommand, EC2Client } =
    await import("@aws-sdk/client-ec2");
  const base = await awsClientBaseConfig(settings);
  const client = new EC2Client({ ...base, region: settings.region });
  const endpoint = configuredEndpoint("EC2");
  const target: AwsTarget = {
    service: "EC2",
    region: settings.region,
    // messages quote it: never with a password in it
    ...(endpoint ? { endpoint: redactUrlPasswords(endpoint) } : {}),
    ...(settings.profile ? { profile: settings.profile } : {}),
    ...(settings.credentialsFile ? { credentialsFile: settings.credentialsFile } : {}),
  };
  return {
    target,
    async describeVolumes(volumeIds) {
      return (await client.send(new DescribeVolumesCommand({ VolumeIds: volumeIds }))).Volumes ?? [];
    },
    async describeSnapshots(snapshotIds) {
      return (await client.send(new DescribeSnapshotsCommand({ SnapshotIds: snapshotIds }))).Snapshots ?? [];
    },
    async createSnapshot(input) {
      const output = await client.send(new CreateSnapshotCommand(input));
      if (!output.SnapshotId) throw new Error(`EC2 CreateSnapshot for volume "${input.VolumeId}" returned no snapshot ID`);
      return output.SnapshotId;
    },
    async createVolume(input) {
      const output = await client.send(new CreateVolumeCommand(input));
      if (!output.VolumeId) throw new Error(`EC2 CreateVolume from snapshot "${input.SnapshotId ?? ""}" returned no volume ID`);
      return output.VolumeId;
    },
    async deleteSnapshot(snapshotId) {
      await client.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }));
    },
  };
};
