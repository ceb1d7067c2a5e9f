/** The restore engine's input and output. */
import type { Readable } from "node:stream";
import type { Backup, Restore, RestoreItemActionV2 } from "@velero-ts/plugin-sdk";
import type { NativeSnapshotRecord } from "../persistence/backup-store.js";
import type { NamedAction } from "../plugins/manager.js";
import type { Logger } from "../shared/logging.js";
import type { ResourceModifiers } from "./resource-modifiers.js";
import type { RestoreResultSet } from "./results.js";

/** Resources a restore never touches (appended to every Restore's excludedResources). */
export const NON_RESTORABLE_RESOURCES = [
  "nodes",
  "events",
  "events.events.k8s.io",
  "backups.velero.io",
  "restores.velero.io",
  "resticrepositories.velero.io",
  "csinodes.storage.k8s.io",
  "volumeattachments.storage.k8s.io",
  "backuprepositories.velero.io",
] as const;

export type ItemRestoreAction = "created" | "updated" | "skipped" | "failed";

/** One entry of `<b>-volumeinfo.json.gz` that the restorer uses (velero-compat.md 4.2). */
export interface BackupVolumeInfo {
  pvcName?: string;
  pvcNamespace?: string;
  pvName?: string;
  backupMethod?: "NativeSnapshot" | "PodVolumeBackup" | "CSISnapshot" | "";
  skipped?: boolean;
  [field: string]: unknown;
}

/** One entry of `restores/<r>/<r>-volumeinfo.json.gz`. */
export interface RestoreVolumeInfo {
  pvcName?: string;
  pvcNamespace?: string;
  pvName?: string;
  restoreMethod?: "NativeSnapshot" | "PodVolumeRestore" | "CSISnapshot";
  snapshotDataMoved: boolean;
  /** Phase: Go's untagged field, "" on restore. */
  nativeSnapshotInfo?: { snapshotHandle: string; volumeType: string; volumeAZ: string; iops: string; Phase?: string };
}

/** `restores/<r>/restore-<r>-itemoperations.json.gz` entry (Go field names in resourceIdentifier). */
export interface RestoreOperation {
  spec: {
    restoreName: string;
    restoreUID: string;
    restoreItemAction: string;
    resourceIdentifier: { Group: string; Resource: string; Namespace: string; Name: string };
    operationID: string;
  };
  status: {
    phase?: "New" | "InProgress" | "Completed" | "Failed";
    error?: string;
    nCompleted?: number;
    nTotal?: number;
    operationUnits?: string;
    description?: string;
    created?: string;
    started?: string;
    updated?: string;
  };
}

export interface RestoreProgress {
  totalItems: number;
  itemsRestored: number;
}

export interface RestoreRequest {
  /**
   * The validated Restore: `spec.backupName` resolved (also for schedule restores) and the
   * non-restorable resources already appended to `spec.excludedResources`.
   */
  restore: Restore;
  backup: Backup;
  /** gzip(tar) stream of `<b>.tar.gz`; consumed once. */
  backupContents: Readable;
  /** `<b>-volumesnapshots.json.gz` (native snapshots). */
  volumeSnapshots?: readonly NativeSnapshotRecord[];
  /** `<b>-volumeinfo.json.gz`, when the backup has one. */
  backupVolumeInfos?: readonly BackupVolumeInfo[];
  resourceModifiers?: ResourceModifiers;
  /** Restore item actions in execution order (built-ins first), v1 already adapted to v2. */
  actions?: readonly NamedAction<RestoreItemActionV2>[];
  /** The per-restore log (uploaded as restore-<r>-logs.gz). */
  log: Logger;
  /** Called after every item; the caller throttles status updates. */
  onProgress?: (progress: RestoreProgress) => void;
}

export interface HookSummary {
  attempted: number;
  failed: number;
  errors: RestoreResultSet;
}

export interface RestoreOutcome {
  warnings: RestoreResultSet;
  errors: RestoreResultSet;
  /** "<apiVersion>/<Kind>" -> sorted "ns/name(action)" or "name(action)". */
  resourceList: Record<string, string[]>;
  itemOperations: RestoreOperation[];
  volumeInfo: RestoreVolumeInfo[];
  progress: RestoreProgress;
  /** Settles once every post-restore exec hook has run, failed or given up; never rejects. */
  hooks: Promise<HookSummary>;
  /** Restored pods with post-restore exec hooks (0: `hooks` settles at once). */
  hookPods?: number;
}

export interface RestoredItemStatus {
  action?: ItemRestoreAction;
  itemExists: boolean;
  createdName?: string;
}

/** Key of restoredItems: "<apiVersion>/<Kind>", target namespace, name in the backup. */
export function itemKey(resource: string, namespace: string, name: string): string {
  return JSON.stringify([resource, namespace, name]);
}

export function buildResourceList(items: ReadonlyMap<string, RestoredItemStatus>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [key, status] of items) {
    const [resource, namespace, name] = JSON.parse(key) as [string, string, string];
    const shown = status.createdName ?? name;
    const entry = `${namespace === "" ? shown : `${namespace}/${shown}`}(${status.action ?? "skipped"})`;
    (out[resource] ??= []).push(entry);
  }
  for (const list of Object.values(out)) list.sort();
  return out;
}
