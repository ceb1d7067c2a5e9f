import { describe, expect, it } from "vitest";
import type * as grpc from "@grpc/grpc-js";
import { serviceDefinition } from "@velero-ts/proto";
import { splitRequestDeserializer, splitRequestSerializer, splitResponseSerializer } from "./split-messages.js";

const objectStore = serviceDefinition("objectStore") as Record<string, grpc.MethodDefinition<unknown, unknown>>;
const putObject = objectStore["PutObject"] as grpc.MethodDefinition<unknown, unknown>;
const getObject = objectStore["GetObject"] as grpc.MethodDefinition<unknown, unknown>;

function joined(split: { head: Buffer; body: Buffer } | undefined): Buffer {
  if (!split) throw new Error("expected a split message");
  return Buffer.concat([split.head, split.body]);
}

function patterned(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7) % 256;
  return b;
}

// body sizes around every varint length boundary, and a whole MiB
const SIZES = [0, 1, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, 1024 * 1024];

describe("split serializers: the same bytes as the method's protobufjs serializer", () => {
  it("PutObjectRequest, for every body size and for empty, ASCII and non-ASCII strings", () => {
    const split = splitRequestSerializer(putObject);
    for (const size of SIZES) {
      for (const names of [
        { plugin: "velero.io/aws", bucket: "bkt", key: "backups/b1/b1.tar.gz" },
        { plugin: "", bucket: "", key: "" },
        { plugin: "p", bucket: "b", key: `ключ/${"é".repeat(50)}/日本語/\u{1F600}` },
      ]) {
        const message = { ...names, body: patterned(size) };
        expect(joined(split?.(message)).equals(putObject.requestSerialize(message))).toBe(true);
      }
    }
  });

  it("PutObjectRequest: a body that is a Uint8Array (not a Buffer) and a key that changes between messages", () => {
    const split = splitRequestSerializer(putObject);
    const body = new Uint8Array(patterned(300));
    for (const key of ["a", "a", "b", "a"]) {
      const message = { plugin: "x", bucket: "y", key, body };
      expect(joined(split?.(message)).equals(putObject.requestSerialize(message))).toBe(true);
    }
  });

  it("PutObjectRequest: the body is not copied", () => {
    const body = patterned(100_000);
    expect(splitRequestSerializer(putObject)?.({ plugin: "p", bucket: "b", key: "k", body })?.body).toBe(body);
  });

  it("PutObjectRequest without a bytes body falls back to the generic serializer", () => {
    expect(splitRequestSerializer(putObject)?.({ plugin: "p", bucket: "b", key: "k", body: "aGVsbG8=" })).toBeUndefined();
    expect(splitRequestSerializer(putObject)?.({ plugin: "p", bucket: "b", key: "k" })).toBeUndefined();
  });

  it("Bytes (GetObject responses), for every size", () => {
    const split = splitResponseSerializer(getObject);
    for (const size of SIZES) {
      const message = { data: patterned(size) };
      expect(joined(split?.(message)).equals(getObject.responseSerialize(message))).toBe(true);
    }
    expect(split?.({})).toBeUndefined();
  });

  it("only PutObject requests and GetObject responses are split", () => {
    for (const [name, method] of Object.entries(objectStore)) {
      expect(splitRequestSerializer(method) !== undefined, name).toBe(name === "PutObject");
      expect(splitResponseSerializer(method) !== undefined, name).toBe(name === "GetObject");
    }
  });
});

describe("PutObjectRequest read without assembling the body (plugin side)", () => {
  const read = splitRequestDeserializer(putObject);
  const names = { plugin: "velero.io/aws", bucket: "bkt", key: `backups/b1/ключ-${"é".repeat(40)}.tar.gz` };

  /** The encoded message cut at `cuts` (offsets) into views. */
  function cut(bytes: Buffer, cuts: number[]): Buffer[] {
    const parts: Buffer[] = [];
    let from = 0;
    for (const at of [...cuts, bytes.length]) {
      parts.push(bytes.subarray(from, at));
      from = at;
    }
    return parts;
  }

  it("gives the generic deserializer's fields and the body as views of the parts, for any body size and cut", () => {
    for (const size of SIZES) {
      const body = patterned(size);
      const encoded = putObject.requestSerialize({ ...names, body });
      const generic = putObject.requestDeserialize(encoded) as Record<string, unknown>;
      const headBytes = encoded.length - size;
      for (const cuts of [[], [headBytes], [headBytes + 1], [headBytes, headBytes + Math.floor(size / 2)], [encoded.length]]) {
        if (cuts.some((c) => c > encoded.length)) continue;
        const parts = cut(encoded, cuts);
        const messages = read?.(parts.length === 1 ? (parts[0] as Buffer) : parts) as { plugin: string; bucket: string; key: string; body: Buffer }[];
        expect(messages, `size ${size}, cuts ${cuts.join(",")}`).toBeDefined();
        for (const m of messages) expect({ plugin: m.plugin, bucket: m.bucket, key: m.key }).toEqual({ plugin: generic["plugin"], bucket: generic["bucket"], key: generic["key"] });
        expect(Object.keys(messages[0] ?? {})).toEqual(Object.keys(generic));
        expect(Buffer.concat(messages.map((m) => m.body)).equals(body)).toBe(true);
        // views, not copies
        for (const m of messages) if (m.body.length > 0) expect(m.body.buffer).toBe(encoded.buffer);
      }
    }
  });

  it("falls back (undefined) when the head is not within the first part, or the body is not the last field", () => {
    const encoded = putObject.requestSerialize({ ...names, body: patterned(1000) });
    expect(read?.(cut(encoded, [5]))).toBeUndefined();
    // field 4 followed by another field: protobuf allows any order
    const reordered = Buffer.concat([putObject.requestSerialize({ body: patterned(10) }), putObject.requestSerialize({ plugin: "p" })]);
    expect(read?.(reordered)).toBeUndefined();
    expect(putObject.requestDeserialize(reordered)).toMatchObject({ plugin: "p" });
    // no body field at all
    expect(read?.(putObject.requestSerialize({ plugin: "p" }))).toBeUndefined();
  });

  it("reuses the decoded fields while the head stays the same, and decodes a new head", () => {
    const first = read?.(putObject.requestSerialize({ ...names, body: patterned(10) })) as Record<string, unknown>[];
    const second = read?.(putObject.requestSerialize({ ...names, key: "other", body: patterned(10) })) as Record<string, unknown>[];
    expect(first[0]?.["key"]).toBe(names.key);
    expect(second[0]?.["key"]).toBe("other");
  });

  it("only PutObject requests are read this way", () => {
    for (const [name, method] of Object.entries(objectStore)) expect(splitRequestDeserializer(method) !== undefined, name).toBe(name === "PutObject");
  });
});
