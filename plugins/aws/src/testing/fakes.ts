// Test-only fakes of the S3 and EC2 ports. They throw the AWS SDK's own exception types so the
// error classification is exercised as it is in production. Not compiled into dist.
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { NoSuchBucket, NoSuchKey, NotFound, S3ServiceException } from "@aws-sdk/client-s3";
import { EC2ServiceException, type CreateSnapshotCommandInput, type CreateVolumeCommandInput, type Snapshot, type Volume } from "@aws-sdk/client-ec2";
import type { AwsTarget } from "../errors.js";
import type { Ec2Api } from "../ec2-api.js";
import type { ListPage, S3Api, UploadParams } from "../s3-api.js";
import type { PluginLogger } from "@velero-ts/plugin-sdk";

/** S3 lists at most this many keys per page. */
export const S3_PAGE_SIZE = 1000;

export function s3Error(name: string, status: number, message = name): S3ServiceException {
  return new S3ServiceException({ name, $fault: status >= 500 ? "server" : "client", $metadata: { httpStatusCode: status }, message });
}

export function ec2Error(code: string, status: number, message = code): EC2ServiceException {
  return new EC2ServiceException({ name: code, $fault: "client", $metadata: { httpStatusCode: status }, message });
}

/** A network failure like the Node HTTP handler throws. */
export function networkError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code });
}

type S3Operation = "upload" | "headObject" | "getObject" | "listObjectsV2" | "deleteObject" | "presignGetObject";

/** An in-memory S3 with S3's paging (1,000 keys, continuation tokens) and error shapes. */
export class FakeS3Api implements S3Api {
  readonly target: AwsTarget;
  readonly buckets = new Map<string, Map<string, Buffer>>();
  /** The parameters of every upload, in order (bodies removed). */
  readonly uploads: Omit<UploadParams, "Body">[] = [];
  readonly calls: { op: S3Operation; params: unknown }[] = [];
  readonly #failures = new Map<S3Operation, unknown>();
  closed = false;

  constructor(target: Partial<AwsTarget> = {}, buckets: string[] = ["bucket"]) {
    this.target = { service: "S3", region: "us-east-1", ...target };
    for (const name of buckets) this.buckets.set(name, new Map());
  }

  /** The next call of `op` throws `error`. */
  failNext(op: S3Operation, error: unknown): void {
    this.#failures.set(op, error);
  }

  async upload(params: UploadParams): Promise<void> {
    this.#record("upload", params);
    const { Body, ...rest } = params;
    const objects = this.#bucket(params.Bucket);
    const data = await buffer(Body);
    this.uploads.push(rest);
    objects.set(params.Key, data);
  }

  async headObject(params: { Bucket?: string | undefined; Key?: string | undefined }): Promise<void> {
    this.#record("headObject", params);
    const objects = this.buckets.get(params.Bucket ?? "");
    if (!objects?.has(params.Key ?? "")) throw new NotFound({ message: "NotFound", $metadata: { httpStatusCode: 404 } });
  }

  async getObject(params: { Bucket?: string | undefined; Key?: string | undefined }): Promise<Readable> {
    this.#record("getObject", params);
    const data = this.#bucket(params.Bucket ?? "").get(params.Key ?? "");
    if (!data) throw new NoSuchKey({ message: "The specified key does not exist.", $metadata: { httpStatusCode: 404 } });
    return Readable.from([data]);
  }

  async listObjectsV2(params: {
    Bucket?: string | undefined;
    Prefix?: string | undefined;
    Delimiter?: string | undefined;
    ContinuationToken?: string | undefined;
  }): Promise<ListPage> {
    this.#record("listObjectsV2", params);
    const prefix = params.Prefix ?? "";
    const entries: { key: string; common: boolean }[] = [];
    const seen = new Set<string>();
    for (const key of [...this.#bucket(params.Bucket ?? "").keys()].sort()) {
      if (!key.startsWith(prefix)) continue;
      const cut = params.Delimiter ? key.indexOf(params.Delimiter, prefix.length) : -1;
      if (cut >= 0 && params.Delimiter) {
        const common = key.slice(0, cut + params.Delimiter.length);
        if (!seen.has(common)) entries.push({ key: common, common: true });
        seen.add(common);
      } else {
        entries.push({ key, common: false });
      }
    }
    const start = params.ContinuationToken ? entries.findIndex((e) => e.key > (params.ContinuationToken ?? "")) : 0;
    const page = start < 0 ? [] : entries.slice(start, start + S3_PAGE_SIZE);
    const truncated = start >= 0 && start + S3_PAGE_SIZE < entries.length;
    return {
      Contents: page.filter((e) => !e.common).map((e) => ({ Key: e.key })),
      CommonPrefixes: page.filter((e) => e.common).map((e) => ({ Prefix: e.key })),
      IsTruncated: truncated,
      ...(truncated ? { NextContinuationToken: page[page.length - 1]?.key ?? "" } : {}),
    };
  }

  async deleteObject(params: { Bucket?: string | undefined; Key?: string | undefined }): Promise<void> {
    this.#record("deleteObject", params);
    this.#bucket(params.Bucket ?? "").delete(params.Key ?? "");
  }

  async presignGetObject(params: { Bucket?: string | undefined; Key?: string | undefined }, expiresInSeconds: number): Promise<string> {
    this.#record("presignGetObject", { ...params, expiresInSeconds });
    return `https://signed.example/${params.Bucket ?? ""}/${params.Key ?? ""}?X-Amz-Expires=${expiresInSeconds}`;
  }

  close(): void {
    this.closed = true;
  }

  #record(op: S3Operation, params: unknown): void {
    this.calls.push({ op, params });
    if (this.#failures.has(op)) {
      const error = this.#failures.get(op);
      this.#failures.delete(op);
      throw error;
    }
  }

  #bucket(name: string): Map<string, Buffer> {
    const objects = this.buckets.get(name);
    if (!objects) throw new NoSuchBucket({ message: "The specified bucket does not exist", $metadata: { httpStatusCode: 404 } });
    return objects;
  }
}

type Ec2Operation = "describeVolumes" | "describeSnapshots" | "createSnapshot" | "createVolume" | "deleteSnapshot";

/** An in-memory EC2 with volumes and snapshots, returning EC2's error codes. */
export class FakeEc2Api implements Ec2Api {
  readonly target: AwsTarget;
  readonly volumes = new Map<string, Volume>();
  readonly snapshots = new Map<string, Snapshot>();
  readonly createdVolumes: CreateVolumeCommandInput[] = [];
  readonly createdSnapshots: CreateSnapshotCommandInput[] = [];
  readonly #failures = new Map<Ec2Operation, unknown>();
  #next = 1;

  constructor(target: Partial<AwsTarget> = {}) {
    this.target = { service: "EC2", region: "us-east-1", ...target };
  }

  failNext(op: Ec2Operation, error: unknown): void {
    this.#failures.set(op, error);
  }

  addVolume(volume: Volume & { VolumeId: string }): void {
    this.volumes.set(volume.VolumeId, volume);
  }

  async describeVolumes(volumeIds: string[]): Promise<Volume[]> {
    this.#maybeFail("describeVolumes");
    return volumeIds.map((id) => {
      const volume = this.volumes.get(id);
      if (!volume) throw ec2Error("InvalidVolume.NotFound", 400, `The volume '${id}' does not exist.`);
      return volume;
    });
  }

  async describeSnapshots(snapshotIds: string[]): Promise<Snapshot[]> {
    this.#maybeFail("describeSnapshots");
    return snapshotIds.map((id) => {
      const snapshot = this.snapshots.get(id);
      if (!snapshot) throw ec2Error("InvalidSnapshot.NotFound", 400, `The snapshot '${id}' does not exist.`);
      return snapshot;
    });
  }

  async createSnapshot(input: CreateSnapshotCommandInput): Promise<string> {
    this.#maybeFail("createSnapshot");
    rejectEmptyTagSpecifications(input.TagSpecifications);
    this.createdSnapshots.push(input);
    const volume = this.volumes.get(input.VolumeId ?? "");
    if (!volume) throw ec2Error("InvalidVolume.NotFound", 400);
    const id = `snap-${String(this.#next++).padStart(8, "0")}`;
    this.snapshots.set(id, {
      SnapshotId: id,
      VolumeId: input.VolumeId,
      ...(volume.Encrypted !== undefined ? { Encrypted: volume.Encrypted } : {}),
      Tags: input.TagSpecifications?.[0]?.Tags ?? [],
    });
    return id;
  }

  async createVolume(input: CreateVolumeCommandInput): Promise<string> {
    this.#maybeFail("createVolume");
    rejectEmptyTagSpecifications(input.TagSpecifications);
    this.createdVolumes.push(input);
    const id = `vol-${String(this.#next++).padStart(8, "0")}`;
    this.volumes.set(id, {
      VolumeId: id,
      ...(input.AvailabilityZone ? { AvailabilityZone: input.AvailabilityZone } : {}),
      VolumeType: input.VolumeType ?? "gp2",
      ...(input.Iops ? { Iops: input.Iops } : {}),
      Tags: input.TagSpecifications?.[0]?.Tags ?? [],
    });
    return id;
  }

  async deleteSnapshot(snapshotId: string): Promise<void> {
    this.#maybeFail("deleteSnapshot");
    if (!this.snapshots.delete(snapshotId)) {
      throw ec2Error("InvalidSnapshot.NotFound", 400, `The snapshot '${snapshotId}' does not exist.`);
    }
  }

  #maybeFail(op: Ec2Operation): void {
    if (!this.#failures.has(op)) return;
    const error = this.#failures.get(op);
    this.#failures.delete(op);
    throw error;
  }
}

/** Like EC2: "Tag specification must have at least one tag". */
function rejectEmptyTagSpecifications(specs: { Tags?: unknown[] | undefined }[] | undefined): void {
  if (specs?.some((spec) => (spec.Tags?.length ?? 0) === 0)) {
    throw ec2Error("InvalidParameterValue", 400, "Tag specification must have at least one tag");
  }
}

/** A logger that keeps every entry for assertions. */
export function recordingLogger(): PluginLogger & { entries: { level: string; fields: object; msg: string }[] } {
  const entries: { level: string; fields: object; msg: string }[] = [];
  const at =
    (level: string) =>
    (obj: object | string, msg?: string): void => {
      entries.push(typeof obj === "string" ? { level, fields: {}, msg: obj } : { level, fields: obj, msg: msg ?? "" });
    };
  const logger = { entries, trace: at("trace"), debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error"), child: () => logger };
  return logger;
}
