/**
 * Object body framing shared by the PutObject/GetObject adapters.
 *
 * !!! PROTOCOL INVARIANT !!!
 * Velero moves object bodies in messages of at most 16384 bytes in both directions. Keep every
 * message <= OBJECT_CHUNK_BYTES: Go plugin servers refuse messages above 4 MiB, and chunking is what
 * keeps memory bounded for multi-GiB objects (streams are never buffered whole).
 */
import type { EventEmitter } from "node:events";
import type { Readable } from "node:stream";

export const OBJECT_CHUNK_BYTES = 16384;

/**
 * Largest chunk a caller may opt into. Go plugin servers accept messages up to 4 MiB and Velero's
 * host accepts 2 GiB, so bigger chunks stay wire-compatible; they cut gRPC per-message overhead for
 * large objects. Default remains Velero's 16384.
 */
export const MAX_OBJECT_CHUNK_BYTES = 1024 * 1024;

/**
 * GetObject message size our plugin servers send by default: Velero's Go host (and ours) accept
 * messages up to 2 GiB, and 256 KiB messages move a large object several times faster than 16 KiB
 * ones for the same bounded memory (serve({ getObjectChunkBytes }) overrides it).
 */
export const GET_OBJECT_CHUNK_BYTES = 256 * 1024;

/**
 * Object message size in both directions when the connection speaks vtframes1 (both ends are
 * velero-ts). 1 MiB messages cost a plugin process more peak memory (buffers awaiting GC), so
 * both directions use 256 KiB (docs/adr/0004).
 */
export const FRAMES_OBJECT_CHUNK_BYTES = 256 * 1024;

/** Validates an optional chunk size (default OBJECT_CHUNK_BYTES). */
export function chunkBytes(requested: number | undefined): number {
  if (requested === undefined) return OBJECT_CHUNK_BYTES;
  if (!Number.isInteger(requested) || requested < 1 || requested > MAX_OBJECT_CHUNK_BYTES) {
    throw new RangeError(`object chunk size ${requested} must be an integer between 1 and ${MAX_OBJECT_CHUNK_BYTES} bytes`);
  }
  return requested;
}

type Chunk = Buffer | Uint8Array | string;

/**
 * Re-frames any byte stream into chunks of exactly `size` bytes (the last one may be shorter).
 * Source chunks of at least `size` bytes are passed on as views; smaller pieces are copied once
 * into the chunk being filled (never re-copied as it grows).
 */
export async function* rechunk(source: AsyncIterable<Chunk> | Readable, size = OBJECT_CHUNK_BYTES): AsyncGenerator<Buffer> {
  let pending: Buffer | undefined;
  let filled = 0;
  for await (const raw of source as AsyncIterable<Chunk>) {
    const chunk = typeof raw === "string" ? Buffer.from(raw) : Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    if (chunk.length === 0) continue;
    let offset = 0;
    if (pending) {
      offset = chunk.copy(pending, filled, 0, Math.min(size - filled, chunk.length));
      filled += offset;
      if (filled < size) continue;
      yield pending;
      pending = undefined;
    }
    while (chunk.length - offset >= size) {
      yield chunk.subarray(offset, offset + size);
      offset += size;
    }
    // Copy the tail: the producer may reuse its buffer once we ask for the next chunk.
    if (offset < chunk.length) {
      pending = Buffer.allocUnsafe(size);
      filled = chunk.copy(pending, 0, offset);
    }
  }
  // A short last chunk does not keep a whole chunk-sized allocation alive.
  if (pending) yield filled * 2 < size ? Buffer.from(pending.subarray(0, filled)) : pending.subarray(0, filled);
}

/**
 * Resolves at the first of `events` on a gRPC call: "drain" (it accepts more writes) or one that
 * ends it (writes are then moot). Listeners are removed either way.
 */
export function writableOrEnded(call: EventEmitter, events: readonly string[]): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      for (const e of events) call.off(e, done);
      resolve();
    };
    for (const e of events) call.on(e, done);
  });
}
