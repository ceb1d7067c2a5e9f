/**
 * vtframes1: the wire format of the fast transport between the velero-ts host and velero-ts
 * plugins (docs/adr/0004-vtframes1-plugin-transport.md). Used ONLY when both ends negotiated it in
 * the go-plugin handshake; everything else speaks gRPC.
 *
 * !!! PROTOCOL INVARIANT: changing anything below is a new protocol (vtframes2), never an edit. !!!
 *
 * The client first writes the 12-byte preface "VTFRAMES/1\r\n". Then both sides exchange frames:
 *
 *   offset 0  u32 BE  payload length (<= MAX_FRAME_PAYLOAD_BYTES)
 *   offset 4  u32 BE  stream id (the client numbers its calls 1, 2, 3, …)
 *   offset 8  u8      type
 *   offset 9  u8      flags (FLAG_END_STREAM on MESSAGE; 0 otherwise)
 *   offset 10 u16     reserved, must be 0
 *   offset 12 payload
 *
 * Types:
 *   OPEN    client→server  payload: the gRPC method path, UTF-8 ("/generated.ObjectStore/PutObject")
 *   MESSAGE both           payload: one protobuf message, the same bytes gRPC would carry;
 *                          FLAG_END_STREAM = the client sends no more messages after this one
 *   END     client→server  the client sends no more messages (no payload)
 *   STATUS  server→client  ends the call: u32 code, u32 n, n bytes of UTF-8 details, then the rest
 *                          is the grpc-status-details-bin value (google.rpc.Status; may be empty)
 *   CANCEL  client→server  the client abandons the call (cancel() or deadline)
 *   CREDIT  both           u32: the receiver consumed that many more MESSAGE payload bytes of the
 *                          stream; a sender keeps at most INITIAL_WINDOW_BYTES unacknowledged
 */

import { noteReceiveBuffers } from "./reclaim.js";

export const PROTOCOL_NAME = "vtframes1";
export const PREFACE = Buffer.from("VTFRAMES/1\r\n", "latin1");
export const HEADER_BYTES = 12;
/**
 * Largest payload of one frame; a bigger length is a corrupt (or hostile) stream. The same limit
 * as the 2 GiB gRPC message size both sides allow (go-plugin's and ours): an item that goes over
 * gRPC goes over vtframes1 too.
 */
export const MAX_FRAME_PAYLOAD_BYTES = 2 ** 31 - 1;
/** Per-stream, per-direction flow-control window (like the 4 MiB HTTP/2 window gRPC uses here). */
export const INITIAL_WINDOW_BYTES = 4 * 1024 * 1024;
/** The receiver returns credit in batches of at least this many bytes (fewer CREDIT frames). */
export const CREDIT_BATCH_BYTES = 1024 * 1024;

export const FrameType = {
  OPEN: 1,
  MESSAGE: 2,
  END: 3,
  STATUS: 4,
  CANCEL: 5,
  CREDIT: 6,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export const FLAG_END_STREAM = 0x1;
const MAX_TYPE = FrameType.CREDIT;

/** A stream that cannot be parsed: the connection is torn down. */
export class FrameError extends Error {
  override name = "FrameError";
}

/**
 * A MESSAGE payload in two parts written back to back (`head` ++ `body`): a protobuf message
 * whose last field is a large bytes field, sent without copying that field (split-messages.ts).
 */
export interface SplitPayload {
  head: Buffer;
  body: Buffer;
}

/** What a frame carries: bytes, or a split message (the same bytes on the wire). */
export type FramePayload = Uint8Array | SplitPayload;

export function payloadLength(payload: FramePayload): number {
  return payload instanceof Uint8Array ? payload.length : payload.head.length + payload.body.length;
}

/** The header of one frame. */
export function frameHeader(type: FrameType, flags: number, streamId: number, payloadBytes: number): Buffer {
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header.writeUInt32BE(payloadBytes, 0);
  header.writeUInt32BE(streamId, 4);
  header[8] = type;
  header[9] = flags;
  header.writeUInt16BE(0, 10);
  return header;
}

/** A whole small frame in one buffer (header + payload copied together). */
export function encodeFrame(type: FrameType, flags: number, streamId: number, payload?: Uint8Array): Buffer {
  const length = payload?.length ?? 0;
  const frame = Buffer.allocUnsafe(HEADER_BYTES + length);
  frame.writeUInt32BE(length, 0);
  frame.writeUInt32BE(streamId, 4);
  frame[8] = type;
  frame[9] = flags;
  frame.writeUInt16BE(0, 10);
  if (payload) frame.set(payload, HEADER_BYTES);
  return frame;
}

export function encodeCredit(bytes: number): Buffer {
  const payload = Buffer.allocUnsafe(4);
  payload.writeUInt32BE(bytes, 0);
  return payload;
}

export interface StatusPayload {
  code: number;
  details: string;
  /** grpc-status-details-bin (google.rpc.Status), empty when absent. */
  statusDetails: Buffer;
}

export function encodeStatus(status: StatusPayload): Buffer {
  const details = Buffer.from(status.details, "utf8");
  const payload = Buffer.allocUnsafe(8 + details.length + status.statusDetails.length);
  payload.writeUInt32BE(status.code, 0);
  payload.writeUInt32BE(details.length, 4);
  details.copy(payload, 8);
  status.statusDetails.copy(payload, 8 + details.length);
  return payload;
}

export function decodeStatus(payload: Buffer): StatusPayload {
  if (payload.length < 8) throw new FrameError(`STATUS frame of ${payload.length} bytes is shorter than its 8-byte header`);
  const code = payload.readUInt32BE(0);
  const length = payload.readUInt32BE(4);
  if (8 + length > payload.length) throw new FrameError(`STATUS frame details length ${length} exceeds the frame (${payload.length} bytes)`);
  return {
    code,
    details: payload.toString("utf8", 8, 8 + length),
    statusDetails: Buffer.from(payload.subarray(8 + length)),
  };
}

export function decodeCredit(payload: Buffer): number {
  if (payload.length !== 4) throw new FrameError(`CREDIT frame payload is ${payload.length} bytes, expected 4`);
  return payload.readUInt32BE(0);
}

/**
 * One decoded frame. `payload` may be a view into a received chunk. A decoder created with
 * `scatter` delivers a MESSAGE payload spread over several chunks as `parts` (views of those
 * chunks, back to back) and leaves `payload` empty; use messageBytes(frame).
 */
export interface Frame {
  type: FrameType;
  flags: number;
  streamId: number;
  payload: Buffer;
  parts?: readonly Buffer[];
}

/** A MESSAGE payload: one buffer, or views that are the payload back to back (never copied). */
export type MessageBytes = Buffer | readonly Buffer[];

/** The payload of a MESSAGE frame, contiguous or in parts. */
export function messageBytes(frame: Frame): MessageBytes {
  return frame.parts ?? frame.payload;
}

export function messageBytesLength(bytes: MessageBytes): number {
  if (Buffer.isBuffer(bytes)) return bytes.length;
  let n = 0;
  for (const part of bytes as readonly Buffer[]) n += part.length;
  return n;
}

/** One buffer holding the message (the parts are copied once when there are several). */
export function contiguous(bytes: MessageBytes): Buffer {
  if (Buffer.isBuffer(bytes)) return bytes;
  const parts = bytes as readonly Buffer[];
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts as Buffer[]);
}

const EMPTY = Buffer.alloc(0);
/** Size of the buffers socket reads go into (what node allocates per read by default). */
export const READ_CHUNK_BYTES = 64 * 1024;
/** A read buffer with less room than this is replaced by a fresh one. */
const MIN_READ_ROOM = 4 * 1024;
/** A payload that needs more than this many further bytes is read straight into its own buffer. */
const DIRECT_READ_MIN_BYTES = 32 * 1024;

/**
 * Incremental frame parser: push() socket chunks in any split; complete frames come out in order.
 * A payload that lies within one chunk is a zero-copy view; one spread over several chunks is
 * assembled with exactly one copy, or (`scatter`, MESSAGE frames) handed out as views of those
 * chunks (Frame.parts), so a receiver of large messages neither allocates nor copies. Throws FrameError on a corrupt stream (oversized length,
 * unknown type, non-zero reserved bits, wrong preface).
 */
export class FrameDecoder {
  readonly #parts: Buffer[] = [];
  #buffered = 0;
  #prefacePending: boolean;
  readonly #scatter: boolean;
  #header: { type: FrameType; flags: number; streamId: number; length: number } | undefined;

  /** Read-buffer mode (readBuffer()/received()): the chunk reads go into, and how much is used. */
  #chunk: Buffer | undefined;
  #chunkUsed = 0;
  /** Read-buffer mode: a large payload being read straight into its own buffer. */
  #direct: { type: FrameType; flags: number; streamId: number; payload: Buffer; filled: number } | undefined;
  /**
   * Read-buffer mode: a large payload was just read; read only the next header, so that if
   * another large payload follows (a stream of object messages), none of it lands in the shared
   * chunk and has to be copied out.
   */
  #headerNext = false;

  /**
   * `expectPreface`: the server side checks the client's preface first. `scatter`: pushed chunks
   * are never reused by the caller (socket "data" chunks), so MESSAGE payloads spread over several
   * of them are delivered as views (Frame.parts) instead of being assembled.
   */
  constructor(options: { expectPreface?: boolean; scatter?: boolean } = {}) {
    this.#prefacePending = options.expectPreface ?? false;
    this.#scatter = options.scatter ?? false;
  }

  push(chunk: Buffer, onFrame: (frame: Frame) => void): void {
    if (chunk.length === 0) return;
    this.#parts.push(chunk);
    this.#buffered += chunk.length;
    if (this.#prefacePending) {
      if (this.#buffered < PREFACE.length) return;
      const preface = this.#take(PREFACE.length);
      if (!preface.equals(PREFACE)) {
        throw new FrameError(`connection did not start with the ${PROTOCOL_NAME} preface (got ${JSON.stringify(preface.toString("latin1"))})`);
      }
      this.#prefacePending = false;
    }
    for (;;) {
      let header = this.#header;
      if (!header) {
        if (this.#buffered < HEADER_BYTES) return;
        header = this.#parseHeader(this.#take(HEADER_BYTES));
        this.#header = header;
      }
      if (this.#buffered < header.length) return;
      this.#header = undefined;
      if (this.#scatter && header.type === FrameType.MESSAGE && header.length > 0 && (this.#parts[0] as Buffer).length < header.length) {
        onFrame({ type: header.type, flags: header.flags, streamId: header.streamId, payload: EMPTY, parts: this.#takeParts(header.length) });
        continue;
      }
      const payload = header.length === 0 ? EMPTY : this.#take(header.length);
      onFrame({ type: header.type, flags: header.flags, streamId: header.streamId, payload });
    }
  }

  /**
   * Read-buffer mode (a socket created with `onread`): the buffer the next read should fill.
   * Small frames are read into shared 64 KiB chunks and handed out as views (a chunk is never
   * written again below what was handed out); the rest of a large payload is read straight into
   * a buffer of its exact size, so it is neither copied nor assembled from 64 KiB pieces.
   */
  readBuffer(): Buffer {
    const direct = this.#direct;
    if (direct) return direct.payload.subarray(direct.filled);
    if (!this.#chunk || this.#chunk.length - this.#chunkUsed < MIN_READ_ROOM) {
      this.#chunk = Buffer.allocUnsafe(READ_CHUNK_BYTES);
      this.#chunkUsed = 0;
      noteReceiveBuffers(READ_CHUNK_BYTES);
    }
    if (this.#headerNext) return this.#chunk.subarray(this.#chunkUsed, this.#chunkUsed + HEADER_BYTES - this.#buffered);
    return this.#chunk.subarray(this.#chunkUsed);
  }

  /** Read-buffer mode: `n` bytes were read into the buffer readBuffer() returned. */
  received(n: number, onFrame: (frame: Frame) => void): void {
    if (n <= 0) return;
    const direct = this.#direct;
    if (direct) {
      direct.filled += n;
      if (direct.filled < direct.payload.length) return;
      this.#direct = undefined;
      this.#headerNext = true;
      onFrame({ type: direct.type, flags: direct.flags, streamId: direct.streamId, payload: direct.payload });
      return;
    }
    const chunk = this.#chunk;
    if (!chunk) throw new Error("FrameDecoder.received() without readBuffer()");
    const start = this.#chunkUsed;
    this.#chunkUsed += n;
    this.push(chunk.subarray(start, start + n), onFrame);
    const header = this.#header;
    // Header-only reads go on while no header is pending (a partial one, or zero-length frames).
    if (header) this.#headerNext = false;
    if (header && header.length - this.#buffered > DIRECT_READ_MIN_BYTES) {
      // Move what arrived of this payload into its own buffer; the rest is read into it.
      const payload = Buffer.allocUnsafe(header.length);
      noteReceiveBuffers(header.length);
      let filled = 0;
      for (const part of this.#parts) filled += part.copy(payload, filled);
      this.#parts.length = 0;
      this.#buffered = 0;
      this.#header = undefined;
      this.#direct = { type: header.type, flags: header.flags, streamId: header.streamId, payload, filled };
    }
  }

  #parseHeader(bytes: Buffer): { type: FrameType; flags: number; streamId: number; length: number } {
    const length = bytes.readUInt32BE(0);
    const streamId = bytes.readUInt32BE(4);
    const type = bytes[8] ?? 0;
    const flags = bytes[9] ?? 0;
    const reserved = bytes.readUInt16BE(10);
    if (length > MAX_FRAME_PAYLOAD_BYTES) {
      throw new FrameError(`frame length ${length} exceeds the maximum of ${MAX_FRAME_PAYLOAD_BYTES} bytes (stream ${streamId}, type ${type})`);
    }
    if (type < FrameType.OPEN || type > MAX_TYPE) throw new FrameError(`unknown frame type ${type} (stream ${streamId}, length ${length})`);
    if (reserved !== 0 || (flags & ~FLAG_END_STREAM) !== 0) {
      throw new FrameError(`undecodable frame header: reserved bits set (flags 0x${flags.toString(16)}, reserved 0x${reserved.toString(16)}, stream ${streamId})`);
    }
    return { type: type as FrameType, flags, streamId, length };
  }

  /** Removes exactly n (<= buffered, more than the first part) bytes from the front as views. */
  #takeParts(n: number): Buffer[] {
    this.#buffered -= n;
    const out: Buffer[] = [];
    let left = n;
    while (left > 0) {
      const part = this.#parts[0] as Buffer;
      if (part.length <= left) {
        out.push(part);
        left -= part.length;
        this.#parts.shift();
      } else {
        out.push(part.subarray(0, left));
        this.#parts[0] = part.subarray(left);
        left = 0;
      }
    }
    return out;
  }

  /** Removes exactly n (<= buffered) bytes from the front. */
  #take(n: number): Buffer {
    this.#buffered -= n;
    const first = this.#parts[0] as Buffer;
    if (first.length >= n) {
      if (first.length === n) this.#parts.shift();
      else this.#parts[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const part = this.#parts[0] as Buffer;
      const used = Math.min(part.length, n - filled);
      part.copy(out, filled, 0, used);
      filled += used;
      if (used === part.length) this.#parts.shift();
      else this.#parts[0] = part.subarray(used);
    }
    return out;
  }
}
