/**
 * Streams a backup tarball (gzip(tar), velero-compat.md 4.3) into a private temporary directory.
 * Only an entry of up to SMALL_ENTRY_BYTES is held whole in memory (to be written in one call, or,
 * within the caller's memory budget, kept in memory instead of written at all).
 * Every entry is checked before a byte is written: absolute paths, `..` segments, links leaving
 * the root and oversize entries are rejected and abort the whole extraction; a truncated or
 * corrupt archive fails with a clear error. Links that stay inside the root and special files are
 * ignored (Velero's extractor only writes files and directories).
 */
import { createWriteStream, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import path from "node:path";
import { Transform, Writable, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { extract as tarExtract, type Extract } from "tar-stream";
import { VeleroError } from "@velero-ts/plugin-sdk";
import { ByteArena } from "../shared/byte-arena.js";
import type { Logger } from "../shared/logging.js";
import { makeScratchDir } from "../shared/scratch.js";

/** A single item is a Kubernetes object: etcd caps those at ~1.5 MiB, so 64 MiB is generous. */
export const DEFAULT_MAX_ENTRY_BYTES = 64 * 1024 * 1024;
/**
 * Entries up to this size (nearly every item: etcd caps objects at ~1.5 MiB) are gathered in
 * memory and written with one synchronous call. Through fs streams each small file costs four
 * thread-pool round trips (open, write, close, plus the stream machinery): ~50 µs of CPU against
 * ~5 µs for writeFileSync into the page cache, which for a 10,000-item restore is seconds of the
 * CPU the API server needs. A synchronous call blocks the event loop for at most one such file.
 */
export const SMALL_ENTRY_BYTES = 2 * 1024 * 1024;
/** Upper bound of the extracted size, a guard against gzip bombs. */
export const DEFAULT_MAX_TOTAL_BYTES = 16 * 1024 * 1024 * 1024;
export const DEFAULT_MAX_ENTRIES = 2_000_000;

export interface ExtractLimits {
  maxEntryBytes?: number;
  maxTotalBytes?: number;
  maxEntries?: number;
}

/** The tarball is unusable: nothing from it may be restored. */
export class BackupContentsError extends VeleroError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("VELERO_BACKUP_CONTENTS", message, options);
  }
}

export interface ExtractedBackup {
  /** Root of the extracted tree (contains `resources/`, `metadata/`). */
  dir: string;
  /**
   * The small entries kept in memory instead of written under `dir` (within memoryBudgetBytes),
   * by path relative to `dir` ("resources/configmaps/namespaces/a/c.json").
   */
  memory: ReadonlyMap<string, Buffer>;
  /** Number of files extracted (written or kept in memory). */
  files: number;
  /** Removes the directory. */
  dispose(): Promise<void>;
}

/** Checks an entry name and returns the absolute target path inside `root`. */
export function safeEntryPath(root: string, name: string): string {
  if (name.includes("\0")) throw new BackupContentsError(`tar entry ${JSON.stringify(name)} contains a NUL byte`);
  if (name.startsWith("/") || name.startsWith("\\") || /^[a-zA-Z]:/.test(name)) {
    throw new BackupContentsError(`tar entry ${JSON.stringify(name)} has an absolute path; backup entries must be relative`);
  }
  const segments = name.split(/[\\/]+/);
  if (segments.includes("..")) {
    throw new BackupContentsError(`tar entry ${JSON.stringify(name)} contains ".." and would escape the extraction directory`);
  }
  const target = path.resolve(root, name);
  if (target !== root && !target.startsWith(root + path.sep)) {
    throw new BackupContentsError(`tar entry ${JSON.stringify(name)} resolves outside the extraction directory`);
  }
  return target;
}

function checkLink(root: string, entryName: string, linkname: string, hard: boolean): void {
  const base = hard ? root : path.dirname(path.resolve(root, entryName));
  const target = path.isAbsolute(linkname) ? path.resolve(linkname) : path.resolve(base, linkname);
  if (target !== root && !target.startsWith(root + path.sep)) {
    throw new BackupContentsError(
      `tar entry ${JSON.stringify(entryName)} is a ${hard ? "hard link" : "symbolic link"} to ${JSON.stringify(linkname)} outside the extraction directory`,
    );
  }
}

/**
 * Counts `n` more bytes of an entry (`seen` so far, the header size is not trusted) and of the
 * whole extraction; throws when either passes its limit.
 */
function countEntryBytes(state: ExtractState, name: string, limits: Required<ExtractLimits>, seen: number, n: number): void {
  state.totalBytes += n;
  if (seen > limits.maxEntryBytes) throw new BackupContentsError(`tar entry ${JSON.stringify(name)} is larger than the ${limits.maxEntryBytes}-byte limit`);
  if (state.totalBytes > limits.maxTotalBytes) throw new BackupContentsError(`backup tarball expands to more than ${limits.maxTotalBytes} bytes`);
}

/** A pass-through that fails when the entry or the extraction grows past its limit (countEntryBytes). */
function byteLimiter(state: ExtractState, name: string, limits: Required<ExtractLimits>): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      try {
        countEntryBytes(state, name, limits, seen, chunk.length);
      } catch (error) {
        return done(error as Error);
      }
      done(null, chunk);
    },
  });
}

function describeStreamError(backupName: string, err: unknown): Error {
  if (err instanceof BackupContentsError) return err;
  // (node-tar's guess "it needs to be gunzipped?" misleads here: the tarball was gunzipped)
  const message = (err instanceof Error ? err.message : String(err)).replace(/\s*Maybe the tar is corrupted or it needs to be gunzipped\?/, "");
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" && code.startsWith("Z_")) {
    return new BackupContentsError(`backup tarball of "${backupName}" is truncated or not valid gzip: ${message}`, { cause: err });
  }
  return new BackupContentsError(`backup tarball of "${backupName}" is truncated or corrupt: ${message}`, { cause: err });
}

type TarEntry = Extract extends AsyncIterable<infer S> ? S : never;

interface ExtractState {
  root: string;
  files: number;
  totalBytes: number;
  entries: number;
  createdDirs: Set<string>;
  memory: Map<string, Buffer>;
  /** With a memory budget: the entries written to disk (so that a later one of the same name in memory replaces it). */
  onDisk: Set<string>;
  /**
   * Bytes copied into `arena` (those of an entry a later one of its name replaced included: they
   * stay in the arena's slab), and how many it may take.
   */
  memoryBytes: number;
  memoryBudget: number;
  /** Where the entries kept in memory are copied (sharing no memory with anything else). */
  arena: ByteArena;
}

async function writeEntry(state: ExtractState, entry: TarEntry, limits: Required<ExtractLimits>, log: Logger, skip?: (name: string) => boolean): Promise<void> {
  const { header } = entry;
  const name = header.name;
  const type = header.type ?? "file";
  if (++state.entries > limits.maxEntries) throw new BackupContentsError(`backup tarball has more than ${limits.maxEntries} entries`);
  if (type === "symlink" || type === "link") {
    safeEntryPath(state.root, name);
    checkLink(state.root, name, header.linkname ?? "", type === "link");
    log.warn({ name }, `ignoring link entry ${JSON.stringify(name)} in backup tarball`);
    entry.resume();
    return;
  }
  const target = safeEntryPath(state.root, name);
  if (type === "directory") {
    await mkdir(target, { recursive: true, mode: 0o700 });
    entry.resume();
    return;
  }
  if (type !== "file" && type !== "contiguous-file") {
    log.warn({ name }, `ignoring ${type} entry ${JSON.stringify(name)} in backup tarball`);
    entry.resume();
    return;
  }
  if ((header.size ?? 0) > limits.maxEntryBytes) {
    throw new BackupContentsError(`tar entry ${JSON.stringify(name)} is ${header.size} bytes, over the ${limits.maxEntryBytes}-byte limit`);
  }
  if (skip?.(name)) {
    if ((header.size ?? 0) <= SMALL_ENTRY_BYTES) await readSmallEntry(state, entry, name, limits);
    else await pipeline(entry, byteLimiter(state, name, limits), new Writable({ write: (_chunk, _enc, done) => done() }));
    return;
  }
  const dir = path.dirname(target);
  if (!state.createdDirs.has(dir)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    state.createdDirs.add(dir);
  }
  const rel = path.relative(state.root, target);
  // (a later entry of the same name replaces an earlier one, on disk or in memory)
  if (state.memory.delete(rel)) state.files--;
  if ((header.size ?? 0) <= SMALL_ENTRY_BYTES) {
    const bytes = await readSmallEntry(state, entry, name, limits);
    if (state.memoryBudget > 0 && state.memoryBytes + bytes.length <= state.memoryBudget) {
      // a copy: the chunk is a view of a larger decompressed buffer, and Buffer.from() would cut it
      // from Node's shared pool; either would keep unrelated memory alive as long as the restore
      state.memory.set(rel, state.arena.copy(bytes));
      state.memoryBytes += bytes.length;
      if (state.onDisk.delete(rel)) rmSync(target, { force: true });
    } else {
      writeFileSync(target, bytes, { mode: 0o600 });
      if (state.memoryBudget > 0) state.onDisk.add(rel);
    }
    state.files++;
    return;
  }
  await pipeline(entry, byteLimiter(state, name, limits), createWriteStream(target, { mode: 0o600 }));
  if (state.memoryBudget > 0) state.onDisk.add(rel);
  state.files++;
}

/** The bytes of an entry whose header says it is small, counted as the streamed path counts them. */
async function readSmallEntry(state: ExtractState, entry: TarEntry, name: string, limits: Required<ExtractLimits>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let seen = 0;
  for await (const chunk of entry as AsyncIterable<Buffer>) {
    seen += chunk.length;
    countEntryBytes(state, name, limits, seen, chunk.length);
    chunks.push(chunk);
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, seen);
}

/**
 * Extracts the stream into a new temporary directory. On any error the directory is removed and
 * a BackupContentsError explains which entry (or which part of the stream) was at fault.
 */
export async function extractBackupTarball(
  contents: Readable,
  options: {
    backupName: string;
    log: Logger;
    limits?: ExtractLimits;
    tempDir?: string;
    /** Entries not to write (still read and counted against the limits). */
    skipEntry?: (name: string) => boolean;
    /** Small entries are kept in memory (ExtractedBackup.memory) up to this many bytes in all, the rest written; default 0. */
    memoryBudgetBytes?: number;
  },
): Promise<ExtractedBackup> {
  const limits: Required<ExtractLimits> = {
    maxEntryBytes: options.limits?.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES,
    maxTotalBytes: options.limits?.maxTotalBytes ?? DEFAULT_MAX_TOTAL_BYTES,
    maxEntries: options.limits?.maxEntries ?? DEFAULT_MAX_ENTRIES,
  };
  const root = options.tempDir ? await mkdtemp(path.join(options.tempDir, "velero-restore-")) : await makeScratchDir("velero-restore-");
  const state: ExtractState = { root, files: 0, totalBytes: 0, entries: 0, createdDirs: new Set([root]), memory: new Map(), onDisk: new Set(), memoryBytes: 0, memoryBudget: options.memoryBudgetBytes ?? 0, arena: new ByteArena() };
  const extract = tarExtract();
  const feeding = pipeline(contents, createGunzip(), extract);
  try {
    const consuming = (async () => {
      for await (const entry of extract) await writeEntry(state, entry, limits, options.log, options.skipEntry);
    })();
    // Whichever side fails first decides the error; the other side is then torn down.
    await Promise.all([
      feeding.catch((err: unknown) => {
        extract.destroy(err instanceof Error ? err : new Error(String(err)));
        throw err;
      }),
      consuming.catch((err: unknown) => {
        contents.destroy();
        throw err;
      }),
    ]);
  } catch (err) {
    feeding.catch(() => undefined);
    await rm(root, { recursive: true, force: true });
    throw describeStreamError(options.backupName, err);
  }
  return { dir: root, memory: state.memory, files: state.files, dispose: () => rm(root, { recursive: true, force: true }) };
}
