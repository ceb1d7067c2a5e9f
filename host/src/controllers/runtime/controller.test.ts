import { describe, expect, it } from "vitest";
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import { GVR } from "../../kube/gvr.js";
import { createSilentLogger } from "../../shared/logging.js";
import { FakeClock } from "../../testing/fake-clock.js";
import { FakeKubeClient } from "../../testing/fake-kube-client.js";
import { ControllerManager } from "./manager.js";
import type { ReconcileResult, Reconciler } from "./types.js";

const cm = (name: string): UnstructuredItem => ({ apiVersion: "velero.io/v1", kind: "Backup", metadata: { name, namespace: "velero" } });

function setup(reconcile: (key: string) => Promise<ReconcileResult>, resyncPeriodMs?: number, watchEvents?: Reconciler["watchEvents"], wants?: Reconciler["wants"]) {
  const client = new FakeKubeClient();
  const clock = new FakeClock();
  const seen: string[] = [];
  const forgotten: string[] = [];
  const reconciler: Reconciler = {
    name: "test",
    watches: GVR.backups,
    resyncPeriodMs,
    ...(watchEvents ? { watchEvents } : {}),
    ...(wants ? { wants } : {}),
    reconcile: async (key) => {
      seen.push(key);
      return reconcile(key);
    },
    forget: (key) => void forgotten.push(key),
  };
  const manager = new ControllerManager({ client, clock, logger: createSilentLogger(), namespace: "velero", backoff: { baseMs: 100, maxMs: 1000 } });
  const controller = manager.add(reconciler, { concurrency: 2 });
  return { client, clock, seen, forgotten, manager, controller };
}

describe("Controller", () => {
  it("reconciles existing objects after the initial list and new ones from the watch", async () => {
    const t = setup(async () => ({ kind: "done" }));
    t.client.seed(GVR.backups, cm("a"));
    await t.manager.start();
    await t.controller.idle();
    await t.client.create(GVR.backups, cm("b"));
    await t.controller.idle();
    expect(t.seen).toEqual(["velero/a", "velero/b"]);
    await t.manager.stop();
  });

  it("enqueues only the watch events a reconciler asks for (the GC controller: new objects only)", async () => {
    const t = setup(async () => ({ kind: "done" }), undefined, ["added"]);
    t.client.seed(GVR.backups, cm("a"));
    await t.manager.start();
    await t.controller.idle();
    await t.client.patch(GVR.backups, "a", "velero", { metadata: { labels: { x: "y" } } });
    await t.client.create(GVR.backups, cm("b"));
    await t.controller.idle();
    expect(t.seen).toEqual(["velero/a", "velero/b"]);
    await t.manager.stop();
  });

  it("enqueues only the objects the reconciler wants, from events, the initial list and each resync; deleted ones are forgotten, whatever they were", async () => {
    const { client, clock, seen, forgotten, manager, controller } = setup(async () => ({ kind: "done" }), 60_000, undefined, (o) => (o.metadata.labels ?? {})["phase"] === "New");
    const labelled = (name: string, phase: string): UnstructuredItem => ({ ...cm(name), metadata: { ...cm(name).metadata, labels: { phase } } });
    client.seed(GVR.backups, labelled("done", "Completed"), labelled("new", "New"));
    await manager.start();
    await controller.idle();
    expect(seen).toEqual(["velero/new"]);
    await client.create(GVR.backups, labelled("other", "Completed"));
    await client.patch(GVR.backups, "done", "velero", { metadata: { labels: { phase: "New" } } });
    await controller.idle();
    expect(seen).toEqual(["velero/new", "velero/done"]);
    seen.length = 0;
    clock.advance(60_000);
    await controller.idle();
    expect(seen.sort()).toEqual(["velero/done", "velero/new"]);
    seen.length = 0;
    await client.delete(GVR.backups, "other", "velero");
    await controller.idle();
    expect(seen).toEqual([]);
    expect(forgotten).toEqual(["velero/other"]);
    await manager.stop();
  });

  it("requeues with backoff when reconcile throws, then succeeds", async () => {
    let calls = 0;
    const t = setup(async () => {
      calls++;
      if (calls < 3) throw new Error("transient");
      return { kind: "done" };
    });
    t.client.seed(GVR.backups, cm("a"));
    await t.manager.start();
    await t.controller.idle();
    expect(calls).toBe(1);
    t.clock.advance(100);
    await t.controller.idle();
    expect(calls).toBe(2);
    t.clock.advance(199);
    await t.controller.idle();
    expect(calls).toBe(2);
    t.clock.advance(1);
    await t.controller.idle();
    expect(calls).toBe(3);
    expect(t.controller.queue.failures("velero/a")).toBe(0);
    await t.manager.stop();
  });

  it("honours requeue afterMs and periodic resync without listing again", async () => {
    const t = setup(async () => ({ kind: "requeue", afterMs: 5000 }), 60_000);
    t.client.seed(GVR.backups, cm("a"));
    await t.manager.start();
    await t.controller.idle();
    t.clock.advance(5000);
    await t.controller.idle();
    expect(t.seen).toEqual(["velero/a", "velero/a"]);
    expect(t.client.actions.filter((a) => a.verb !== "create")).toEqual([]);
    await t.manager.stop();
  });

  it("re-establishes the watch when the server closes it", async () => {
    const t = setup(async () => ({ kind: "done" }));
    await t.manager.start();
    expect(t.client.openWatches).toBe(1);
    // a watch that lasted (as the API server's do, for minutes) is opened again at once
    t.clock.advance(60_000);
    t.client.closeWatches();
    await new Promise((r) => setImmediate(r));
    expect(t.client.openWatches).toBe(1);
    await t.client.create(GVR.backups, cm("late"));
    await t.controller.idle();
    expect(t.seen).toContain("velero/late");
    await t.manager.stop();
  });
  it("hands each reconcile the object as the watch cache holds it", async () => {
    const given: (string | undefined)[] = [];
    const t = setup(async () => ({ kind: "done" }));
    const reconcile = t.controller.reconciler.reconcile.bind(t.controller.reconciler);
    (t.controller.reconciler as { reconcile: Reconciler["reconcile"] }).reconcile = (key, cached) => (given.push(cached?.metadata.labels?.["v"]), reconcile(key, cached));
    t.client.seed(GVR.backups, { ...cm("a"), metadata: { ...cm("a").metadata, labels: { v: "1" } } });
    await t.manager.start();
    await t.controller.idle();
    await t.client.patch(GVR.backups, "a", "velero", { metadata: { labels: { v: "2" } } });
    await t.controller.idle();
    expect(given).toEqual(["1", "2"]);
    await t.manager.stop();
  });

  it("costs no reconcile (no GET) for a key whose object the watch cache no longer holds: the reconciler forgets it", async () => {
    const t = setup(async () => ({ kind: "done" }));
    t.client.seed(GVR.backups, cm("a"), cm("b"));
    await t.manager.start();
    await t.controller.idle();
    await t.client.delete(GVR.backups, "a", "velero");
    await t.controller.idle();
    // requeued by hand (a requeue timer firing after the deletion): still nothing to read
    t.controller.enqueue("velero/a");
    await t.controller.idle();
    await t.client.create(GVR.backups, cm("a"));
    await t.controller.idle();
    expect(t.seen).toEqual(["velero/a", "velero/b", "velero/a"]);
    expect(t.forgotten).toEqual(["velero/a", "velero/a"]);
    await t.manager.stop();
  });
});
