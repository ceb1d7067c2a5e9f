/**
 * The backup store: Velero's object layout (velero-compat.md section 4.1) over an ObjectStore.
 * `P` below is the location prefix (trimmed of "/", plus "/" when non-empty).
 */
import type { Readable } from "node:stream";
import { gunzipSync } from "node:zlib";
import type { Backup } from "@velero-ts/plugin-sdk";

/** `{"velero": [...], "cluster": [...], "namespaces": {ns: [...]}}`, all optional. */
export interface Result {
  velero?: string[];
  cluster?: string[];
  namespaces?: Record<string, string[]>;
}

export interface BackupResults {
  errors: Result;
  warnings: Result;
}

/** Native snapshot record as stored in `<b>-volumesnapshots.json.gz`. */
export interface NativeSnapshotRecord {
  spec: {
    backupName: string;
    backupUID: string;
    location: string;
    persistentVolumeName: string;
    providerVolumeID: string;
    volumeType: string;
    volumeAZ?: string;
    volumeIOPS?: number;
  };
  status: { providerSnapshotID?: string; phase?: "New" | "Completed" | "Failed" };
}

/** Everything PutBackup uploads. Streams are consumed once. */
export interface BackupUpload {
  name: string;
  /** The Backup CR; written as velero-backup.json (pretty JSON with apiVersion/kind). */
  metadata: Backup;
  /** gzip(tar) of the contents. */
  contents: Readable;
  /** Plain-text log lines; gzipped by the store. */
  log?: Readable;
  /** The log already gzipped, or being gzipped (instead of `log`). */
  gzippedLog?: Buffer | Promise<Buffer>;
  podVolumeBackups?: unknown[];
  volumeSnapshots?: NativeSnapshotRecord[];
  itemOperations?: unknown[];
  /** "<group/version>/<Kind>" -> sorted "ns/name" or "name". */
  resourceList?: Record<string, string[]>;
  results?: BackupResults;
  volumeInfo?: unknown[];
}

export type BackupFileKind =
  | "BackupContents"
  | "BackupLog"
  | "BackupVolumeSnapshots"
  | "BackupItemOperations"
  | "BackupResourceList"
  | "BackupResults"
  | "BackupVolumeInfos"
  | "CSIBackupVolumeSnapshots"
  | "CSIBackupVolumeSnapshotContents";

export type RestoreFileKind = "RestoreLog" | "RestoreResults" | "RestoreResourceList" | "RestoreItemOperations" | "RestoreVolumeInfo";

export interface RestoreUpload {
  restoreName: string;
  log?: Readable;
  results?: BackupResults;
  /** "<gv>/<Kind>" -> sorted "ns/name(action)". */
  resourceList?: Record<string, string[]>;
  itemOperations?: unknown[];
  volumeInfo?: unknown[];
}

export interface BackupStore {
  /** Velero's IsValid: every common prefix directly under P is a known top-level directory. */
  isValid(): Promise<void>;
  /** Names of the backups in the location (ListCommonPrefixes of P backups/). */
  listBackups(): Promise<string[]>;
  backupExists(name: string): Promise<boolean>;
  /** Uploads in Velero's order: log, velero-backup.json, tarball, then side files (with cleanup on failure). */
  putBackup(upload: BackupUpload): Promise<void>;
  /** Rewrites velero-backup.json only (the finalizer's second write). */
  putBackupMetadata(backup: Backup): Promise<void>;
  getBackupMetadata(name: string): Promise<Backup>;
  getBackupContents(name: string): Promise<Readable>;
  getBackupVolumeSnapshots(name: string): Promise<NativeSnapshotRecord[]>;
  getBackupResults(name: string): Promise<BackupResults | undefined>;
  getBackupResourceList(name: string): Promise<Record<string, string[]> | undefined>;
  /** `<b>-itemoperations.json.gz` ([] when absent or `null`). */
  getBackupItemOperations(name: string): Promise<unknown[]>;
  /** Rewrites `<b>-itemoperations.json.gz` (the operations controller's progress updates). */
  putBackupItemOperations(name: string, operations: unknown[]): Promise<void>;
  /** `<b>-volumeinfo.json.gz` (undefined when absent: a backup made before Velero wrote it). */
  getBackupVolumeInfos(name: string): Promise<unknown[] | undefined>;
  /** Rewrites `<b>-volumeinfo.json.gz` (the finalizer's update of the CSI snapshots' results). */
  putBackupVolumeInfos(name: string, volumeInfos: unknown[]): Promise<void>;
  /** Rewrites `<b>.tar.gz` (the finalizer's tarball with post-operation items). */
  putBackupContents(name: string, contents: Readable): Promise<void>;
  /** Deletes every key under P backups/<name>/. */
  deleteBackup(name: string): Promise<void>;
  putRestoreFiles(upload: RestoreUpload): Promise<void>;
  /** Deletes every key under P restores/<name>/. */
  deleteRestore(name: string): Promise<void>;
  /** A signed URL for a stored file (DownloadRequest). */
  getDownloadUrl(kind: BackupFileKind | RestoreFileKind, name: string, ttlMs: number): Promise<string>;
  /** Raw stream of a stored file (CLI logs/describe via the server). */
  getFile(kind: BackupFileKind | RestoreFileKind, name: string): Promise<Readable>;
  /** Whether a stored file exists (Velero's tryGet: a missing optional file is not an error). */
  fileExists(kind: BackupFileKind | RestoreFileKind, name: string): Promise<boolean>;
}

/** A gzipped JSON file of a backup or restore (getFile), parsed; throws when it is missing or unreadable. */
export async function readGzipJsonFile(store: Pick<BackupStore, "getFile">, kind: BackupFileKind | RestoreFileKind, name: string): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of await store.getFile(kind, name)) chunks.push(Buffer.from(c as Uint8Array));
  return JSON.parse(gunzipSync(Buffer.concat(chunks)).toString("utf8")) as unknown;
}

/** The same, or undefined when the store has no such object (Velero's tryGet: an optional file); other errors throw. */
export async function readGzipJsonFileIfPresent(store: Pick<BackupStore, "getFile" | "fileExists">, kind: BackupFileKind | RestoreFileKind, name: string): Promise<unknown> {
  if (!(await store.fileExists(kind, name))) return undefined;
  return readGzipJsonFile(store, kind, name);
}
