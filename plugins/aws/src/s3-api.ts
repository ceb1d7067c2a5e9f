/**
 * The narrow S3 port the object store talks to (the Go plugin's `s3Interface` pattern), and its
 * adapter over @aws-sdk/client-s3. Unit tests replace the whole port with a fake; the adapter is
 * exercised against moto in test/integration/aws.
 */
import type { Readable } from "node:stream";
import {
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type DeleteObjectCommandInput,
  type GetObjectCommandInput,
  type HeadObjectCommandInput,
  type ListObjectsV2CommandInput,
  type ListObjectsV2CommandOutput,
  type PutObjectCommandInput,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { redactUrlPasswords, VeleroError, type PluginLogger } from "@velero-ts/plugin-sdk";
import type { S3Settings } from "./config.js";
import { bucketRegionHeader, classifyAwsError, explainAwsError, type AwsTarget } from "./errors.js";
import { awsClientBaseConfig, configuredEndpoint, profileRegion } from "./aws-client.js";
import { PartBufferPool, uploadStream } from "./multipart-upload.js";

/**
 * Multipart part size (S3's minimum) and parts in flight. The uploader holds at most
 * (UPLOAD_QUEUE_SIZE + 1) part buffers, reused from part to part, so an upload of any size costs
 * ~15 MiB; with memory.ts's collection pacing a 300 MiB round trip keeps the whole plugin process
 * (~105 MiB idle: the Node runtime and the AWS SDK) under 150 MiB RSS. 5 MiB parts fit objects up
 * to ~48 GiB in S3's 10,000 parts.
 */
export const UPLOAD_PART_SIZE = 5 * 1024 * 1024;
export const UPLOAD_QUEUE_SIZE = 2;
/** The region Go's manager.GetBucketRegion asks first; S3 answers with the bucket's real region. */
const BUCKET_REGION_PROBE_REGION = "us-east-1";

export type UploadParams = Omit<PutObjectCommandInput, "Body"> & { Bucket: string; Key: string; Body: Readable };

/** One page of ListObjectsV2. */
export type ListPage = Pick<ListObjectsV2CommandOutput, "Contents" | "CommonPrefixes" | "IsTruncated" | "NextContinuationToken">;

/** The S3 operations the object store needs. Implementations throw the SDK's errors unchanged. */
export interface S3Api {
  /** Where requests go (for error messages). */
  readonly target: AwsTarget;
  /** Streams `Body` to the object: one PutObject when it fits in a part, else a multipart upload with bounded memory. */
  upload(params: UploadParams): Promise<void>;
  /** Resolves when the object exists; throws the SDK's NotFound error when it does not. */
  headObject(params: HeadObjectCommandInput): Promise<void>;
  /** The object's body as a stream. */
  getObject(params: GetObjectCommandInput): Promise<Readable>;
  listObjectsV2(params: ListObjectsV2CommandInput): Promise<ListPage>;
  deleteObject(params: DeleteObjectCommandInput): Promise<void>;
  /** A presigned GET URL (against publicUrl when configured). */
  presignGetObject(params: GetObjectCommandInput, expiresInSeconds: number): Promise<string>;
  /** Releases sockets; the API must not be used afterwards. */
  close(): void;
}

/** Builds an S3Api for validated settings (region detection and credential loading included). */
export type S3ApiFactory = (settings: S3Settings, log: PluginLogger) => Promise<S3Api>;

/** The production factory: @aws-sdk/client-s3 clients configured like velero-plugin-for-aws. */
export const createAwsS3Api: S3ApiFactory = async (settings, log) => {
  const base = await awsClientBaseConfig(settings, { insecureSkipTLSVerify: settings.insecureSkipTLSVerify, caCert: settings.caCert });
  const endpoint = settings.s3Url ?? configuredEndpoint("S3");
  const common: S3ClientConfig = {
    ...base,
    forcePathStyle: settings.forcePathStyle,
    ...(settings.s3Url ? { endpoint: settings.s3Url } : {}),
    // checksumAlgorithm "" is how users of S3-compatible stores (Ceph, B2, moto...) turn off the
    // CRC trailers the SDK otherwise adds to uploads by default.
    ...(settings.checksumAlgorithm === "" ? { requestChecksumCalculation: "WHEN_REQUIRED" } : {}),
    // Downloads are not checksummed, as the Go plugin's are not (checksumAlgorithm is about uploads
    // only): no x-amz-checksum-mode on GET and HEAD, so a store that computes checksums its own way
    // does not fail a download halfway.
    responseChecksumValidation: "WHEN_REQUIRED",
  };

  let region = settings.region;
  if (region === undefined) {
    region = settings.s3Url
      ? (process.env["AWS_REGION"] ?? process.env["AWS_DEFAULT_REGION"] ?? (await profileRegion(settings)) ?? BUCKET_REGION_PROBE_REGION)
      : await detectBucketRegion(new S3Client({ ...common, region: BUCKET_REGION_PROBE_REGION }), settings, endpoint);
    log.debug({ region, bucket: settings.bucket }, "resolved the bucket region");
  }

  const client = new S3Client({ ...common, region });
  // Presigning never sends a request. It always skips checksum mode so that a signed URL is a
  // plain GET, and uses publicUrl (how the CLI reaches the store) when that is set.
  const presigner = new S3Client({
    ...common,
    region,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    ...(settings.publicUrl ? { endpoint: settings.publicUrl } : {}),
  });
  const target: AwsTarget = {
    service: "S3",
    region,
    bucket: settings.bucket,
    // messages quote it: never with a password in it
    ...(endpoint ? { endpoint: redactUrlPasswords(endpoint) } : {}),
    ...(settings.profile ? { profile: settings.profile } : {}),
    ...(settings.credentialsFile ? { credentialsFile: settings.credentialsFile } : {}),
  };
  return new SdkS3Api(client, presigner, target);
};

/**
 * Finds the bucket's region the way Go's manager.GetBucketRegion does: HEAD the bucket through a
 * us-east-1 client and read `x-amz-bucket-region`, which S3 returns even on 301/400/403 replies.
 */
export async function detectBucketRegion(
  probe: Pick<S3Client, "send" | "destroy">,
  settings: Pick<S3Settings, "bucket" | "profile" | "credentialsFile">,
  endpoint: string | undefined,
): Promise<string> {
  const target: AwsTarget = { service: "S3", region: BUCKET_REGION_PROBE_REGION, bucket: settings.bucket, ...(endpoint ? { endpoint: redactUrlPasswords(endpoint) } : {}) };
  try {
    const output = await probe.send(new HeadBucketCommand({ Bucket: settings.bucket }));
    if (output.BucketRegion) return output.BucketRegion;
    throw new VeleroError("VELERO_AWS_REGION", `S3 did not report the region of bucket "${settings.bucket}"`);
  } catch (error) {
    // the header counts on any reply (301, 400, 403...), as Go's GetBucketRegion reads it
    const found = bucketRegionHeader(error);
    if (found) return found;
    throw new VeleroError(
      "VELERO_AWS_REGION",
      `unable to determine the region of bucket "${settings.bucket}": ${
        error instanceof VeleroError ? error.message : explainAwsError(error, { ...target, ...credentialFields(settings) })
      }; set config region`,
      { cause: error },
    );
  } finally {
    probe.destroy();
  }
}

class SdkS3Api implements S3Api {
  readonly #client: S3Client;
  readonly #presigner: S3Client;
  readonly #parts = new PartBufferPool(UPLOAD_PART_SIZE, UPLOAD_QUEUE_SIZE + 1);
  readonly target: AwsTarget;

  constructor(client: S3Client, presigner: S3Client, target: AwsTarget) {
    this.#client = client;
    this.#presigner = presigner;
    this.target = target;
  }

  async upload(params: UploadParams): Promise<void> {
    await uploadStream(this.#client, params, { partSize: UPLOAD_PART_SIZE, concurrency: UPLOAD_QUEUE_SIZE, pool: this.#parts });
  }

  async headObject(params: HeadObjectCommandInput): Promise<void> {
    await this.#client.send(new HeadObjectCommand(params));
  }

  async getObject(params: GetObjectCommandInput): Promise<Readable> {
    const output = await this.#client.send(new GetObjectCommand(params));
    // In Node the body is an http.IncomingMessage (a Readable).
    return output.Body as Readable;
  }

  async listObjectsV2(params: ListObjectsV2CommandInput): Promise<ListPage> {
    return this.#client.send(new ListObjectsV2Command(params));
  }

  async deleteObject(params: DeleteObjectCommandInput): Promise<void> {
    await this.#client.send(new DeleteObjectCommand(params));
  }

  async presignGetObject(params: GetObjectCommandInput, expiresInSeconds: number): Promise<string> {
    return getSignedUrl(this.#presigner, new GetObjectCommand(params), { expiresIn: expiresInSeconds });
  }

  close(): void {
    this.#client.destroy();
    this.#presigner.destroy();
  }
}

function credentialFields(settings: Pick<S3Settings, "profile" | "credentialsFile">): Partial<AwsTarget> {
  return {
    ...(settings.profile ? { profile: settings.profile } : {}),
    ...(settings.credentialsFile ? { credentialsFile: settings.credentialsFile } : {}),
  };
}
