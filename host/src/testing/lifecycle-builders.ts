/**
 * Builders for the velero.io objects the lifecycle controllers' tests use (schedules, backups,
 * locations). Test-only.
 */
import type { Backup, BackupPhase, BackupStorageLocation, Schedule, UnstructuredItem } from "@velero-ts/plugin-sdk";

/** Builders for the velero.io objects the lifecycle tests use. */
export function forSchedule(namespace: string, name: string, spec: Partial<Schedule["spec"]> = {}): Schedule {
  return {
    apiVersion: "velero.io/v1",
    kind: "Schedule",
    metadata: { namespace, name },
    spec: { schedule: "@every 5s", template: {}, ...spec },
  };
}

export function forBackup(namespace: string, name: string, init: { phase?: BackupPhase; location?: string; labels?: Record<string, string>; expiration?: string; uid?: string } = {}): Backup {
  const labels = { ...(init.labels ?? {}) };
  if (init.location) labels["velero.io/storage-location"] = init.location;
  const backup: Backup = {
    apiVersion: "velero.io/v1",
    kind: "Backup",
    metadata: { namespace, name, labels },
    spec: init.location ? { storageLocation: init.location } : {},
    status: {},
  };
  if (init.uid) backup.metadata.uid = init.uid;
  if (init.phase) backup.status = { ...backup.status, phase: init.phase };
  if (init.expiration) backup.status = { ...backup.status, expiration: init.expiration };
  return backup;
}

export function forLocation(namespace: string, name: string, init: { accessMode?: "ReadWrite" | "ReadOnly"; phase?: "Available" | "Unavailable"; syncPeriod?: string; lastSyncedTime?: string } = {}): BackupStorageLocation {
  const bsl: BackupStorageLocation = {
    apiVersion: "velero.io/v1",
    kind: "BackupStorageLocation",
    metadata: { namespace, name },
    spec: { provider: "velero.io/fake", objectStorage: { bucket: "bucket" } },
    status: {},
  };
  if (init.accessMode) bsl.spec.accessMode = init.accessMode;
  if (init.syncPeriod !== undefined) bsl.spec.backupSyncPeriod = init.syncPeriod;
  bsl.status = { phase: init.phase ?? "Available", ...(init.lastSyncedTime ? { lastSyncedTime: init.lastSyncedTime } : {}) };
  return bsl;
}

/** Casts a typed velero object to the unstructured form the KubeClient takes. */
export function u(object: { metadata: object }): UnstructuredItem {
  return object as unknown as UnstructuredItem;
}
