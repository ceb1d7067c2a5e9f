import { describe, expect, it } from "vitest";
import { ServerMetrics } from "./metrics.js";

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
