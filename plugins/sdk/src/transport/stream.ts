/**
 * Object body framing shared by the PutObject/GetObject adapters.
 *
 * !!! PROTOCOL INVARIANT !!!
 * Velero moves object bodies in messages of at most 16384 bytes in both directions. Keep every
 * message <= OBJECT_CHUNK_BYTES: Go plugin servers refuse messages above 4 MiB, and chunking is what
 * keeps memory bounded for multi-GiB objects (streams are never buffered whole).
 */
import type { Readable } from "node:stream";

export const OBJECT_CHUNK_BYTES = 16384;

type Chunk = Buffer | Uint8Array | string;

/** Re-frames any byte stream into chunks of exactly `size` bytes (the last one may be shorter). */
export async function* rechunk(source: AsyncIterable<Chunk> | Readable, size = OBJECT_CHUNK_BYTES): AsyncGenerator<Buffer> {
  let pending: Buffer | undefined;
  for await (const raw of source as AsyncIterable<Chunk>) {
    let chunk = typeof raw === "string" ? Buffer.from(raw) : Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    if (chunk.length === 0) continue;
    if (pending) {
      const take = Math.min(size - pending.length, chunk.length);
      pending = Buffer.concat([pending, chunk.subarray(0, take)]);
      chunk = chunk.subarray(take);
      if (pending.length < size) continue;
      yield pending;
      pending = undefined;
    }
    let offset = 0;
    while (chunk.length - offset >= size) {
      yield chunk.subarray(offset, offset + size);
      offset += size;
    }
    // Copy the tail: the producer may reuse its buffer once we ask for the next chunk.
    if (offset < chunk.length) pending = Buffer.from(chunk.subarray(offset));
  }
  if (pending) yield pending;
}
