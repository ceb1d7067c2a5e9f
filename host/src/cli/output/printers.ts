/**
 * Table columns and rows for every `get` command, column for column as Velero's
 * pkg/cmd/util/output/*_printer.go define them.
 */
import type {
  Backup,
  BackupRepository,
  BackupStorageLocation,
  PluginInfo,
  Restore,
  Schedule,
  VolumeSnapshotLocation,
} from "@velero-ts/plugin-sdk";
import { parseGoDuration, normalizeDuration } from "../flags/duration.js";
import { formatLabelSelector } from "../flags/label-selector.js";
import { formatGoTime, humanReadableTimeFromNow } from "./format.js";
import type { Table, TableRow } from "./table.js";

const TIMESTAMP_SUFFIX = /-[0-9]{14}$/;

/**
 * A metav1.Time field (a struct, not a pointer) as Go prints it: an object not created yet (`create
 * -o table`) has the zero time, which Go prints as such, where a pointer's absence prints "<nil>".
 */
function formatStructTime(value: string | Date | undefined): string {
  return value ? formatGoTime(value) : "0001-01-01 00:00:00 +0000 UTC";
}

/** Velero's sortBackupsByPrefixAndTimestamp: by name, but a schedule's backups newest first. */
export function sortBackups(backups: Backup[]): Backup[] {
  return [...backups].sort((a, b) => {
    const an = a.metadata.name ?? "";
    const bn = b.metadata.name ?? "";
    const ai = TIMESTAMP_SUFFIX.exec(an);
    const bi = TIMESTAMP_SUFFIX.exec(bn);
    if (!ai || !bi || an.slice(0, ai.index) !== bn.slice(0, bi.index)) return an < bn ? -1 : an > bn ? 1 : 0;
    return an.slice(ai.index) >= bn.slice(bi.index) ? -1 : 1;
  });
}

function backupExpiration(backup: Backup): Date | undefined {
  if (backup.status?.expiration) return new Date(backup.status.expiration);
  const ttl = parseGoDuration(backup.spec.ttl ?? "0s") ?? 0;
  const created = backup.metadata.creationTimestamp;
  if (ttl > 0 && created) return new Date(new Date(created).getTime() + ttl / 1e6);
  return undefined;
}

export function backupTable(backups: Backup[], now: Date): Table {
  return {
    columns: ["Name", "Status", "Errors", "Warnings", "Created", "Expires", "Storage Location", "Queue Position", "Selector"],
    rows: sortBackups(backups).map(
      (b): TableRow => ({
        labels: b.metadata.labels,
        cells: [
          b.metadata.name ?? "",
          b.metadata.deletionTimestamp ? "Deleting" : (b.status?.phase ?? "New"),
          b.status?.errors ?? 0,
          b.status?.warnings ?? 0,
          formatGoTime(b.status?.startTimestamp),
          humanReadableTimeFromNow(backupExpiration(b), now),
          b.spec.storageLocation ?? "",
          b.status?.queuePosition ? String(b.status.queuePosition) : "",
          formatLabelSelector(b.spec.labelSelector),
        ],
      }),
    ),
  };
}

export function restoreTable(restores: Restore[]): Table {
  return {
    columns: ["Name", "Backup", "Status", "Started", "Completed", "Errors", "Warnings", "Created", "Selector"],
    rows: restores.map((r) => ({
      labels: r.metadata.labels,
      cells: [
        r.metadata.name ?? "",
        r.spec.backupName ?? "",
        r.status?.phase ?? "New",
        formatGoTime(r.status?.startTimestamp),
        formatGoTime(r.status?.completionTimestamp),
        r.status?.errors ?? 0,
        r.status?.warnings ?? 0,
        formatStructTime(r.metadata.creationTimestamp),
        formatLabelSelector(r.spec.labelSelector),
      ],
    })),
  };
}

export function scheduleTable(schedules: Schedule[], now: Date): Table {
  return {
    columns: ["Name", "Status", "Created", "Schedule", "Backup TTL", "Last Backup", "Selector", "Paused"],
    rows: schedules.map((s) => ({
      labels: s.metadata.labels,
      cells: [
        s.metadata.name ?? "",
        s.status?.phase ?? "New",
        formatStructTime(s.metadata.creationTimestamp),
        s.spec.schedule,
        normalizeDuration(s.spec.template?.ttl),
        humanReadableTimeFromNow(s.status?.lastBackup ? new Date(s.status.lastBackup) : undefined, now),
        formatLabelSelector(s.spec.template?.labelSelector),
        s.spec.paused === true,
      ],
    })),
  };
}

export function backupStorageLocationTable(locations: BackupStorageLocation[]): Table {
  return {
    columns: ["Name", "Provider", "Bucket/Prefix", "Phase", "Last Validated", "Access Mode", "Default"],
    rows: locations.map((l) => {
      const prefix = l.spec.objectStorage?.prefix ?? "";
      return {
        labels: l.metadata.labels,
        cells: [
          l.metadata.name ?? "",
          l.spec.provider,
          (l.spec.objectStorage?.bucket ?? "") + (prefix ? `/${prefix}` : ""),
          l.status?.phase ?? "Unknown",
          l.status?.lastValidationTime ? formatGoTime(l.status.lastValidationTime) : "Unknown",
          l.spec.accessMode || "ReadWrite",
          l.spec.default ? "true" : "",
        ],
      };
    }),
  };
}

export function volumeSnapshotLocationTable(locations: VolumeSnapshotLocation[]): Table {
  return {
    columns: ["Name", "Provider"],
    rows: locations.map((l) => ({ labels: l.metadata.labels, cells: [l.metadata.name ?? "", l.spec.provider] })),
  };
}

export function backupRepositoryTable(repos: BackupRepository[]): Table {
  return {
    columns: ["Name", "Status", "Last Maintenance"],
    rows: repos.map((r) => ({
      labels: r.metadata.labels,
      cells: [
        r.metadata.name ?? "",
        r.status?.phase ?? "New",
        r.status?.lastMaintenanceTime ? formatGoTime(r.status.lastMaintenanceTime) : "<never>",
      ],
    })),
  };
}

export function pluginTable(plugins: PluginInfo[]): Table {
  const sorted = [...plugins].sort((a, b) =>
    a.kind !== b.kind ? (a.kind < b.kind ? -1 : 1) : a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  return { columns: ["Name", "Kind"], rows: sorted.map((p) => ({ cells: [p.name, p.kind] })) };
}
