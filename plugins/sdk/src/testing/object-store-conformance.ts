/**
 * The ObjectStore conformance suite (vitest). Every ObjectStore implementation (providers, the
 * filesystem store, third-party plugins) runs it against its fake or emulated backend:
 *
 * ```ts
 * describeObjectStoreConformance("S3ObjectStore (fake S3)", async () => ({
 *   store: new S3ObjectStore(fakeS3), bucket: "b", config: { region: "us-east-1", bucket: "b" },
 * }));
 * ```
 * The suite writes only under a random `conformance-<id>/` prefix and deletes what it wrote.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getErrorMessage, isVeleroError } from "../contract/errors.js";
import type { ObjectStore } from "../contract/plugins.js";

export interface ObjectStoreConformanceTarget {
  /** A store ready to use (already initialised). */
  store: ObjectStore;
  /** The bucket the suite writes to. */
  bucket: string;
  /** A valid init() config: the suite calls init again with it (init must be repeatable). */
  config?: Record<string, string>;
  /** Called once after the suite. */
  cleanup?: () => Promise<void>;
}

export interface ObjectStoreConformanceOptions {
  /**
   * Fetches a signed URL. Default: data: and file: URLs are read, http(s) URLs only when they point
   * at 127.0.0.1/localhost; anything else is only checked to be a well-formed URL.
   */
  fetchSignedUrl?: (url: string) => Promise<Buffer | undefined>;
  /** Size of the "large" object; default 1 MiB. */
  largeObjectBytes?: number;
  /**
   * What getObject of a missing key must reject with. "NotFoundError" (default): the SDK contract
   * (gRPC NOT_FOUND on the wire). "any": an error naming the key is enough; that is all Velero asks
   * of a plugin, and what its Go plugins give (velero-aws answers UNKNOWN with "NoSuchKey"). The
   * velero-ts host checks ObjectExists before optional reads, as Velero does, so it relies on neither.
   */
  missingKeyError?: "NotFoundError" | "any";
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer | string>) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

async function defaultFetch(url: string): Promise<Buffer | undefined> {
  const parsed = new URL(url);
  if (parsed.protocol === "file:") return readFile(fileURLToPath(parsed));
  const local = parsed.hostname === "127.0.0.1" || parsed.hostname === "localhost";
  if (parsed.protocol === "data:" || ((parsed.protocol === "http:" || parsed.protocol === "https:") && local)) {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`GET ${url} answered ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  }
  return undefined;
}

function sha256(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

export function describeObjectStoreConformance(
  name: string,
  factory: () => Promise<ObjectStoreConformanceTarget>,
  options: ObjectStoreConformanceOptions = {},
): void {
  describe(`ObjectStore conformance: ${name}`, () => {
    let target: ObjectStoreConformanceTarget;
    const root = `conformance-${randomUUID().slice(0, 8)}/`;
    const written = new Set<string>();
    const put = async (key: string, data: Buffer): Promise<void> => {
      written.add(root + key);
      await target.store.putObject(target.bucket, root + key, Readable.from(data.length ? [data] : []));
    };
    const get = async (key: string): Promise<Buffer> => readAll(await target.store.getObject(target.bucket, root + key));

    beforeAll(async () => {
      target = await factory();
    });
    afterAll(async () => {
      if (!target) return;
      for (const key of written) await target.store.deleteObject(target.bucket, key).catch(() => undefined);
      await target.cleanup?.();
    });

    it.each([
      { label: "an empty object", size: 0 },
      { label: "a one-chunk object", size: 100 },
      { label: "an object of exactly one 16384-byte chunk", size: 16384 },
      { label: "an object one byte over a chunk", size: 16385 },
      { label: "a multi-chunk object", size: options.largeObjectBytes ?? 1024 * 1024 },
    ])("stores and returns $label byte for byte", async ({ size }) => {
      const data = randomBytes(size);
      await put(`sizes/${size}`, data);
      const back = await get(`sizes/${size}`);
      expect(back.length).toBe(size);
      expect(sha256(back)).toBe(sha256(data));
    });

    it("replaces an object that is written again", async () => {
      await put("overwrite/obj", Buffer.from("first version, longer"));
      await put("overwrite/obj", Buffer.from("second"));
      expect((await get("overwrite/obj")).toString()).toBe("second");
    });

    it("reports whether an object exists", async () => {
      await put("exists/yes", Buffer.from("x"));
      expect(await target.store.objectExists(target.bucket, `${root}exists/yes`), `objectExists("${root}exists/yes") of an object just put`).toBe(true);
      expect(await target.store.objectExists(target.bucket, `${root}exists/no`), `objectExists("${root}exists/no") of a key never put`).toBe(false);
    });

    it("lists every key under a prefix recursively, as full keys", async () => {
      for (const key of ["list/a", "list/b/c", "list/b/d/e", "listing-other/x"]) await put(key, Buffer.from(key));
      const keys = await target.store.listObjects(target.bucket, `${root}list/`);
      expect([...keys].sort()).toEqual([`${root}list/a`, `${root}list/b/c`, `${root}list/b/d/e`]);
    });

    it("lists common prefixes one level below the prefix, with the delimiter kept", async () => {
      for (const key of ["cp/backups/b1/velero-backup.json", "cp/backups/b2/b2.tar.gz", "cp/restores/r1/log", "cp/top-level-file"]) {
        await put(key, Buffer.from("x"));
      }
      expect([...(await target.store.listCommonPrefixes(target.bucket, `${root}cp/`, "/"))].sort()).toEqual([
        `${root}cp/backups/`,
        `${root}cp/restores/`,
      ]);
      expect([...(await target.store.listCommonPrefixes(target.bucket, `${root}cp/backups/`, "/"))].sort()).toEqual([
        `${root}cp/backups/b1/`,
        `${root}cp/backups/b2/`,
      ]);
      expect(await target.store.listCommonPrefixes(target.bucket, `${root}cp/nothing-here/`, "/")).toEqual([]);
    });

    it("deletes an object, and deleting a missing object succeeds", async () => {
      await put("delete/me", Buffer.from("x"));
      await target.store.deleteObject(target.bucket, `${root}delete/me`);
      expect(await target.store.objectExists(target.bucket, `${root}delete/me`), `objectExists("${root}delete/me") after deleteObject`).toBe(false);
      await expect(target.store.deleteObject(target.bucket, `${root}delete/never-existed`)).resolves.toBeUndefined();
    });

    const anyMissingKeyError = options.missingKeyError === "any";
    it(anyMissingKeyError ? "rejects getObject of a missing key with an error naming it" : "rejects getObject of a missing key with NotFoundError", async () => {
      await checkMissingKeyRejected(target.store, target.bucket, `${root}missing/key`, anyMissingKeyError);
    });

    it("creates a signed URL that fetches the object, or says clearly that it is unsupported", async () => {
      const data = Buffer.from("signed url content");
      await put("signed/obj", data);
      let url: string;
      try {
        url = await target.store.createSignedUrl(target.bucket, `${root}signed/obj`, 10 * 60 * 1000);
      } catch (error) {
        // An UnsupportedError (UNIMPLEMENTED on the wire), or a message that says so.
        if (isVeleroError(error) && error.code === "VELERO_UNSUPPORTED") return;
        expect(getErrorMessage(error), "createSignedUrl failed: a store without signed URLs throws UnsupportedError").toMatch(/not supported|unsupported/i);
        return;
      }
      expect(() => new URL(url)).not.toThrow();
      const fetched = await (options.fetchSignedUrl ?? defaultFetch)(url);
      if (fetched !== undefined) expect(fetched.equals(data)).toBe(true);
    });

    it("can be initialised again with the same config", async () => {
      await target.store.init(target.config ?? {});
      await target.store.init(target.config ?? {});
      await put("reinit/obj", Buffer.from("still works"));
      expect((await get("reinit/obj")).toString()).toBe("still works");
    });

    it("accepts the keys every host adds to the config: bucket and prefix (validateObjectStoreConfigKeys allows them)", async () => {
      await checkAcceptsHostConfigKeys(target.store, target.bucket, target.config ?? {});
      await target.store.init(target.config ?? {});
      await put("host-keys/obj", Buffer.from("after the host's keys"));
      expect((await get("host-keys/obj")).toString()).toBe("after the host's keys");
    });
  });
}

/**
 * The suite's host-keys check: init() with the target's config plus `bucket` and `prefix` (empty,
 * then set) must resolve. Exported for the SDK's own tests.
 */
export async function checkAcceptsHostConfigKeys(store: ObjectStore, bucket: string, base: Record<string, string>): Promise<void> {
  for (const prefix of ["", "some/prefix"]) await attemptInit(store, { ...base, bucket, prefix });
}

async function attemptInit(store: ObjectStore, config: Record<string, string>): Promise<void> {
  try {
    await store.init(config);
  } catch (error) {
    throw new Error(
      `init(${JSON.stringify(config)}) rejected: ${getErrorMessage(error)}. Velero and velero-ts always add "bucket" and "prefix" to a location's config (and "caCert", "credentialsFile" when it sets them); a store that refuses unknown keys must accept those (validateObjectStoreConfigKeys does)`,
      { cause: error },
    );
  }
}

/**
 * The suite's missing-key check: getObject of `key` (which does not exist) must reject, with a
 * NotFoundError, or with `anyError` any error naming the key. Exported for the SDK's own tests.
 */
export async function checkMissingKeyRejected(store: ObjectStore, bucket: string, key: string, anyError: boolean): Promise<void> {
  let stream: Readable | undefined;
  const error: unknown = await store.getObject(bucket, key).then(
    (s) => void (stream = s),
    (e: unknown) => e,
  );
  if (stream) {
    // Whatever the stream does later (a file stream opened without a check fails with ENOENT), it
    // fails this check, not a later test as an unhandled error.
    const late = await new Promise<unknown>((resolve) => {
      stream?.once("error", resolve).once("end", () => resolve(undefined)).resume();
    });
    expect.fail(
      `getObject("${key}") of a missing key resolved with a stream instead of rejecting${late ? ` (the stream then failed: ${getErrorMessage(late)})` : ""}: check that the object exists before returning its stream, and throw ${anyError ? "an error naming the key" : "NotFoundError"}`,
    );
  }
  expect(error, `getObject("${key}") of a missing key resolved`).toBeDefined();
  if (anyError) expect(getErrorMessage(error), `the error of getObject("${key}") of a missing key must name the key`).toContain(key);
  else expect(isVeleroError(error) && error.code === "VELERO_NOT_FOUND", `expected a NotFoundError, got: ${getErrorMessage(error)}`).toBe(true);
}
