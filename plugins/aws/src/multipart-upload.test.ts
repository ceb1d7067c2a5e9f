import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { MAX_PARTS, PartBufferPool, uploadStream, type S3Sender } from "./multipart-upload.js";
import { s3Error } from "./testing/fakes.js";

interface Sent {
  op: string;
  input: Record<string, unknown>;
}

/** Records commands; stores parts so the assembled object can be checked. */
class FakeSender implements S3Sender {
  readonly sent: Sent[] = [];
  readonly parts = new Map<number, Buffer>();
  object: Buffer | undefined;
  failPart: number | undefined;
  inFlight = 0;
  maxInFlight = 0;
  #release: (() => void)[] = [];
  holdParts = false;

  async send(command: unknown): Promise<unknown> {
    const op = (command as object).constructor.name.replace(/Command$/, "");
    const input = { ...(command as { input: Record<string, unknown> }).input };
    this.sent.push({ op, input });
    switch (op) {
      case "PutObject":
        this.object = Buffer.from(input["Body"] as Buffer);
        return {};
      case "CreateMultipartUpload":
        return { UploadId: "upload-1" };
      case "UploadPart": {
        const n = input["PartNumber"] as number;
        this.inFlight++;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        // Copy now: the uploader reuses the buffer once the part is done.
        this.parts.set(n, Buffer.from(input["Body"] as Buffer));
        if (this.holdParts) await new Promise<void>((resolve) => this.#release.push(resolve));
        else await Promise.resolve();
        this.inFlight--;
        if (n === this.failPart) throw s3Error("InternalError", 500, "We encountered an internal error");
        return { ETag: `"etag-${n}"`, ChecksumCRC32: `crc-${n}` };
      }
      case "CompleteMultipartUpload": {
        const parts = (input["MultipartUpload"] as { Parts: { PartNumber: number }[] }).Parts;
        this.object = Buffer.concat(parts.map((p) => this.parts.get(p.PartNumber) ?? Buffer.alloc(0)));
        return {};
      }
      default:
        return {};
    }
  }

  releaseOne(): void {
    this.#release.shift()?.();
  }

  ops(): string[] {
    return this.sent.map((s) => s.op);
  }
}

function body(bytes: number, chunk = 1000): { stream: Readable; data: Buffer } {
  const data = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) data[i] = (i * 7) % 251;
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes; i += chunk) chunks.push(data.subarray(i, Math.min(bytes, i + chunk)));
  return { stream: Readable.from(chunks), data };
}

const PARAMS = { Bucket: "b", Key: "k", ChecksumAlgorithm: "CRC32" as const, Tagging: "a=b" };

describe("uploadStream", () => {
  it.each([
    { name: "an empty body", bytes: 0 },
    { name: "a body smaller than a part", bytes: 2500 },
  ])("sends $name with one PutObject", async ({ bytes }) => {
    const s3 = new FakeSender();
    const { stream, data } = body(bytes);
    await uploadStream(s3, { ...PARAMS, Body: stream }, { partSize: 4096, concurrency: 2 });
    expect(s3.ops()).toEqual(["PutObject"]);
    expect(s3.object?.equals(data)).toBe(true);
    expect(s3.sent[0]?.input).toMatchObject({ Bucket: "b", Key: "k", Tagging: "a=b", ChecksumAlgorithm: "CRC32", ContentLength: bytes });
  });

  it.each([
    { name: "exactly two parts", bytes: 8192, parts: 2 },
    { name: "parts plus a short last part", bytes: 4096 * 3 + 17, parts: 4 },
  ])("assembles $name in order", async ({ bytes, parts }) => {
    const s3 = new FakeSender();
    const { stream, data } = body(bytes, 777);
    await uploadStream(s3, { ...PARAMS, Body: stream }, { partSize: 4096, concurrency: 2 });
    expect(s3.ops()).toEqual(["CreateMultipartUpload", ...Array<string>(parts).fill("UploadPart"), "CompleteMultipartUpload"]);
    expect(s3.object?.equals(data)).toBe(true);
    expect(s3.sent[0]?.input).toMatchObject({ Tagging: "a=b", ChecksumAlgorithm: "CRC32" });
    const uploadPart = s3.sent.find((s) => s.op === "UploadPart")?.input;
    expect(uploadPart).toMatchObject({ UploadId: "upload-1", ChecksumAlgorithm: "CRC32", ContentLength: 4096 });
    expect(uploadPart).not.toHaveProperty("Tagging");
    const completed = s3.sent.at(-1)?.input["MultipartUpload"] as { Parts: unknown[] };
    expect(completed.Parts[0]).toEqual({ PartNumber: 1, ETag: '"etag-1"', ChecksumCRC32: "crc-1" });
  });

  it("passes SSE-C parameters to every part and to completion", async () => {
    const s3 = new FakeSender();
    const sse = { SSECustomerAlgorithm: "AES256", SSECustomerKey: "a2V5" };
    await uploadStream(s3, { Bucket: "b", Key: "k", ...sse, Body: body(9000).stream }, { partSize: 4096, concurrency: 1 });
    for (const sent of s3.sent.filter((s) => s.op !== "PutObject")) expect(sent.input).toMatchObject(sse);
  });

  it("keeps at most `concurrency` parts in flight and stops reading the body meanwhile", async () => {
    const s3 = new FakeSender();
    s3.holdParts = true;
    let read = 0;
    const chunks = Array.from({ length: 40 }, () => Buffer.alloc(1024, 1));
    const stream = Readable.from(
      (function* () {
        for (const c of chunks) {
          read += c.length;
          yield c;
        }
      })(),
    );
    const done = uploadStream(s3, { Bucket: "b", Key: "k", Body: stream }, { partSize: 4096, concurrency: 2 });
    await new Promise((resolve) => setImmediate(resolve));
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(s3.inFlight).toBe(2);
    // two parts in flight + at most one part being filled (+ the stream's own small read-ahead)
    expect(read).toBeLessThanOrEqual(3 * 4096 + 16 * 1024);
    while (s3.ops().at(-1) !== "CompleteMultipartUpload") {
      s3.releaseOne();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await done;
    expect(s3.maxInFlight).toBe(2);
    expect(read).toBe(40 * 1024);
  });

  it("reuses (concurrency + 1) part buffers for the whole upload", async () => {
    const s3 = new FakeSender();
    const arrays = new Set<ArrayBufferLike>();
    const send = s3.send.bind(s3);
    s3.send = async (command: unknown) => {
      const input = (command as { input: { Body?: unknown } }).input;
      if (Buffer.isBuffer(input.Body)) arrays.add(input.Body.buffer);
      return send(command);
    };
    const { stream, data } = body(4096 * 20);
    await uploadStream(s3, { Bucket: "b", Key: "k", Body: stream }, { partSize: 4096, concurrency: 2, pool: new PartBufferPool(4096, 3) });
    expect(s3.object?.equals(data)).toBe(true);
    expect(arrays.size).toBeLessThanOrEqual(3);
  });

  it("aborts the multipart upload and destroys the body when a part fails", async () => {
    const s3 = new FakeSender();
    s3.failPart = 2;
    const { stream } = body(4096 * 5);
    const error = await uploadStream(s3, { Bucket: "b", Key: "k", Body: stream }, { partSize: 4096, concurrency: 1 }).catch((e: unknown) => e);
    expect((error as Error).name).toBe("InternalError");
    expect(s3.ops()).toContain("AbortMultipartUpload");
    expect(s3.ops()).not.toContain("CompleteMultipartUpload");
    expect(s3.sent.find((s) => s.op === "AbortMultipartUpload")?.input).toEqual({ Bucket: "b", Key: "k", UploadId: "upload-1" });
    expect(stream.destroyed).toBe(true);
  });

  it("aborts when the body itself fails mid-way", async () => {
    const s3 = new FakeSender();
    const stream = new Readable({ read() {} });
    const done = uploadStream(s3, { Bucket: "b", Key: "k", Body: stream }, { partSize: 4096, concurrency: 2 }).catch((e: unknown) => e);
    stream.push(Buffer.alloc(5000));
    await new Promise((resolve) => setImmediate(resolve));
    stream.destroy(new Error("host went away"));
    expect(((await done) as Error).message).toBe("host went away");
    expect(s3.ops()).toEqual(["CreateMultipartUpload", "UploadPart", "AbortMultipartUpload"]);
  });

  it("refuses to exceed S3's part limit and aborts", async () => {
    const s3 = new FakeSender();
    const stream = Readable.from([Buffer.alloc(MAX_PARTS + 1)]);
    const error = await uploadStream(s3, { Bucket: "b", Key: "big", Body: stream }, { partSize: 1, concurrency: 4 }).catch((e: unknown) => e);
    expect((error as Error).message).toBe('object "big" needs more than 10000 parts of 1 bytes; S3 cannot store it in one multipart upload');
    expect(s3.ops().at(-1)).toBe("AbortMultipartUpload");
  });
});
