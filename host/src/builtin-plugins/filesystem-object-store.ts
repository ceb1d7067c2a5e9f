/**
 * `velero.io/filesystem`: an ObjectStore on a local (or mounted) directory, so velero-ts runs with
 * no cloud. Config: `path` (required, absolute) is the root; each bucket is a subdirectory of it
 * and each key a file under the bucket: `<path>/<bucket>/<key>`. `prefix` is applied by the host
 * to the keys (as for every object store) and ignored here. Like an S3 bucket, the bucket
 * directory must exist: it is created only with `createBucket: "true"` (see FILESYSTEM_CONFIG).
 *
 * - Writes are atomic: the body streams into a temp file in `<path>/.velero-fs-tmp/` (same
 *   filesystem), is flushed, then renamed over the target. Readers never see a partial object.
 * - Listing follows S3: listObjects returns every key starting with the prefix (a string prefix,
 *   not a directory); listCommonPrefixes returns the full prefixes one delimiter below `prefix`,
 *   only for "directories" that hold at least one object.
 * - Keys are validated: no absolute keys, no empty, "." or ".." segments, no NUL, no trailing "/"
 *   (so no key can escape its bucket). A key cannot be both an object and a "directory" of other
 *   keys (S3 allows `a` and `a/b`; a filesystem does not): such a put fails with a clear error.
 * - createSignedUrl returns a `file://` URL of the object; the TTL is ignored (a file URL cannot
 *   expire). It is only useful to a client on the same machine (e.g. `velero backup download`).
 */
import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, open, readdir, rename, rmdir, stat, unlink } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, sep } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { pathToFileURL } from "node:url";
import { getErrorMessage, NotFoundError, ValidationError, type ObjectStore } from "@velero-ts/plugin-sdk";
import { compareUtf8 } from "../shared/utf8-order.js";

export const FILESYSTEM_OBJECT_STORE = "velero.io/filesystem";

/** Config keys of velero.io/filesystem (wire spelling). */
export const FILESYSTEM_CONFIG = {
  path: "path",
  bucket: "bucket",
  prefix: "prefix",
  /**
   * "true": create `<path>/<bucket>` when it is missing. The host sets it only when it validates a
   * location for the first time; otherwise a missing bucket directory is an error, as a missing
   * S3 bucket is, so that a volume that is not mounted is never taken for an empty bucket (which
   * backup sync would answer by deleting the cluster's Backups, and new backups would go to the
   * disk under the mount point).
   */
  createBucket: "createBucket",
} as const;

/** Under `<path>`: where writes are staged before the rename. Not a valid bucket name. */
const TEMP_DIR = ".velero-fs-tmp";

/**
 * A temp file nothing has written to for this long is what a put left when its process was killed
 * (a live put writes continuously, and an upload that makes no progress is cancelled long before).
 */
export const STALE_TEMP_MS = 3_600_000;

/** Removes the temp files of puts that were killed mid-way (at Init, so each location's validation prunes them). */
async function removeStaleTempFiles(dir: string, now: number): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.endsWith(".tmp")) continue;
    const file = join(dir, name);
    const info = await stat(file).catch(() => undefined);
    if (info?.isFile() && now - info.mtimeMs > STALE_TEMP_MS) await unlink(file).catch(() => undefined);
  }
}

export class FilesystemObjectStore implements ObjectStore {
  #root: string | undefined;

  async init(config: Record<string, string>): Promise<void> {
    const root = config[FILESYSTEM_CONFIG.path];
    if (root === undefined || root === "") {
      throw new ValidationError(`object store "${FILESYSTEM_OBJECT_STORE}": config key "path" is required (an absolute directory)`, [
        { path: "config.path", reason: "required" },
      ]);
    }
    if (!isAbsolute(root)) {
      throw new ValidationError(`object store "${FILESYSTEM_OBJECT_STORE}": config "path" must be absolute, got "${root}"`, [
        { path: "config.path", reason: "must be an absolute path" },
      ]);
    }
    const prefix = config[FILESYSTEM_CONFIG.prefix];
    const prefixReason = prefix ? invalidPrefixReason(prefix) : undefined;
    if (prefixReason) {
      throw new ValidationError(
        `object store "${FILESYSTEM_OBJECT_STORE}": invalid prefix "${prefix}" (spec.objectStorage.prefix): ${prefixReason}; use a path inside the bucket such as "cluster-a"`,
        [{ path: "config.prefix", reason: prefixReason }],
      );
    }
    const bucket = config[FILESYSTEM_CONFIG.bucket];
    if (bucket === undefined || bucket === "") {
      await mkdir(root, { recursive: true });
    } else {
      const dir = this.#bucketDir(root, bucket);
      if (config[FILESYSTEM_CONFIG.createBucket] === "true") await mkdir(dir, { recursive: true });
      else await requireBucketDir(dir, bucket);
    }
    this.#root = root;
    await removeStaleTempFiles(join(root, TEMP_DIR), Date.now());
  }

  async putObject(bucket: string, key: string, body: Readable): Promise<void> {
    const target = this.#file(bucket, key);
    const tempDir = join(this.#requireRoot(), TEMP_DIR);
    await mkdir(tempDir, { recursive: true });
    const temp = join(tempDir, `${randomBytes(8).toString("hex")}.tmp`);
    try {
      await pipeline(body, createWriteStream(temp, { flags: "wx", mode: 0o644, flush: true }));
      await mkdirFor(target, bucket, key);
      await rename(temp, target);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      if ((error as NodeJS.ErrnoException).code === "EISDIR") {
        throw new Error(`cannot write object "${key}" in bucket "${bucket}": other objects exist under "${key}/"`, { cause: error });
      }
      if ((error as NodeJS.ErrnoException).code === "ENAMETOOLONG") {
        throw new Error(
          `cannot write object "${key}" in bucket "${bucket}": a part of the key is longer than this filesystem allows in a file name ` +
            "(255 bytes on most; velero.io/filesystem stores each key as a file): use a shorter name, or an S3-compatible object store",
          { cause: error },
        );
      }
      throw error;
    }
  }

  async objectExists(bucket: string, key: string): Promise<boolean> {
    try {
      return (await stat(this.#file(bucket, key))).isFile();
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  async getObject(bucket: string, key: string): Promise<Readable> {
    const file = this.#file(bucket, key);
    let handle;
    try {
      handle = await open(file, "r");
      if (!(await handle.stat()).isFile()) throw Object.assign(new Error("not a file"), { code: "EISDIR" });
    } catch (error) {
      await handle?.close();
      if (isMissing(error) || (error as NodeJS.ErrnoException).code === "EISDIR") {
        throw new NotFoundError(`object "${key}" not found in bucket "${bucket}"`, { cause: error });
      }
      throw error;
    }
    return createReadStream(file, { fd: handle, highWaterMark: 64 * 1024 });
  }

  async listObjects(bucket: string, prefix: string): Promise<string[]> {
    checkListPrefix(prefix);
    const bucketDir = this.#bucketDir(this.#requireRoot(), bucket);
    const base = prefix.includes("/") ? prefix.slice(0, prefix.lastIndexOf("/") + 1) : "";
    const keys: string[] = [];
    await walkFiles(join(bucketDir, base), base, (key) => {
      if (key.startsWith(prefix)) keys.push(key);
    });
    return keys.sort(compareUtf8);
  }

  async listCommonPrefixes(bucket: string, prefix: string, delimiter: string): Promise<string[]> {
    checkListPrefix(prefix);
    if (delimiter === "") return [];
    if (delimiter !== "/") {
      const found = new Set<string>();
      for (const key of await this.listObjects(bucket, prefix)) {
        const at = key.indexOf(delimiter, prefix.length);
        if (at !== -1) found.add(key.slice(0, at + delimiter.length));
      }
      return [...found].sort(compareUtf8);
    }
    // "/" maps onto directories: list one level, keep the ones that hold an object.
    const bucketDir = this.#bucketDir(this.#requireRoot(), bucket);
    const base = prefix.slice(0, prefix.lastIndexOf("/") + 1);
    const namePrefix = prefix.slice(base.length);
    const entries = await readdirOrEmpty(join(bucketDir, base));
    const prefixes: string[] = [];
    for (const entry of entries) {
      if (entry.isDirectory() && entry.name.startsWith(namePrefix) && (await holdsAFile(join(bucketDir, base, entry.name)))) {
        prefixes.push(`${base}${entry.name}/`);
      }
    }
    return prefixes.sort(compareUtf8);
  }

  async deleteObject(bucket: string, key: string): Promise<void> {
    const file = this.#file(bucket, key);
    try {
      await unlink(file);
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    // S3 has no directories: drop the ones this delete emptied, up to the bucket.
    const bucketDir = this.#bucketDir(this.#requireRoot(), bucket);
    for (let dir = dirname(file); dir !== bucketDir && dir.startsWith(bucketDir + sep); dir = dirname(dir)) {
      try {
        await rmdir(dir);
      } catch {
        break;
      }
    }
  }

  /** A file:// URL; the TTL is ignored (see the file comment). */
  async createSignedUrl(bucket: string, key: string, _ttlMs: number): Promise<string> {
    return pathToFileURL(this.#file(bucket, key)).href;
  }

  #requireRoot(): string {
    if (this.#root === undefined) throw new Error(`object store "${FILESYSTEM_OBJECT_STORE}" used before init`);
    return this.#root;
  }

  #bucketDir(root: string, bucket: string): string {
    if (bucket === "" || bucket === "." || bucket === ".." || bucket === TEMP_DIR || bucket.includes("/") || bucket.includes("\0")) {
      throw new ValidationError(`object store "${FILESYSTEM_OBJECT_STORE}": invalid bucket name "${bucket}" (one directory name, not "${TEMP_DIR}")`, [
        { path: "bucket", reason: "invalid bucket name" },
      ]);
    }
    return join(root, bucket);
  }

  #file(bucket: string, key: string): string {
    const reason = invalidKeyReason(key);
    if (reason) {
      throw new ValidationError(`object store "${FILESYSTEM_OBJECT_STORE}": invalid key "${key}": ${reason}`, [{ path: "key", reason }]);
    }
    const bucketDir = this.#bucketDir(this.#requireRoot(), bucket);
    const file = join(bucketDir, key);
    const rel = relative(bucketDir, file);
    if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) {
      throw new ValidationError(`object store "${FILESYSTEM_OBJECT_STORE}": key "${key}" escapes bucket "${bucket}"`, [
        { path: "key", reason: "escapes the bucket" },
      ]);
    }
    return file;
  }
}

/** Why a key cannot be stored as a file, or undefined when it can. */
export function invalidKeyReason(key: string): string | undefined {
  if (key === "") return "empty key";
  if (key.includes("\0")) return "contains a NUL byte";
  if (key.startsWith("/")) return 'starts with "/"';
  if (key.endsWith("/")) return 'ends with "/"';
  for (const segment of key.split("/")) {
    if (segment === "") return 'contains "//"';
    if (segment === "." || segment === "..") return `contains a "${segment}" segment`;
  }
  return undefined;
}

/**
 * Why a listing prefix (a key's beginning: "", "backups/", "backups/nightly-") could reach outside
 * its bucket or is no key's beginning, or undefined when it is fine.
 */
export function invalidPrefixReason(prefix: string): string | undefined {
  if (prefix.includes("\0")) return "contains a NUL byte";
  if (prefix.startsWith("/")) return 'starts with "/"';
  const segments = prefix.split("/");
  for (const [i, segment] of segments.entries()) {
    // the last segment is a name's beginning ("" after a trailing "/")
    if (segment === "" && i < segments.length - 1) return 'contains "//"';
    if (segment === "." || segment === "..") return `contains a "${segment}" segment`;
  }
  return undefined;
}

function checkListPrefix(prefix: string): void {
  const reason = invalidPrefixReason(prefix);
  if (reason) throw new ValidationError(`object store "${FILESYSTEM_OBJECT_STORE}": invalid prefix "${prefix}": ${reason}`, [{ path: "prefix", reason }]);
}

/** Throws, naming the directory and the fix, unless `dir` (a bucket) is a directory. */
async function requireBucketDir(dir: string, bucket: string): Promise<void> {
  let isDir = false;
  try {
    isDir = (await stat(dir)).isDirectory();
  } catch (error) {
    if (!isMissing(error)) throw error;
  }
  if (!isDir) {
    throw new NotFoundError(
      `bucket "${bucket}" does not exist: directory ${dir} is missing (is the volume that holds it mounted?); ` +
        `create it (mkdir -p ${dir}) or fix the location's config path and objectStorage.bucket`,
    );
  }
}

async function mkdirFor(target: string, bucket: string, key: string): Promise<void> {
  try {
    await mkdir(dirname(target), { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST" || code === "ENOTDIR") {
      throw new Error(`cannot write object "${key}" in bucket "${bucket}": a parent of it is itself an object (${getErrorMessage(error)})`, {
        cause: error,
      });
    }
    throw error;
  }
}

async function readdirOrEmpty(dir: string): Promise<import("node:fs").Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
}

async function walkFiles(dir: string, keyPrefix: string, onKey: (key: string) => void): Promise<void> {
  for (const entry of await readdirOrEmpty(dir)) {
    const key = keyPrefix + entry.name;
    if (entry.isDirectory()) await walkFiles(join(dir, entry.name), `${key}/`, onKey);
    else if (entry.isFile()) onKey(key);
  }
}

async function holdsAFile(dir: string): Promise<boolean> {
  for (const entry of await readdirOrEmpty(dir)) {
    if (entry.isFile()) return true;
    if (entry.isDirectory() && (await holdsAFile(join(dir, entry.name)))) return true;
  }
  return false;
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}
