// Schedules against the real API server: `@every 5s` submits Backups named and labelled as Velero
// does, one at a time (no overlap while the previous one is unfinished); a paused schedule
// submits none; a bad expression is FailedValidation with the reason.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Backup, Schedule, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { GVR } from "../../../host/src/kube/gvr.ts";
import type { HttpKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import { connect, createBucketRoot, createNamespace, eventually, LifecycleServer } from "./harness.ts";

function schedule(namespace: string, name: string, spec: Partial<Schedule["spec"]>, meta: Partial<Schedule["metadata"]> = {}): UnstructuredItem {
  const s: Schedule = {
    apiVersion: "velero.io/v1",
    kind: "Schedule",
    metadata: { namespace, name, ...meta },
    spec: { schedule: "@every 5s", template: { includedNamespaces: ["app"], ttl: "1h0m0s" }, ...spec },
  };
  return s as unknown as UnstructuredItem;
}

describe("Schedule controller (real API server)", () => {
  let kube: HttpKubeClient;
  let server: LifecycleServer;
  let ns: string;

  beforeAll(async () => {
    kube = await connect();
    ns = await createNamespace(kube, "vt-sched");
    server = await LifecycleServer.start({ kube, namespace: ns, bucketRoot: await createBucketRoot(), bucket: "backups" });
  });
  afterAll(async () => {
    await server?.stop();
    if (ns) await kube.delete(GVR.namespaces, ns);
  });

  const backupsOf = async (scheduleName: string): Promise<Backup[]> =>
    (await kube.list(GVR.backups, { namespace: ns, labelSelector: `velero.io/schedule-name=${scheduleName}` })).items as unknown as Backup[];

  it("@every 5s submits <schedule>-<yyyyMMddHHmmss> backups one at a time; paused submits none", async () => {
    const createdAt = Date.now();
    await kube.create(GVR.schedules, schedule(ns, "every5s", {}, { labels: { team: "payments" }, annotations: { "example.com/owner": "ops" } }));
    await kube.create(GVR.schedules, schedule(ns, "paused", { paused: true }));

    const [first] = await eventually("the first scheduled backup", async () => {
      const list = await backupsOf("every5s");
      return list.length > 0 ? list : undefined;
    }, 30_000);
    if (!first) throw new Error("unreachable");
    const firedAfterMs = Date.now() - createdAt;
    // Velero does not back up at creation; the first fire is 5 s after the schedule was created.
    expect(firedAfterMs).toBeGreaterThanOrEqual(4_000);

    expect(first.metadata.name).toMatch(/^every5s-\d{14}$/);
    const stamp = first.metadata.name?.slice("every5s-".length) ?? "";
    const stampMs = Date.UTC(+stamp.slice(0, 4), +stamp.slice(4, 6) - 1, +stamp.slice(6, 8), +stamp.slice(8, 10), +stamp.slice(10, 12), +stamp.slice(12, 14));
    expect(Math.abs(stampMs - Date.now())).toBeLessThan(30_000);
    expect(first.metadata.labels).toEqual({ team: "payments", "velero.io/schedule-name": "every5s" });
    expect(first.metadata.annotations?.["example.com/owner"]).toBe("ops");
    expect(first.spec).toEqual({ includedNamespaces: ["app"], ttl: "1h0m0s" });

    const s = (await kube.get(GVR.schedules, "every5s", ns)) as unknown as Schedule;
    expect(s.status?.phase).toBe("Enabled");
    expect(s.status?.lastBackup).toBeDefined();

    // The first backup is still New (no backup controller finishes it here): no second one.
    await new Promise((r) => setTimeout(r, 7_000));
    expect((await backupsOf("every5s")).map((b) => b.metadata.name)).toEqual([first.metadata.name]);

    // Once it is finished, the next fire submits the next backup.
    await kube.patch(GVR.backups, first.metadata.name ?? "", ns, { status: { phase: "Completed" } });
    const both = await eventually("the second scheduled backup", async () => {
      const list = await backupsOf("every5s");
      return list.length >= 2 ? list : undefined;
    }, 20_000);
    const names = both.map((b) => b.metadata.name ?? "").sort();
    expect(names[0]).toBe(first.metadata.name);
    expect(names[1]).toMatch(/^every5s-\d{14}$/);
    expect(names[1] && names[0] && names[1] > names[0]).toBe(true);

    // All along, the paused schedule submitted nothing and was left untouched.
    expect(await backupsOf("paused")).toEqual([]);
    const paused = (await kube.get(GVR.schedules, "paused", ns)) as unknown as Schedule;
    expect(paused.status?.lastBackup).toBeUndefined();
  });

  it("marks a schedule with a bad expression FailedValidation with the reason", async () => {
    await kube.create(GVR.schedules, schedule(ns, "bad", { schedule: "61 * * * *" }));
    const status = await eventually("the schedule's validation", async () => {
      const s = (await kube.get(GVR.schedules, "bad", ns)) as unknown as Schedule;
      return s.status?.phase ? s.status : undefined;
    });
    expect(status).toEqual({ phase: "FailedValidation", validationErrors: ["invalid schedule: end of range (61) above maximum (59): 61"] });
    expect(await backupsOf("bad")).toEqual([]);
  });
});
