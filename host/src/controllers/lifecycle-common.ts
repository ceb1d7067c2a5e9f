/**
 * Small pieces shared by the lifecycle controllers (schedule, GC, deletion, sync, download and
 * server-status requests).
 */
import { LABELS, type Backup, type BackupStorageLocation, type UnstructuredItem } from "@velero-ts/plugin-sdk";
import type { GroupVersionResource, KubeClient } from "../kube/client.js";

/**
 * Parses an RFC 3339 time; undefined when absent or unparseable. Accepts a Date too: metadata
 * times are typed as Date by client-node but arrive as strings in unstructured JSON.
 */
/** The schedule a backup came from ("" for none): the label Velero's metrics are keyed by. */
export function scheduleOf(backup: { metadata: { labels?: Record<string, string> } }): string {
  return backup.metadata.labels?.[LABELS.scheduleName] ?? "";
}

export function parseKubeTime(value: string | Date | undefined | null): Date | undefined {
  if (!value) return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

export { validLabelValue } from "../shared/label-value.js";

/**
 * A location a backup may be written to or deleted from: Available and not ReadOnly (a cached
 * copy saying otherwise is read afresh before anything is refused on it).
 */
export function isWritableAndAvailable(object: UnstructuredItem): boolean {
  const location = object as unknown as BackupStorageLocation;
  return location.status?.phase === "Available" && location.spec.accessMode !== "ReadOnly";
}

/** "a=b,c=d" for an equality label selector. */
export function labelSelectorOf(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}

/**
 * Patches `status` of a velero.io object. Velero's CRDs have no status subresource, so status is
 * written through the main resource (a JSON merge patch: null deletes a field).
 */
export async function patchStatus(
  kube: KubeClient,
  gvr: GroupVersionResource,
  object: { metadata: { name?: string; namespace?: string } },
  status: Record<string, unknown>,
): Promise<void> {
  await kube.patch(gvr, object.metadata.name ?? "", object.metadata.namespace, { status });
}

/** Splits "namespace/name" (or "name") into its parts. */
export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const slash = key.indexOf("/");
  return slash < 0 ? { namespace: undefined, name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** A timer delay that is never negative and lands just after the target instant. */
export function delayUntil(target: Date, now: Date): number {
  return Math.max(0, target.getTime() - now.getTime()) + TIMER_MARGIN_MS;
}

/** Added to timer delays so a requeue lands strictly after the instant it waits for. */
export const TIMER_MARGIN_MS = 50;

/** The failure of a backup whose name the bucket already holds (another cluster's, or one not synced yet). */
export const BACKUP_EXISTS_IN_STORAGE = "backup already exists in object storage";

/**
 * Whether a Backup failed because the bucket already held a backup of its name: the files and
 * snapshots under that name are the other backup's, and deleting this one must leave them.
 */
export function failedOnAnotherBackupsName(backup: Backup): boolean {
  return backup.status?.phase === "Failed" && backup.status.failureReason === BACKUP_EXISTS_IN_STORAGE;
}

