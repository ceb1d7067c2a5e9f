import { setImmediate as nextTurn } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { KubeApiError } from "../../kube/errors.js";
import { GVR } from "../../kube/gvr.js";
import { captureLogger, type LogRecord } from "../../testing/capturing-logger.js";
import { FakeClock } from "../../testing/fake-clock.js";
import { FakeKubeClient } from "../../testing/fake-kube-client.js";
import { Informer, MAX_RETRY_MS, SHORT_WATCH_DELAY_MS, cachedListOf } from "./informer.js";

const forbidden = () =>
  new KubeApiError({ statusCode: 403, reason: "Forbidden", message: 'backups.velero.io is forbidden: User "system:serviceaccount:velero:velero" cannot list resource "backups" in API group "velero.io" in the namespace "velero"' });

/** Lets the informer's pending promises settle. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await nextTurn();
}

function informerOf(kube: FakeKubeClient, clock: FakeClock, records: LogRecord[]): Informer {
  return new Informer({ client: kube, gvr: GVR.backups, namespace: "velero", clock, logger: captureLogger(records), retryMs: 1000 });
}

/** An informer of `kube`'s Backups, started and settled, with its clock and what it logged. */
async function startedInformer(kube: FakeKubeClient): Promise<{ informer: Informer; clock: FakeClock; records: LogRecord[] }> {
  const clock = new FakeClock();
  const records: LogRecord[] = [];
  const informer = informerOf(kube, clock, records);
  informer.start();
  await settle();
  return { informer, clock, records };
}

describe("Informer retries", () => {
  it("backs off exponentially while list/watch keeps failing, up to 30 s, and syncs once the API server answers", async () => {
    const kube = new FakeKubeClient();
    kube.failNext("list", "backups", new KubeApiError({ statusCode: 500, reason: "InternalError", message: "etcdserver: leader changed" }), 7);
    const clock = new FakeClock();
    const records: LogRecord[] = [];
    const informer = informerOf(kube, clock, records);
    let synced = false;
    void informer.hasSynced().then(() => (synced = true));
    informer.start();
    await settle();
    for (const [i, wait] of [1000, 2000, 4000, 8000, 16000, 30000, 30000].entries()) {
      expect(synced).toBe(false);
      clock.advance(wait - 1);
      await settle();
      // not retried before its time
      expect(records.filter((r) => r.level === "warn")).toHaveLength(i + 1);
      clock.advance(1);
      await settle();
    }
    expect(synced).toBe(true);
    const warnings = records.filter((r) => r.level === "warn");
    expect(warnings.map((r) => r.fields["retryInMs"])).toEqual([1000, 2000, 4000, 8000, 16000, MAX_RETRY_MS, MAX_RETRY_MS]);
    expect(warnings[0]).toMatchObject({ message: "list/watch failed; retrying", fields: { err: "etcdserver: leader changed", resource: "backups" } });
    informer.stop();
  });

  it("names the fix when RBAC refuses the server's identity", async () => {
    const kube = new FakeKubeClient();
    kube.failNext("list", "backups", forbidden(), 1);
    const clock = new FakeClock();
    const records: LogRecord[] = [];
    const informer = informerOf(kube, clock, records);
    informer.start();
    await settle();
    expect(records.filter((r) => r.level === "warn")).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/^list\/watch of backups refused by the API server's RBAC; retrying\. .*velero install binds its ServiceAccount "velero" to cluster-admin/),
        fields: expect.objectContaining({ err: expect.stringContaining('User "system:serviceaccount:velero:velero" cannot list'), retryInMs: 1000 }),
      }),
    ]);
    clock.advance(1000);
    await settle();
    await informer.hasSynced();
    informer.stop();
  });
});

describe("Informer and watches the server ends at once", () => {
  it("delays watching again after a watch ended within a second without any event (800 ms doubling to 30 s), and goes back to watching at once after a watch that delivered events", async () => {
    const kube = new FakeKubeClient();
    let watches = 0;
    let deliver: ((event: Parameters<Parameters<FakeKubeClient["watch"]>[2]>[0]) => void) | undefined;
    const watch = kube.watch.bind(kube);
    // a proxy that answers every watch and closes it at once
    kube.watch = async (gvr, options, onEvent) => {
      watches++;
      deliver = onEvent;
      const handle = await watch(gvr, options, onEvent);
      handle.stop();
      return handle;
    };
    const { informer, clock, records } = await startedInformer(kube);
    expect(watches).toBe(1);
    for (const [i, delay] of [SHORT_WATCH_DELAY_MS, 1600, 3200, 6400, 12800, 25600, MAX_RETRY_MS].entries()) {
      clock.advance(delay - 1);
      await settle();
      expect(watches, `not before its ${delay} ms`).toBe(i + 1);
      clock.advance(1);
      await settle();
      expect(watches).toBe(i + 2);
    }
    expect(records.filter((r) => r.level === "warn").at(-1)).toMatchObject({
      message: "the API server ended the watch at once without any event; watching again after a delay",
      fields: { resource: "backups", retryInMs: MAX_RETRY_MS },
    });
    // a watch that delivers an event resets the delay: the next one starts at once
    kube.watch = async (gvr, options, onEvent) => {
      watches++;
      const handle = await watch(gvr, options, onEvent);
      if (watches === 9) {
        onEvent({ type: "ADDED", object: { apiVersion: "velero.io/v1", kind: "Backup", metadata: { name: "b1", namespace: "velero", resourceVersion: "5" } } });
        handle.stop();
      }
      return handle;
    };
    clock.advance(MAX_RETRY_MS);
    await settle();
    expect(watches).toBe(10);
    expect(informer.keys()).toEqual(["velero/b1"]);
    expect(deliver).toBeDefined();
    informer.stop();
  });
});

describe("Informer stop", () => {
  it("says nothing of a watch it ended itself by stopping, however short it was (a server stopped right after it started)", async () => {
    const kube = new FakeKubeClient();
    let watches = 0;
    const watch = kube.watch.bind(kube);
    kube.watch = async (gvr, options, onEvent) => {
      watches++;
      return watch(gvr, options, onEvent);
    };
    const { informer, clock, records } = await startedInformer(kube);
    expect(watches).toBe(1);
    informer.stop();
    await settle();
    clock.advance(MAX_RETRY_MS);
    await settle();
    expect(records.filter((r) => r.level === "warn")).toEqual([]);
    expect(watches).toBe(1);
  });
});

describe("Informer re-list", () => {
  it("hands on only what changed when it lists again (an unchanged resourceVersion is not an update)", async () => {
    const kube = new FakeKubeClient();
    const clock = new FakeClock();
    const records: LogRecord[] = [];
    const backup = (name: string) => ({ apiVersion: "velero.io/v1", kind: "Backup", metadata: { name, namespace: "velero" } });
    kube.seed(GVR.backups, backup("a"), backup("b"), backup("c"));
    const informer = informerOf(kube, clock, records);
    const events: string[] = [];
    informer.addHandler((e) => events.push(`${e.type} ${e.key}`));
    informer.start();
    await informer.hasSynced();
    await settle();
    expect(events.sort()).toEqual(["added velero/a", "added velero/b", "added velero/c"]);
    events.length = 0;
    // the watch breaks and cannot be opened again: meanwhile b changes and c goes
    kube.failNext("watch", "backups", new Error("connection refused"), 5);
    kube.closeWatches();
    await settle();
    await kube.patch(GVR.backups, "b", "velero", { metadata: { labels: { changed: "yes" } } });
    await kube.delete(GVR.backups, "c", "velero");
    for (let i = 0; i < 12 && events.length === 0; i++) {
      clock.advance(MAX_RETRY_MS);
      await settle();
    }
    expect(events.sort()).toEqual(["deleted velero/c", "updated velero/b"]);
    informer.stop();
  });
});

describe("cachedListOf", () => {
  it("answers a namespace's objects once the informer has listed, following the watch; undefined for a namespace it does not watch", async () => {
    const kube = new FakeKubeClient();
    const backup = (name: string) => ({ apiVersion: "velero.io/v1", kind: "Backup", metadata: { name, namespace: "velero" } });
    kube.seed(GVR.backups, backup("a"));
    const informer = informerOf(kube, new FakeClock(), []);
    const list = cachedListOf(informer, "velero");
    expect(informer.synced).toBe(false);
    const first = list("velero");
    informer.start();
    expect((await first)?.map((b) => b.metadata.name)).toEqual(["a"]);
    expect(informer.synced).toBe(true);
    await kube.create(GVR.backups, backup("b"));
    await kube.delete(GVR.backups, "a", "velero");
    await settle();
    expect((await list("velero"))?.map((b) => b.metadata.name)).toEqual(["b"]);
    expect(await list("other")).toBeUndefined();
    informer.stop();
  });
});

