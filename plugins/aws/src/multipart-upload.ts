/**
 * Streams a body of unknown length to S3 with a FIXED amount of memory: parts are filled into a
 * small pool of reused part-sized buffers, at most `concurrency` are in flight, and reading the
 * body waits while every buffer is busy (backpressure reaches the gRPC stream and the host).
 *
 * Why not @aws-sdk/lib-storage's Upload: it collects incoming chunks in an array and concatenates
 * them into a fresh buffer per part (2–3 part-sized allocations live per part, plus the chunks),
 * and V8 frees those only lazily. In a plugin process that idles at ~105 MiB that overshot the
 * 150 MiB budget for a 300 MiB object; with reused buffers the working set stays at
 * (concurrency + 1) × partSize.
 *
 * Semantics match lib-storage/Go's manager.Uploader: a body that fits in one part is sent with a
 * single PutObject; otherwise CreateMultipartUpload, UploadPart…, CompleteMultipartUpload, and on
 * any failure AbortMultipartUpload (nothing is left behind).
 */
import type { Readable } from "node:stream";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type PutObjectCommandInput,
  type UploadPartCommandInput,
} from "@aws-sdk/client-s3";

/** S3 refuses more parts than this. */
export const MAX_PARTS = 10_000;

/** The one S3Client method the uploader needs. */
export interface S3Sender {
  send(command: unknown): Promise<unknown>;
}

export type StreamUploadParams = Omit<PutObjectCommandInput, "Body"> & { Bucket: string; Key: string; Body: Readable };

export interface MultipartOptions {
  partSize: number;
  /** Parts uploaded at the same time. */
  concurrency: number;
  /** Where part buffers come from and go back to (shared across uploads to avoid reallocation). */
  pool?: PartBufferPool;
}

/** Reusable part buffers; keeps up to `maxIdle` idle buffers for the next upload. */
export class PartBufferPool {
  readonly #size: number;
  readonly #maxIdle: number;
  readonly #idle: Buffer[] = [];

  constructor(size: number, maxIdle: number) {
    this.#size = size;
    this.#maxIdle = maxIdle;
  }

  get size(): number {
    return this.#size;
  }

  take(): Buffer {
    return this.#idle.pop() ?? Buffer.allocUnsafeSlow(this.#size);
  }

  give(buffer: Buffer): void {
    if (buffer.length === this.#size && this.#idle.length < this.#maxIdle) this.#idle.push(buffer);
  }
}

type PartInput = Omit<UploadPartCommandInput, "Body" | "PartNumber" | "UploadId">;
type PartResult = Pick<CompletedPart, "ETag" | "ChecksumCRC32" | "ChecksumCRC32C" | "ChecksumSHA1" | "ChecksumSHA256" | "ChecksumCRC64NVME">;

/** Uploads `params.Body` to `params.Bucket`/`params.Key`; see the file comment. */
export async function uploadStream(s3: S3Sender, params: StreamUploadParams, options: MultipartOptions): Promise<void> {
  const pool = options.pool ?? new PartBufferPool(options.partSize, options.concurrency + 1);
  const { Body: body, ...objectParams } = params;
  const upload = new PartUploads(s3, objectParams, pool, options.concurrency);
  // The buffer being filled; undefined while it is handed to an upload.
  let current: Buffer | undefined = pool.take();
  let filled = 0;
  try {
    for await (const raw of body as AsyncIterable<Buffer | string>) {
      let chunk = typeof raw === "string" ? Buffer.from(raw) : raw;
      while (chunk.length > 0) {
        current ??= pool.take();
        const n = chunk.copy(current, filled);
        filled += n;
        chunk = chunk.subarray(n);
        if (filled === pool.size) {
          const full: Buffer = current;
          current = undefined;
          filled = 0;
          // Blocks (and so stops reading the body) while `concurrency` parts are in flight.
          await upload.add(full, pool.size);
        }
      }
    }
    if (!upload.started) {
      const data = current?.subarray(0, filled) ?? Buffer.alloc(0);
      await s3.send(new PutObjectCommand({ ...objectParams, Body: data, ContentLength: data.length }));
      return;
    }
    if (current && filled > 0) {
      const last: Buffer = current;
      current = undefined;
      await upload.add(last, filled);
    }
    await upload.complete();
  } catch (error) {
    body.destroy();
    await upload.abort();
    throw error;
  } finally {
    if (current) pool.give(current);
  }
}

class PartUploads {
  readonly #s3: S3Sender;
  readonly #params: Omit<StreamUploadParams, "Body">;
  readonly #pool: PartBufferPool;
  readonly #concurrency: number;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #parts: CompletedPart[] = [];
  #uploadId: string | undefined;
  #created: Promise<string> | undefined;
  #nextPart = 1;
  #failure: { error: unknown } | undefined;

  constructor(s3: S3Sender, params: Omit<StreamUploadParams, "Body">, pool: PartBufferPool, concurrency: number) {
    this.#s3 = s3;
    this.#params = params;
    this.#pool = pool;
    this.#concurrency = concurrency;
  }

  get started(): boolean {
    return this.#created !== undefined;
  }

  /** Starts uploading `buffer[0, length)` as the next part; resolves once another part may start. */
  async add(buffer: Buffer, length: number): Promise<void> {
    this.#throwIfFailed();
    const partNumber = this.#nextPart++;
    if (partNumber > MAX_PARTS) {
      throw new Error(
        `object "${this.#params.Key}" needs more than ${MAX_PARTS} parts of ${this.#pool.size} bytes; S3 cannot store it in one multipart upload`,
      );
    }
    const uploadId = await this.#create();
    const task = this.#uploadPart(uploadId, partNumber, buffer, length).then(
      () => {
        this.#inFlight.delete(task);
      },
      (error: unknown) => {
        this.#inFlight.delete(task);
        this.#failure ??= { error };
      },
    );
    this.#inFlight.add(task);
    while (this.#inFlight.size >= this.#concurrency) await Promise.race(this.#inFlight);
    this.#throwIfFailed();
  }

  async complete(): Promise<void> {
    await Promise.all(this.#inFlight);
    this.#throwIfFailed();
    const parts = [...this.#parts].sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
    await this.#s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: this.#params.Bucket,
        Key: this.#params.Key,
        UploadId: this.#uploadId,
        MultipartUpload: { Parts: parts },
        ...pick(this.#params, ["SSECustomerAlgorithm", "SSECustomerKey", "SSECustomerKeyMD5", "ExpectedBucketOwner", "RequestPayer"]),
      }),
    );
    this.#uploadId = undefined;
  }

  /** Aborts the multipart upload, if one was started and not completed; never throws. */
  async abort(): Promise<void> {
    await Promise.allSettled(this.#inFlight);
    const uploadId = this.#uploadId ?? (await this.#created?.catch(() => undefined));
    this.#uploadId = undefined;
    if (!uploadId) return;
    await this.#s3
      .send(new AbortMultipartUploadCommand({ Bucket: this.#params.Bucket, Key: this.#params.Key, UploadId: uploadId }))
      .catch(() => undefined);
  }

  #create(): Promise<string> {
    this.#created ??= this.#s3.send(new CreateMultipartUploadCommand({ ...this.#params })).then((output) => {
      const uploadId = (output as { UploadId?: string }).UploadId;
      if (!uploadId) throw new Error(`S3 returned no UploadId for object "${this.#params.Key}"`);
      this.#uploadId = uploadId;
      return uploadId;
    });
    return this.#created;
  }

  async #uploadPart(uploadId: string, partNumber: number, buffer: Buffer, length: number): Promise<void> {
    try {
      const input: PartInput = pick(this.#params, [
        "Bucket",
        "Key",
        "ChecksumAlgorithm",
        "SSECustomerAlgorithm",
        "SSECustomerKey",
        "SSECustomerKeyMD5",
        "ExpectedBucketOwner",
        "RequestPayer",
      ]) as PartInput;
      const output = (await this.#s3.send(
        new UploadPartCommand({ ...input, UploadId: uploadId, PartNumber: partNumber, Body: buffer.subarray(0, length), ContentLength: length }),
      )) as PartResult;
      if (!output.ETag) throw new Error(`S3 returned no ETag for part ${partNumber} of object "${this.#params.Key}"`);
      this.#parts.push({ PartNumber: partNumber, ...definedOnly(output) });
    } finally {
      this.#pool.give(buffer);
    }
  }

  #throwIfFailed(): void {
    if (this.#failure) throw this.#failure.error;
  }
}

function pick<T extends object, K extends keyof T>(object: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) if (object[key] !== undefined) out[key] = object[key];
  return out;
}

function definedOnly(result: PartResult): PartResult {
  const out: PartResult = {};
  for (const key of ["ETag", "ChecksumCRC32", "ChecksumCRC32C", "ChecksumSHA1", "ChecksumSHA256", "ChecksumCRC64NVME"] as const) {
    if (result[key] !== undefined) out[key] = result[key];
  }
  return out;
}
