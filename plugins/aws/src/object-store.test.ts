import { Readable } from "node:stream";
import { text } from "node:stream/consumers";
import { describe, expect, it } from "vitest";
import { isVeleroError, NotFoundError, ValidationError } from "@velero-ts/plugin-sdk";
import { S3ObjectStore, type S3ObjectStoreOptions } from "./object-store.js";
import type { S3Settings } from "./config.js";
import { FakeS3Api, networkError, recordingLogger, s3Error } from "./testing/fakes.js";

const BASE_CONFIG = { bucket: "bucket", region: "us-east-1", s3Url: "http://127.0.0.1:9000", s3ForcePathStyle: "true" };

async function storeWith(
  config: Record<string, string> = BASE_CONFIG,
  options: S3ObjectStoreOptions & { fake?: FakeS3Api } = {},
): Promise<{ store: S3ObjectStore; fake: FakeS3Api; settings: S3Settings[] }> {
  const fake = options.fake ?? new FakeS3Api({ endpoint: "http://127.0.0.1:9000" });
  const settings: S3Settings[] = [];
  const store = new S3ObjectStore({
    env: {},
    ...options,
    createApi: async (s) => {
      settings.push(s);
      return fake;
    },
  });
  await store.init(config);
  return { store, fake, settings };
}

describe("S3ObjectStore", () => {
  it("fails calls before Init with a message saying so", async () => {
    const store = new S3ObjectStore({ createApi: async () => new FakeS3Api() });
    await expect(store.listObjects("bucket", "")).rejects.toThrow(/not initialized: call Init first/);
  });

  it("round-trips an object through put, exists, get and delete", async () => {
    const { store } = await storeWith();
    await store.putObject("bucket", "backups/b1/velero-backup.json", Readable.from([Buffer.from('{"a":1}')]));
    expect(await store.objectExists("bucket", "backups/b1/velero-backup.json")).toBe(true);
    expect(await text(await store.getObject("bucket", "backups/b1/velero-backup.json"))).toBe('{"a":1}');
    await store.deleteObject("bucket", "backups/b1/velero-backup.json");
    expect(await store.objectExists("bucket", "backups/b1/velero-backup.json")).toBe(false);
  });

  it("rejects getObject of a missing key with NotFoundError naming key and bucket", async () => {
    const { store } = await storeWith();
    const error = await store.getObject("bucket", "nope").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as Error).message).toBe('object "nope" not found in bucket "bucket"');
  });

  it("treats deleting a missing object as success", async () => {
    const { store, fake } = await storeWith();
    fake.failNext("deleteObject", s3Error("NoSuchKey", 404));
    await expect(store.deleteObject("bucket", "gone")).resolves.toBeUndefined();
  });

  describe("putObject parameters", () => {
    it.each([
      {
        name: "defaults: CRC32 checksum, no tagging, no encryption",
        config: {},
        expected: { ChecksumAlgorithm: "CRC32" },
      },
      {
        name: "empty checksumAlgorithm sends no checksum algorithm",
        config: { checksumAlgorithm: "" },
        expected: {},
      },
      {
        name: "kmsKeyId selects aws:kms",
        config: { kmsKeyId: "alias/velero", serverSideEncryption: "AES256" },
        expected: { ServerSideEncryption: "aws:kms", SSEKMSKeyId: "alias/velero", ChecksumAlgorithm: "CRC32" },
      },
      {
        name: "serverSideEncryption alone",
        config: { serverSideEncryption: "AES256", checksumAlgorithm: "SHA256" },
        expected: { ServerSideEncryption: "AES256", ChecksumAlgorithm: "SHA256" },
      },
      {
        name: "tagging is passed through",
        config: { tagging: "team=infra&env=prod", checksumAlgorithm: "" },
        expected: { Tagging: "team=infra&env=prod" },
      },
    ] as { name: string; config: Record<string, string>; expected: object }[])("$name", async ({ config, expected }) => {
      const { store, fake } = await storeWith({ ...BASE_CONFIG, ...config });
      await store.putObject("bucket", "k", Readable.from([Buffer.from("x")]));
      expect(fake.uploads).toEqual([{ Bucket: "bucket", Key: "k", ...expected }]);
    });

    it("uses SSE-C with the first 32 bytes of customerKeyEncryptionFile on put, head and get", async () => {
      const key = Buffer.from("0123456789abcdef0123456789abcdef\n");
      const { store, fake } = await storeWith(
        { ...BASE_CONFIG, customerKeyEncryptionFile: "/credentials/customer-key" },
        { readKeyFile: async (path) => (path === "/credentials/customer-key" ? key : Buffer.alloc(0)) },
      );
      await store.putObject("bucket", "k", Readable.from([Buffer.from("x")]));
      await store.objectExists("bucket", "k");
      await store.getObject("bucket", "k");
      const sse = { SSECustomerAlgorithm: "AES256", SSECustomerKey: key.subarray(0, 32).toString("base64") };
      expect(fake.uploads[0]).toMatchObject(sse);
      expect(fake.uploads[0]).not.toHaveProperty("ServerSideEncryption");
      expect(fake.calls.find((c) => c.op === "headObject")?.params).toMatchObject(sse);
      expect(fake.calls.find((c) => c.op === "getObject")?.params).toMatchObject(sse);
      // the signed URL carries the key's headers in its signature, as the Go plugin's
      await store.createSignedUrl("bucket", "k", 600_000);
      expect(fake.calls.find((c) => c.op === "presignGetObject")?.params).toMatchObject(sse);
    });

    it("rejects a customer key file shorter than 32 bytes at Init", async () => {
      await expect(
        storeWith({ ...BASE_CONFIG, customerKeyEncryptionFile: "/k" }, { readKeyFile: async () => Buffer.from("short") }),
      ).rejects.toThrow('contents of customerKeyEncryptionFile "/k" are not exactly 32 bytes');
    });

    it("reads customerKeyEncryptionSecret from the Velero namespace and requires 32 bytes", async () => {
      const asked: string[] = [];
      const readSecret = async (ns: string, name: string, key: string): Promise<Buffer> => {
        asked.push(`${ns}/${name}/${key}`);
        return Buffer.alloc(32, 7);
      };
      const { store, fake } = await storeWith(
        { ...BASE_CONFIG, customerKeyEncryptionSecret: "sse/customer-key" },
        { readSecret, env: { VELERO_NAMESPACE: "velero" } },
      );
      await store.putObject("bucket", "k", Readable.from([Buffer.from("x")]));
      expect(asked).toEqual(["velero/sse/customer-key"]);
      expect(fake.uploads[0]?.SSECustomerKey).toBe(Buffer.alloc(32, 7).toString("base64"));

      await expect(
        storeWith(
          { ...BASE_CONFIG, customerKeyEncryptionSecret: "sse/customer-key" },
          { readSecret: async () => Buffer.alloc(16), env: { VELERO_NAMESPACE: "velero" } },
        ),
      ).rejects.toThrow("customer key from secret velero/sse/customer-key must be exactly 32 bytes, got 16 bytes");
    });
  });

  it("lists 2,500 keys across three pages, in reverse order like the Go plugin", async () => {
    const { store, fake } = await storeWith();
    const objects = fake.buckets.get("bucket");
    const keys = Array.from({ length: 2500 }, (_, i) => `backups/b${String(i).padStart(4, "0")}/velero-backup.json`);
    for (const key of keys) objects?.set(key, Buffer.alloc(0));
    objects?.set("restores/r1/log", Buffer.alloc(0));

    const listed = await store.listObjects("bucket", "backups/");
    expect(listed).toHaveLength(2500);
    expect(listed).toEqual([...keys].reverse());
    expect(fake.calls.filter((c) => c.op === "listObjectsV2")).toHaveLength(3);
  });

  it("lists common prefixes past 1,000, keeping the full prefix and delimiter", async () => {
    const { store, fake } = await storeWith();
    const objects = fake.buckets.get("bucket");
    for (let i = 0; i < 1200; i++) objects?.set(`pfx/backups/b${String(i).padStart(4, "0")}/velero-backup.json`, Buffer.alloc(0));
    objects?.set("pfx/backups/top-level-file", Buffer.alloc(0));

    const prefixes = await store.listCommonPrefixes("bucket", "pfx/backups/", "/");
    expect(prefixes).toHaveLength(1200);
    expect(prefixes[0]).toBe("pfx/backups/b0000/");
    expect(prefixes).not.toContain("pfx/backups/top-level-file");
  });

  it("signs URLs with the TTL rounded up to whole seconds", async () => {
    const { store, fake } = await storeWith();
    const url = await store.createSignedUrl("bucket", "backups/b1/b1-logs.gz", 600_000);
    expect(url).toContain("X-Amz-Expires=600");
    await store.createSignedUrl("bucket", "k", 1500);
    expect(fake.calls.filter((c) => c.op === "presignGetObject").map((c) => (c.params as { expiresInSeconds: number }).expiresInSeconds)).toEqual([
      600, 2,
    ]);
  });

  it("refuses a signed URL TTL beyond S3's 7 days", async () => {
    const { store } = await storeWith();
    await expect(store.createSignedUrl("bucket", "k", 8 * 24 * 3600 * 1000)).rejects.toBeInstanceOf(ValidationError);
  });

  describe("error messages", () => {
    it.each([
      {
        name: "missing bucket",
        op: "listObjectsV2" as const,
        error: s3Error("NoSuchBucket", 404, "The specified bucket does not exist"),
        call: (s: S3ObjectStore) => s.listObjects("bucket", "backups/"),
        message:
          'failed to list objects under "backups/" in bucket "bucket" (endpoint "http://127.0.0.1:9000", region "us-east-1"): bucket "bucket" does not exist (NoSuchBucket); create it or fix spec.objectStorage.bucket',
      },
      {
        name: "access denied",
        op: "upload" as const,
        error: s3Error("AccessDenied", 403, "Access Denied"),
        call: (s: S3ObjectStore) => s.putObject("bucket", "k", Readable.from([Buffer.from("x")])),
        message:
          'failed to put object "k" in bucket "bucket" (endpoint "http://127.0.0.1:9000", region "us-east-1"): access denied (AccessDenied): Access Denied; check the credentials (profile "default", default credential chain) and their permissions on bucket "bucket"',
      },
      {
        name: "wrong region",
        op: "headObject" as const,
        error: Object.assign(s3Error("PermanentRedirect", 301, "redirect"), { $response: { headers: { "x-amz-bucket-region": "eu-central-1" } } }),
        call: (s: S3ObjectStore) => s.objectExists("bucket", "k"),
        message:
          'failed to check whether object "k" exists in bucket "bucket" (endpoint "http://127.0.0.1:9000", region "us-east-1"): wrong region (PermanentRedirect): the request used region "us-east-1" but bucket "bucket" is in "eu-central-1"; set config region to the bucket\'s region',
      },
      {
        name: "unreachable endpoint",
        op: "getObject" as const,
        error: networkError("ECONNREFUSED"),
        call: (s: S3ObjectStore) => s.getObject("bucket", "k"),
        message:
          'failed to get object "k" from bucket "bucket" (endpoint "http://127.0.0.1:9000", region "us-east-1"): endpoint "http://127.0.0.1:9000" is unreachable (ECONNREFUSED): connect ECONNREFUSED 127.0.0.1:1; check s3Url, the network and TLS settings',
      },
    ])("explains $name", async ({ op, error, call, message }) => {
      const { store, fake } = await storeWith();
      fake.failNext(op, error);
      const thrown = await call(store).catch((e: unknown) => e);
      expect(isVeleroError(thrown)).toBe(true);
      expect((thrown as Error).message).toBe(message);
      expect((thrown as Error).cause).toBe(error);
    });

    it("never puts credentials in messages", async () => {
      const { store, fake } = await storeWith({ ...BASE_CONFIG, profile: "secondary", credentialsFile: "/credentials/cloud" });
      fake.failNext("listObjectsV2", s3Error("InvalidAccessKeyId", 403, "The AWS Access Key Id you provided does not exist"));
      const message = await store.listObjects("bucket", "").catch((e: unknown) => (e as Error).message);
      expect(message).toContain('profile "secondary" in file "/credentials/cloud"');
      expect(message).not.toMatch(/secret|AKIA/i);
    });
  });

  it("reconfigures on a second Init and uses the new settings", async () => {
    const first = new FakeS3Api({ region: "us-east-1" });
    const second = new FakeS3Api({ region: "eu-west-1" });
    const apis = [first, second];
    const log = recordingLogger();
    const store = new S3ObjectStore({ env: {}, log, createApi: async () => apis.shift() ?? second });
    await store.init({ bucket: "bucket", region: "us-east-1" });
    await store.init({ bucket: "bucket", region: "eu-west-1", tagging: "a=b" });
    await store.putObject("bucket", "k", Readable.from([Buffer.from("x")]));
    expect(first.uploads).toEqual([]);
    expect(second.uploads[0]?.Tagging).toBe("a=b");
  });

  it("warns that signature version 1 is not supported but keeps working", async () => {
    const log = recordingLogger();
    await storeWith({ ...BASE_CONFIG, signatureVersion: "1" }, { log });
    expect(log.entries.some((e) => e.level === "warn" && e.msg.includes('signatureVersion "1" is not supported'))).toBe(true);
  });
});
