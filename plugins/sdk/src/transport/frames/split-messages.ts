/**
 * Object bodies without a protobuf copy. PutObjectRequest (fields 1-3 strings, 4 `body`) and Bytes
 * (1 `data`) end with their one large bytes field, so their encoding is
 *   protobuf(the other fields) ++ tag(body) ++ varint(body length) ++ body
 * which the link writes as a small head plus the caller's body buffer (writev, no copy). The wire
 * bytes are exactly what the method's protobufjs serializer produces (unit-tested byte for byte);
 * vtframes1 itself is unchanged.
 */
import type * as grpc from "@grpc/grpc-js";
import type { SplitPayload } from "./codec.js";

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
