import { describe, expect, it, beforeAll } from "vitest";
import type { Backup, BackupStorageLocation, Restore, Schedule } from "@velero-ts/plugin-sdk";
import { DownloadNotFoundError } from "../download-request.js";
import { ANSI_COLORS } from "./colors.js";
import { describeBackupStructured } from "./describe-backup-structured.js";
import { describeBackup } from "./describe-backup.js";
import type { SideFiles } from "./describe-common.js";
import { describeRestore } from "./describe-restore.js";
import { describeSchedule } from "./describe-schedule.js";
import { encodeNewObject, encodeObject } from "./encode.js";
import { backupStorageLocationTable, backupTable, restoreTable, scheduleTable, sortBackups } from "./printers.js";
import { renderTable } from "./table.js";
import { tabwrite, TABLE_TABWRITER } from "./tabwriter.js";

beforeAll(() => {
  process.env.TZ = "UTC";
});

const NOW = new Date("2024-05-01T12:00:00Z");

function backup(name: string, extra: Partial<Backup> = {}): Backup {
  return {
    apiVersion: "velero.io/v1",
    kind: "Backup",
    metadata: { name, namespace: "velero", creationTimestamp: "2024-05-01T11:00:00Z" },
    spec: { includedNamespaces: ["*"], storageLocation: "default", ttl: "720h0m0s", ...extra.spec },
    status: {
      phase: "Completed",
      startTimestamp: "2024-05-01T11:00:00Z",
      completionTimestamp: "2024-05-01T11:00:05Z",
      expiration: "2024-05-31T11:00:00Z",
      formatVersion: "1.1.0",
      progress: { totalItems: 12, itemsBackedUp: 12 },
      ...extra.status,
    },
  };
}

function files(map: Record<string, unknown>): SideFiles {
  return {
    json: async <T>(kind: string, name: string): Promise<T> => {
      if (!(kind in map)) throw new DownloadNotFoundError(kind, name);
      return map[kind] as T;
    },
  };
}

describe("tabwriter", () => {
  it("pads column blocks like Go's text/tabwriter and leaves the last cell alone", () => {
    expect(tabwrite("NAME\tSTATUS\tX\nlong-name-here\tok\ty\n", TABLE_TABWRITER)).toBe("NAME             STATUS   X\nlong-name-here   ok       y\n");
  });
  it("aligns only consecutive lines that share a column", () => {
    expect(tabwrite("a:\t1\nlonger:\t2\n\nb:\t3\n", { minWidth: 0, padding: 2 })).toBe("a:       1\nlonger:  2\n\nb:  3\n");
  });
});

describe("get tables", () => {
  it("prints backups with Velero's columns, newest schedule backups first", () => {
    const backups = [
      backup("daily-20240501000000"),
      backup("daily-20240502000000"),
      backup("test-backup", { spec: { labelSelector: { matchLabels: { app: "iperf3-server" } } } }),
    ];
    expect(sortBackups(backups).map((b) => b.metadata.name)).toEqual(["daily-20240502000000", "daily-20240501000000", "test-backup"]);
    expect(renderTable(backupTable(backups, NOW))).toMatchInlineSnapshot(`
      "NAME                   STATUS      ERRORS   WARNINGS   CREATED                         EXPIRES   STORAGE LOCATION   QUEUE POSITION   SELECTOR
      daily-20240502000000   Completed   0        0          2024-05-01 11:00:00 +0000 UTC   29d       default                             <none>
      daily-20240501000000   Completed   0        0          2024-05-01 11:00:00 +0000 UTC   29d       default                             <none>
      test-backup            Completed   0        0          2024-05-01 11:00:00 +0000 UTC   29d       default                             app=iperf3-server
      "
    `);
  });

  it("prints restores with <nil> for times not set yet", () => {
    const restores: Restore[] = [
      {
        metadata: { name: "test-backup-20240501120000", namespace: "velero", creationTimestamp: "2024-05-01T12:00:00Z" },
        spec: { backupName: "test-backup" },
        status: { phase: "Completed", startTimestamp: "2024-05-01T12:00:00Z", completionTimestamp: "2024-05-01T12:00:03Z", errors: 0, warnings: 2 },
      },
      { metadata: { name: "r2", namespace: "velero", creationTimestamp: "2024-05-01T12:01:00Z" }, spec: { backupName: "b" } },
    ];
    expect(renderTable(restoreTable(restores))).toMatchInlineSnapshot(`
      "NAME                         BACKUP        STATUS      STARTED                         COMPLETED                       ERRORS   WARNINGS   CREATED                         SELECTOR
      test-backup-20240501120000   test-backup   Completed   2024-05-01 12:00:00 +0000 UTC   2024-05-01 12:00:03 +0000 UTC   0        2          2024-05-01 12:00:00 +0000 UTC   <none>
      r2                           b             New         <nil>                           <nil>                           0        0          2024-05-01 12:01:00 +0000 UTC   <none>
      "
    `);
  });

  it("prints schedules and locations", () => {
    const schedule: Schedule = {
      metadata: { name: "test-daily", namespace: "velero", creationTimestamp: "2024-05-01T10:00:00Z" },
      spec: { schedule: "0 1 * * *", template: { ttl: "720h", labelSelector: { matchLabels: { app: "iperf3-server" } } } },
      status: { phase: "Enabled", lastBackup: "2024-05-01T01:00:00Z" },
    };
    expect(renderTable(scheduleTable([schedule], NOW))).toMatchInlineSnapshot(`
      "NAME         STATUS    CREATED                         SCHEDULE    BACKUP TTL   LAST BACKUP   SELECTOR            PAUSED
      test-daily   Enabled   2024-05-01 10:00:00 +0000 UTC   0 1 * * *   720h0m0s     11h ago       app=iperf3-server   false
      "
    `);
    const bsl: BackupStorageLocation = {
      metadata: { name: "default", namespace: "velero" },
      spec: { provider: "aws", objectStorage: { bucket: "velero", prefix: "cluster-a" }, default: true },
      status: { phase: "Available", lastValidationTime: "2024-05-01T11:59:00Z" },
    };
    expect(renderTable(backupStorageLocationTable([bsl]), { showLabels: true })).toMatchInlineSnapshot(`
      "NAME      PROVIDER   BUCKET/PREFIX      PHASE       LAST VALIDATED                  ACCESS MODE   DEFAULT   LABELS
      default   aws        velero/cluster-a   Available   2024-05-01 11:59:00 +0000 UTC   ReadWrite     true      <none>
      "
    `);
  });
});

describe("describers", () => {
  it("describes a backup in Velero's structured format (-o json): its own document, keys sorted, HTML not escaped, four-space indent", async () => {
    const b = backup("test-backup", { spec: { labelSelector: { matchLabels: { app: "web" } }, hooks: { resources: [{ name: "freeze", pre: [{ exec: { command: ["/sbin/fsfreeze", "--freeze"], container: "db" } }] }] } } as never, status: { errors: 1, warnings: 0 } as never });
    b.metadata.labels = { "velero.io/storage-location": "default" };
    const text = await describeBackupStructured({
      backup: b,
      deleteRequests: [],
      podVolumeBackups: [],
      details: true,
      files: files({ BackupVolumeInfos: [{ backupMethod: "NativeSnapshot", pvName: "pv-1", result: "succeeded", nativeSnapshotInfo: { snapshotHandle: "snap-1", volumeType: "gp3", volumeAZ: "us-east-1a", iops: "" } }], BackupResults: { errors: { namespaces: { app: ["boom <&>"] } }, warnings: {} }, BackupResourceList: { "v1/Pod": ["app/web"] } }),
    });
    expect(text.endsWith("}\n")).toBe(true);
    const doc = JSON.parse(text) as Record<string, any>;
    expect(Object.keys(doc)).toEqual(["errors", "metadata", "phase", "spec", "status", "warnings"]);
    expect(doc).toMatchObject({
      phase: "Completed",
      metadata: { name: "test-backup", namespace: "velero", labels: { "velero.io/storage-location": "default" }, annotations: null },
      errors: { velero: [], cluster: [], namespace: { app: ["boom <&>"] } },
      warnings: {},
      spec: { TTL: "720h0m0s", CSISnapshotTimeout: "0s", labelSelector: "app=web", veleroNativeSnapshotPVs: "auto", resources: { clusterScoped: "auto", included: "*", excluded: "<none>" } },
      status: {
        started: "2024-05-01 11:00:00 +0000 UTC",
        completed: "2024-05-01 11:00:05 +0000 UTC",
        totalItemsToBeBackedUp: 12,
        itemsBackedUp: 12,
        resourceList: { "v1/Pod": ["app/web"] },
        backupVolumes: { nativeSnapshots: { "pv-1": { snapshotID: "snap-1", type: "gp3", availabilityZone: "us-east-1a", IOPS: "", result: "succeeded" } }, csiSnapshots: "<none included>", podVolumeBackups: "<none included>" },
      },
    });
    expect(doc["spec"].hooks.resources.freeze.preExecHook).toEqual([{ container: "db", command: "/sbin/fsfreeze --freeze", "onError:": "", timeout: "0s" }]);
    expect(text).toContain('"boom <&>"');
    expect(text).toContain('\n    "errors": {\n        "cluster": [],');
  });


  it("describes a completed backup in Velero's layout", async () => {
    const b = backup("test-backup", { spec: { labelSelector: { matchLabels: { app: "iperf3-server" } } } as never });
    b.metadata.labels = { "velero.io/storage-location": "default" };
    const text = await describeBackup({ backup: b, deleteRequests: [], podVolumeBackups: [], details: false, files: files({ BackupVolumeInfos: [] }) });
    expect(text).toMatchInlineSnapshot(`
      "Name:         test-backup
      Namespace:    velero
      Labels:       velero.io/storage-location=default
      Annotations:  <none>

      Phase:  Completed


      Namespaces:
        Included:  *
        Excluded:  <none>

      Resources:
        Included cluster-scoped:    <none>
        Excluded cluster-scoped:    <none>
        Included namespace-scoped:  *
        Excluded namespace-scoped:  <none>

      Label selector:  app=iperf3-server

      Or label selector:  <none>

      Storage Location:  default

      Velero-Native Snapshot PVs:  auto
      Snapshot Move Data:          auto
      Data Mover:                  velero

      TTL:  720h0m0s

      CSISnapshotTimeout:    0s
      ItemOperationTimeout:  0s

      Hooks:  <none>

      Backup Format Version:  1.1.0

      Started:    2024-05-01 11:00:00 +0000 UTC
      Completed:  2024-05-01 11:00:05 +0000 UTC

      Expiration:  2024-05-31 11:00:00 +0000 UTC

      Total items to be backed up:  12
      Items backed up:              12

      Backup Volumes:
        Velero-Native Snapshots: <none included>

        CSI Snapshots: <none included>

        Pod Volume Backups: <none included>
      "
    `);
  });

  it("adds warnings, the resource list and volume details with --details", async () => {
    const b = backup("b2", { status: { phase: "PartiallyFailed", warnings: 1, errors: 1 } as never });
    const text = await describeBackup({
      backup: b,
      deleteRequests: [],
      podVolumeBackups: [],
      details: true,
      files: files({
        BackupResults: { warnings: { namespaces: { app: ["a warning"] } }, errors: { velero: ["an error"] } },
        BackupResourceList: { "v1/ConfigMap": ["app/cm1"], "apps/v1/Deployment": ["app/web"] },
        BackupVolumeInfos: [{ pvName: "pv-1", backupMethod: "NativeSnapshot", result: "succeeded", nativeSnapshotInfo: { snapshotHandle: "snap-1", volumeType: "gp3", volumeAZ: "zone-a", iops: "" } }],
      }),
    });
    expect(text).toContain("Phase:  PartiallyFailed (run `velero backup logs b2` for more information)");
    expect(text).toContain("Warnings:\n  Velero:     <none>\n  Cluster:    <none>\n  Namespaces:\n    app:  a warning");
    // Velero's DescribeSlice prints an extra tab before "<none>", so empty rows get one more column.
    expect(text).toContain("Errors:\n  Velero:   an error\n  Cluster:    <none>\n  Namespaces: <none>");
    expect(text).toContain("Resource List:\n  apps/v1/Deployment:\n    - app/web\n  v1/ConfigMap:\n    - app/cm1");
    expect(text).toContain("    pv-1:\n      Snapshot ID:        snap-1\n      Type:               gp3\n      Availability Zone:  zone-a");
  });

  it("describes a restore and a schedule", async () => {
    const restore: Restore = {
      metadata: { name: "test-backup-20240501120000", namespace: "velero" },
      spec: { backupName: "test-backup", includedNamespaces: ["*"], itemOperationTimeout: "4h" },
      status: { phase: "Completed", startTimestamp: "2024-05-01T12:00:00Z", completionTimestamp: "2024-05-01T12:00:03Z", progress: { totalItems: 5, itemsRestored: 5 } },
    };
    const text = await describeRestore({ restore, podVolumeRestores: [], details: false, files: files({}) });
    expect(text).toMatchInlineSnapshot(`
      "Name:         test-backup-20240501120000
      Namespace:    velero
      Labels:       <none>
      Annotations:  <none>

      Phase:                       Completed
      Total items to be restored:  5
      Items restored:              5

      Started:    2024-05-01 12:00:00 +0000 UTC
      Completed:  2024-05-01 12:00:03 +0000 UTC

      Backup:  test-backup

      Namespaces:
        Included:  all namespaces found in the backup
        Excluded:  <none>

      Resources:
        Included:        *
        Excluded:        <none>
        Cluster-scoped:  auto

      Namespace mappings:  <none>

      Label selector:  <none>

      Or label selector:  <none>

      Restore PVs:  auto

      Existing Resource Policy:   <none>
      ItemOperationTimeout:       4h0m0s

      Preserve Service NodePorts:  auto

      "
    `);
    const schedule: Schedule = {
      metadata: { name: "test-daily", namespace: "velero" },
      spec: { schedule: "@every 24h", template: { includedNamespaces: ["*"], ttl: "0s" } },
      status: { phase: "Enabled" },
    };
    expect(describeSchedule(schedule)).toContain("Phase:  Enabled\n\nPaused:  false\n\nSchedule:  @every 24h\n\nBackup Template:\n  Namespaces:\n    Included:  *");
    expect(describeSchedule(schedule)).toContain("Last Backup:  <never>");
  });
});

describe("colours (Velero's --colorized)", () => {
  it("bolds the name, colours the phase and the validation errors with fatih/color's escape codes", async () => {
    const failed = backup("bad", {});
    failed.status = { phase: "FailedValidation", validationErrors: ["invalid ttl \"abc\"", "second"] };
    const text = await describeBackup({ backup: failed, deleteRequests: [], podVolumeBackups: [], details: false, files: files({}), colors: ANSI_COLORS });
    expect(text).toContain("Name:         \x1b[1mbad\x1b[22m\n");
    expect(text).toContain("Phase:  \x1b[31mFailedValidation\x1b[0m\n");
    expect(text).toContain(`Validation errors:  \x1b[31minvalid ttl "abc"\x1b[0m\n${" ".repeat(20)}\x1b[31msecond\x1b[0m\n`);
    const completed = await describeBackup({ backup: backup("ok"), deleteRequests: [], podVolumeBackups: [], details: false, files: files({ BackupVolumeInfos: [] }), colors: ANSI_COLORS });
    expect(completed).toContain("Phase:  \x1b[32mCompleted\x1b[0m\n");
    const plain = await describeBackup({ backup: backup("ok"), deleteRequests: [], podVolumeBackups: [], details: false, files: files({ BackupVolumeInfos: [] }) });
    expect(plain).not.toContain("\x1b[");
  });

  it("colours a schedule's phase: Enabled green, FailedValidation red", () => {
    const schedule = (phase: string): Schedule =>
      ({ apiVersion: "velero.io/v1", kind: "Schedule", metadata: { name: "s", namespace: "velero" }, spec: { schedule: "@daily", template: {} }, status: { phase } }) as Schedule;
    expect(describeSchedule(schedule("Enabled"), ANSI_COLORS)).toContain("Phase:  \x1b[32mEnabled\x1b[0m\n");
    expect(describeSchedule(schedule("FailedValidation"), ANSI_COLORS)).toContain("Phase:  \x1b[31mFailedValidation\x1b[0m\n");
  });
});

describe("json and yaml output (Velero's encoder)", () => {
  const obj = {
    status: { phase: "Completed" },
    spec: { ttl: "720h0m0s", includedNamespaces: ["a", "b"] },
    metadata: { labels: { on: "yes" }, creationTimestamp: "2026-11-26T02:30:18Z", name: "b1", namespace: "velero", resourceVersion: "42" },
    apiVersion: "velero.io/v1",
    kind: "Backup",
  };

  it("writes JSON indented by two spaces, kind, apiVersion and metadata first, metadata in ObjectMeta's order", () => {
    const text = encodeObject(obj, "json");
    expect(text.startsWith('{\n  "kind": "Backup",\n  "apiVersion": "velero.io/v1",\n  "metadata": {\n    "name": "b1",\n    "namespace": "velero",\n    "resourceVersion": "42",\n    "creationTimestamp"')).toBe(true);
    expect(Object.keys(JSON.parse(text) as object)).toEqual(["kind", "apiVersion", "metadata", "spec", "status"]);
  });

  it("writes YAML like go-yaml: sorted keys, sequences not indented, 1.1-ambiguous strings double-quoted", () => {
    expect(encodeObject(obj, "yaml")).toBe(
      [
        "apiVersion: velero.io/v1",
        "kind: Backup",
        "metadata:",
        '  creationTimestamp: "2026-11-26T02:30:18Z"',
        "  labels:",
        '    "on": "yes"',
        "  name: b1",
        "  namespace: velero",
        '  resourceVersion: "42"',
        // a Backup is printed as its typed Go value: the spec's zero-valued structs and durations too
        "spec:",
        "  csiSnapshotTimeout: 0s",
        "  hooks: {}",
        "  includedNamespaces:",
        "  - a",
        "  - b",
        "  itemOperationTimeout: 0s",
        "  metadata: {}",
        "  ttl: 720h0m0s",
        "status:",
        "  phase: Completed",
        "",
        "",
      ].join("\n"),
    );
  });

  it("prints a new object with Go's zero values: creationTimestamp null and an empty status", () => {
    const text = encodeNewObject({ metadata: { name: "n" }, spec: {} } as never, "json");
    expect(JSON.parse(text)).toEqual({ metadata: { name: "n", creationTimestamp: null }, spec: {}, status: {} });
  });
});

describe("label columns (-L)", () => {
  it("heads each with the key's last path segment, as kubectl's printers do", () => {
    const out = renderTable({ columns: ["name"], rows: [{ cells: ["b1"], labels: { "velero.io/storage-location": "default", team: "a" } }] }, { labelColumns: ["velero.io/storage-location,team"] });
    expect(out.split("\n")[0]).toMatch(/^NAME\s+STORAGE-LOCATION\s+TEAM$/);
    expect(out.split("\n")[1]).toMatch(/^b1\s+default\s+a$/);
  });
});
