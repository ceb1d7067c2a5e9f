// Schedules against the real API server and `velero server`: `@every 5s` submits Backups named and
// labelled as Velero does, which the backup controller completes, fire after fire; a paused
// schedule submits none; a bad expression is FailedValidation with the reason; and (backup
// controller disabled) no new backup is submitted while the previous one is still New.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Backup, Schedule, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { GVR } from "../../../host/src/kube/gvr.ts";
import type { HttpKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import { connect, createAppNamespace, createBucketRoot, eventually, LifecycleServer } from "./harness.ts";

function schedule(namespace: string, name: string, spec: Partial<Schedule["spec"]>, meta: Partial<Schedule["metadata"]> = {}): UnstructuredItem {
  const s: Schedule = { apiVersion: "velero.io/v1", kind: "Schedule", metadata: { namespace, name, ...meta }, spec: { schedule: "@every 5s", template: {}, ...spec } };
  return s as unknown as UnstructuredItem;
}

/** yyyyMMddHHmmss (UTC) → epoch ms. */
function stampMs(stamp: string): number {
  return Date.UTC(+stamp.slice(0, 4), +stamp.slice(4, 6) - 1, +stamp.slice(6, 8), +stamp.slice(8, 10), +stamp.slice(10, 12), +stamp.slice(12, 14));
}

describe("Schedule controller (real API server, velero server)", () => {
  let kube: HttpKubeClient;
  let server: LifecycleServer;
  let app: string;

  beforeAll(async () => {
    kube = await connect();
    app = await createAppNamespace(kube);
    server = await LifecycleServer.start({ kube, bucketRoot: await createBucketRoot(), bucket: "backups" });
  });
  afterAll(async () => {
    await server?.stop();
    if (app) await kube.delete(GVR.namespaces, app);
  });

  const backupsOf = async (srv: LifecycleServer, scheduleName: string): Promise<Backup[]> =>
    (await kube.list(GVR.backups, { namespace: srv.namespace, labelSelector: `velero.io/schedule-name=${scheduleName}` })).items as unknown as Backup[];

  it("@every 5s submits <schedule>-<yyyyMMddHHmmss> backups that complete, fire after fire; paused submits none", async () => {
    const ns = server.namespace;
    const createdAt = Date.now();
    await kube.create(
      GVR.schedules,
      schedule(ns, "every5s", { template: { includedNamespaces: [app], ttl: "1h0m0s" } }, { labels: { team: "payments" }, annotations: { "example.com/owner": "ops" } }),
    );
    await kube.create(GVR.schedules, schedule(ns, "paused", { paused: true, template: { includedNamespaces: [app] } }));

    const completed = await eventually("two completed scheduled backups", async () => {
      const list = (await backupsOf(server, "every5s")).filter((b) => b.status?.phase === "Completed");
      return list.length >= 2 ? list : undefined;
    }, 60_000);
    const names = completed.map((b) => b.metadata.name ?? "").sort();
    for (const b of completed) {
      expect(b.metadata.name).toMatch(/^every5s-\d{14}$/);
      expect(b.metadata.labels).toMatchObject({ team: "payments", "velero.io/schedule-name": "every5s" });
      expect(b.metadata.annotations?.["example.com/owner"]).toBe("ops");
      expect(b.spec).toMatchObject({ includedNamespaces: [app], ttl: "1h0m0s" });
      expect(server.keysUnder(`backups/${b.metadata.name}`)).toContain(`backups/${b.metadata.name}/velero-backup.json`);
    }
    const [first = "", second = ""] = names;
    // Not at creation (Velero): the first fire is one period after the schedule was created.
    expect(stampMs(first.slice("every5s-".length))).toBeGreaterThanOrEqual(Math.floor(createdAt / 1000) * 1000 + 4_000);
    expect(stampMs(second.slice("every5s-".length)) - stampMs(first.slice("every5s-".length))).toBeGreaterThanOrEqual(5_000);

    const s = (await kube.get(GVR.schedules, "every5s", ns)) as unknown as Schedule;
    expect(s.status?.phase).toBe("Enabled");
    expect(Date.parse(s.status?.lastBackup ?? "")).toBeGreaterThanOrEqual(stampMs(second.slice("every5s-".length)));

    expect(await backupsOf(server, "paused")).toEqual([]);
    const paused = (await kube.get(GVR.schedules, "paused", ns)) as unknown as Schedule;
    expect(paused.status?.lastBackup).toBeUndefined();
  });

  it("marks a schedule with a bad expression FailedValidation with the reason", async () => {
    await kube.create(GVR.schedules, schedule(server.namespace, "bad", { schedule: "61 * * * *" }));
    const status = await eventually("the schedule's validation", async () => {
      const s = (await kube.get(GVR.schedules, "bad", server.namespace)) as unknown as Schedule;
      return s.status?.phase ? s.status : undefined;
    });
    expect(status).toEqual({ phase: "FailedValidation", validationErrors: ["invalid schedule: end of range (61) above maximum (59): 61"] });
    expect(await backupsOf(server, "bad")).toEqual([]);
  });

  it("submits no new backup while the previous one is still New; owner references tie backups to the schedule (backup controller disabled)", async () => {
    const idle = await LifecycleServer.start({ kube, bucketRoot: server.bucketRoot, bucket: "idle", disableControllers: ["backup"] });
    try {
      const created = await kube.create(GVR.schedules, schedule(idle.namespace, "every5s", { template: { includedNamespaces: [app] }, useOwnerReferencesInBackup: true }));
      const [first] = await eventually("the first scheduled backup", async () => {
        const list = await backupsOf(idle, "every5s");
        return list.length > 0 ? list : undefined;
      });
      expect(first?.metadata.ownerReferences).toEqual([
        { apiVersion: "velero.io/v1", kind: "Schedule", name: "every5s", uid: created.metadata.uid, controller: true },
      ]);
      await new Promise((r) => setTimeout(r, 8_000));
      expect((await backupsOf(idle, "every5s")).map((b) => b.metadata.name)).toEqual([first?.metadata.name]);

      // Once it is finished the schedule goes on.
      await kube.patch(GVR.backups, first?.metadata.name ?? "", idle.namespace, { status: { phase: "Completed" } });
      await eventually("the next scheduled backup", async () => (await backupsOf(idle, "every5s")).length >= 2, 20_000);

      // Owned backups go with their schedule (Kubernetes' garbage collector, as with Velero).
      await kube.delete(GVR.schedules, "every5s", idle.namespace);
      await eventually("the owned backups to be garbage-collected", async () => (await backupsOf(idle, "every5s")).length === 0, 60_000);
    } finally {
      await idle.stop();
    }
  });
});
