import { describe, expect, it } from "vitest";
import { ServerMetrics, withoutEmptyFamilies } from "./metrics.js";
import type { Backup } from "@velero-ts/plugin-sdk";
import { lastSuccessBySchedule } from "./server.js";

describe("ServerMetrics per-schedule series (Velero's InitSchedule / RemoveSchedule)", () => {
  it("a schedule's series exist at 0 (backup_last_status 1) once it is seen, and go when it is removed", async () => {
    const m = new ServerMetrics();
    m.initSchedule("nightly");
    const text = await m.registry.metrics();
    expect(text).toContain('velero_backup_attempt_total{schedule="nightly"} 0');
    expect(text).toContain('velero_restore_failed_total{schedule="nightly"} 0');
    expect(text).toContain('velero_csi_snapshot_attempt_total{schedule="nightly",backupName=""} 0');
    expect(text).toContain('velero_backup_items_errors{schedule="nightly"} 0');
    expect(text).toContain('velero_backup_last_status{schedule="nightly"} 1');
    m.backupAttempt("nightly");
    expect(await m.registry.metrics()).toContain('velero_backup_attempt_total{schedule="nightly"} 1');
    m.initSchedule("nightly");
    expect(await m.registry.metrics(), "seeing the schedule again keeps its counts").toContain('velero_backup_attempt_total{schedule="nightly"} 1');
    m.removeSchedule("nightly");
    expect(await m.registry.metrics()).not.toContain('schedule="nightly"');
  });
});

describe("lastSuccessBySchedule (velero_backup_last_successful_timestamp, recomputed from the backups)", () => {
  it("takes the newest completion of a Completed backup per schedule label, ad-hoc backups under \"\"", () => {
    const backup = (name: string, phase: string, completion?: string, schedule?: string): Backup =>
      ({
        apiVersion: "velero.io/v1",
        kind: "Backup",
        metadata: { name, namespace: "velero", ...(schedule ? { labels: { "velero.io/schedule-name": schedule } } : {}) },
        spec: {},
        status: { phase, ...(completion ? { completionTimestamp: completion } : {}) },
      }) as Backup;
    const out = lastSuccessBySchedule([
      backup("a1", "Completed", "2026-01-01T00:00:00Z"),
      backup("a2", "Completed", "2026-01-03T00:00:00Z"),
      backup("a3", "PartiallyFailed", "2026-01-09T00:00:00Z"),
      backup("n1", "Completed", "2026-01-02T00:00:00Z", "nightly"),
      backup("n2", "Failed", "2026-01-05T00:00:00Z", "nightly"),
      backup("n3", "Completed", undefined, "nightly"),
    ]);
    expect(Object.fromEntries([...out].map(([k, v]) => [k, v.toISOString()]))).toEqual({ "": "2026-01-03T00:00:00.000Z", nightly: "2026-01-02T00:00:00.000Z" });
  });
});

describe("/metrics text (Go's client leaves families without samples out)", () => {
  it("drops HELP/TYPE blocks no sample follows and keeps the rest as prom-client wrote it", () => {
    const text = [
      "# HELP velero_backup_duration_seconds Time taken to complete backup, in seconds",
      "# TYPE velero_backup_duration_seconds histogram",
      "",
      "# HELP velero_backup_total Current number of existent backups",
      "# TYPE velero_backup_total gauge",
      "velero_backup_total 3",
      "",
      "# HELP velero_backup_tarball_size_bytes Size, in bytes, of a backup",
      "# TYPE velero_backup_tarball_size_bytes gauge",
      "",
    ].join("\n");
    expect(withoutEmptyFamilies(text)).toBe("# HELP velero_backup_total Current number of existent backups\n# TYPE velero_backup_total gauge\nvelero_backup_total 3\n");
  });

  it("a fresh server's /metrics has no family without samples", async () => {
    const text = await new ServerMetrics().text();
    const families = [...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]);
    for (const family of families) expect(text, family).toMatch(new RegExp(`^${family}(_bucket|_sum|_count)?[{ ]`, "m"));
    expect(text).not.toContain("velero_backup_duration_seconds");
  });
});

describe("process metrics", () => {
  it("process_cpu_seconds_total counts from the process's start, as Go's process collector (prom-client counts from its registration)", async () => {
    const before = process.cpuUsage();
    const text = await new ServerMetrics({ defaultMetrics: true }).text();
    const value = Number(/^process_cpu_seconds_total (\S+)$/m.exec(text)?.[1]);
    expect(value).toBeGreaterThanOrEqual((before.user + before.system) / 1e6);
  });
});
