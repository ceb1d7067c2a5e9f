/**
 * Velero's object-store layout (pkg/persistence/object_store_layout.go): every key a BSL holds.
 * As Go's path.Join builds them, the subdirectories and keys are cleaned paths ("a//b" or "./a" as
 * a prefix gives "a/b/backups/", "a/backups/"); the root prefix, which the location's validation
 * lists, is the prefix as given plus "/".
 */
import { posix } from "node:path";

export const TOP_LEVEL_DIRS = ["backups", "restores", "restic", "metadata", "plugins", "kopia"] as const;

export class ObjectStoreLayout {
  /** "" or "<prefix>/". */
  readonly rootPrefix: string;

  constructor(prefix: string) {
    const p = prefix.replace(/^\/+|\/+$/g, "");
    this.rootPrefix = p ? `${p}/` : "";
  }

  subdir(name: (typeof TOP_LEVEL_DIRS)[number]): string {
    return `${posix.join(this.rootPrefix, name)}/`;
  }

  isValidSubdir(name: string): boolean {
    return (TOP_LEVEL_DIRS as readonly string[]).includes(name);
  }

  backupDir(b: string): string {
    return `${posix.join(this.subdir("backups"), b)}/`;
  }
  restoreDir(r: string): string {
    return `${posix.join(this.subdir("restores"), r)}/`;
  }
  #backupKey(b: string, file: string): string {
    return posix.join(this.subdir("backups"), b, file);
  }
  #restoreKey(r: string, file: string): string {
    return posix.join(this.subdir("restores"), r, file);
  }
  backupMetadata(b: string): string {
    return this.#backupKey(b, `velero-backup.json`);
  }
  backupContents(b: string): string {
    return this.#backupKey(b, `${b}.tar.gz`);
  }
  backupLog(b: string): string {
    return this.#backupKey(b, `${b}-logs.gz`);
  }
  podVolumeBackups(b: string): string {
    return this.#backupKey(b, `${b}-podvolumebackups.json.gz`);
  }
  volumeSnapshots(b: string): string {
    return this.#backupKey(b, `${b}-volumesnapshots.json.gz`);
  }
  itemOperations(b: string): string {
    return this.#backupKey(b, `${b}-itemoperations.json.gz`);
  }
  resourceList(b: string): string {
    return this.#backupKey(b, `${b}-resource-list.json.gz`);
  }
  backupResults(b: string): string {
    return this.#backupKey(b, `${b}-results.gz`);
  }
  backupVolumeInfo(b: string): string {
    return this.#backupKey(b, `${b}-volumeinfo.json.gz`);
  }
  csiVolumeSnapshots(b: string): string {
    return this.#backupKey(b, `${b}-csi-volumesnapshots.json.gz`);
  }
  csiVolumeSnapshotContents(b: string): string {
    return this.#backupKey(b, `${b}-csi-volumesnapshotcontents.json.gz`);
  }
  restoreLog(r: string): string {
    return this.#restoreKey(r, `restore-${r}-logs.gz`);
  }
  restoreResults(r: string): string {
    return this.#restoreKey(r, `restore-${r}-results.gz`);
  }
  restoreResourceList(r: string): string {
    return this.#restoreKey(r, `restore-${r}-resource-list.json.gz`);
  }
  restoreItemOperations(r: string): string {
    return this.#restoreKey(r, `restore-${r}-itemoperations.json.gz`);
  }
  /** No "restore-" prefix here (Velero's layout). */
  restoreVolumeInfo(r: string): string {
    return this.#restoreKey(r, `${r}-volumeinfo.json.gz`);
  }
}
