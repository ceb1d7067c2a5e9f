import * as grpc from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { NotFoundError, PluginError, PluginUnavailableError, UnsupportedError, ValidationError } from "../contract/errors.js";
import { parseJsStack } from "./js-stack.js";
import { decodeRemoteStack, encodeStatusDetails, fromServiceError, MAX_STATUS_TRAILER_BYTES, STATUS_DETAILS_KEY, toServerStatus } from "./status.js";

const ctx = { kind: "ObjectStore", name: "velero.io/aws", method: "GetObject" };

function serviceError(code: grpc.status, details: string, metadata = new grpc.Metadata()): grpc.ServiceError {
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata });
}

describe("toServerStatus", () => {
  it.each([
    { name: "Error", error: new Error("boom"), code: grpc.status.UNKNOWN, details: "boom" },
    { name: "ValidationError", error: new ValidationError("bad"), code: grpc.status.INVALID_ARGUMENT, details: "bad" },
    // Velero's host reads "not found" from the words only (isTarballNotFoundError): added when missing
    { name: "NotFoundError", error: new NotFoundError("missing"), code: grpc.status.NOT_FOUND, details: "missing (not found)" },
    { name: "NotFoundError that says so", error: new NotFoundError('object "k" does not exist'), code: grpc.status.NOT_FOUND, details: 'object "k" does not exist' },
    { name: "UnsupportedError", error: new UnsupportedError("signed URLs are not supported"), code: grpc.status.UNIMPLEMENTED, details: "signed URLs are not supported" },
    { name: "string", error: "just text", code: grpc.status.UNKNOWN, details: "just text" },
    { name: "undefined", error: undefined, code: grpc.status.UNKNOWN, details: "undefined" },
    { name: "nested gRPC status keeps its code", error: serviceError(grpc.status.PERMISSION_DENIED, "denied"), code: grpc.status.PERMISSION_DENIED, details: "denied" },
  ])("maps $name", ({ error, code, details }) => {
    const status = toServerStatus(error);
    expect(status.code).toBe(code);
    expect(status.details).toBe(details);
  });

  it.each([
    { name: "100,000 ASCII characters", text: "x".repeat(100_000) },
    { name: "20,000 'é' (percent-encoded 6 bytes each)", text: "é".repeat(20_000) },
    { name: "emoji (surrogate pairs)", text: "😀".repeat(30_000) },
  ])("cuts a message too long for the trailers, keeping its start, with a note: $name", ({ text }) => {
    const status = toServerStatus(new Error(`bucket listing failed: ${text}`));
    const details = status.metadata.get(STATUS_DETAILS_KEY)[0] as Buffer;
    const grpcMessageBytes = encodeURIComponent(status.details).length; // at least what grpc-js sends
    expect(grpcMessageBytes + Math.ceil(details.length / 3) * 4).toBeLessThanOrEqual(MAX_STATUS_TRAILER_BYTES + 1024);
    expect(status.details.startsWith("bucket listing failed: ")).toBe(true);
    expect(status.details).toMatch(/ … \[message cut from \d+ characters to fit the gRPC status trailer\]$/);
    expect(status.details.length).toBeGreaterThan(1000);
    expect(status.details).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/); // no half surrogate pair
    expect(decodeRemoteStack(status.metadata).length).toBeGreaterThan(0);
  });

  it("leaves a message that fits alone", () => {
    const text = `a long but fitting message ${"y".repeat(20_000)}`;
    expect(toServerStatus(new Error(text)).details).toBe(text);
  });

  it("attaches a generated.Stack detail built from the JS stack", () => {
    const status = toServerStatus(new Error("with stack"));
    const frames = decodeRemoteStack(status.metadata);
    expect(frames.length).toBeGreaterThan(0);
    expect(frames[0]?.file).toMatch(/status\.test\.ts$/);
  });
});

describe("parseJsStack", () => {
  it("reads named, anonymous and file:// frames", () => {
    const stack = [
      "Error: x",
      "    at S3Store.getObject (/app/dist/s3.js:10:5)",
      "    at file:///app/dist/main.js:3:1",
      "    at async Promise.all (index 0)",
      "    at new Foo (node:internal/x:1:2)",
    ].join("\n");
    expect(parseJsStack(stack)).toEqual([
      { file: "/app/dist/s3.js", line: 10, function: "S3Store.getObject" },
      { file: "/app/dist/main.js", line: 3, function: "<anonymous>" },
      { file: "node:internal/x", line: 1, function: "new Foo" },
    ]);
  });
});

describe("fromServiceError", () => {
  it("decodes message, reason and remote stack (as a Go plugin sends them)", () => {
    const metadata = new grpc.Metadata();
    const frames = [{ file: "/go/src/aws/object_store.go", line: 211, function: "main.(*ObjectStore).GetObject" }];
    metadata.set(STATUS_DETAILS_KEY, encodeStatusDetails(grpc.status.UNKNOWN, "NoSuchKey", frames));
    const error = fromServiceError(serviceError(grpc.status.UNKNOWN, "NoSuchKey", metadata), ctx);
    expect(error).toBeInstanceOf(PluginError);
    expect(error).toMatchObject({ message: "rpc error: code = Unknown desc = NoSuchKey", reason: "unknown", kind: "ObjectStore", pluginName: "velero.io/aws", remoteStack: frames });
  });

  it.each([
    { code: grpc.status.ABORTED, reason: "aborted" },
    { code: grpc.status.INVALID_ARGUMENT, reason: "invalid" },
    { code: grpc.status.RESOURCE_EXHAUSTED, reason: "invalid" }, // a message over a Go peer's 4 MiB limit: not a lost process
    { code: grpc.status.UNKNOWN, reason: "unknown" },
    { code: grpc.status.INTERNAL, reason: "internal" },
    { code: grpc.status.DEADLINE_EXCEEDED, reason: "internal" },
  ])("maps code $code to reason $reason", ({ code, reason }) => {
    expect(fromServiceError(serviceError(code, "x"), ctx)).toMatchObject({ reason });
  });

  it("maps UNAVAILABLE to PluginUnavailableError and NOT_FOUND to NotFoundError", () => {
    expect(fromServiceError(serviceError(grpc.status.UNAVAILABLE, "Connection dropped"), ctx)).toBeInstanceOf(PluginUnavailableError);
    const nf = fromServiceError(serviceError(grpc.status.NOT_FOUND, "key"), ctx);
    expect(nf).toBeInstanceOf(NotFoundError);
    expect(nf.cause).toBeInstanceOf(PluginError);
  });

  it("maps UNIMPLEMENTED to UnsupportedError, which the plugin manager does not take for a lost process", () => {
    const unsupported = fromServiceError(serviceError(grpc.status.UNIMPLEMENTED, "signed URLs are not supported"), ctx);
    expect(unsupported).toBeInstanceOf(UnsupportedError);
    expect(unsupported.message).toBe("rpc error: code = Unimplemented desc = signed URLs are not supported");
    expect((unsupported as { reason?: unknown }).reason).toBeUndefined();
  });

  it("ignores an unreadable details trailer", () => {
    const metadata = new grpc.Metadata();
    metadata.set(STATUS_DETAILS_KEY, Buffer.from([0xff, 0xff, 0xff]));
    expect(fromServiceError(serviceError(grpc.status.UNKNOWN, "x", metadata), ctx)).toMatchObject({ remoteStack: [] });
  });
});
