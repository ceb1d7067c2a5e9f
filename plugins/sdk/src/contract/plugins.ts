/**
 * The plugin contracts. Each method is async; implementations must be safe to call concurrently
 * from several host callers. A method that throws must not have left a partial result behind.
 */
import type { Readable } from "node:stream";
import type { Backup, Restore, UnstructuredItem } from "../api/v1/types.js";

/** What an item action applies to. Empty lists mean "all"; `selector` is a label selector. */
export interface ResourceSelector {
  includedNamespaces: string[];
  excludedNamespaces: string[];
  includedResources: string[];
  excludedResources: string[];
  selector: string;
}

/**
 * What appliesTo() returns: a ResourceSelector whose fields may be left out (an absent list or
 * selector means "all", as Go's zero value does). Hosts read it with resourceSelectorOf().
 */
export type ResourceSelectorInit = Partial<ResourceSelector>;

/** The full selector an appliesTo() result stands for (absent fields: "all"). */
export function resourceSelectorOf(init: ResourceSelectorInit | undefined): ResourceSelector {
  return {
    includedNamespaces: init?.includedNamespaces ?? [],
    excludedNamespaces: init?.excludedNamespaces ?? [],
    includedResources: init?.includedResources ?? [],
    excludedResources: init?.excludedResources ?? [],
    selector: init?.selector ?? "",
  };
}

/** Identifies one Kubernetes object; `group` is "" for the core group, `resource` is plural. */
export interface ResourceIdentifier {
  group: string;
  resource: string;
  namespace: string;
  name: string;
}

/** Progress of an asynchronous operation started by a v2 item action. */
export interface OperationProgress {
  completed: boolean;
  err: string;
  nCompleted: number;
  nTotal: number;
  operationUnits: string;
  description: string;
  started?: Date;
  updated?: Date;
}

/**
 * Object storage. Keys are plain strings ("backups/b1/velero-backup.json"); the store decides how
 * they map to its namespace.
 *
 * Example of listCommonPrefixes: with keys `a/b1/x` and `a/b2/y`,
 * `listCommonPrefixes(bucket, "a/", "/")` returns `["a/b1/", "a/b2/"]` (full prefixes, trailing
 * delimiter kept, one level only).
 */
export interface ObjectStore {
  /**
   * (Re)configures the store. May be called more than once on the same instance. `config` is the
   * location's `spec.config` plus what every host adds: `bucket` and `prefix` always, `caCert`
   * and `credentialsFile` when the location sets them (validateObjectStoreConfigKeys allows them).
   */
  init(config: Record<string, string>): Promise<void>;
  /** Writes the object, replacing any existing one. The body is streamed, never buffered whole. */
  putObject(bucket: string, key: string, body: Readable): Promise<void>;
  /** False, not an error, when the object is missing. */
  objectExists(bucket: string, key: string): Promise<boolean>;
  /** A stream of the object's bytes; rejects with NotFoundError when it is missing. */
  getObject(bucket: string, key: string): Promise<Readable>;
  listCommonPrefixes(bucket: string, prefix: string, delimiter: string): Promise<string[]>;
  /** Every key under the prefix, recursively, across all pages. */
  listObjects(bucket: string, prefix: string): Promise<string[]>;
  /** Deleting a missing object succeeds. */
  deleteObject(bucket: string, key: string): Promise<void>;
  /**
   * A URL that fetches the object with a plain GET until `ttlMs` from now. A store that cannot
   * make one throws UnsupportedError (the CLI's `logs`, `describe --details` and `download` need it).
   */
  createSignedUrl(bucket: string, key: string, ttlMs: number): Promise<string>;
}

export interface CreateVolumeFromSnapshotInput {
  snapshotId: string;
  volumeType: string;
  volumeAZ: string;
  /** Undefined or 0 means not set. */
  iops?: number;
}

export interface VolumeInfo {
  volumeType: string;
  /** Undefined when the provider has no IOPS setting. */
  iops?: number;
}

/** Native volume snapshots of a storage provider. */
export interface VolumeSnapshotter {
  /**
   * (Re)configures the snapshotter: the VolumeSnapshotLocation's `spec.config`, plus
   * `credentialsFile` when the location sets `spec.credential`.
   */
  init(config: Record<string, string>): Promise<void>;
  /** Creates a new volume from the snapshot and returns its ID. */
  createVolumeFromSnapshot(input: CreateVolumeFromSnapshotInput): Promise<string>;
  getVolumeInfo(volumeId: string, volumeAZ: string): Promise<VolumeInfo>;
  /** Snapshots the volume, applying the tags; returns the snapshot ID. */
  createSnapshot(volumeId: string, volumeAZ: string, tags: Record<string, string>): Promise<string>;
  /** Deleting a snapshot that does not exist succeeds. */
  deleteSnapshot(snapshotId: string): Promise<void>;
  /** The provider's volume ID of the PV, or "" when the PV is not this provider's. */
  getVolumeId(pv: UnstructuredItem): Promise<string>;
  /** The PV rewritten to point at `volumeId`. */
  setVolumeId(pv: UnstructuredItem, volumeId: string): Promise<UnstructuredItem>;
}

export interface BackupItemActionOutput {
  /** The item to back up; return the input unchanged when there is nothing to change. */
  item: UnstructuredItem;
  /** Other items to back up with it; absent: none. */
  additionalItems?: ResourceIdentifier[];
}

/** Runs on each backed-up item the selector matches (Velero's v1 BackupItemAction). */
export interface BackupItemAction {
  appliesTo(): Promise<ResourceSelectorInit>;
  execute(item: UnstructuredItem, backup: Backup): Promise<BackupItemActionOutput>;
}

export interface BackupItemActionV2Output extends BackupItemActionOutput {
  /** Non-empty: an asynchronous operation was started and is tracked by ID; absent: none. */
  operationId?: string;
  /** Items backed up again once the operation completes; absent: none. */
  postOperationItems?: ResourceIdentifier[];
}

/** Velero's v2 BackupItemAction: adds asynchronous operations. */
export interface BackupItemActionV2 {
  appliesTo(): Promise<ResourceSelectorInit>;
  execute(item: UnstructuredItem, backup: Backup): Promise<BackupItemActionV2Output>;
  progress(operationId: string, backup: Backup): Promise<OperationProgress>;
  cancel(operationId: string, backup: Backup): Promise<void>;
}

export interface RestoreItemActionInput {
  /** The item about to be restored (after earlier actions). */
  item: UnstructuredItem;
  /** The item exactly as it is in the backup. */
  itemFromBackup: UnstructuredItem;
  restore: Restore;
}

export interface RestoreItemActionOutput {
  /** Always returned, even when skipRestore is true. */
  item: UnstructuredItem;
  /** Items to restore before it; absent: none. */
  additionalItems?: ResourceIdentifier[];
  /** Absent: false. */
  skipRestore?: boolean;
}

/** Runs on each restored item the selector matches (Velero's v1 RestoreItemAction). */
export interface RestoreItemAction {
  appliesTo(): Promise<ResourceSelectorInit>;
  execute(input: RestoreItemActionInput): Promise<RestoreItemActionOutput>;
}

export interface RestoreItemActionV2Output extends RestoreItemActionOutput {
  /** Non-empty: an asynchronous operation was started; absent: none. */
  operationId?: string;
  /** Wait for the additional items to be ready (areAdditionalItemsReady) before continuing; absent: false. */
  waitForAdditionalItems?: boolean;
  /** Milliseconds; 0 or absent means the restore's default. */
  additionalItemsReadyTimeoutMs?: number;
}

/** Velero's v2 RestoreItemAction. */
export interface RestoreItemActionV2 {
  appliesTo(): Promise<ResourceSelectorInit>;
  execute(input: RestoreItemActionInput): Promise<RestoreItemActionV2Output>;
  progress(operationId: string, restore: Restore): Promise<OperationProgress>;
  cancel(operationId: string, restore: Restore): Promise<void>;
  areAdditionalItemsReady(additionalItems: ResourceIdentifier[], restore: Restore): Promise<boolean>;
}

/** Runs on each item of a backup that is being deleted. */
export interface DeleteItemAction {
  appliesTo(): Promise<ResourceSelectorInit>;
  execute(item: UnstructuredItem, backup: Backup): Promise<void>;
}

/** Groups an item with related items so they are backed up together. */
export interface ItemBlockAction {
  appliesTo(): Promise<ResourceSelectorInit>;
  getRelatedItems(item: UnstructuredItem, backup: Backup): Promise<ResourceIdentifier[]>;
}

/** The implementation type for each kind. */
export interface PluginKindMap {
  ObjectStore: ObjectStore;
  VolumeSnapshotter: VolumeSnapshotter;
  BackupItemAction: BackupItemAction;
  BackupItemActionV2: BackupItemActionV2;
  RestoreItemAction: RestoreItemAction;
  RestoreItemActionV2: RestoreItemActionV2;
  DeleteItemAction: DeleteItemAction;
  ItemBlockAction: ItemBlockAction;
}

/** An empty selector: applies to everything. */
export function emptyResourceSelector(): ResourceSelector {
  return resourceSelectorOf({});
}
