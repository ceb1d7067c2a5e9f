/**
 * velero-backup.json byte for byte as Velero v1.18.1 writes it. Velero encodes the Backup with
 * pkg/util/encode.To(backup, "json"): apimachinery's pretty JSON serializer, which is
 * encoding/json's MarshalIndent(obj, "", "  ") with no trailing newline. So the fields come in
 * Go struct order (pkg/apis/velero/v1/backup_types.go, apimachinery's TypeMeta and ObjectMeta),
 * `omitempty` drops zero scalars, nil pointers and empty slices and maps but never a struct (the
 * spec's `metadata: {}` and `hooks: {}`, a zero Duration as "0s", a missing creationTimestamp as
 * null), maps come with sorted keys, times as RFC 3339 seconds in UTC, durations as Go's
 * Duration.String(). Fields the Go structs do not know (a newer CRD's) are kept, after the known
 * ones of their object.
 *
 * The encoders build the JSON text directly (not a JS object, whose integer-like keys JavaScript
 * would reorder), compact, then indent it as Go's json.Indent does.
 */
import type { Backup } from "@velero-ts/plugin-sdk";
import { formatGoDuration, tryParseGoDuration } from "../shared/duration.js";
import { compareUtf8 } from "../shared/utf8-order.js";
import { goQuote, indentGo, marshalGo } from "./go-json.js";

/** One field's JSON text, or undefined to leave the field out. */
type Encoder = (value: unknown) => string | undefined;
type Struct = readonly (readonly [string, Encoder])[];

const isEmpty = (v: unknown): boolean => v === undefined || v === null;
const asRecord = (v: unknown): Record<string, unknown> => (v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/** A scalar (string, number, bool) with `omitempty`: left out when zero. */
const scalar: Encoder = (v) => (isEmpty(v) || v === "" || v === 0 || v === false ? undefined : marshalGo(v));
/** A string without `omitempty`: "" when absent. */
const requiredString: Encoder = (v) => marshalGo(v ?? "");
/** A pointer with `omitempty` (to a bool, an int...): written when set, even to a zero value. */
const pointer: Encoder = (v) => (isEmpty(v) ? undefined : marshalGo(v, { sortKeys: false }));
/** A pointer without `omitempty`: null when unset. */
const requiredPointer: Encoder = (v) => marshalGo(v ?? null, { sortKeys: false });
/** A []string with `omitempty`. */
const strings: Encoder = (v) => (Array.isArray(v) && v.length > 0 ? marshalGo(v) : undefined);
/** A []string without `omitempty`: null when nil. */
const requiredStrings: Encoder = (v) => (Array.isArray(v) ? marshalGo(v) : "null");
/** A map[string]string with `omitempty`: keys sorted by their bytes, as Go writes maps. */
const stringMap: Encoder = (v) => {
  const m = asRecord(v);
  const keys = Object.keys(m).filter((k) => m[k] !== undefined);
  if (keys.length === 0) return undefined;
  return "{" + keys.sort(compareUtf8).map((k) => `${goQuote(k)}:${marshalGo(m[k])}`).join(",") + "}";
};
/** A (non-pointer) struct: always written, `omitempty` or not. */
const struct =
  (fields: Struct): Encoder =>
  (v) =>
    encodeStruct(fields, v);
/** A pointer to a struct with `omitempty`. */
const structPointer =
  (fields: Struct): Encoder =>
  (v) =>
    isEmpty(v) ? undefined : encodeStruct(fields, v);
/** A slice of structs with `omitempty`. */
const structs =
  (fields: Struct): Encoder =>
  (v) =>
    Array.isArray(v) && v.length > 0 ? "[" + v.map((e) => encodeStruct(fields, e)).join(",") + "]" : undefined;
/** A slice of pointers to structs with `omitempty` (a nil element is null). */
const structPointers =
  (fields: Struct): Encoder =>
  (v) =>
    Array.isArray(v) && v.length > 0 ? "[" + v.map((e) => (isEmpty(e) ? "null" : encodeStruct(fields, e))).join(",") + "]" : undefined;

/** metav1.Time's MarshalJSON: RFC 3339 in UTC, whole seconds (the fraction dropped). */
function goTime(v: unknown): string {
  const ms = v instanceof Date ? v.getTime() : typeof v === "string" ? Date.parse(v) : NaN;
  if (Number.isNaN(ms)) return marshalGo(v);
  return goQuote(new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z"));
}
/** A metav1.Time (a struct): always written, null when zero. */
const time: Encoder = (v) => (isEmpty(v) || v === "" ? "null" : goTime(v));
/** A *metav1.Time with `omitempty`. */
const timePointer: Encoder = (v) => (isEmpty(v) ? undefined : goTime(v));
/** A metav1.Duration (a struct): always written, as Go's Duration.String() ("0s" when zero). */
const duration: Encoder = (v) => {
  if (isEmpty(v) || v === "") return '"0s"';
  const ms = typeof v === "string" ? tryParseGoDuration(v) : undefined;
  return ms === undefined ? marshalGo(v) : goQuote(formatGoDuration(ms));
};
/** FieldsV1: its raw JSON, as the API server sent it (key order kept). */
const raw: Encoder = (v) => (isEmpty(v) ? undefined : marshalGo(v, { sortKeys: false }));

/** The struct's known fields in order, then the fields it does not know, as they came. */
function encodeStruct(fields: Struct, value: unknown): string {
  const obj = asRecord(value);
  const parts: string[] = [];
  for (const [key, encode] of fields) {
    const json = encode(obj[key]);
    if (json !== undefined) parts.push(`${goQuote(key)}:${json}`);
  }
  for (const key of Object.keys(obj)) {
    if (obj[key] === undefined || fields.some(([known]) => known === key)) continue;
    parts.push(`${goQuote(key)}:${marshalGo(obj[key], { sortKeys: false })}`);
  }
  return "{" + parts.join(",") + "}";
}

// apimachinery pkg/apis/meta/v1 (v0.33)
const LABEL_SELECTOR: Struct = [
  ["matchLabels", stringMap],
  ["matchExpressions", structs([["key", requiredString], ["operator", requiredString], ["values", strings]])],
];
const OWNER_REFERENCE: Struct = [
  ["apiVersion", requiredString],
  ["kind", requiredString],
  ["name", requiredString],
  ["uid", requiredString],
  ["controller", pointer],
  ["blockOwnerDeletion", pointer],
];
const MANAGED_FIELDS_ENTRY: Struct = [
  ["manager", scalar],
  ["operation", scalar],
  ["apiVersion", scalar],
  ["time", timePointer],
  ["fieldsType", scalar],
  ["fieldsV1", raw],
  ["subresource", scalar],
];
const OBJECT_META: Struct = [
  ["name", scalar],
  ["generateName", scalar],
  ["namespace", scalar],
  ["selfLink", scalar],
  ["uid", scalar],
  ["resourceVersion", scalar],
  ["generation", scalar],
  ["creationTimestamp", time],
  ["deletionTimestamp", timePointer],
  ["deletionGracePeriodSeconds", pointer],
  ["labels", stringMap],
  ["annotations", stringMap],
  ["ownerReferences", structs(OWNER_REFERENCE)],
  ["finalizers", strings],
  ["managedFields", structs(MANAGED_FIELDS_ENTRY)],
];

/** corev1.TypedLocalObjectReference (its apiGroup pointer has no omitempty: null when unset). */
const TYPED_LOCAL_OBJECT_REFERENCE = structPointer([["apiGroup", requiredPointer], ["kind", requiredString], ["name", requiredString]]);
/** Velero's *HookStatus (backups and restores). */
const HOOK_STATUS = structPointer([["hooksAttempted", scalar], ["hooksFailed", scalar]]);
/** A top-level API object: TypeMeta inline, ObjectMeta, then its spec and status structs. */
const apiObject = (spec: Struct, status: Struct): Struct => [
  ["kind", scalar],
  ["apiVersion", scalar],
  ["metadata", struct(OBJECT_META)],
  ["spec", struct(spec)],
  ["status", struct(status)],
];

// Velero pkg/apis/velero/v1/backup_types.go (v1.18.1)
const EXEC_HOOK: Struct = [
  ["container", scalar],
  ["command", requiredStrings],
  ["onError", scalar],
  ["timeout", duration],
];
const BACKUP_RESOURCE_HOOK_SPEC: Struct = [
  ["name", requiredString],
  ["includedNamespaces", strings],
  ["excludedNamespaces", strings],
  ["includedResources", strings],
  ["excludedResources", strings],
  ["labelSelector", structPointer(LABEL_SELECTOR)],
  ["pre", structs([["exec", (v) => (isEmpty(v) ? "null" : encodeStruct(EXEC_HOOK, v))]])],
  ["post", structs([["exec", (v) => (isEmpty(v) ? "null" : encodeStruct(EXEC_HOOK, v))]])],
];
const BACKUP_SPEC: Struct = [
  ["metadata", struct([["labels", stringMap]])],
  ["includedNamespaces", strings],
  ["excludedNamespaces", strings],
  ["includedResources", strings],
  ["excludedResources", strings],
  ["includedClusterScopedResources", strings],
  ["excludedClusterScopedResources", strings],
  ["includedNamespaceScopedResources", strings],
  ["excludedNamespaceScopedResources", strings],
  ["labelSelector", structPointer(LABEL_SELECTOR)],
  ["orLabelSelectors", structPointers(LABEL_SELECTOR)],
  ["snapshotVolumes", pointer],
  ["ttl", duration],
  ["volumeGroupSnapshotLabelKey", scalar],
  ["includeClusterResources", pointer],
  ["hooks", struct([["resources", structs(BACKUP_RESOURCE_HOOK_SPEC)]])],
  ["storageLocation", scalar],
  ["volumeSnapshotLocations", strings],
  ["defaultVolumesToRestic", pointer],
  ["defaultVolumesToFsBackup", pointer],
  ["orderedResources", stringMap],
  ["csiSnapshotTimeout", duration],
  ["itemOperationTimeout", duration],
  ["resourcePolicy", TYPED_LOCAL_OBJECT_REFERENCE],
  ["snapshotMoveData", pointer],
  ["datamover", scalar],
  ["uploaderConfig", structPointer([["parallelFilesUpload", scalar]])],
];
const BACKUP_STATUS: Struct = [
  ["version", scalar],
  ["formatVersion", scalar],
  ["expiration", timePointer],
  ["phase", scalar],
  ["queuePosition", scalar],
  ["validationErrors", strings],
  ["startTimestamp", timePointer],
  ["completionTimestamp", timePointer],
  ["volumeSnapshotsAttempted", scalar],
  ["volumeSnapshotsCompleted", scalar],
  ["failureReason", scalar],
  ["warnings", scalar],
  ["errors", scalar],
  ["progress", structPointer([["totalItems", scalar], ["itemsBackedUp", scalar]])],
  ["csiVolumeSnapshotsAttempted", scalar],
  ["csiVolumeSnapshotsCompleted", scalar],
  ["backupItemOperationsAttempted", scalar],
  ["backupItemOperationsCompleted", scalar],
  ["backupItemOperationsFailed", scalar],
  ["hookStatus", HOOK_STATUS],
];
const BACKUP = apiObject(BACKUP_SPEC, BACKUP_STATUS);

/** velero-backup.json: the Backup as Velero's encode.To(backup, "json") writes it (no trailing newline). */
export function encodeBackupMetadata(backup: Backup): string {
  return indentGo(encodeStruct(BACKUP, { ...backup, kind: "Backup", apiVersion: "velero.io/v1" }));
}

// Velero pkg/apis/velero/v1/schedule_types.go (v1.18.1)
const SCHEDULE_SPEC: Struct = [
  ["template", struct(BACKUP_SPEC)],
  ["schedule", requiredString],
  ["useOwnerReferencesInBackup", pointer],
  ["paused", scalar],
  ["skipImmediately", pointer],
];
const SCHEDULE_STATUS: Struct = [["phase", scalar], ["lastBackup", timePointer], ["lastSkipped", timePointer], ["validationErrors", strings]];
const SCHEDULE = apiObject(SCHEDULE_SPEC, SCHEDULE_STATUS);

// k8s.io/api/core/v1 (v0.33)
const SECRET_KEY_SELECTOR: Struct = [
  ["name", scalar],
  ["key", requiredString],
  ["optional", pointer],
];
/** A *metav1.Duration with `omitempty`: written when set. */
const durationPointer: Encoder = (v) => (isEmpty(v) ? undefined : duration(v));

// Velero pkg/apis/velero/v1/backupstoragelocation_types.go (v1.18.1)
const BACKUP_STORAGE_LOCATION_SPEC: Struct = [
  ["provider", requiredString],
  ["config", stringMap],
  ["credential", structPointer(SECRET_KEY_SELECTOR)],
  // StorageType, inline: a pointer without omitempty
  ["objectStorage", (v) => (isEmpty(v) ? "null" : encodeStruct([["bucket", requiredString], ["prefix", scalar], ["caCert", scalar], ["caCertRef", structPointer(SECRET_KEY_SELECTOR)]], v))],
  ["default", scalar],
  ["accessMode", scalar],
  ["backupSyncPeriod", durationPointer],
  ["validationFrequency", durationPointer],
];
const BACKUP_STORAGE_LOCATION_STATUS: Struct = [
  ["phase", scalar],
  ["lastSyncedTime", timePointer],
  ["lastValidationTime", timePointer],
  ["message", scalar],
  ["lastSyncedRevision", scalar],
  ["accessMode", scalar],
];
const BACKUP_STORAGE_LOCATION = apiObject(BACKUP_STORAGE_LOCATION_SPEC, BACKUP_STORAGE_LOCATION_STATUS);

// Velero pkg/apis/velero/v1/volume_snapshot_location_type.go (v1.18.1)
const VOLUME_SNAPSHOT_LOCATION_SPEC: Struct = [["provider", requiredString], ["config", stringMap], ["credential", structPointer(SECRET_KEY_SELECTOR)]];
const VOLUME_SNAPSHOT_LOCATION_STATUS: Struct = [["phase", scalar]];
const VOLUME_SNAPSHOT_LOCATION = apiObject(VOLUME_SNAPSHOT_LOCATION_SPEC, VOLUME_SNAPSHOT_LOCATION_STATUS);

// Velero pkg/apis/velero/v1/restore_types.go (v1.18.1)
const EXEC_RESTORE_HOOK: Struct = [
  ["container", scalar],
  ["command", requiredStrings],
  ["onError", scalar],
  ["execTimeout", duration],
  ["waitTimeout", duration],
  ["waitForReady", pointer],
];
const INIT_RESTORE_HOOK: Struct = [
  // runtime.RawExtension: each container's JSON as it is
  ["initContainers", (v) => (Array.isArray(v) ? marshalGo(v, { sortKeys: false }) : "null")],
  ["timeout", duration],
];
const RESTORE_RESOURCE_HOOK_SPEC: Struct = [
  ["name", requiredString],
  ["includedNamespaces", strings],
  ["excludedNamespaces", strings],
  ["includedResources", strings],
  ["excludedResources", strings],
  ["labelSelector", structPointer(LABEL_SELECTOR)],
  ["postHooks", structs([["exec", structPointer(EXEC_RESTORE_HOOK)], ["init", structPointer(INIT_RESTORE_HOOK)]])],
];
const RESTORE_SPEC: Struct = [
  ["backupName", scalar],
  ["scheduleName", scalar],
  ["includedNamespaces", strings],
  ["excludedNamespaces", strings],
  ["includedResources", strings],
  ["excludedResources", strings],
  ["namespaceMapping", stringMap],
  ["labelSelector", structPointer(LABEL_SELECTOR)],
  ["orLabelSelectors", structPointers(LABEL_SELECTOR)],
  ["restorePVs", pointer],
  ["restoreStatus", structPointer([["includedResources", strings], ["excludedResources", strings]])],
  ["preserveNodePorts", pointer],
  ["includeClusterResources", pointer],
  ["hooks", struct([["resources", structs(RESTORE_RESOURCE_HOOK_SPEC)]])],
  ["existingResourcePolicy", scalar],
  ["itemOperationTimeout", duration],
  ["resourceModifier", TYPED_LOCAL_OBJECT_REFERENCE],
  ["uploaderConfig", structPointer([["writeSparseFiles", pointer], ["parallelFilesDownload", scalar]])],
];
const RESTORE_STATUS: Struct = [
  ["phase", scalar],
  ["validationErrors", strings],
  ["warnings", scalar],
  ["errors", scalar],
  ["failureReason", scalar],
  ["startTimestamp", timePointer],
  ["completionTimestamp", timePointer],
  ["progress", structPointer([["totalItems", scalar], ["itemsRestored", scalar]])],
  ["restoreItemOperationsAttempted", scalar],
  ["restoreItemOperationsCompleted", scalar],
  ["restoreItemOperationsFailed", scalar],
  ["hookStatus", HOOK_STATUS],
];
const RESTORE = apiObject(RESTORE_SPEC, RESTORE_STATUS);

/** metav1.ListMeta, then the items (a nil slice is null; Velero's lists are never nil). */
const listOf = (item: Struct): Struct => [
  ["kind", scalar],
  ["apiVersion", scalar],
  ["metadata", struct([["selfLink", scalar], ["resourceVersion", scalar], ["continue", scalar], ["remainingItemCount", pointer]])],
  ["items", (v) => (Array.isArray(v) ? "[" + v.map((e) => encodeStruct(item, e)).join(",") + "]" : "null")],
];

const TYPED: Readonly<Record<string, Struct>> = {
  Backup: BACKUP,
  BackupList: listOf(BACKUP),
  Schedule: SCHEDULE,
  ScheduleList: listOf(SCHEDULE),
  Restore: RESTORE,
  RestoreList: listOf(RESTORE),
  BackupStorageLocation: BACKUP_STORAGE_LOCATION,
  BackupStorageLocationList: listOf(BACKUP_STORAGE_LOCATION),
  VolumeSnapshotLocation: VOLUME_SNAPSHOT_LOCATION,
  VolumeSnapshotLocationList: listOf(VOLUME_SNAPSHOT_LOCATION),
};

/**
 * A Backup, Schedule, Restore, BackupStorageLocation or VolumeSnapshotLocation (or a list of
 * them) as Velero's CLI prints it (`get`/`create -o json`): its
 * typed Go value through encoding/json, indented by two spaces, so with the Go struct's field
 * order and zero values (`"hooks": {}`, `"ttl": "0s"`, `"status": {}`). Undefined for other kinds.
 */
export function encodeTypedVeleroObject(obj: { kind?: unknown }): string | undefined {
  const fields = typeof obj.kind === "string" ? TYPED[obj.kind] : undefined;
  return fields ? indentGo(encodeStruct(fields, obj)) : undefined;
}

