/**
 * Velero's Prometheus metrics (pkg/metrics/metrics.go names, labels and buckets) on prom-client,
 * implementing the metric ports of the controllers, plus reconcile counters of the runtime.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { BackupMetrics } from "../controllers/backup-controller.js";
import type { BslMetrics } from "../controllers/backup-storage-location-controller.js";
import type { DeletionMetrics } from "../controllers/delete-backup-request-controller.js";
import type { ControllerMetrics, ReconcileOutcome } from "../controllers/runtime/controller.js";

const NS = "velero";
const SCHEDULE = "schedule";
const minutes = (m: number): number => m * 60;

export class ServerMetrics implements BackupMetrics, BslMetrics, DeletionMetrics, ControllerMetrics {
  readonly registry = new Registry();
  readonly #c: Record<string, Counter<string>> = {};
  readonly #g: Record<string, Gauge<string>> = {};
  readonly #durations: Histogram<string>;
  readonly #reconciles: Counter<string>;
  readonly #reconcileSeconds: Histogram<string>;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const counter = (name: string, help: string, labels: string[] = [SCHEDULE]): void => {
      this.#c[name] = new Counter({ name: `${NS}_${name}`, help, labelNames: labels, registers: [this.registry] });
    };
    const gauge = (name: string, help: string, labels: string[] = [SCHEDULE]): void => {
      this.#g[name] = new Gauge({ name: `${NS}_${name}`, help, labelNames: labels, registers: [this.registry] });
    };
    gauge("backup_tarball_size_bytes", "Size, in bytes, of a backup");
    gauge("backup_last_successful_timestamp", "Last time a backup ran successfully, Unix timestamp in seconds");
    gauge("backup_total", "Current number of existent backups", []);
    counter("backup_attempt_total", "Total number of attempted backups");
    counter("backup_success_total", "Total number of successful backups");
    counter("backup_partial_failure_total", "Total number of partially failed backups");
    counter("backup_failure_total", "Total number of failed backups");
    counter("backup_validation_failure_total", "Total number of validation failed backups");
    counter("backup_deletion_attempt_total", "Total number of attempted backup deletions");
    counter("backup_deletion_success_total", "Total number of successful backup deletions");
    counter("backup_deletion_failure_total", "Total number of failed backup deletions");
    this.#durations = new Histogram({
      name: `${NS}_backup_duration_seconds`,
      help: "Time taken to complete backup, in seconds",
      labelNames: [SCHEDULE],
      buckets: [minutes(1), minutes(5), minutes(10), minutes(15), minutes(30), minutes(60), minutes(120), minutes(180), minutes(240)],
      registers: [this.registry],
    });
    gauge("backup_items_total", "Total number of items backed up");
    gauge("backup_items_errors", "Total number of errors encountered during backup");
    counter("backup_warning_total", "Total number of warned backups");
    gauge("backup_last_status", "Last status of the backup. A value of 1 is success, 0 is failure");
    gauge("backup_location_status_gauge", "The status of backup location.  A value of 1 is available, 0 is unavailable", ["backup_location_name"]);
    gauge("restore_total", "Current number of existent restores", []);
    counter("restore_attempt_total", "Total number of attempted restores");
    counter("restore_success_total", "Total number of successful restores");
    counter("restore_partial_failure_total", "Total number of partially failed restores");
    counter("restore_failed_total", "Total number of failed restores");
    counter("restore_validation_failed_total", "Total number of failed restores failing validations");
    counter("volume_snapshot_attempt_total", "Total number of attempted volume snapshots");
    counter("volume_snapshot_success_total", "Total number of successful volume snapshots");
    counter("volume_snapshot_failure_total", "Total number of failed volume snapshots");
    counter("csi_snapshot_attempt_total", "Total number of CSI attempted volume snapshots", [SCHEDULE, "backupName"]);
    counter("csi_snapshot_success_total", "Total number of CSI successful volume snapshots", [SCHEDULE, "backupName"]);
    counter("csi_snapshot_failure_total", "Total number of CSI failed volume snapshots", [SCHEDULE, "backupName"]);
    this.#reconciles = new Counter({
      name: "velero_ts_reconcile_total",
      help: "Reconciles per controller and outcome (done, requeue, error)",
      labelNames: ["controller", "outcome"],
      registers: [this.registry],
    });
    this.#reconcileSeconds = new Histogram({
      name: "velero_ts_reconcile_duration_seconds",
      help: "Time spent in one reconcile",
      labelNames: ["controller"],
      registers: [this.registry],
    });
    if (options.defaultMetrics) {
      collectDefaultMetrics({ register: this.registry });
      // prom-client counts CPU from here on; Go's process collector (Velero's) since the process
      // started: the CPU spent before (loading, start-up) is added once
      const before = process.cpuUsage();
      for (const [name, micros] of [
        ["process_cpu_user_seconds_total", before.user],
        ["process_cpu_system_seconds_total", before.system],
        ["process_cpu_seconds_total", before.user + before.system],
      ] as const) {
        (this.registry.getSingleMetric(name) as Counter | undefined)?.inc(micros / 1e6);
      }
    }
  }

  /** The counters and gauges Velero's InitSchedule gives a zero series per schedule ("" for backups of none). */
  static readonly #SCHEDULE_SERIES = [
    "backup_attempt_total",
    "backup_success_total",
    "backup_partial_failure_total",
    "backup_failure_total",
    "backup_validation_failure_total",
    "backup_deletion_attempt_total",
    "backup_deletion_success_total",
    "backup_deletion_failure_total",
    "backup_warning_total",
    "restore_attempt_total",
    "restore_partial_failure_total",
    "restore_failed_total",
    "restore_success_total",
    "restore_validation_failed_total",
    "volume_snapshot_success_total",
    "volume_snapshot_attempt_total",
    "volume_snapshot_failure_total",
  ];
  static readonly #CSI_SERIES = ["csi_snapshot_attempt_total", "csi_snapshot_success_total", "csi_snapshot_failure_total"];

  /**
   * Velero's InitSchedule: every per-schedule series exists from the start (0; backup_last_status
   * 1), so a dashboard or an alert sees 0 rather than no data. Called for "" at start-up and for
   * each schedule when it is reconciled.
   */
  initSchedule(schedule: string): void {
    for (const name of ServerMetrics.#SCHEDULE_SERIES) this.#c[name]?.inc({ [SCHEDULE]: schedule }, 0);
    for (const name of ServerMetrics.#CSI_SERIES) this.#c[name]?.inc({ [SCHEDULE]: schedule, backupName: "" }, 0);
    this.#g.backup_items_total?.inc({ [SCHEDULE]: schedule }, 0);
    this.#g.backup_items_errors?.inc({ [SCHEDULE]: schedule }, 0);
    this.#g.backup_last_status?.set({ [SCHEDULE]: schedule }, 1);
  }

  /** Velero's RemoveSchedule: a deleted schedule's series go away. */
  removeSchedule(schedule: string): void {
    const labels = { [SCHEDULE]: schedule };
    for (const name of ServerMetrics.#SCHEDULE_SERIES) this.#c[name]?.remove(labels);
    for (const name of ServerMetrics.#CSI_SERIES) this.#c[name]?.remove({ ...labels, backupName: "" });
    for (const name of ["backup_tarball_size_bytes", "backup_last_successful_timestamp", "backup_items_total", "backup_items_errors", "backup_last_status"]) this.#g[name]?.remove(labels);
    this.#durations.remove(labels);
  }

  #inc(name: string, schedule: string, by = 1): void {
    this.#c[name]?.inc({ [SCHEDULE]: schedule }, by);
  }

  // BackupMetrics
  backupAttempt(s: string): void {
    this.#inc("backup_attempt_total", s);
  }
  backupSuccess(s: string): void {
    this.#inc("backup_success_total", s);
  }
  backupPartialFailure(s: string): void {
    this.#inc("backup_partial_failure_total", s);
  }
  backupFailure(s: string): void {
    this.#inc("backup_failure_total", s);
  }
  backupValidationFailure(s: string): void {
    this.#inc("backup_validation_failure_total", s);
  }
  backupDuration(s: string, seconds: number): void {
    this.#durations.observe({ [SCHEDULE]: s }, seconds);
  }
  backupItems(s: string, total: number, errors: number): void {
    this.#g.backup_items_total?.set({ [SCHEDULE]: s }, total);
    this.#g.backup_items_errors?.set({ [SCHEDULE]: s }, errors);
  }
  backupWarning(s: string): void {
    this.#inc("backup_warning_total", s);
  }
  backupLastStatus(s: string, success: boolean): void {
    this.#g.backup_last_status?.set({ [SCHEDULE]: s }, success ? 1 : 0);
  }
  backupLastSuccessfulTimestamp(s: string, date: Date): void {
    this.#g.backup_last_successful_timestamp?.set({ [SCHEDULE]: s }, Math.floor(date.getTime() / 1000));
  }
  backupTarballSize(s: string, bytes: number): void {
    this.#g.backup_tarball_size_bytes?.set({ [SCHEDULE]: s }, bytes);
  }
  volumeSnapshots(s: string, attempted: number, completed: number): void {
    this.#inc("volume_snapshot_attempt_total", s, attempted);
    this.#inc("volume_snapshot_success_total", s, completed);
    this.#inc("volume_snapshot_failure_total", s, attempted - completed);
  }
  /** With EnableCSI, when a backup has run (Velero's RegisterCSISnapshotAttempts). */
  csiSnapshotAttempts(s: string, backupName: string, attempted: number): void {
    this.#c["csi_snapshot_attempt_total"]?.inc({ [SCHEDULE]: s, backupName }, attempted);
  }
  /** With EnableCSI, when a backup has finalized (Velero's RegisterCSISnapshotSuccesses/Failures). */
  csiSnapshotResults(s: string, backupName: string, completed: number, failed: number): void {
    this.#c["csi_snapshot_success_total"]?.inc({ [SCHEDULE]: s, backupName }, completed);
    this.#c["csi_snapshot_failure_total"]?.inc({ [SCHEDULE]: s, backupName }, failed);
  }
  setBackupTotal(n: number): void {
    this.#g.backup_total?.set(n);
  }
  setRestoreTotal(n: number): void {
    this.#g.restore_total?.set(n);
  }

  // BslMetrics
  backupLocationStatus(location: string, available: boolean): void {
    this.#g.backup_location_status_gauge?.set({ backup_location_name: location }, available ? 1 : 0);
  }

  // DeletionMetrics
  deletionAttempt(s: string): void {
    this.#inc("backup_deletion_attempt_total", s);
  }
  deletionSuccess(s: string): void {
    this.#inc("backup_deletion_success_total", s);
  }
  deletionFailure(s: string): void {
    this.#inc("backup_deletion_failure_total", s);
  }

  // Restore outcomes (for the restore controller)
  restoreAttempt(s: string): void {
    this.#inc("restore_attempt_total", s);
  }
  restoreSuccess(s: string): void {
    this.#inc("restore_success_total", s);
  }
  restorePartialFailure(s: string): void {
    this.#inc("restore_partial_failure_total", s);
  }
  restoreFailed(s: string): void {
    this.#inc("restore_failed_total", s);
  }
  restoreValidationFailed(s: string): void {
    this.#inc("restore_validation_failed_total", s);
  }

  // ControllerMetrics
  reconciled(controller: string, outcome: ReconcileOutcome, durationMs: number): void {
    this.#reconciles.inc({ controller, outcome });
    this.#reconcileSeconds.observe({ controller }, durationMs / 1000);
  }

  /**
   * The exposition text. A family without a sample yet (a histogram or gauge vector before its
   * first observation) is left out, as Go's client leaves it out of Velero's /metrics; prom-client
   * would print its HELP and TYPE lines alone.
   */
  async text(): Promise<string> {
    return withoutEmptyFamilies(await this.registry.metrics());
  }
}

/** Drops each "# HELP"/"# TYPE" block that no sample line follows. */
export function withoutEmptyFamilies(text: string): string {
  const out: string[] = [];
  let header: string[] = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("# HELP ") || line.startsWith("# TYPE ")) {
      // a new family's HELP starts a new header; a previous header without samples is dropped
      if (line.startsWith("# HELP ")) header = [];
      header.push(line);
      continue;
    }
    if (line === "") continue;
    if (header.length > 0) {
      out.push(...header);
      header = [];
    }
    out.push(line);
  }
  return out.length > 0 ? out.join("\n") + "\n" : "";
}
