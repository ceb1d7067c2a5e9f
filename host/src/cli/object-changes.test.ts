import { describe, expect, it } from "vitest";
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import { KubeApiError } from "../kube/errors.js";
import { FakeKubeClient } from "../testing/fake-kube-client.js";
import { ObjectChanges } from "./object-changes.js";
import { GVR } from "./resources.js";

const request = (name: string): UnstructuredItem => ({ apiVersion: "velero.io/v1", kind: "DownloadRequest", metadata: { namespace: "velero", name }, spec: {} }) as UnstructuredItem;

/** A sleep that ends only when aborted; records whether each one was. */
function abortOnlySleep(): { sleep: (ms: number, signal?: AbortSignal) => Promise<void>; signals: AbortSignal[] } {
  const signals: AbortSignal[] = [];
  return {
    signals,
    sleep: (_ms, signal) => {
      if (!signal) return Promise.reject(new Error("no signal"));
      signals.push(signal);
      return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
    },
  };
}

describe("ObjectChanges", () => {
  it("ends a wait as soon as the object changes, cutting the sleep short, and not for other objects", async () => {
    const kube = new FakeKubeClient().seed(GVR.downloadRequests, request("mine"), request("other"));
    const changes = new ObjectChanges(kube, GVR.downloadRequests, { namespace: "velero", name: "mine" });
    changes.ensure();
    const { sleep, signals } = abortOnlySleep();
    let woke = false;
    const waiting = changes.next(60_000, sleep).then(() => (woke = true));
    await kube.patchStatus(GVR.downloadRequests, "other", "velero", { status: { phase: "Processed" } });
    await new Promise((r) => setImmediate(r));
    expect(woke).toBe(false);
    await kube.patchStatus(GVR.downloadRequests, "mine", "velero", { status: { phase: "Processed" } });
    await waiting;
    expect(signals).toHaveLength(1);
    expect(signals[0]?.aborted).toBe(true);
    changes.close();
    expect(kube.openWatches).toBe(0);
  });

  it("a change that came while the loop was reading ends the next wait at once", async () => {
    const kube = new FakeKubeClient().seed(GVR.downloadRequests, request("mine"));
    const changes = new ObjectChanges(kube, GVR.downloadRequests, { namespace: "velero", name: "mine" });
    changes.ensure();
    await kube.patchStatus(GVR.downloadRequests, "mine", "velero", { status: { phase: "Processed" } });
    const { sleep, signals } = abortOnlySleep();
    await changes.next(60_000, sleep);
    expect(signals).toHaveLength(0); // no sleep at all
    changes.close();
  });

  it("waits out the period when the watch cannot be opened, and tries it again at the next look after a network error", async () => {
    const kube = new FakeKubeClient().seed(GVR.downloadRequests, request("mine"));
    kube.failNext("watch", "downloadrequests", Object.assign(new Error("connect ECONNRESET 127.0.0.1:6443"), { code: "ECONNRESET" }));
    const changes = new ObjectChanges(kube, GVR.downloadRequests, { namespace: "velero", name: "mine" });
    changes.ensure();
    await new Promise((r) => setImmediate(r));
    expect(kube.openWatches).toBe(0);
    const slept: number[] = [];
    await changes.next(250, async (ms) => void slept.push(ms));
    expect(slept).toEqual([250]);
    changes.ensure();
    await new Promise((r) => setImmediate(r));
    expect(kube.openWatches).toBe(1);
    changes.close();
  });

  it("opens the watch again when the API server ends it", async () => {
    const kube = new FakeKubeClient().seed(GVR.downloadRequests, request("mine"));
    const changes = new ObjectChanges(kube, GVR.downloadRequests, { namespace: "velero", name: "mine" });
    changes.ensure();
    await new Promise((r) => setImmediate(r));
    kube.closeWatches();
    await new Promise((r) => setImmediate(r));
    changes.ensure();
    expect(kube.openWatches).toBe(1);
    const { sleep, signals } = abortOnlySleep();
    const waiting = changes.next(60_000, sleep);
    await kube.patchStatus(GVR.downloadRequests, "mine", "velero", { status: { phase: "Processed" } });
    await waiting;
    expect(signals[0]?.aborted).toBe(true);
    changes.close();
    expect(kube.openWatches).toBe(0);
  });

  it("does not hold the loop while a watch is slow to open", async () => {
    const kube = new FakeKubeClient().seed(GVR.downloadRequests, request("mine"));
    let opens = 0;
    kube.watch = () => {
      opens++;
      return new Promise(() => undefined); // never answers
    };
    const changes = new ObjectChanges(kube, GVR.downloadRequests, { namespace: "velero", name: "mine" });
    changes.ensure();
    const slept: number[] = [];
    await changes.next(250, async (ms) => void slept.push(ms));
    changes.ensure(); // still opening: not asked again
    expect(slept).toEqual([250]);
    expect(opens).toBe(1);
    changes.close();
  });

  it("watches every object of a resource when asked for the names that pass a test", async () => {
    const crd = (name: string): UnstructuredItem => ({ apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", metadata: { name } }) as UnstructuredItem;
    const kube = new FakeKubeClient().seed(GVR.customResourceDefinitions, crd("backups.velero.io"), crd("widgets.example.io"));
    const pending = new Set(["backups.velero.io"]);
    const changes = new ObjectChanges(kube, GVR.customResourceDefinitions, { matches: (name) => pending.has(name) });
    changes.ensure();
    const { sleep, signals } = abortOnlySleep();
    let woke = false;
    const waiting = changes.next(60_000, sleep).then(() => (woke = true));
    await kube.patchStatus(GVR.customResourceDefinitions, "widgets.example.io", undefined, { status: { conditions: [{ type: "Established", status: "True" }] } });
    await new Promise((r) => setImmediate(r));
    expect(woke).toBe(false);
    await kube.patchStatus(GVR.customResourceDefinitions, "backups.velero.io", undefined, { status: { conditions: [{ type: "Established", status: "True" }] } });
    await waiting;
    expect(signals[0]?.aborted).toBe(true);
    changes.close();
  });

  it("does not ask again for a watch the API server refused", async () => {
    const kube = new FakeKubeClient().seed(GVR.downloadRequests, request("mine"));
    kube.failNext("watch", "downloadrequests", new KubeApiError({ statusCode: 403, reason: "Forbidden", message: 'downloadrequests.velero.io is forbidden: User "bob" cannot watch resource "downloadrequests"' }));
    let opens = 0;
    const watch = kube.watch.bind(kube);
    kube.watch = (...args) => {
      opens++;
      return watch(...args);
    };
    const changes = new ObjectChanges(kube, GVR.downloadRequests, { namespace: "velero", name: "mine" });
    for (let look = 0; look < 3; look++) {
      changes.ensure();
      await new Promise((r) => setImmediate(r));
      await changes.next(250, async () => undefined);
    }
    expect(opens).toBe(1);
    expect(kube.openWatches).toBe(0);
    changes.close();
  });
});
