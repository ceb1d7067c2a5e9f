/**
 * An in-memory BackupStore for controller tests: backups with metadata, an optional tarball,
 * native snapshot records and pod volume backups; restore files; signed URLs that encode their
 * arguments. Failures can be injected per method.
 */
import { Readable } from "node:stream";
import { NotFoundError, type Backup, type PodVolumeBackup } from "@velero-ts/plugin-sdk";
import type {
  BackupFileKind,
  BackupResults,
  BackupStore,
  BackupUpload,
  NativeSnapshotRecord,
  RestoreFileKind,
  RestoreUpload,
} from "../persistence/backup-store.js";

export interface FakeStoredBackup {
  metadata: Backup;
  contents?: Buffer;
  volumeSnapshots?: NativeSnapshotRecord[];
  podVolumeBackups?: PodVolumeBackup[];
  itemOperations?: unknown[];
  volumeInfo?: unknown[];
}

export class FakeBackupStore implements BackupStore {
  readonly backups = new Map<string, FakeStoredBackup>();
  readonly restores = new Set<string>();
  /** Method name → error thrown by its next call. */
  readonly failures = new Map<string, Error>();
  readonly calls: string[] = [];

  addBackup(backup: Backup, extra: Omit<FakeStoredBackup, "metadata"> = {}): this {
    this.backups.set(backup.metadata.name ?? "", { metadata: structuredClone(backup), ...extra });
    return this;
  }

  #call(method: string, arg?: string): void {
    this.calls.push(arg === undefined ? method : `${method}(${arg})`);
    const err = this.failures.get(method);
    if (err) {
      this.failures.delete(method);
      throw err;
    }
  }

  #require(name: string): FakeStoredBackup {
    const b = this.backups.get(name);
    if (!b) throw new NotFoundError(`backup "${name}" not found in the fake backup store`);
    return b;
  }

  async isValid(): Promise<void> {
    this.#call("isValid");
  }
  async listBackups(): Promise<string[]> {
    this.#call("listBackups");
    return [...this.backups.keys()].sort();
  }
  async backupExists(name: string): Promise<boolean> {
    this.#call("backupExists", name);
    return this.backups.has(name);
  }
  async putBackup(upload: BackupUpload): Promise<void> {
    this.#call("putBackup", upload.name);
    const chunks: Buffer[] = [];
    for await (const c of upload.contents) chunks.push(Buffer.from(c as Buffer));
    this.backups.set(upload.name, {
      metadata: structuredClone(upload.metadata),
      ...(chunks.length ? { contents: Buffer.concat(chunks) } : {}),
      ...(upload.itemOperations ? { itemOperations: structuredClone(upload.itemOperations) } : {}),
      ...(upload.volumeInfo ? { volumeInfo: structuredClone(upload.volumeInfo) } : {}),
    });
  }
  async putBackupMetadata(backup: Backup): Promise<void> {
    this.#call("putBackupMetadata", backup.metadata.name);
    this.#require(backup.metadata.name ?? "").metadata = structuredClone(backup);
  }
  async getBackupMetadata(name: string): Promise<Backup> {
    this.#call("getBackupMetadata", name);
    return structuredClone(this.#require(name).metadata);
  }
  async getBackupContents(name: string): Promise<Readable> {
    this.#call("getBackupContents", name);
    const contents = this.#require(name).contents;
    if (!contents) throw new NotFoundError(`backup "${name}" has no tarball in the fake backup store`);
    return Readable.from([contents]);
  }
  async getBackupVolumeSnapshots(name: string): Promise<NativeSnapshotRecord[]> {
    this.#call("getBackupVolumeSnapshots", name);
    return structuredClone(this.#require(name).volumeSnapshots ?? []);
  }
  async getPodVolumeBackups(name: string): Promise<PodVolumeBackup[]> {
    this.#call("getPodVolumeBackups", name);
    return structuredClone(this.#require(name).podVolumeBackups ?? []);
  }
  async getBackupResults(name: string): Promise<BackupResults | undefined> {
    this.#call("getBackupResults", name);
    return undefined;
  }
  async getBackupResourceList(name: string): Promise<Record<string, string[]> | undefined> {
    this.#call("getBackupResourceList", name);
    return undefined;
  }
  async getBackupItemOperations(name: string): Promise<unknown[]> {
    this.#call("getBackupItemOperations", name);
    return structuredClone(this.#require(name).itemOperations ?? []);
  }
  async putBackupItemOperations(name: string, operations: unknown[]): Promise<void> {
    this.#call("putBackupItemOperations", name);
    this.#require(name).itemOperations = structuredClone(operations);
  }
  async getBackupVolumeInfos(name: string): Promise<unknown[] | undefined> {
    this.#call("getBackupVolumeInfos", name);
    const infos = this.#require(name).volumeInfo;
    return infos === undefined ? undefined : structuredClone(infos);
  }
  async putBackupVolumeInfos(name: string, volumeInfos: unknown[]): Promise<void> {
    this.#call("putBackupVolumeInfos", name);
    this.#require(name).volumeInfo = structuredClone(volumeInfos);
  }
  async putBackupContents(name: string, contents: Readable): Promise<void> {
    this.#call("putBackupContents", name);
    const chunks: Buffer[] = [];
    for await (const c of contents) chunks.push(Buffer.from(c as Buffer));
    this.#require(name).contents = Buffer.concat(chunks);
  }
  async deleteBackup(name: string): Promise<void> {
    this.#call("deleteBackup", name);
    this.backups.delete(name);
  }
  async putRestoreFiles(upload: RestoreUpload): Promise<void> {
    this.#call("putRestoreFiles", upload.restoreName);
    this.restores.add(upload.restoreName);
  }
  async deleteRestore(name: string): Promise<void> {
    this.#call("deleteRestore", name);
    this.restores.delete(name);
  }
  async getDownloadUrl(kind: BackupFileKind | RestoreFileKind, name: string, ttlMs: number): Promise<string> {
    this.#call("getDownloadUrl", `${kind},${name}`);
    return `memory://bucket/${kind}/${name}?ttlMs=${ttlMs}`;
  }
  async getFile(kind: BackupFileKind | RestoreFileKind, name: string): Promise<Readable> {
    this.#call("getFile", `${kind},${name}`);
    return Readable.from([Buffer.alloc(0)]);
  }
  /** Restore files exist once stored; of a backup's files, only those this fake keeps (contents, item operations). */
  async fileExists(kind: BackupFileKind | RestoreFileKind, name: string): Promise<boolean> {
    this.#call("fileExists", `${kind},${name}`);
    if (kind.startsWith("Restore")) return this.restores.has(name);
    const b = this.backups.get(name);
    if (kind === "BackupContents") return b?.contents !== undefined;
    if (kind === "BackupItemOperations") return b?.itemOperations !== undefined;
    return false;
  }
}
