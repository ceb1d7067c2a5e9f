/**
 * velero.io/v1 API types, field for field as Velero's CRDs define them (JSON names). Durations
 * are Go duration strings ("720h0m0s"), times are RFC 3339 strings.
 */
import type { LabelSelector, ObjectMeta, SecretKeySelector, TypedLocalObjectReference } from "./meta.js";

export const VELERO_GROUP = "velero.io";
export const VELERO_VERSION = "v1";
export const VELERO_API_VERSION = "velero.io/v1";

/** Any Kubernetes object as JSON ("unstructured"). */
export interface UnstructuredItem {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta & { name: string };
  [field: string]: unknown;
}

interface VeleroObject<K extends string, S, St> {
  apiVersion?: typeof VELERO_API_VERSION;
  kind?: K;
  /** Always named: a Velero object from the API server (or handed to a plugin) has a name. */
  metadata: ObjectMeta & { name: string };
  spec: S;
  status?: St;
}

/** A time.Duration string, e.g. "720h0m0s", "10m", "30s". */
export type Duration = string;

export interface ExecHook {
  container?: string;
  command: string[];
  onError?: "Continue" | "Fail";
  timeout?: Duration;
}

export interface BackupResourceHook {
  exec: ExecHook;
}

export interface BackupResourceHookSpec {
  name: string;
  includedNamespaces?: string[];
  excludedNamespaces?: string[];
  includedResources?: string[];
  excludedResources?: string[];
  labelSelector?: LabelSelector;
  pre?: BackupResourceHook[];
  post?: BackupResourceHook[];
}

export interface BackupSpec {
  metadata?: { labels?: Record<string, string> };
  includedNamespaces?: string[];
  excludedNamespaces?: string[];
  includedResources?: string[];
  excludedResources?: string[];
  includedClusterScopedResources?: string[];
  excludedClusterScopedResources?: string[];
  includedNamespaceScopedResources?: string[];
  excludedNamespaceScopedResources?: string[];
  labelSelector?: LabelSelector;
  orLabelSelectors?: LabelSelector[];
  snapshotVolumes?: boolean;
  ttl?: Duration;
  includeClusterResources?: boolean;
  hooks?: { resources?: BackupResourceHookSpec[] };
  storageLocation?: string;
  volumeSnapshotLocations?: string[];
  defaultVolumesToRestic?: boolean;
  defaultVolumesToFsBackup?: boolean;
  orderedResources?: Record<string, string>;
  csiSnapshotTimeout?: Duration;
  itemOperationTimeout?: Duration;
  resourcePolicy?: TypedLocalObjectReference;
  snapshotMoveData?: boolean;
  datamover?: string;
  uploaderConfig?: { parallelFilesUpload?: number };
  volumeGroupSnapshotLabelKey?: string;
}

export type BackupPhase =
  | "New"
  | "Queued"
  | "ReadyToStart"
  | "FailedValidation"
  | "InProgress"
  | "WaitingForPluginOperations"
  | "WaitingForPluginOperationsPartiallyFailed"
  | "Finalizing"
  | "FinalizingPartiallyFailed"
  | "Completed"
  | "PartiallyFailed"
  | "Failed"
  | "Deleting";

export interface BackupProgress {
  totalItems?: number;
  itemsBackedUp?: number;
}

export interface HookStatus {
  hooksAttempted?: number;
  hooksFailed?: number;
}

export interface BackupStatus {
  version?: number;
  formatVersion?: string;
  expiration?: string;
  phase?: BackupPhase;
  queuePosition?: number;
  validationErrors?: string[];
  startTimestamp?: string;
  completionTimestamp?: string;
  volumeSnapshotsAttempted?: number;
  volumeSnapshotsCompleted?: number;
  failureReason?: string;
  warnings?: number;
  errors?: number;
  progress?: BackupProgress;
  csiVolumeSnapshotsAttempted?: number;
  csiVolumeSnapshotsCompleted?: number;
  backupItemOperationsAttempted?: number;
  backupItemOperationsCompleted?: number;
  backupItemOperationsFailed?: number;
  hookStatus?: HookStatus;
}

export type Backup = VeleroObject<"Backup", BackupSpec, BackupStatus>;

export interface RestoreExecHook {
  container?: string;
  command: string[];
  onError?: "Continue" | "Fail";
  execTimeout?: Duration;
  waitTimeout?: Duration;
  waitForReady?: boolean;
}

export interface RestoreResourceHook {
  exec?: RestoreExecHook;
  init?: { initContainers?: unknown[]; timeout?: Duration };
}

export interface RestoreResourceHookSpec {
  name: string;
  includedNamespaces?: string[];
  excludedNamespaces?: string[];
  includedResources?: string[];
  excludedResources?: string[];
  labelSelector?: LabelSelector;
  postHooks?: RestoreResourceHook[];
}

export interface RestoreSpec {
  backupName?: string;
  scheduleName?: string;
  includedNamespaces?: string[];
  excludedNamespaces?: string[];
  includedResources?: string[];
  excludedResources?: string[];
  namespaceMapping?: Record<string, string>;
  labelSelector?: LabelSelector;
  orLabelSelectors?: LabelSelector[];
  restorePVs?: boolean;
  restoreStatus?: { includedResources?: string[]; excludedResources?: string[] };
  preserveNodePorts?: boolean;
  includeClusterResources?: boolean;
  hooks?: { resources?: RestoreResourceHookSpec[] };
  existingResourcePolicy?: "none" | "update";
  itemOperationTimeout?: Duration;
  resourceModifier?: TypedLocalObjectReference;
  uploaderConfig?: { writeSparseFiles?: boolean; parallelFilesDownload?: number };
}

export type RestorePhase =
  | "New"
  | "FailedValidation"
  | "InProgress"
  | "WaitingForPluginOperations"
  | "WaitingForPluginOperationsPartiallyFailed"
  | "Finalizing"
  | "FinalizingPartiallyFailed"
  | "Completed"
  | "PartiallyFailed"
  | "Failed";

export interface RestoreStatus {
  phase?: RestorePhase;
  validationErrors?: string[];
  warnings?: number;
  errors?: number;
  failureReason?: string;
  startTimestamp?: string;
  completionTimestamp?: string;
  progress?: { totalItems?: number; itemsRestored?: number };
  restoreItemOperationsAttempted?: number;
  restoreItemOperationsCompleted?: number;
  restoreItemOperationsFailed?: number;
  hookStatus?: HookStatus;
}

export type Restore = VeleroObject<"Restore", RestoreSpec, RestoreStatus>;

export interface ScheduleSpec {
  template: BackupSpec;
  schedule: string;
  useOwnerReferencesInBackup?: boolean;
  paused?: boolean;
  skipImmediately?: boolean;
}

export type SchedulePhase = "New" | "Enabled" | "FailedValidation";

export interface ScheduleStatus {
  phase?: SchedulePhase;
  lastBackup?: string;
  lastSkipped?: string;
  validationErrors?: string[];
}

export type Schedule = VeleroObject<"Schedule", ScheduleSpec, ScheduleStatus>;

export type BackupStorageLocationAccessMode = "ReadWrite" | "ReadOnly";

export interface BackupStorageLocationSpec {
  provider: string;
  config?: Record<string, string>;
  credential?: SecretKeySelector;
  objectStorage: { bucket: string; prefix?: string; caCert?: string; caCertRef?: SecretKeySelector };
  default?: boolean;
  accessMode?: BackupStorageLocationAccessMode;
  backupSyncPeriod?: Duration;
  validationFrequency?: Duration;
}

export interface BackupStorageLocationStatus {
  phase?: "Available" | "Unavailable";
  lastSyncedTime?: string;
  lastValidationTime?: string;
  message?: string;
  lastSyncedRevision?: string;
  accessMode?: BackupStorageLocationAccessMode;
}

export type BackupStorageLocation = VeleroObject<"BackupStorageLocation", BackupStorageLocationSpec, BackupStorageLocationStatus>;

export interface VolumeSnapshotLocationSpec {
  provider: string;
  config?: Record<string, string>;
  credential?: SecretKeySelector;
}

export type VolumeSnapshotLocation = VeleroObject<
  "VolumeSnapshotLocation",
  VolumeSnapshotLocationSpec,
  { phase?: "Available" | "Unavailable" }
>;

export type DownloadTargetKind =
  | "BackupLog"
  | "BackupContents"
  | "BackupVolumeSnapshots"
  | "BackupItemOperations"
  | "BackupResourceList"
  | "BackupResults"
  | "BackupVolumeInfos"
  | "RestoreLog"
  | "RestoreResults"
  | "RestoreResourceList"
  | "RestoreItemOperations"
  | "CSIBackupVolumeSnapshots"
  | "CSIBackupVolumeSnapshotContents"
  | "RestoreVolumeInfo";

export type DownloadRequest = VeleroObject<
  "DownloadRequest",
  { target: { kind: DownloadTargetKind; name: string } },
  { phase?: "New" | "Processed"; downloadURL?: string; expiration?: string }
>;

export type DeleteBackupRequest = VeleroObject<
  "DeleteBackupRequest",
  { backupName: string },
  { phase?: "New" | "InProgress" | "Processed"; errors?: string[] }
>;

export interface PluginInfo {
  name: string;
  kind: string;
}

export type ServerStatusRequest = VeleroObject<
  "ServerStatusRequest",
  Record<string, never>,
  { phase?: "New" | "Processed"; processedTimestamp?: string; serverVersion?: string; plugins?: PluginInfo[] }
>;

export type PodVolumeOperationPhase =
  | "New"
  | "Accepted"
  | "Prepared"
  | "InProgress"
  | "Canceling"
  | "Canceled"
  | "Completed"
  | "Failed";

export type PodVolumeBackup = VeleroObject<
  "PodVolumeBackup",
  {
    node: string;
    pod: { kind?: string; namespace?: string; name?: string; uid?: string };
    volume: string;
    backupStorageLocation: string;
    repoIdentifier: string;
    uploaderType?: string;
    tags?: Record<string, string>;
    uploaderSettings?: Record<string, string>;
    cancel?: boolean;
  },
  { phase?: PodVolumeOperationPhase; path?: string; snapshotID?: string; message?: string; startTimestamp?: string; completionTimestamp?: string }
>;

export type BackupRepository = VeleroObject<
  "BackupRepository",
  {
    volumeNamespace: string;
    backupStorageLocation: string;
    repositoryType?: string;
    resticIdentifier: string;
    maintenanceFrequency: Duration;
    repositoryConfig?: Record<string, string>;
  },
  { phase?: "New" | "Ready" | "NotReady"; message?: string; lastMaintenanceTime?: string }
>;
