/**
 * `velero.io/aws` VolumeSnapshotter: native EBS snapshots, configured with the keys of
 * velero-plugin-for-aws (region, profile, credentialsFile, enableSharedConfig, ebsKmsKeyId).
 */
import type { CreateVolumeCommandInput, Tag, VolumeType } from "@aws-sdk/client-ec2";
import {
  createNoopPluginLogger,
  VeleroError,
  type PluginLogger,
  type CreateVolumeFromSnapshotInput,
  type UnstructuredItem,
  type VolumeInfo,
  type VolumeSnapshotter,
} from "@velero-ts/plugin-sdk";
import { parseVolumeSnapshotterConfig, type Ec2Settings } from "./config.js";
import { findEbsVolumeId, withEbsVolumeId } from "./ebs-volume-id.js";
import { createAwsEc2Api, type Ec2Api, type Ec2ApiFactory } from "./ec2-api.js";
import { classifyAwsError, explainAwsError } from "./errors.js";

/** Volume types whose provisioned IOPS are captured at backup and re-applied at restore (as the Go plugin). */
export const IOPS_VOLUME_TYPES: ReadonlySet<string> = new Set(["io1", "io2"]);
/** When set, restored volumes are tagged as owned by this cluster instead of the original one. */
export const CLUSTER_NAME_ENV = "AWS_CLUSTER_NAME";
const CLUSTER_TAG_PREFIX = "kubernetes.io/cluster/";
const LEGACY_CLUSTER_TAG = "KubernetesCluster";

export interface EbsVolumeSnapshotterOptions {
  log?: PluginLogger;
  /** Builds the EC2 port from settings; tests pass a fake. */
  createApi?: Ec2ApiFactory;
  env?: NodeJS.ProcessEnv;
}

export class EbsVolumeSnapshotter implements VolumeSnapshotter {
  readonly #log: PluginLogger;
  readonly #createApi: Ec2ApiFactory;
  readonly #env: NodeJS.ProcessEnv;
  #state: { api: Ec2Api; settings: Ec2Settings } | undefined;

  constructor(options: EbsVolumeSnapshotterOptions = {}) {
    this.#log = options.log ?? createNoopPluginLogger();
    this.#createApi = options.createApi ?? createAwsEc2Api;
    this.#env = options.env ?? process.env;
  }

  /** (Re)configures the snapshotter; may be called several times on one instance. */
  async init(config: Record<string, string>): Promise<void> {
    const settings = parseVolumeSnapshotterConfig(config, this.#env);
    this.#state = { api: await this.#createApi(settings), settings };
    this.#log.debug({ region: settings.region }, "volume snapshotter initialized");
  }

  /** Creates a volume in `volumeAZ` with the original type (and IOPS for io1/io2), tagged like the snapshot. */
  async createVolumeFromSnapshot(input: CreateVolumeFromSnapshotInput): Promise<string> {
    const { api, settings } = this.#configured();
    const what = `failed to create a volume from snapshot "${input.snapshotId}" in zone "${input.volumeAZ}"`;
    const snapshots = await this.#call(what, () => api.describeSnapshots([input.snapshotId]));
    const [snapshot] = snapshots;
    if (snapshots.length !== 1 || !snapshot) {
      throw new VeleroError("VELERO_VOLUME_SNAPSHOTTER", `${what}: expected 1 snapshot from DescribeSnapshots, got ${snapshots.length}`);
    }
    const tags = tagsForRestoredVolume(snapshot.Tags ?? [], this.#env[CLUSTER_NAME_ENV]);
    const request: CreateVolumeCommandInput = {
      SnapshotId: input.snapshotId,
      AvailabilityZone: input.volumeAZ,
      // EC2 rejects a tag specification without tags.
      ...(tags.length > 0 ? { TagSpecifications: [{ ResourceType: "volume", Tags: tags }] } : {}),
    };
    if (input.volumeType) request.VolumeType = input.volumeType as VolumeType;
    if (snapshot.Encrypted !== undefined) request.Encrypted = snapshot.Encrypted;
    if (settings.ebsKmsKeyId) {
      request.Encrypted = true;
      request.KmsKeyId = settings.ebsKmsKeyId;
    }
    if (IOPS_VOLUME_TYPES.has(input.volumeType) && input.iops) request.Iops = input.iops;
    const volumeId = await this.#call(what, () => api.createVolume(request));
    this.#log.info({ snapshotId: input.snapshotId, volumeId, zone: input.volumeAZ }, "created volume from snapshot");
    return volumeId;
  }

  /** The volume's type, and its IOPS for io1/io2 (other types report none, as the Go plugin). */
  async getVolumeInfo(volumeId: string, _volumeAZ: string): Promise<VolumeInfo> {
    const volume = await this.#describeVolume(volumeId, `failed to get info of volume "${volumeId}"`);
    const volumeType = volume.VolumeType ?? "";
    return IOPS_VOLUME_TYPES.has(volumeType) && volume.Iops ? { volumeType, iops: volume.Iops } : { volumeType };
  }

  /** Snapshots the volume, tagging the snapshot with `tags` plus the volume's own tags. */
  async createSnapshot(volumeId: string, _volumeAZ: string, tags: Record<string, string>): Promise<string> {
    const { api } = this.#configured();
    const what = `failed to snapshot volume "${volumeId}"`;
    const volume = await this.#describeVolume(volumeId, what);
    const snapshotTags = mergeSnapshotTags(tags, volume.Tags ?? []);
    const snapshotId = await this.#call(what, () =>
      api.createSnapshot({
        VolumeId: volumeId,
        // EC2 rejects a tag specification without tags.
        ...(snapshotTags.length > 0 ? { TagSpecifications: [{ ResourceType: "snapshot", Tags: snapshotTags }] } : {}),
      }),
    );
    this.#log.info({ volumeId, snapshotId }, "created snapshot");
    return snapshotId;
  }

  /** Deleting a snapshot that is already gone succeeds. */
  async deleteSnapshot(snapshotId: string): Promise<void> {
    const { api } = this.#configured();
    try {
      await api.deleteSnapshot(snapshotId);
    } catch (error) {
      if (classifyAwsError(error).code === "InvalidSnapshot.NotFound") {
        this.#log.debug({ snapshotId }, "snapshot already deleted");
        return;
      }
      throw this.#wrap(error, `failed to delete snapshot "${snapshotId}"`);
    }
  }

  async getVolumeId(pv: UnstructuredItem): Promise<string> {
    const found = findEbsVolumeId(pv);
    if (found.kind === "ebs") return found.volumeId;
    if (found.csiDriver !== undefined) this.#log.info({ name: pv.metadata.name }, `unable to handle CSI driver "${found.csiDriver}"`);
    return "";
  }

  async setVolumeId(pv: UnstructuredItem, volumeId: string): Promise<UnstructuredItem> {
    return withEbsVolumeId(pv, volumeId);
  }

  async #describeVolume(volumeId: string, what: string): Promise<NonNullable<Awaited<ReturnType<Ec2Api["describeVolumes"]>>[number]>> {
    const { api } = this.#configured();
    const volumes = await this.#call(what, () => api.describeVolumes([volumeId]));
    const [volume] = volumes;
    if (volumes.length !== 1 || !volume) {
      throw new VeleroError("VELERO_VOLUME_SNAPSHOTTER", `${what}: expected 1 volume from DescribeVolumes, got ${volumes.length}`);
    }
    return volume;
  }

  async #call<T>(what: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw this.#wrap(error, what);
    }
  }

  #configured(): { api: Ec2Api; settings: Ec2Settings } {
    if (!this.#state) {
      throw new VeleroError("VELERO_NOT_INITIALIZED", 'volume snapshotter "velero.io/aws" is not initialized: call Init first');
    }
    return this.#state;
  }

  #wrap(error: unknown, what: string): VeleroError {
    const { api, settings } = this.#configured();
    const target = {
      ...api.target,
      ...(settings.profile ? { profile: settings.profile } : {}),
      ...(settings.credentialsFile ? { credentialsFile: settings.credentialsFile } : {}),
    };
    const where = `${target.endpoint ? `endpoint "${target.endpoint}"` : "AWS EC2"}, region "${target.region}"`;
    return new VeleroError("VELERO_VOLUME_SNAPSHOTTER", `${what} (${where}): ${explainAwsError(error, target)}`, { cause: error });
  }
}

/**
 * Snapshot tags: Velero's tags (sorted by key) first, then the volume's own tags except those
 * Velero sets, so that tags from an earlier backup or restore are replaced, not duplicated.
 */
export function mergeSnapshotTags(veleroTags: Record<string, string>, volumeTags: readonly Tag[]): Tag[] {
  const result: Tag[] = Object.keys(veleroTags)
    .sort()
    .map((key) => ({ Key: key, Value: veleroTags[key] ?? "" }));
  for (const tag of volumeTags) {
    if (tag.Key === undefined || Object.hasOwn(veleroTags, tag.Key)) continue;
    result.push({ Key: tag.Key, Value: tag.Value ?? "" });
  }
  return result;
}

/**
 * Tags for a volume restored from a snapshot: the snapshot's tags; with AWS_CLUSTER_NAME set, the
 * cluster ownership tags are replaced by ones naming the current cluster.
 */
export function tagsForRestoredVolume(snapshotTags: readonly Tag[], clusterName: string | undefined): Tag[] {
  const result: Tag[] = [];
  if (clusterName !== undefined) {
    result.push({ Key: `${CLUSTER_TAG_PREFIX}${clusterName}`, Value: "owned" }, { Key: LEGACY_CLUSTER_TAG, Value: clusterName });
  }
  for (const tag of snapshotTags) {
    if (tag.Key === undefined) continue;
    if (clusterName !== undefined && (tag.Key.startsWith(CLUSTER_TAG_PREFIX) || tag.Key === LEGACY_CLUSTER_TAG)) continue;
    result.push({ Key: tag.Key, Value: tag.Value ?? "" });
  }
  return result;
}
