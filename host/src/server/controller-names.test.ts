import { describe, expect, it } from "vitest";
import { captureLogger, type LogRecord } from "../testing/capturing-logger.js";
import { disabledControllers } from "./controller-names.js";

describe("disabledControllers (velero server --disable-controllers, --restore-only)", () => {
  it("logs each as Velero does, and warns for the names whose controller is one with another here", () => {
    const records: LogRecord[] = [];
    const disabled = disabledControllers({ disableControllers: ["backup-queue", "gc", "restore-finalizer"] }, captureLogger(records));
    expect([...disabled]).toEqual(["backup-queue", "gc", "restore-finalizer"]);
    expect(records.filter((r) => r.level === "info").map((r) => r.message)).toEqual(["Disabling controller: backup-queue", "Disabling controller: gc", "Disabling controller: restore-finalizer"]);
    expect(records.filter((r) => r.level === "warn").map((r) => r.message)).toEqual([
      "--disable-controllers backup-queue: no effect: the backup controller queues backups itself here (disable backup to stop taking backups)",
      "--disable-controllers restore-finalizer: restores with plugin operations are followed and finalized by one controller here, so restore-operations stops too",
    ]);
  });

  it("adds --restore-only's set and refuses an unknown name, naming the valid ones", () => {
    expect([...disabledControllers({ restoreOnly: true }, captureLogger())].sort()).toEqual(["backup", "backup-deletion", "backup-finalizer", "backup-operations", "gc", "schedule"]);
    expect(() => disabledControllers({ disableControllers: ["backups"] }, captureLogger())).toThrow(/^Invalid value for --disable-controllers flag provided: backups\. Valid values are: backup-queue,backup,/);
  });
});
