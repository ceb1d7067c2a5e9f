/**
 * BackupStore over an ObjectStore, byte-compatible with Velero's objectBackupStore: same keys,
 * gzip(JSON + "\n") side files with `null` for empty lists, velero-backup.json as Velero's
 * encoder writes it (go-backup-json.ts), Go's gzip header on every .gz, upload
 * order log → metadata → tarball → side files with cleanup on failure.
 */
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { getErrorMessage, type Backup, type ObjectStore } from "@velero-ts/plugin-sdk";
import { gzipGo, gzipStreamGo, gzipSyncGo } from "../shared/gzip.js";
import { createSilentLogger, type Logger } from "../shared/logging.js";
import { compareUtf8 } from "../shared/utf8-order.js";
import type {
  BackupFileKind,
  BackupResults,
  BackupStore,
  BackupUpload,
  NativeSnapshotRecord,
  RestoreFileKind,
  RestoreUpload,
} from "./backup-store.js";
import { encodeBackupMetadata } from "./go-backup-json.js";
import { marshalGo, omitEmptyMergePatch } from "./go-json.js";
import { ObjectStoreLayout } from "./layout.js";

export interface ObjectBackupStoreOptions {
  objectStore: ObjectStore;
  bucket: string;
  prefix?: string;
  logger?: Logger;
}

/**
 * Go's json.Encoder output: compact, HTML-escaped, struct order kept, newline-terminated. An empty
 * list is `null` (a nil Go slice) unless `emptyList`: Velero's item operation lists (and a restore's volume info) are always
 * made (GetItemOperationsList), so theirs is `[]`.
 */
export function encodeJsonLine(value: unknown, emptyList = false): string {
  const v = Array.isArray(value) && value.length === 0 && !emptyList ? null : value;
  return marshalGo(v, { sortKeys: false }) + "\n";
}

/** gzip(JSON + "\n") with Go's gzip header bytes, as encode.ToJSONGzip writes. */
export function gzipJson(value: unknown, emptyList = false): Buffer {
  return gzipSyncGo(Buffer.from(encodeJsonLine(value, emptyList)));
}

/** A Go map as its encoder writes it: keys sorted (byte order). */
export function sortedKeys<T>(map: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => compareUtf8(a, b)));
}

/**
 * The results file's {errors, warnings}, each a results.Result struct (velero, cluster,
 * namespaces: fields in struct order) whose `namespaces` map is written with sorted keys, as Go's
 * encoder writes a map (they were in the order the namespaces first had a message).
 */
export function goResults<T extends object>(results: T): T {
  const out: Record<string, unknown> = {};
  for (const [kind, result] of Object.entries(results as Record<string, unknown>)) {
    const r = result as { namespaces?: Record<string, unknown> } | undefined;
    out[kind] = r && typeof r === "object" && r.namespaces ? { ...r, namespaces: sortedKeys(r.namespaces) } : result;
  }
  return out as T;
}

/** Velero's pkg/itemoperation structs, field by field: Go's encoder writes them in this order. */
const OPERATION_SPEC_ORDER = ["backupName", "backupUID", "backupItemAction", "restoreName", "restoreUID", "restoreItemAction", "resourceIdentifier", "operationID", "postOperationItems"];
const OPERATION_STATUS_ORDER = ["phase", "error", "nCompleted", "nTotal", "operationUnits", "description", "created", "started", "updated"];

function inOrder(value: unknown, order: readonly string[]): unknown {
  if (!value || typeof value !== "object" || Array.isArray(value)) return value;
  const o = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of order) if (k in o) out[k] = o[k];
  for (const k of Object.keys(o)) if (!(k in out)) out[k] = o[k];
  return out;
}

/** Item operations (backup or restore) with their spec and status keys in Go's struct order. */
export function goOrderedOperations(operations: readonly unknown[]): unknown[] {
  return operations.map((op) => {
    if (!op || typeof op !== "object") return op;
    const { spec, status, ...rest } = op as { spec?: unknown; status?: unknown };
    return { spec: inOrder(spec, OPERATION_SPEC_ORDER), status: inOrder(status, OPERATION_STATUS_ORDER), ...rest };
  });
}

/** BackupStatus fields Go leaves out when zero (all `omitempty`). */
const OMITTED_WHEN_ZERO = [
  "version",
  "formatVersion",
  "phase",
  "queuePosition",
  "volumeSnapshotsAttempted",
  "volumeSnapshotsCompleted",
  "failureReason",
  "warnings",
  "errors",
  "csiVolumeSnapshotsAttempted",
  "csiVolumeSnapshotsCompleted",
  "backupItemOperationsAttempted",
  "backupItemOperationsCompleted",
  "backupItemOperationsFailed",
] as const;

/**
 * A JSON merge patch that leaves the Backup CR's status as Velero's Go struct writes it: the
 * zero fields its omitempty leaves out are sent as null (a merge patch deletes them), so a zero
 * written earlier (progress at the start of the run) goes too.
 */
export function goBackupStatusMergePatch(status: Record<string, unknown>): Record<string, unknown> {
  const patch = omitEmptyMergePatch(status, OMITTED_WHEN_ZERO, ["progress", "hookStatus"]);
  if (Array.isArray(patch["validationErrors"]) && patch["validationErrors"].length === 0) patch["validationErrors"] = null;
  return patch;
}

export class ObjectBackupStore implements BackupStore {
  readonly layout: ObjectStoreLayout;
  readonly #store: ObjectStore;
  readonly #bucket: string;
  readonly #log: Logger;

  constructor(options: ObjectBackupStoreOptions) {
    this.#store = options.objectStore;
    this.#bucket = options.bucket;
    this.layout = new ObjectStoreLayout(options.prefix ?? "");
    this.#log = options.logger ?? createSilentLogger();
  }

  async isValid(): Promise<void> {
    const root = this.layout.rootPrefix;
    const dirs = await this.#store.listCommonPrefixes(this.#bucket, root, "/");
    const invalid = dirs.map((d) => d.slice(root.length).replace(/\/$/, "")).filter((d) => !this.layout.isValidSubdir(d));
    if (invalid.length > 3) {
      throw new Error(`Backup store contains ${invalid.length} invalid top-level directories: [${[...invalid.slice(0, 3), "..."].join(" ")}]`);
    }
    if (invalid.length > 0) throw new Error(`Backup store contains invalid top-level directories: [${invalid.join(" ")}]`);
  }

  async listBackups(): Promise<string[]> {
    const prefix = this.layout.subdir("backups");
    const prefixes = await this.#store.listCommonPrefixes(this.#bucket, prefix, "/");
    return prefixes.map((p) => p.slice(prefix.length).replace(/\/$/, ""));
  }

  backupExists(name: string): Promise<boolean> {
    return this.#store.objectExists(this.#bucket, this.layout.backupMetadata(name));
  }

  /**
   * Uploads a backup's files. Velero's PutBackup writes them one after another (log, metadata,
   * contents, side files); here they go up at once, so a backup's upload takes about as long as
   * its tarball's. What a reader can find is what Velero's order allows or its failures leave: a
   * backup is readable (velero-backup.json with the terminal phase, written by the caller after
   * this) only once everything here is stored. When the metadata, the contents or a side file
   * fails, the files stored meanwhile are deleted (Velero deletes the metadata and the contents,
   * and writes no side file before them) and the first failure is thrown. The log is best effort,
   * as in Velero: a lost log does not change the backup's outcome.
   */
  async putBackup(upload: BackupUpload): Promise<void> {
    const b = upload.name;
    const log = (async () => {
      const body = upload.gzippedLog ? await upload.gzippedLog : upload.log ? gzipStreamGo(upload.log) : undefined;
      if (body) await this.#put(this.layout.backupLog(b), body);
    })().catch((err: unknown) => {
      this.#log.error({ backup: b, err: getErrorMessage(err) }, "error uploading log file");
    });
    try {
      const sideFiles: [string, unknown][] = [
        [this.layout.podVolumeBackups(b), upload.podVolumeBackups],
        [this.layout.volumeSnapshots(b), upload.volumeSnapshots],
        [this.layout.itemOperations(b), upload.itemOperations && goOrderedOperations(upload.itemOperations as unknown[])],
        [this.layout.resourceList(b), upload.resourceList && sortedKeys(upload.resourceList)],
        [this.layout.backupResults(b), upload.results && goResults(upload.results)],
        [this.layout.backupVolumeInfo(b), upload.volumeInfo],
      ];
      // Velero writes these two as [] when empty (its slices are made, not nil); the others as null.
      const emptyLists = new Set([this.layout.itemOperations(b), this.layout.backupVolumeInfo(b)]);
      const files: [string, Buffer | Readable | Promise<Buffer>][] = [
        [this.layout.backupMetadata(b), Buffer.from(encodeBackupMetadata(upload.metadata))],
        [this.layout.backupContents(b), upload.contents],
        // (gzipped on the thread pool: the resource list of a large backup is a few hundred KiB)
        ...sideFiles.filter(([, value]) => value !== undefined).map(([key, value]): [string, Promise<Buffer>] => [key, gzipGo(encodeJsonLine(value, emptyLists.has(key)))]),
      ];
      const results = await Promise.allSettled(files.map(async ([key, body]) => this.#put(key, await body)));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failed) {
        // what went up is deleted: the bucket keeps only the log, as after Velero's failures
        for (const [i, [key]] of files.entries()) if (results[i]?.status === "fulfilled") await this.#deleteQuietly(key);
        throw failed.reason;
      }
    } finally {
      await log;
    }
  }

  putBackupMetadata(backup: Backup): Promise<void> {
    return this.#put(this.layout.backupMetadata(backup.metadata.name ?? ""), Buffer.from(encodeBackupMetadata(backup)));
  }

  async getBackupMetadata(name: string): Promise<Backup> {
    const key = this.layout.backupMetadata(name);
    const text = (await this.#readAll(key)).toString("utf8");
    let backup: Backup;
    try {
      backup = JSON.parse(text) as Backup;
    } catch (err) {
      throw new Error(`invalid backup metadata ${key}: not JSON (${getErrorMessage(err)})`, { cause: err });
    }
    if (typeof backup !== "object" || backup === null || backup.apiVersion !== "velero.io/v1" || backup.kind !== "Backup") {
      throw new Error(`invalid backup metadata ${key}: apiVersion/kind must be velero.io/v1 Backup`);
    }
    if (typeof backup.metadata !== "object" || backup.metadata === null || typeof backup.metadata.name !== "string" || backup.metadata.name === "") {
      throw new Error(`invalid backup metadata ${key}: metadata.name is missing`);
    }
    return backup;
  }

  getBackupContents(name: string): Promise<Readable> {
    return this.#store.getObject(this.#bucket, this.layout.backupContents(name));
  }

  async getBackupVolumeSnapshots(name: string): Promise<NativeSnapshotRecord[]> {
    return (await this.#tryGetGzipJson<NativeSnapshotRecord[] | null>(this.layout.volumeSnapshots(name))) ?? [];
  }

  async getBackupResults(name: string): Promise<BackupResults | undefined> {
    return (await this.#tryGetGzipJson<BackupResults>(this.layout.backupResults(name))) ?? undefined;
  }

  async getBackupResourceList(name: string): Promise<Record<string, string[]> | undefined> {
    return (await this.#tryGetGzipJson<Record<string, string[]>>(this.layout.resourceList(name))) ?? undefined;
  }

  /** Item operations of a backup ([] when the file is absent or `null`). */
  async getBackupItemOperations(name: string): Promise<unknown[]> {
    return (await this.#tryGetGzipJson<unknown[]>(this.layout.itemOperations(name))) ?? [];
  }

  putBackupItemOperations(name: string, operations: unknown[]): Promise<void> {
    return this.#put(this.layout.itemOperations(name), gzipJson(goOrderedOperations(operations), true));
  }

  async getBackupVolumeInfos(name: string): Promise<unknown[] | undefined> {
    return (await this.#tryGetGzipJson<unknown[] | null>(this.layout.backupVolumeInfo(name))) ?? undefined;
  }

  putBackupVolumeInfos(name: string, volumeInfos: unknown[]): Promise<void> {
    return this.#put(this.layout.backupVolumeInfo(name), gzipJson(volumeInfos, true));
  }

  putBackupContents(name: string, contents: Readable): Promise<void> {
    return this.#put(this.layout.backupContents(name), contents);
  }

  /** PodVolumeBackups of a backup ([] when absent or `null`). */
  async getPodVolumeBackups(name: string): Promise<unknown[]> {
    return (await this.#tryGetGzipJson<unknown[]>(this.layout.podVolumeBackups(name))) ?? [];
  }

  /**
   * velero-backup.json goes first (Velero deletes in listing order, where it comes last for most
   * names): it is what makes the directory a backup for sync and for "already exists", so a
   * deletion cut short leaves leftovers nothing takes for a backup, never a backup without its
   * tarball; the next attempt lists and deletes the rest.
   */
  deleteBackup(name: string): Promise<void> {
    return this.#deleteDir(this.layout.backupDir(name), this.layout.backupMetadata(name));
  }

  async putRestoreFiles(upload: RestoreUpload): Promise<void> {
    const r = upload.restoreName;
    if (upload.log) await this.#put(this.layout.restoreLog(r), gzipStreamGo(upload.log));
    if (upload.results) await this.#put(this.layout.restoreResults(r), gzipJson(goResults(upload.results)));
    if (upload.resourceList) await this.#put(this.layout.restoreResourceList(r), gzipJson(sortedKeys(upload.resourceList)));
    if (upload.itemOperations) await this.#put(this.layout.restoreItemOperations(r), gzipJson(goOrderedOperations(upload.itemOperations as unknown[]), true));
    if (upload.volumeInfo) await this.#put(this.layout.restoreVolumeInfo(r), gzipJson(upload.volumeInfo, true));
  }

  deleteRestore(name: string): Promise<void> {
    return this.#deleteDir(this.layout.restoreDir(name));
  }

  getDownloadUrl(kind: BackupFileKind | RestoreFileKind, name: string, ttlMs: number): Promise<string> {
    return this.#store.createSignedUrl(this.#bucket, this.keyFor(kind, name), ttlMs);
  }

  getFile(kind: BackupFileKind | RestoreFileKind, name: string): Promise<Readable> {
    return this.#store.getObject(this.#bucket, this.keyFor(kind, name));
  }

  fileExists(kind: BackupFileKind | RestoreFileKind, name: string): Promise<boolean> {
    return this.#store.objectExists(this.#bucket, this.keyFor(kind, name));
  }

  /** The object key of a DownloadRequest target. */
  keyFor(kind: BackupFileKind | RestoreFileKind, name: string): string {
    const l = this.layout;
    switch (kind) {
      case "BackupContents":
        return l.backupContents(name);
      case "BackupLog":
        return l.backupLog(name);
      case "BackupVolumeSnapshots":
        return l.volumeSnapshots(name);
      case "BackupItemOperations":
        return l.itemOperations(name);
      case "BackupResourceList":
        return l.resourceList(name);
      case "BackupResults":
        return l.backupResults(name);
      case "BackupVolumeInfos":
        return l.backupVolumeInfo(name);
      case "CSIBackupVolumeSnapshots":
        return l.csiVolumeSnapshots(name);
      case "CSIBackupVolumeSnapshotContents":
        return l.csiVolumeSnapshotContents(name);
      case "RestoreLog":
        return l.restoreLog(name);
      case "RestoreResults":
        return l.restoreResults(name);
      case "RestoreResourceList":
        return l.restoreResourceList(name);
      case "RestoreItemOperations":
        return l.restoreItemOperations(name);
      case "RestoreVolumeInfo":
        return l.restoreVolumeInfo(name);
    }
  }

  async #put(key: string, body: Buffer | Readable): Promise<void> {
    await this.#store.putObject(this.#bucket, key, Buffer.isBuffer(body) ? Readable.from([body]) : body);
  }

  async #deleteQuietly(key: string): Promise<void> {
    try {
      await this.#store.deleteObject(this.#bucket, key);
    } catch (err) {
      this.#log.error({ err: getErrorMessage(err), key }, "error deleting object during cleanup");
    }
  }

  async #deleteDir(prefix: string, first?: string): Promise<void> {
    const listed = await this.#store.listObjects(this.#bucket, prefix);
    const keys = first !== undefined && listed.includes(first) ? [first, ...listed.filter((k) => k !== first)] : listed;
    const errors: string[] = [];
    for (const key of keys) {
      try {
        await this.#store.deleteObject(this.#bucket, key);
      } catch (err) {
        errors.push(`${key}: ${getErrorMessage(err)}`);
        // the rest stays whole while `first` (what makes it a backup) is there
        if (key === first) break;
      }
    }
    if (errors.length > 0) throw new Error(`failed to delete ${errors.length} object(s) under "${prefix}": ${errors.join("; ")}`);
  }

  async #readAll(key: string, gunzip = false): Promise<Buffer> {
    const stream = await this.#store.getObject(this.#bucket, key);
    const chunks: Buffer[] = [];
    const sink = async function* (source: AsyncIterable<Buffer>): AsyncGenerator<never> {
      for await (const c of source) chunks.push(Buffer.from(c));
    };
    if (gunzip) await pipeline(stream, createGunzip(), sink);
    else await pipeline(stream, sink);
    return Buffer.concat(chunks);
  }

  async #tryGetGzipJson<T>(key: string): Promise<T | null | undefined> {
    if (!(await this.#store.objectExists(this.#bucket, key))) return undefined;
    return JSON.parse((await this.#readAll(key, true)).toString("utf8")) as T | null;
  }
}
