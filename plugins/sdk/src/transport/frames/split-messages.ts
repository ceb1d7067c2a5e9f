/**
 * Object bodies without a protobuf copy. PutObjectRequest (fields 1-3 strings, 4 `body`) and Bytes
 * (1 `data`) end with their one large bytes field, so their encoding is
 *   protobuf(the other fields) ++ tag(body) ++ varint(body length) ++ body
 * which the link writes as a small head plus the caller's body buffer (writev, no copy). The wire
 * bytes are exactly what the method's protobufjs serializer produces (unit-tested byte for byte);
 * vtframes1 itself is unchanged.
 *
 * Receiving, the plugin reads PutObject requests the other way round: the head is decoded by the
 * method's own deserializer and the body is handed on as the views of the socket reads it arrived
 * in (one request message per view), never assembled into one buffer.
 */
import type * as grpc from "@grpc/grpc-js";
import type { MessageBytes, SplitPayload } from "./codec.js";

/** Returns the message split, or undefined when the generic serializer must be used. */
export type SplitSerializer = (message: unknown) => SplitPayload | undefined;

/** protobuf wire type 2 (length-delimited) tag of field `n`. */
function lengthDelimitedTag(field: number): number {
  return (field << 3) | 2;
}

function varintBytes(value: number): number {
  let n = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    n++;
  }
  return n;
}

function writeVarint(target: Buffer, offset: number, value: number): number {
  while (value >= 0x80) {
    target[offset++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 0x80);
  }
  target[offset++] = value;
  return offset;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** `prefix` ++ tag(field) ++ varint(length). */
function head(prefix: Uint8Array | undefined, field: number, length: number): Buffer {
  const prefixBytes = prefix?.length ?? 0;
  const out = Buffer.allocUnsafe(prefixBytes + 1 + varintBytes(length));
  if (prefix) out.set(prefix, 0);
  out[prefixBytes] = lengthDelimitedTag(field);
  writeVarint(out, prefixBytes + 1, length);
  return out;
}

/**
 * PutObjectRequest: the plugin/bucket/key part is encoded by the method's own serializer (so
 * strings are written exactly as protobufjs writes them) and reused while they stay the same,
 * which they do for every message of one upload.
 */
function putObjectRequest(serialize: (value: unknown) => Buffer): SplitSerializer {
  let last: { plugin: unknown; bucket: unknown; key: unknown; bytes: Buffer } | undefined;
  return (message) => {
    const { plugin, bucket, key, body } = message as { plugin?: unknown; bucket?: unknown; key?: unknown; body?: unknown };
    if (!(body instanceof Uint8Array)) return undefined;
    if (!last || last.plugin !== plugin || last.bucket !== bucket || last.key !== key) {
      last = { plugin, bucket, key, bytes: serialize({ plugin, bucket, key }) };
    }
    return { head: head(last.bytes, 4, body.length), body: asBuffer(body) };
  };
}

/** Bytes { data = 1 }: GetObject's response. */
const bytesMessage: SplitSerializer = (message) => {
  const { data } = message as { data?: unknown };
  if (!(data instanceof Uint8Array)) return undefined;
  return { head: head(undefined, 1, data.length), body: asBuffer(data) };
};

/** The split serializer of a method's requests, if it has one. */
export function splitRequestSerializer(method: grpc.MethodDefinition<unknown, unknown>): SplitSerializer | undefined {
  return method.path === "/generated.ObjectStore/PutObject" ? putObjectRequest(method.requestSerialize) : undefined;
}

/** The split serializer of a method's responses, if it has one. */
export function splitResponseSerializer(method: grpc.MethodDefinition<unknown, unknown>): SplitSerializer | undefined {
  return method.path === "/generated.ObjectStore/GetObject" ? bytesMessage : undefined;
}

/**
 * Decodes one received message into the messages handed to the handler, or undefined when the
 * generic deserializer must be used.
 */
export type SplitDeserializer = (bytes: MessageBytes) => unknown[] | undefined;

/** Reads a varint at `pos` of `bytes`: [value, next position], or undefined past the end or above 2^35. */
function readVarint(bytes: Buffer, pos: number): [number, number] | undefined {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 5; i++) {
    if (pos >= bytes.length) return undefined;
    const byte = bytes[pos++] as number;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return [value, pos];
    scale *= 0x80;
  }
  return undefined;
}

/**
 * Where the bytes field `field` starts in a message of `total` bytes whose first bytes are
 * `first` ([its tag's offset, its data's offset]), if that field is the message's last one (its
 * data runs to the end) and everything before its data lies within `first`; undefined otherwise
 * (then the caller decodes generically).
 */
export function lastBytesField(first: Buffer, total: number, field: number): [number, number] | undefined {
  let pos = 0;
  while (pos < first.length) {
    const fieldStart = pos;
    const tag = readVarint(first, pos);
    if (!tag) return undefined;
    const [key, afterTag] = tag;
    const wireType = key % 8;
    const number = Math.floor(key / 8);
    if (wireType === 0) {
      const value = readVarint(first, afterTag);
      if (!value) return undefined;
      pos = value[1];
    } else if (wireType === 1) {
      pos = afterTag + 8;
    } else if (wireType === 5) {
      pos = afterTag + 4;
    } else if (wireType === 2) {
      const length = readVarint(first, afterTag);
      if (!length) return undefined;
      const [bytes, start] = length;
      if (number === field) return start + bytes === total && start <= first.length ? [fieldStart, start] : undefined;
      pos = start + bytes;
    } else {
      return undefined;
    }
  }
  return undefined;
}

/**
 * PutObjectRequest received: plugin/bucket/key decoded by the method's deserializer from the head
 * (reused while the head bytes stay the same, as they do for every message of one upload), then one
 * message per body view: { plugin, bucket, key, body: view }.
 */
function putObjectRequestReader(deserialize: (bytes: Buffer) => unknown): SplitDeserializer {
  let last: { head: Buffer; fields: Record<string, unknown> } | undefined;
  return (bytes) => {
    const parts = Buffer.isBuffer(bytes) ? [bytes] : (bytes as readonly Buffer[]);
    const first = parts[0];
    if (!first) return undefined;
    let total = 0;
    for (const part of parts) total += part.length;
    const body4 = lastBytesField(first, total, 4);
    if (!body4) return undefined;
    const [fieldStart, offset] = body4;
    // The fields before the body: decoded like the generic deserializer would.
    const head = first.subarray(0, fieldStart);
    if (!last || !last.head.equals(head)) {
      const fields = { ...(deserialize(head) as Record<string, unknown>) };
      delete fields["body"];
      last = { head: Buffer.from(head), fields };
    }
    const messages: unknown[] = [];
    const body = first.subarray(offset);
    if (body.length > 0) messages.push({ ...last.fields, body });
    for (let i = 1; i < parts.length; i++) {
      const part = parts[i] as Buffer;
      if (part.length > 0) messages.push({ ...last.fields, body: part });
    }
    if (messages.length === 0) messages.push({ ...last.fields, body: Buffer.alloc(0) });
    return messages;
  };
}

/** The split deserializer of a method's requests (plugin side), if it has one. */
export function splitRequestDeserializer(method: grpc.MethodDefinition<unknown, unknown>): SplitDeserializer | undefined {
  return method.path === "/generated.ObjectStore/PutObject" ? putObjectRequestReader(method.requestDeserialize) : undefined;
}
