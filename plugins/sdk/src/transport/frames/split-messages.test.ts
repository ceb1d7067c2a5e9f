import { describe, expect, it } from "vitest";
import type * as grpc from "@grpc/grpc-js";
import { serviceDefinition } from "@velero-ts/proto";
import { splitRequestSerializer, splitResponseSerializer } from "./split-messages.js";

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
