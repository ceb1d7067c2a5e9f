import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { text } from "node:stream/consumers";
import { fileURLToPath } from "node:url";
import { describeObjectStoreConformance } from "@velero-ts/plugin-sdk/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FilesystemObjectStore, invalidKeyReason, invalidPrefixReason } from "./filesystem-object-store.js";

let root: string;
let store: FilesystemObjectStore;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "vt-fs-store-"));
  store = new FilesystemObjectStore();
  await store.init({ path: root, bucket: "b", prefix: "", createBucket: "true" });
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const put = (key: string, body: string): Promise<void> => store.putObject("b", key, Readable.from([Buffer.from(body)]));

describe("FilesystemObjectStore", () => {
  it("stores keys as files under <path>/<bucket>/", async () => {
    await put("backups/b1/velero-backup.json", "{}");
    expect(await readdir(join(root, "b", "backups", "b1"))).toEqual(["velero-backup.json"]);
    expect(await text(await store.getObject("b", "backups/b1/velero-backup.json"))).toBe("{}");
  });

  it("creates a missing bucket directory only with createBucket; otherwise it is an error naming it, as a missing S3 bucket is", async () => {
    const other = new FilesystemObjectStore();
    await expect(other.init({ path: root, bucket: "gone" })).rejects.toThrow(
      `bucket "gone" does not exist: directory ${join(root, "gone")} is missing (is the volume that holds it mounted?); create it (mkdir -p ${join(root, "gone")})`,
    );
    await expect(other.init({ path: join(root, "unmounted"), bucket: "gone" })).rejects.toMatchObject({ code: "VELERO_NOT_FOUND" });
    expect(await readdir(root)).toEqual(["b"]);
    await other.init({ path: root, bucket: "new", createBucket: "true" });
    expect((await readdir(root)).sort()).toEqual(["b", "new"]);
    await other.init({ path: root, bucket: "new" });
  });

  it("explains a key part too long for a file name", async () => {
    const long = `backups/${"x".repeat(300)}/velero-backup.json`;
    await expect(put(long, "{}")).rejects.toThrow(`cannot write object "${long}" in bucket "b": a part of the key is longer than this filesystem allows in a file name`);
  });

  it("requires an absolute path", async () => {
    await expect(new FilesystemObjectStore().init({ bucket: "b" })).rejects.toThrow(/config key "path" is required/);
    await expect(new FilesystemObjectStore().init({ path: "rel/dir" })).rejects.toThrow(/must be absolute/);
  });

  it.each(["../escape", "a/../../x", "/etc/passwd", "a//b", "a/./b", "dir/", "", "a\0b"])("rejects key %j", async (key) => {
    await expect(put(key, "x")).rejects.toThrow(/invalid key/);
    await expect(store.getObject("b", key)).rejects.toThrow(/invalid key/);
  });

  it.each(["..", ".", "a/b", ".velero-fs-tmp", ""])("rejects bucket %j", async (bucket) => {
    await expect(store.objectExists(bucket, "k")).rejects.toThrow(/invalid bucket name/);
  });

  it("leaves the old object intact and no temp file when a write fails midway", async () => {
    await put("k", "old");
    const failing = new Readable({
      read() {
        this.push(Buffer.from("partial"));
        this.destroy(new Error("client went away"));
      },
    });
    await expect(store.putObject("b", "k", failing)).rejects.toThrow("client went away");
    expect(await text(await store.getObject("b", "k"))).toBe("old");
    expect(await readdir(join(root, ".velero-fs-tmp"))).toEqual([]);
  });

  it("lists with S3 semantics: string prefixes, full common prefixes, only non-empty directories", async () => {
    await put("backups/b1/a.json", "1");
    await put("backups/b2/a.json", "2");
    await put("backups/b10/x/y.json", "3");
    await put("backups-other/z", "4");
    await put("restores/r1/log", "5");
    await put("top", "6");
    expect(await store.listObjects("b", "backups/b1")).toEqual(["backups/b1/a.json", "backups/b10/x/y.json"]);
    expect(await store.listObjects("b", "backups")).toEqual(["backups-other/z", "backups/b1/a.json", "backups/b10/x/y.json", "backups/b2/a.json"]);
    expect(await store.listCommonPrefixes("b", "", "/")).toEqual(["backups-other/", "backups/", "restores/"]);
    expect(await store.listCommonPrefixes("b", "backups/", "/")).toEqual(["backups/b1/", "backups/b10/", "backups/b2/"]);
    expect(await store.listCommonPrefixes("b", "backups/b1", "/")).toEqual(["backups/b1/", "backups/b10/"]);
    await store.deleteObject("b", "backups/b10/x/y.json");
    expect(await store.listCommonPrefixes("b", "backups/", "/")).toEqual(["backups/b1/", "backups/b2/"]);
    expect(await readdir(join(root, "b", "backups"))).toEqual(["b1", "b2"]);
  });

  it("supports delimiters other than /", async () => {
    await put("a-1-x", "");
    await put("a-2-y", "");
    await put("b", "");
    expect(await store.listCommonPrefixes("b", "a-", "-")).toEqual(["a-1-", "a-2-"]);
  });

  it("ignores empty directories left by other tools", async () => {
    await put("keep/one", "x");
    await mkdir(join(root, "b", "empty", "deeper"), { recursive: true });
    expect(await store.listCommonPrefixes("b", "", "/")).toEqual(["keep/"]);
  });

  it("reports a clear error when a key would need an object as a directory", async () => {
    await put("a", "file");
    await expect(put("a/b", "x")).rejects.toThrow(/a parent of it is itself an object/);
  });

  it("returns a file:// URL naming the object's file", async () => {
    await put("k/v", "x");
    const url = await store.createSignedUrl("b", "k/v", 600_000);
    expect(url.startsWith("file://")).toBe(true);
    expect(fileURLToPath(url)).toBe(join(root, "b", "k", "v"));
  });

  it("treats a directory key as missing", async () => {
    await put("dir/file", "x");
    expect(await store.objectExists("b", "dir")).toBe(false);
    await expect(store.getObject("b", "dir")).rejects.toMatchObject({ code: "VELERO_NOT_FOUND" });
  });
});

describe("temp files of puts whose process was killed", () => {
  it("are removed at Init once nothing has written to them for an hour; a recent one (a put in flight) is kept", async () => {
    const temp = join(root, ".velero-fs-tmp");
    await mkdir(temp, { recursive: true });
    await writeFile(join(temp, "dead.tmp"), "half an upload");
    await writeFile(join(temp, "live.tmp"), "in flight");
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
    await utimes(join(temp, "dead.tmp"), twoHoursAgo, twoHoursAgo);
    await new FilesystemObjectStore().init({ path: root, bucket: "b", prefix: "" });
    expect(await readdir(temp)).toEqual(["live.tmp"]);
  });
});

describe("prefixes that would reach outside the bucket", () => {
  it.each([
    ["../../etc", 'contains a ".." segment'],
    ["../b1", 'contains a ".." segment'],
    ["a/./b", 'contains a "." segment'],
    ["/abs", 'starts with "/"'],
    ["a//b", 'contains "//"'],
  ])("Init refuses the location's prefix %j, so the location is Unavailable instead of failing every backup", async (prefix, reason) => {
    await expect(new FilesystemObjectStore().init({ path: root, bucket: "b", prefix })).rejects.toThrow(
      `object store "velero.io/filesystem": invalid prefix "${prefix}" (spec.objectStorage.prefix): ${reason}; use a path inside the bucket such as "cluster-a"`,
    );
  });

  it("the listings refuse such a prefix instead of reading a sibling directory", async () => {
    await mkdir(join(root, "sibling", "backups", "x"), { recursive: true });
    await Promise.all([
      expect(store.listCommonPrefixes("b", "../sibling/backups/", "/")).rejects.toThrow('invalid prefix "../sibling/backups/": contains a ".." segment'),
      expect(store.listObjects("b", "../sibling/")).rejects.toThrow('invalid prefix "../sibling/": contains a ".." segment'),
    ]);
  });

  it("accepts what Velero lists: the root, a prefix's directories and a name's beginning", () => {
    for (const prefix of ["", "backups/", "cluster-a/backups/", "backups/nightly-", "restores/r1/", "cluster.a/backups/"]) expect(invalidPrefixReason(prefix), prefix).toBeUndefined();
  });
});

describe("invalidKeyReason", () => {
  it("accepts Velero's keys", () => {
    expect(invalidKeyReason("prefix/backups/b1/b1-logs.gz")).toBeUndefined();
  });
});

describeObjectStoreConformance("FilesystemObjectStore", async () => {
  const dir = await mkdtemp(join(tmpdir(), "vt-fs-conformance-"));
  const config = { path: dir, bucket: "conformance", prefix: "", createBucket: "true" };
  const conformanceStore = new FilesystemObjectStore();
  await conformanceStore.init(config);
  return { store: conformanceStore, bucket: "conformance", config, cleanup: () => rm(dir, { recursive: true, force: true }) };
});
