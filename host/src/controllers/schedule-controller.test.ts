import { describe, expect, it } from "vitest";
import type { Backup, Schedule, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { GVR } from "../kube/gvr.js";
import { createLogger, createSilentLogger } from "../shared/logging.js";
import { FakeClock } from "../testing/fake-clock.js";
import { FakeKubeClient } from "../testing/fake-kube-client.js";
import { forBackup, forSchedule, u } from "../testing/lifecycle-builders.js";
import { TIMER_MARGIN_MS } from "./lifecycle-common.js";
import { SCHEDULE_BLOCKED_RECHECK_MS, ScheduleReconciler } from "./schedule-controller.js";

const NS = "velero";
const CREATED = "2024-03-09T10:00:00Z";

function seedSchedule(kube: FakeKubeClient, schedule: UnstructuredItem): void {
  schedule.metadata.creationTimestamp = CREATED as never;
  kube.seed(GVR.schedules, schedule);
}

function setup(options: { skipImmediately?: boolean; cache?: boolean } = {}) {
  const clock = new FakeClock(CREATED);
  const kube = new FakeKubeClient();
  const { cache, ...rest } = options;
  // the server's watch cache of Backups (read instead of a LIST)
  const cachedBackups = async (namespace: string) => kube.all(GVR.backups).filter((b) => b.metadata.namespace === namespace);
  const reconciler = new ScheduleReconciler({ kube, log: createSilentLogger(), clock, ...rest, ...(cache ? { cachedBackups } : {}) });
  const schedule = (name: string) => kube.peek(GVR.schedules, name, NS) as unknown as Schedule;
  const backups = () => kube.all(GVR.backups) as unknown as Backup[];
  return { clock, kube, reconciler, schedule, backups };
}

describe("ScheduleReconciler", () => {
  it("enables a valid new schedule and waits for the first fire time (no immediate backup)", async () => {
    const { kube, reconciler, schedule, backups } = setup();
    seedSchedule(kube, u(forSchedule(NS, "s1", { schedule: "@every 5s" })));
    const result = await reconciler.reconcile(`${NS}/s1`);
    expect(schedule("s1").status).toEqual({ phase: "Enabled" });
    expect(backups()).toEqual([]);
    expect(result).toEqual({ kind: "requeue", afterMs: 5_000 + TIMER_MARGIN_MS });
  });

  it.each([
    { name: "a malformed expression", expr: "* * * *", error: "invalid schedule: expected exactly 5 fields, found 4: [* * * *]" },
    { name: "an empty expression", expr: "", error: "Schedule must be a non-empty valid Cron expression" },
    { name: "an unknown descriptor", expr: "@sometimes", error: "invalid schedule: unrecognized descriptor: @sometimes" },
  ])("marks $name FailedValidation with the reason and creates nothing", async ({ expr, error }) => {
    const { kube, reconciler, schedule, backups, clock } = setup();
    seedSchedule(kube, u(forSchedule(NS, "bad", { schedule: expr })));
    clock.advance(3_600_000);
    expect(await reconciler.reconcile(`${NS}/bad`)).toEqual({ kind: "done" });
    expect(schedule("bad").status).toEqual({ phase: "FailedValidation", validationErrors: [error] });
    expect(backups()).toEqual([]);
  });

  it("marks a template with a duration Go cannot parse FailedValidation, naming the field, instead of making a failing backup at every firing", async () => {
    const { kube, reconciler, schedule, backups, clock } = setup();
    seedSchedule(kube, u(forSchedule(NS, "bad-ttl", { schedule: "@every 5s", template: { ttl: "abc", itemOperationTimeout: "1h" } })));
    clock.advance(3_600_000);
    expect(await reconciler.reconcile(`${NS}/bad-ttl`)).toEqual({ kind: "done" });
    expect(schedule("bad-ttl").status).toEqual({ phase: "FailedValidation", validationErrors: ['invalid template ttl "abc": expected a duration such as 720h0m0s'] });
    expect(backups()).toEqual([]);
  });

  it("marks a negative template ttl FailedValidation (each backup would be deleted at the next collection)", async () => {
    const { kube, reconciler, schedule, backups, clock } = setup();
    seedSchedule(kube, u(forSchedule(NS, "neg-ttl", { schedule: "@every 5s", template: { ttl: "-24h" } })));
    clock.advance(3_600_000);
    expect(await reconciler.reconcile(`${NS}/neg-ttl`)).toEqual({ kind: "done" });
    expect(schedule("neg-ttl").status).toEqual({
      phase: "FailedValidation",
      validationErrors: [`invalid template ttl "-24h": it must not be negative (0 or unset takes the server's --default-backup-ttl)`],
    });
    expect(backups()).toEqual([]);
  });

  it("marks a name longer than 63 characters FailedValidation: it could not be its backups' velero.io/schedule-name label (it was Enabled and never made one)", async () => {
    const { kube, reconciler, schedule, backups, clock } = setup();
    const name = "s".repeat(64);
    seedSchedule(kube, u(forSchedule(NS, name, { schedule: "@every 5s" })));
    clock.advance(3_600_000);
    expect(await reconciler.reconcile(`${NS}/${name}`)).toEqual({ kind: "done" });
    expect(schedule(name).status).toEqual({
      phase: "FailedValidation",
      validationErrors: [`schedule name "${name}" is 64 characters long: at most 63 can be the velero.io/schedule-name label of its backups; create the schedule again with a shorter name`],
    });
    expect(backups()).toEqual([]);
  });

  it("clears validation errors once the expression is fixed", async () => {
    const { kube, reconciler, schedule } = setup();
    const s = forSchedule(NS, "s1", { schedule: "@every 5s" });
    s.status = { phase: "FailedValidation", validationErrors: ["invalid schedule: old"] };
    seedSchedule(kube, u(s));
    await reconciler.reconcile(`${NS}/s1`);
    expect(schedule("s1").status).toEqual({ phase: "Enabled" });
  });

  it("logs, as Velero's builder does, which labels the backup it submits took", async () => {
    const lines: string[] = [];
    const clock = new FakeClock(CREATED);
    const kube = new FakeKubeClient();
    const log = createLogger({ level: "info", destination: { write: (line: string) => void lines.push(line) } as never });
    const reconciler = new ScheduleReconciler({ kube, log, clock });
    const s = forSchedule(NS, "s1", { schedule: "@every 5s", template: { metadata: { labels: { tier: "gold" } } } });
    seedSchedule(kube, u(s));
    clock.advance(5_250);
    await reconciler.reconcile(`${NS}/s1`);
    expect(lines.filter((l) => l.includes("labels set"))).toEqual([
      expect.stringMatching(/ level=info msg="Schedule.template.metadata.labels set - using those labels instead of schedule.labels for backup object" backup=velero\/s1-20240309100005 (?:\S+ )*labels="map\[tier:gold\]"/),
    ]);
  });

  it("submits a backup when due, records lastBackup and requeues for the next fire time", async () => {
    const { kube, reconciler, schedule, backups, clock } = setup();
    const s = forSchedule(NS, "s1", { schedule: "@every 5s", template: { includedNamespaces: ["app"] } });
    s.metadata.annotations = { a: "b" };
    seedSchedule(kube, u(s));
    clock.advance(5_250);
    const result = await reconciler.reconcile(`${NS}/s1`);
    expect(backups().map((b) => ({ name: b.metadata.name, labels: b.metadata.labels, annotations: b.metadata.annotations, spec: b.spec }))).toEqual([
      { name: "s1-20240309100005", labels: { "velero.io/schedule-name": "s1" }, annotations: { a: "b" }, spec: { includedNamespaces: ["app"] } },
    ]);
    expect(schedule("s1").status).toEqual({ phase: "Enabled", lastBackup: "2024-03-09T10:00:05Z" });
    // lastBackup is stored with whole seconds: the next fire is 10:00:10, 4.75 s from now.
    expect(result).toEqual({ kind: "requeue", afterMs: 4_750 + TIMER_MARGIN_MS });
  });

  it("does not fire at exactly the next run time, only after it (robfig/Velero: now.After(next))", async () => {
    const { kube, reconciler, backups, clock } = setup();
    seedSchedule(kube, u(forSchedule(NS, "s1", { schedule: "@every 5s" })));
    clock.advance(5_000);
    expect(await reconciler.reconcile(`${NS}/s1`)).toEqual({ kind: "requeue", afterMs: TIMER_MARGIN_MS });
    expect(backups()).toEqual([]);
  });

  it("fires a 5-field cron once per slot, with no catch-up of missed runs", async () => {
    const { kube, reconciler, backups, clock } = setup();
    seedSchedule(kube, u(forSchedule(NS, "hourly", { schedule: "0 * * * *" })));
    clock.advance(Date.parse("2024-03-09T13:30:00Z") - clock.now().getTime());
    const result = await reconciler.reconcile(`${NS}/hourly`);
    expect(backups().map((b) => b.metadata.name)).toEqual(["hourly-20240309133000"]);
    // the next slot is 30 minutes away, but the schedule is looked at again within a minute (Velero
    // looks at every schedule each minute): a host that slept or a clock that was stepped is caught up
    expect(result).toEqual({ kind: "requeue", afterMs: 60_000 + TIMER_MARGIN_MS });
    expect(await reconciler.reconcile(`${NS}/hourly`)).toEqual({ kind: "requeue", afterMs: 60_000 + TIMER_MARGIN_MS });
    expect(backups()).toHaveLength(1);
    // 8 hours later (the host slept: no timer fired meanwhile): the next look submits at once, one backup
    await kube.patch(GVR.backups, "hourly-20240309133000", NS, { status: { phase: "Completed" } });
    clock.advance(8 * 3_600_000);
    await reconciler.reconcile(`${NS}/hourly`);
    expect(backups().map((b) => b.metadata.name)).toEqual(["hourly-20240309133000", "hourly-20240309213000"]);
    // a slot less than a minute away is kept to the millisecond
    clock.advance(Date.parse("2024-03-09T21:59:30Z") - clock.now().getTime());
    expect(await reconciler.reconcile(`${NS}/hourly`)).toEqual({ kind: "requeue", afterMs: 30_000 + TIMER_MARGIN_MS });
  });

  it("copies the template's resource policy to the Backup as Velero's FromSchedule does: {kind: configmap, name}", async () => {
    const { kube, reconciler, backups, clock } = setup();
    seedSchedule(kube, u(forSchedule(NS, "pol", { schedule: "0 * * * *", template: { resourcePolicy: { kind: "ConfigMap", apiGroup: "", name: "policies" } } })));
    clock.advance(Date.parse("2024-03-09T13:30:00Z") - clock.now().getTime());
    await reconciler.reconcile(`${NS}/pol`);
    expect(backups()[0]?.spec.resourcePolicy).toEqual({ kind: "configmap", name: "policies" });
  });

  it("honours CRON_TZ when deciding whether it is due", async () => {
    const { kube, reconciler, backups, clock } = setup();
    // 06:00 in Tokyo is 21:00 UTC the day before.
    seedSchedule(kube, u(forSchedule(NS, "tokyo", { schedule: "CRON_TZ=Asia/Tokyo 0 6 * * *" })));
    clock.advance(Date.parse("2024-03-09T20:59:59Z") - clock.now().getTime());
    await reconciler.reconcile(`${NS}/tokyo`);
    expect(backups()).toEqual([]);
    clock.advance(Date.parse("2024-03-09T21:00:01Z") - clock.now().getTime());
    await reconciler.reconcile(`${NS}/tokyo`);
    expect(backups().map((b) => b.metadata.name)).toEqual(["tokyo-20240309210001"]);
  });

  it("does nothing at all for a paused schedule, not even its metric series (Velero's controller never sees it)", async () => {
    const { kube, backups, clock } = setup();
    const initialised: string[] = [];
    const reconciler = new ScheduleReconciler({ kube, log: createSilentLogger(), clock, metrics: { initSchedule: (n: string) => void initialised.push(n), removeSchedule: () => undefined } as never });
    seedSchedule(kube, u(forSchedule(NS, "p", { schedule: "@every 5s", paused: true })));
    clock.advance(60_000);
    expect(await reconciler.reconcile(`${NS}/p`)).toEqual({ kind: "done" });
    expect(backups()).toEqual([]);
    expect(kube.actions).toEqual([]);
    expect(initialised).toEqual([]);
  });

  it("skipImmediately records lastSkipped, resets the flag and postpones the run", async () => {
    const { kube, reconciler, schedule, backups, clock } = setup();
    const s = forSchedule(NS, "s1", { schedule: "@every 1m", skipImmediately: true });
    s.status = { phase: "Enabled", lastBackup: "2024-03-09T08:00:00Z" };
    seedSchedule(kube, u(s));
    const result = await reconciler.reconcile(`${NS}/s1`);
    const after = schedule("s1");
    expect(after.spec.skipImmediately).toBe(false);
    expect(after.status?.lastSkipped).toBe("2024-03-09T10:00:00Z");
    expect(backups()).toEqual([]);
    expect(result).toEqual({ kind: "requeue", afterMs: 60_000 + TIMER_MARGIN_MS });
  });

  it("applies the server's skipImmediately default when the schedule leaves it unset", async () => {
    const { kube, reconciler, schedule, backups } = setup({ skipImmediately: true });
    const s = forSchedule(NS, "s1", { schedule: "@every 1m" });
    s.status = { phase: "Enabled", lastBackup: "2024-03-09T08:00:00Z" };
    seedSchedule(kube, u(s));
    await reconciler.reconcile(`${NS}/s1`);
    expect(schedule("s1").spec.skipImmediately).toBe(false);
    expect(backups()).toEqual([]);
  });

  it("settles an unset skipImmediately to false at its first look (Velero writes it), so a later --schedule-skip-immediately leaves it alone", async () => {
    const first = setup();
    const s = forSchedule(NS, "s1", { schedule: "@every 1m" });
    seedSchedule(first.kube, u(s));
    await first.reconciler.reconcile(`${NS}/s1`);
    const settled = first.schedule("s1");
    expect(settled.spec.skipImmediately).toBe(false);
    expect(settled.status?.lastSkipped).toBeUndefined();
    // a server started later with the flag: the schedule says false, nothing is skipped
    const later = setup({ skipImmediately: true });
    seedSchedule(later.kube, u(settled));
    await later.reconciler.reconcile(`${NS}/s1`);
    expect(later.schedule("s1").status?.lastSkipped).toBeUndefined();
  });

  it.each(
    [false, true].flatMap((cache) =>
      ([
        { phase: undefined, blocked: true },
        { phase: "New", blocked: true },
        { phase: "InProgress", blocked: true },
        { phase: "Completed", blocked: false },
        { phase: "Failed", blocked: false },
        { phase: "PartiallyFailed", blocked: false },
      ] as const).map((row) => ({ ...row, cache })),
    ),
  )("with a previous backup in phase $phase, blocked=$blocked (backups read from the watch cache: $cache)", async ({ phase, blocked, cache }) => {
    const { kube, reconciler, backups, clock } = setup({ cache });
    const lists: string[] = [];
    const list = kube.list.bind(kube);
    kube.list = (gvr, options) => (lists.push(gvr.resource), list(gvr, options));
    seedSchedule(kube, u(forSchedule(NS, "s1", { schedule: "@every 5s" })));
    kube.seed(GVR.backups, u(forBackup(NS, "s1-20240309095955", { labels: { "velero.io/schedule-name": "s1" }, ...(phase ? { phase } : {}) })));
    clock.advance(6_000);
    const result = await reconciler.reconcile(`${NS}/s1`);
    if (blocked) {
      expect(result).toEqual({ kind: "requeue", afterMs: SCHEDULE_BLOCKED_RECHECK_MS });
      expect(backups()).toHaveLength(1);
    } else {
      expect(backups().map((b) => b.metadata.name).sort()).toEqual(["s1-20240309095955", "s1-20240309100006"]);
    }
    expect(lists).toEqual(cache ? [] : ["backups"]);
  });

  it("decides from the watch cache's copy that a valid schedule is not due, or is paused: no GET; due, it is read afresh and backs up", async () => {
    const { kube, reconciler, backups, clock } = setup();
    seedSchedule(kube, u(forSchedule(NS, "s1", { schedule: "@every 5s" })));
    const gets: string[] = [];
    const get = kube.get.bind(kube);
    kube.get = (gvr, name, namespace) => (gets.push(`${gvr.resource}/${name}`), get(gvr, name, namespace));
    const cached = () => kube.peek(GVR.schedules, "s1", NS)!;
    // new: validated (phase, skipImmediately settled) through a fresh read
    await reconciler.reconcile(`${NS}/s1`, cached());
    expect(gets).toEqual(["schedules/s1"]);
    // its own patch coming back, not due yet
    expect(await reconciler.reconcile(`${NS}/s1`, cached())).toEqual({ kind: "requeue", afterMs: 5_000 + TIMER_MARGIN_MS });
    expect(gets).toHaveLength(1);
    clock.advance(6_000);
    await reconciler.reconcile(`${NS}/s1`, cached());
    expect(gets).toEqual(["schedules/s1", "schedules/s1"]);
    expect(backups().map((b) => b.metadata.name)).toEqual(["s1-20240309100006"]);
    await kube.patch(GVR.schedules, "s1", NS, { spec: { paused: true } });
    clock.advance(6_000);
    expect(await reconciler.reconcile(`${NS}/s1`, cached())).toEqual({ kind: "done" });
    expect(gets).toHaveLength(2);
    expect(backups()).toHaveLength(1);
  });

  it("ignores unfinished backups of other schedules", async () => {
    const { kube, reconciler, backups, clock } = setup();
    seedSchedule(kube, u(forSchedule(NS, "s1", { schedule: "@every 5s" })));
    kube.seed(GVR.backups, u(forBackup(NS, "other-1", { labels: { "velero.io/schedule-name": "other" }, phase: "InProgress" })));
    clock.advance(6_000);
    await reconciler.reconcile(`${NS}/s1`);
    expect(backups()).toHaveLength(2);
  });

  it("records lastBackup even when the backup of that second already exists", async () => {
    const { kube, reconciler, schedule, clock } = setup();
    seedSchedule(kube, u(forSchedule(NS, "s1", { schedule: "@every 5s" })));
    kube.seed(GVR.backups, u(forBackup(NS, "s1-20240309100006", { labels: { "velero.io/schedule-name": "s1" }, phase: "Completed" })));
    clock.advance(6_000);
    await reconciler.reconcile(`${NS}/s1`);
    expect(schedule("s1").status?.lastBackup).toBe("2024-03-09T10:00:06Z");
  });

  it("is done for a schedule that no longer exists", async () => {
    const { reconciler } = setup();
    expect(await reconciler.reconcile(`${NS}/gone`)).toEqual({ kind: "done" });
  });
});
