/**
 * Schedule controller (Velero's scheduleReconciler): validates the cron expression (phase
 * Enabled / FailedValidation), and when the schedule is due creates a Backup from its template
 * named `<schedule>-<yyyyMMddHHmmss>`. Instead of a periodic scan of every schedule, each
 * reconcile requeues its key for the next fire time.
 */
import { LABELS, MAX_LABEL_VALUE_LENGTH, type Backup, type Schedule, type UnstructuredItem } from "@velero-ts/plugin-sdk";
import type { KubeClient } from "../kube/client.js";
import { isAlreadyExists } from "../kube/errors.js";
import { GVR } from "../kube/gvr.js";
import { parseCronSchedule, DEFAULT_CRON_TIMEZONE, type CronSchedule } from "../shared/cron.js";
import { tryParseGoDuration } from "../shared/duration.js";
import { realClock, toKubeTime, type Clock } from "../shared/clock.js";
import type { Logger } from "../shared/logging.js";
import { backupFromSchedule, scheduleLabelsNote } from "../shared/schedule-backup.js";
import { delayUntil, labelSelectorOf, parseKubeTime, patchStatus, splitKey, TIMER_MARGIN_MS } from "./lifecycle-common.js";
import type { CachedList } from "./runtime/informer.js";
import type { ObjectKey, ReconcileResult, Reconciler } from "./runtime/types.js";

/** While a previous backup of the schedule is still New/InProgress, look again this often. */
export const SCHEDULE_BLOCKED_RECHECK_MS = 5_000;

export interface ScheduleReconcilerOptions {
  kube: KubeClient;
  log: Logger;
  clock?: Clock;
  /** Server default for spec.skipImmediately when a schedule leaves it unset (--schedule-skip-immediately). */
  skipImmediately?: boolean;
  /** Zone for expressions without CRON_TZ= (Velero's server runs in UTC). */
  defaultTimezone?: string;
  metrics?: ScheduleMetrics;
  /** The watch cache's Backups of a namespace, read instead of a LIST (is a backup of the schedule unfinished?). */
  cachedBackups?: CachedList;
}

/** Velero's per-schedule metric series: made when a schedule is seen, removed when it is gone. */
export interface ScheduleMetrics {
  initSchedule(schedule: string): void;
  removeSchedule(schedule: string): void;
}

/**
 * When to look at a schedule again: at its next run, but at least once a minute, as Velero looks
 * at every schedule against the wall clock each minute. A single long timer would fire late after
 * the host slept or its clock was stepped (a laptop cluster's 03:00 backup hours late).
 */
export const SCHEDULE_RECHECK_MAX_MS = 60_000 + TIMER_MARGIN_MS;
function recheckIn(at: Date, now: Date): number {
  return Math.min(delayUntil(at, now), SCHEDULE_RECHECK_MAX_MS);
}

function scheduleName(schedule: Schedule): string {
  return schedule.metadata.name ?? "";
}

/** The next fire time after the last backup (or creation), or after the last skip if later. */
export function nextRunTime(schedule: Schedule, cron: CronSchedule): Date | undefined {
  let base = parseKubeTime(schedule.status?.lastBackup) ?? parseKubeTime(schedule.metadata.creationTimestamp) ?? new Date(0);
  const skipped = parseKubeTime(schedule.status?.lastSkipped);
  if (skipped && skipped > base) base = skipped;
  return cron.next(base);
}

const UNFINISHED_PHASES = new Set<string | undefined>([undefined, "", "New", "InProgress"]);

export class ScheduleReconciler implements Reconciler {
  readonly name = "schedule";
  readonly watches = GVR.schedules;
  readonly #kube: KubeClient;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #skipImmediately: boolean;
  readonly #timezone: string;
  readonly #metrics: ScheduleMetrics | undefined;
  readonly #cachedBackups: CachedList | undefined;

  constructor(options: ScheduleReconcilerOptions) {
    this.#kube = options.kube;
    this.#log = options.log.child({ controller: "schedule" });
    this.#clock = options.clock ?? realClock;
    this.#skipImmediately = options.skipImmediately ?? false;
    this.#timezone = options.defaultTimezone ?? DEFAULT_CRON_TIMEZONE;
    this.#metrics = options.metrics;
    this.#cachedBackups = options.cachedBackups;
  }

  forget(key: ObjectKey): void {
    this.#metrics?.removeSchedule(splitKey(key).name);
  }

  async reconcile(key: ObjectKey, cached?: UnstructuredItem): Promise<ReconcileResult> {
    const early = cached ? this.#notDue(cached as unknown as Schedule, this.#clock.now()) : undefined;
    if (early) return early;
    const { namespace, name } = splitKey(key);
    const log = this.#log.child({ schedule: key });
    const schedule = (await this.#kube.get(GVR.schedules, name, namespace)) as unknown as Schedule | undefined;
    if (!schedule) {
      this.#metrics?.removeSchedule(name);
      return { kind: "done" };
    }
    if (schedule.spec.paused === true) {
      log.debug("schedule is paused, skipping");
      return { kind: "done" };
    }
    // (after the paused check: Velero's controller never sees a paused schedule, so a schedule
    // created paused gets no metric series until it is resumed)
    this.#metrics?.initSchedule(name);

    const now = this.#clock.now();
    const parsed = await this.#validate(schedule, now, log);
    if (!parsed) return { kind: "done" };

    const next = nextRunTime(schedule, parsed);
    if (!next) {
      log.warn({ expression: schedule.spec.schedule }, "schedule never fires again");
      return { kind: "done" };
    }
    if (now.getTime() <= next.getTime()) return { kind: "requeue", afterMs: recheckIn(next, now) };

    if (await this.#hasUnfinishedBackup(schedule)) {
      log.debug("a backup of this schedule is still New or InProgress, not submitting another yet");
      return { kind: "requeue", afterMs: SCHEDULE_BLOCKED_RECHECK_MS };
    }
    await this.#submitBackup(schedule, now, log);
    const following = parsed.next(parseKubeTime(toKubeTime(now)) ?? now);
    return following ? { kind: "requeue", afterMs: recheckIn(following, now) } : { kind: "done" };
  }

  /**
   * Applies skipImmediately and (re)validates the expression, patching what changed. Returns the
   * parsed schedule when it is Enabled.
   */
  async #validate(schedule: Schedule, now: Date, log: Logger): Promise<CronSchedule | undefined> {
    const { parsed, specPatch, statusPatch } = this.#check(schedule, now);
    if (statusPatch.lastSkipped) schedule.status = { ...schedule.status, lastSkipped: toKubeTime(now) };
    if (statusPatch.phase) log.info({ phase: statusPatch.phase, errors: statusPatch.validationErrors ?? undefined }, `schedule phase is now ${String(statusPatch.phase)}`);
    if (Object.keys(specPatch).length > 0) {
      await this.#kube.patch(GVR.schedules, scheduleName(schedule), schedule.metadata.namespace, { spec: specPatch, status: statusPatch });
    } else if (Object.keys(statusPatch).length > 0) {
      await patchStatus(this.#kube, GVR.schedules, schedule, statusPatch);
    }
    return parsed;
  }

  /**
   * What validating the schedule would patch (skipImmediately settled, the phase and errors), and
   * its parsed expression when it is valid. Changes nothing.
   */
  #check(schedule: Schedule, now: Date): { parsed: CronSchedule | undefined; specPatch: Record<string, unknown>; statusPatch: Record<string, unknown> } {
    const specPatch: Record<string, unknown> = {};
    const statusPatch: Record<string, unknown> = {};
    if (schedule.spec.skipImmediately ?? this.#skipImmediately) {
      specPatch.skipImmediately = false;
      statusPatch.lastSkipped = toKubeTime(now);
    }
    // As Velero: an unset skipImmediately is settled at the first look (the server's
    // --schedule-skip-immediately, then false), so a later change of the flag leaves existing
    // schedules alone. (Velero's code also switches the flag off for every later schedule after
    // the first it applies to, a bug not copied: here it applies to each new schedule.)
    if (schedule.spec.skipImmediately === undefined) specPatch.skipImmediately = false;

    const expression = schedule.spec.schedule ?? "";
    const parsed = expression === "" ? undefined : parseCronSchedule(expression, this.#timezone);
    let errors: string[] | undefined;
    if (!parsed) errors = ["Schedule must be a non-empty valid Cron expression"];
    else if (!parsed.ok) errors = [`invalid schedule: ${parsed.error}`];
    // Each of its backups would fail validation on a duration Go cannot parse (Velero cannot even
    // read such a Schedule): said once, here, instead of by a failed backup at every firing.
    const template = schedule.spec.template ?? {};
    for (const [field, example] of [["ttl", "720h0m0s"], ["csiSnapshotTimeout", "10m0s"], ["itemOperationTimeout", "4h0m0s"]] as const) {
      const value = template[field];
      const parsed = value ? tryParseGoDuration(value) : 0;
      if (parsed === undefined) (errors ??= []).push(`invalid template ${field} "${value}": expected a duration such as ${example}`);
      else if (field === "ttl" && parsed < 0) (errors ??= []).push(`invalid template ttl "${value}": it must not be negative (0 or unset takes the server's --default-backup-ttl)`);
    }
    // the name is the velero.io/schedule-name label value of every backup it makes
    const name = scheduleName(schedule);
    if (name.length > MAX_LABEL_VALUE_LENGTH) {
      (errors ??= []).push(
        `schedule name "${name}" is ${name.length} characters long: at most ${MAX_LABEL_VALUE_LENGTH} can be the ${LABELS.scheduleName} label of its backups; create the schedule again with a shorter name`,
      );
    }

    const phase = errors ? "FailedValidation" : "Enabled";
    if (schedule.status?.phase !== phase) {
      statusPatch.phase = phase;
      statusPatch.validationErrors = errors ?? null;
    } else if (errors && JSON.stringify(errors) !== JSON.stringify(schedule.status?.validationErrors)) {
      statusPatch.validationErrors = errors;
    }
    return { parsed: parsed?.ok && !errors ? parsed.schedule : undefined, specPatch, statusPatch };
  }

  /**
   * From the watch cache's copy: a paused schedule, or a valid one with nothing to patch and not
   * due yet, needs no fresh read (each schedule is looked at every minute); undefined otherwise.
   */
  #notDue(schedule: Schedule, now: Date): ReconcileResult | undefined {
    if (schedule.spec.paused === true) return { kind: "done" };
    const { parsed, specPatch, statusPatch } = this.#check(schedule, now);
    if (!parsed || Object.keys(specPatch).length > 0 || Object.keys(statusPatch).length > 0) return undefined;
    const next = nextRunTime(schedule, parsed);
    if (!next || now.getTime() > next.getTime()) return undefined;
    this.#metrics?.initSchedule(scheduleName(schedule));
    return { kind: "requeue", afterMs: recheckIn(next, now) };
  }

  /** Velero does not start a new backup while one from this schedule is New or InProgress. */
  async #hasUnfinishedBackup(schedule: Schedule): Promise<boolean> {
    const namespace = schedule.metadata.namespace;
    const label = scheduleName(schedule);
    const cached = namespace ? await this.#cachedBackups?.(namespace) : undefined;
    const items = cached
      ? cached.filter((b) => b.metadata.labels?.[LABELS.scheduleName] === label)
      : (await this.#kube.list(GVR.backups, { namespace, labelSelector: labelSelectorOf({ [LABELS.scheduleName]: label }) })).items;
    return items.some((b) => UNFINISHED_PHASES.has((b as unknown as Backup).status?.phase));
  }

  async #submitBackup(schedule: Schedule, now: Date, log: Logger): Promise<void> {
    const backup = backupFromSchedule(schedule, now);
    // as Velero's builder logs it for each backup it makes from a schedule
    const note = scheduleLabelsNote(schedule, backup);
    log.info(note.fields, note.message);
    log.info({ backup: `${backup.metadata.namespace}/${backup.metadata.name}` }, "schedule is due, submitting a backup");
    try {
      await this.#kube.create(GVR.backups, backup as unknown as UnstructuredItem);
    } catch (err) {
      // Same second, same name: an earlier attempt created it but did not record lastBackup.
      if (!isAlreadyExists(err)) throw err;
    }
    await patchStatus(this.#kube, GVR.schedules, schedule, { lastBackup: toKubeTime(now) });
  }
}
