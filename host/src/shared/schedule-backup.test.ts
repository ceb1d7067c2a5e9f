import { describe, expect, it } from "vitest";
import { forSchedule } from "../testing/lifecycle-builders.js";
import { backupFromSchedule, scheduledBackupName, scheduleLabelsNote } from "./schedule-backup.js";

const NS = "velero";

describe("scheduledBackupName", () => {
  it("appends the UTC time as yyyyMMddHHmmss", () => {
    expect(scheduledBackupName("daily", new Date("2024-03-09T07:05:03.999Z"))).toBe("daily-20240309070503");
  });
});

describe("backupFromSchedule", () => {
  const at = new Date("2024-03-09T10:00:05Z");

  it("uses the template labels when the template has them, plus the schedule-name label", () => {
    const s = forSchedule(NS, "s1", { template: { metadata: { labels: { tier: "gold" } }, includedNamespaces: ["app"], ttl: "1h0m0s" } });
    s.metadata.labels = { ignored: "yes" };
    s.metadata.annotations = { note: "from-schedule" };
    const b = backupFromSchedule(s, at);
    expect(b.metadata).toEqual({
      name: "s1-20240309100005",
      namespace: NS,
      labels: { tier: "gold", "velero.io/schedule-name": "s1" },
      annotations: { note: "from-schedule" },
    });
    // Velero writes the label into the template's own map, so the Backup's spec has it too
    expect(b.spec).toEqual({ metadata: { labels: { tier: "gold", "velero.io/schedule-name": "s1" } }, includedNamespaces: ["app"], ttl: "1h0m0s" });
    expect(s.spec.template?.metadata?.labels, "the schedule itself is not changed").toEqual({ tier: "gold" });
  });

  it("uses the schedule's labels when the template has none", () => {
    const s = forSchedule(NS, "s1");
    s.metadata.labels = { team: "a" };
    expect(backupFromSchedule(s, at).metadata.labels).toEqual({ team: "a", "velero.io/schedule-name": "s1" });
  });

  it("uses an explicitly empty template label map rather than the schedule's labels", () => {
    const s = forSchedule(NS, "s1", { template: { metadata: { labels: {} } } });
    s.metadata.labels = { team: "a" };
    expect(backupFromSchedule(s, at).metadata.labels).toEqual({ "velero.io/schedule-name": "s1" });
  });

  it("adds a controller owner reference with useOwnerReferencesInBackup", () => {
    const s = forSchedule(NS, "s1", { useOwnerReferencesInBackup: true });
    s.metadata.uid = "sched-uid";
    expect(backupFromSchedule(s, at).metadata.ownerReferences).toEqual([
      { apiVersion: "velero.io/v1", kind: "Schedule", name: "s1", uid: "sched-uid", controller: true },
    ]);
  });
});

describe("scheduleLabelsNote", () => {
  const at = new Date("2024-03-09T10:00:05Z");

  it("names the template's labels when the template sets them (even to {}), as Go prints a map", () => {
    const s = forSchedule(NS, "s1", { template: { metadata: { labels: { z: "1", a: "2" } } } });
    s.metadata.labels = { team: "a" };
    expect(scheduleLabelsNote(s, backupFromSchedule(s, at))).toEqual({
      message: "Schedule.template.metadata.labels set - using those labels instead of schedule.labels for backup object",
      fields: { backup: "velero/s1-20240309100005", labels: "map[a:2 z:1]" },
    });
    const empty = forSchedule(NS, "s2", { template: { metadata: { labels: {} } } });
    expect(scheduleLabelsNote(empty, backupFromSchedule(empty, at)).fields.labels).toBe("map[]");
  });

  it("names the schedule's labels when the template sets none", () => {
    const s = forSchedule(NS, "s1");
    s.metadata.labels = { team: "a" };
    expect(scheduleLabelsNote(s, backupFromSchedule(s, at, "mine"))).toEqual({
      message: "No Schedule.template.metadata.labels set - using Schedule.labels for backup object",
      fields: { backup: "velero/mine", labels: "map[team:a]" },
    });
  });
});
