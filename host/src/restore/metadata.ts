/** Per-item metadata handling of the restorer (velero-compat.md 5.3) and JSON helpers. */
import { isDeepStrictEqual } from "node:util";
import { LABELS, type UnstructuredItem } from "@velero-ts/plugin-sdk";
import { validLabelValue } from "../shared/label-value.js";

/** Metadata fields removed from every item before restore item actions run. */
export const STRIPPED_METADATA_FIELDS = [
  "generateName",
  "selfLink",
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "ownerReferences",
] as const;

export const ANNOTATION_RESTORE_STATUS = "velero.io/restore-status";
export const ANNOTATION_ORIGINAL_PV_NAME = "velero.io/original-pv-name";
export const ANN_BIND_COMPLETED = "pv.kubernetes.io/bind-completed";
export const ANN_BOUND_BY_CONTROLLER = "pv.kubernetes.io/bound-by-controller";
export const ANN_MIRROR_POD = "kubernetes.io/config.mirror";

export function deepClone<T>(value: T): T {
  return structuredClone(value);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(a, b);
}

export { validLabelValue };

/** Removes the server-owned metadata fields and `status`, in place. */
export function resetMetadataAndStatus(item: UnstructuredItem): UnstructuredItem {
  const meta = item.metadata as unknown as Record<string, unknown>;
  for (const field of STRIPPED_METADATA_FIELDS) delete meta[field];
  delete item.status;
  return item;
}

export function addRestoreLabels(item: UnstructuredItem, restoreName: string, backupName: string): void {
  item.metadata.labels = {
    ...(item.metadata.labels ?? {}),
    [LABELS.backupName]: validLabelValue(backupName),
    [LABELS.restoreName]: validLabelValue(restoreName),
  };
}

/** Clears claimRef uid/resourceVersion and the PV controller's binding annotations (PVs and PVCs). */
export function resetVolumeBindingInfo(item: UnstructuredItem): UnstructuredItem {
  const spec = item.spec as Record<string, unknown> | undefined;
  const claimRef = spec?.claimRef as Record<string, unknown> | undefined;
  if (claimRef) {
    delete claimRef.uid;
    delete claimRef.resourceVersion;
  }
  const annotations = item.metadata.annotations;
  if (annotations) {
    delete annotations[ANN_BIND_COMPLETED];
    delete annotations[ANN_BOUND_BY_CONTROLLER];
  }
  return item;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * RFC 7386 merge patch turning `original` into `modified` (nulls delete keys), or undefined when
 * they are equal. Arrays are replaced whole, as in JSON merge patch.
 */
export function createMergePatch(original: unknown, modified: unknown): Record<string, unknown> | undefined {
  if (!isPlainObject(original) || !isPlainObject(modified)) throw new Error("merge patch needs two JSON objects");
  const patch: Record<string, unknown> = {};
  for (const key of Object.keys(original)) {
    if (!(key in modified)) patch[key] = null;
  }
  for (const [key, value] of Object.entries(modified)) {
    const before = original[key];
    if (isPlainObject(before) && isPlainObject(value)) {
      const sub = createMergePatch(before, value);
      if (sub) patch[key] = sub;
    } else if (!isDeepStrictEqual(before, value)) {
      patch[key] = value === undefined ? null : deepClone(value);
    }
  }
  return Object.keys(patch).length === 0 ? undefined : patch;
}

/** Applies an RFC 7386 merge patch, returning a new value. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return deepClone(patch);
  const out: Record<string, unknown> = isPlainObject(target) ? deepClone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = applyMergePatch(out[key], value);
  }
  return out;
}

/** Reads a nested field (undefined when any step is missing or not an object). */
export function getPath(obj: unknown, ...keys: string[]): unknown {
  let cur = obj;
  for (const k of keys) {
    if (!isPlainObject(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

export function namespaceAndName(item: UnstructuredItem): string {
  return item.metadata.namespace ? `${item.metadata.namespace}/${item.metadata.name}` : item.metadata.name;
}
