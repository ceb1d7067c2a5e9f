import { Readable } from "node:stream";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import type { BackupStorageLocation, OperationProgress, Restore, RestoreItemActionV2, RestoreItemActionInput, RestoreItemActionV2Output, RestoreSpec } from "@velero-ts/plugin-sdk";
import { emptyResourceSelector } from "@velero-ts/plugin-sdk";
import { GVR } from "../kube/gvr.js";
import { ObjectBackupStore } from "../persistence/object-backup-store.js";
import { buildBackupTarball } from "../restore/testing/backup-tarball.js";
import { forConfigMap } from "../restore/testing/fixtures.js";
import { RestoreFakeKube } from "../restore/testing/restore-fake-kube.js";
import { RestoreResultSet, type RestoreOperation, type Restorer } from "../restore/index.js";
import { createSilentLogger } from "../shared/logging.js";
import { FakeClock } from "../testing/fake-clock.js";
import { MemoryObjectStore } from "../testing/in-memory-object-store.js";
import { forBackup, forLocation, u } from "../testing/lifecycle-builders.js";
import { RESTORE_FINALIZER, RestoreReconciler } from "./restore-controller.js";
import { RESTORE_OPERATION_TIMED_OUT, RestoreOperationsReconciler, RestoreRunTracker } from "./restore-operations-controller.js";

const NS = "velero";
const ACTION = "test.io/async-cm";
const KEY = `${NS}/r1`;

/** A RIA v2 on config maps that starts operation "op-<name>" for each; progress is set by the test. */
class AsyncAction implements RestoreItemActionV2 {
  progressValue: Partial<OperationProgress> = { completed: false };
  progressError: Error | undefined;
  readonly executed: Restore[] = [];
  readonly progressCalls: Restore[] = [];
  readonly cancelled: string[] = [];
  async appliesTo() {
    return { ...emptyResourceSelector(), includedResources: ["configmaps"] };
  }
  async execute({ item, restore }: RestoreItemActionInput): Promise<RestoreItemActionV2Output> {
    this.executed.push(structuredClone(restore));
    return { item, additionalItems: [], skipRestore: false, operationId: `op-${item.metadata.name ?? ""}`, waitForAdditionalItems: false, additionalItemsReadyTimeoutMs: 0 };
  }
  async progress(_id: string, restore: Restore): Promise<OperationProgress> {
    this.progressCalls.push(structuredClone(restore));
    if (this.progressError) throw this.progressError;
    return { completed: false, err: "", nCompleted: 0, nTotal: 1, operationUnits: "", description: "", started: new Date("2024-05-01T10:00:00Z"), ...this.progressValue };
  }
  async cancel(id: string): Promise<void> {
    this.cancelled.push(id);
  }
  async areAdditionalItemsReady() {
    return true;
  }
}

function forRestore(name: string, spec: Partial<RestoreSpec>): Restore {
  return { apiVersion: "velero.io/v1", kind: "Restore", metadata: { namespace: NS, name }, spec };
}

async function setup(options: { restorer?: Restorer } = {}) {
  const kube = new RestoreFakeKube();
  kube.seed(GVR.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } });
  kube.seed(GVR.backupStorageLocations, u(forLocation(NS, "default")));
  const backup = forBackup(NS, "b1", { phase: "Completed", location: "default" });
  backup.status = { ...backup.status, formatVersion: "1.1.0" };
  kube.seed(GVR.backups, u(backup));
  const objects = new MemoryObjectStore();
  const getBackupStore = async (l: BackupStorageLocation) => new ObjectBackupStore({ objectStore: objects, bucket: l.spec.objectStorage.bucket, prefix: l.spec.objectStorage.prefix });
  const store = await getBackupStore(forLocation(NS, "default"));
  await store.putBackupContents("b1", Readable.from(await buildBackupTarball([forConfigMap("app", "c1"), forConfigMap("app", "c2")])));
  const clock = new FakeClock("2024-05-01T10:00:00Z");
  const action = new AsyncAction();
  const plugins = { getRestoreItemActions: async () => [{ name: ACTION, action }], getVolumeSnapshotter: () => Promise.reject(new Error("no snapshotter")) };
  const metrics: string[] = [];
  const m = (name: string) => (schedule: string) => void metrics.push(`${name}:${schedule}`);
  const recorded = { restoreAttempt: m("attempt"), restoreSuccess: m("success"), restorePartialFailure: m("partial"), restoreFailed: m("failed"), restoreValidationFailed: m("validation") };
  /** A server: the restore controller and the operations controller sharing one tracker. */
  const server = () => {
    const tracker = new RestoreRunTracker();
    const common = { kube, namespace: NS, plugins, getBackupStore, clock, metrics: recorded, tracker, builtinActions: [] };
    return {
      restores: new RestoreReconciler({ ...common, ...options, log: createSilentLogger(), restorerOptions: { clock: { now: () => clock.now().getTime(), sleep: async () => undefined } } }),
      operations: new RestoreOperationsReconciler({ ...common, logger: createSilentLogger(), syncPeriodMs: 10_000 }),
    };
  };
  const get = () => kube.peek(GVR.restores, "r1", NS) as unknown as Restore;
  const file = async (kind: "RestoreLog" | "RestoreResults" | "RestoreItemOperations" | "RestoreResourceList" | "RestoreVolumeInfo") => {
    const chunks: Buffer[] = [];
    for await (const c of await store.getFile(kind, "r1")) chunks.push(Buffer.from(c as Uint8Array));
    return gunzipSync(Buffer.concat(chunks)).toString("utf8");
  };
  const phases = () =>
    kube.actions
      .filter((a) => a.resource === "restores" && a.verb === "patch")
      .map((a) => (a.patch as { status?: { phase?: string } }).status?.phase)
      .filter((p): p is string => p !== undefined);
  return { kube, clock, action, metrics, server, get, file, phases, store, objects };
}

async function startWaiting(h: Awaited<ReturnType<typeof setup>>, spec: Partial<RestoreSpec> = {}) {
  const s = h.server();
  h.kube.seed(GVR.restores, forRestore("r1", { backupName: "b1", ...spec }) as never);
  await s.restores.reconcile(KEY);
  return s;
}

describe("RestoreOperationsReconciler", () => {
  it("leaves a restore waiting with its files in the bucket, and hands the actions the current Restore", async () => {
    const h = await setup();
    await startWaiting(h);
    expect(h.phases()).toEqual(["InProgress", "WaitingForPluginOperations"]);
    expect(h.get().status).toMatchObject({ phase: "WaitingForPluginOperations", restoreItemOperationsAttempted: 2, progress: { totalItems: 3, itemsRestored: 3 } });
    expect(h.get().status).not.toHaveProperty("completionTimestamp");
    // `velero restore logs` / `describe --details` work while it waits
    expect(await h.file("RestoreLog")).toMatch(/msg="restore completed"/);
    expect(JSON.parse(await h.file("RestoreResults"))).toEqual({ errors: {}, warnings: {} });
    expect(JSON.parse(await h.file("RestoreResourceList"))).toMatchObject({ "v1/ConfigMap": ["app/c1(created)", "app/c2(created)"] });
    const ops = JSON.parse(await h.file("RestoreItemOperations")) as RestoreOperation[];
    expect(ops.map((o) => [o.spec.operationID, o.status.phase]).sort()).toEqual([
      ["op-c1", "InProgress"],
      ["op-c2", "InProgress"],
    ]);
    expect(await h.file("RestoreVolumeInfo")).toBe("[]\n");
    // Execute and Progress see the Restore as it is in the cluster, not the New one
    for (const r of [...h.action.executed, ...h.action.progressCalls]) {
      expect(r.status).toMatchObject({ phase: "InProgress", startTimestamp: "2024-05-01T10:00:00Z" });
      expect(r.metadata.finalizers).toEqual([RESTORE_FINALIZER]);
    }
  });

  it("fails a restore whose backup's volume info file exists but cannot be read, as Velero (deciding without it could restore a PV as it was)", async () => {
    const h = await setup();
    h.objects.objects.set("bucket/backups/b1/b1-volumeinfo.json.gz", Buffer.from("not gzip"));
    await startWaiting(h);
    expect(h.get().status?.phase).toBe("Failed");
    expect(h.get().status?.failureReason).toMatch(/^fail to get VolumeInfos metadata file for backup b1: /);
  });

  it("polls until the operations finish, then Finalizing → Completed with Velero's counts", async () => {
    const h = await setup();
    const s = await startWaiting(h);
    expect(await s.operations.reconcile(KEY)).toEqual({ kind: "requeue", afterMs: 10_000 });
    h.action.progressValue = { completed: true, nCompleted: 1 };
    expect(await s.operations.reconcile(KEY)).toEqual({ kind: "done" });
    expect(h.phases().slice(-2)).toEqual(["Finalizing", "Completed"]);
    expect(h.get().status).toMatchObject({ phase: "Completed", restoreItemOperationsAttempted: 2, restoreItemOperationsCompleted: 2, completionTimestamp: "2024-05-01T10:00:00Z" });
    expect(h.get().status).not.toHaveProperty("restoreItemOperationsFailed");
    expect(h.get().status).not.toHaveProperty("errors");
    const ops = JSON.parse(await h.file("RestoreItemOperations")) as RestoreOperation[];
    expect(ops.map((o) => o.status.phase)).toEqual(["Completed", "Completed"]);
    expect(h.metrics).toEqual(["attempt:", "success:"]);
    expect(h.action.progressCalls.at(-1)?.status?.phase).toBe("WaitingForPluginOperations");
  });

  it("is finished by a new server (new reconcilers over the same cluster and bucket) after a restart", async () => {
    const h = await setup();
    await startWaiting(h);
    const restarted = h.server();
    await expect(restarted.restores.reconcile(KEY)).resolves.toEqual({ kind: "done" });
    expect(h.get().status?.phase).toBe("WaitingForPluginOperations");
    h.action.progressValue = { completed: true };
    await restarted.operations.reconcile(KEY);
    expect(h.get().status).toMatchObject({ phase: "Completed", restoreItemOperationsCompleted: 2 });
  });

  it("cancels an operation past the item operation timeout: Failed, PartiallyFailed, counted as an error", async () => {
    const h = await setup();
    const s = await startWaiting(h, { itemOperationTimeout: "1m0s" });
    await s.operations.reconcile(KEY);
    expect(h.action.cancelled).toEqual([]);
    h.clock.advance(61_000);
    await s.operations.reconcile(KEY);
    expect(h.action.cancelled.sort()).toEqual(["op-c1", "op-c2"]);
    expect(h.phases().slice(-2)).toEqual(["FinalizingPartiallyFailed", "PartiallyFailed"]);
    expect(h.get().status).toMatchObject({ phase: "PartiallyFailed", errors: 2, restoreItemOperationsAttempted: 2, restoreItemOperationsFailed: 2 });
    const ops = JSON.parse(await h.file("RestoreItemOperations")) as RestoreOperation[];
    expect(ops.map((o) => [o.status.phase, o.status.error])).toEqual([
      ["Failed", RESTORE_OPERATION_TIMED_OUT],
      ["Failed", RESTORE_OPERATION_TIMED_OUT],
    ]);
    expect(h.metrics.at(-1)).toBe("partial:");
  });

  it("fails an operation whose Progress call errors, and keeps waiting for the others", async () => {
    const h = await setup();
    const s = await startWaiting(h);
    const progress = h.action.progress.bind(h.action);
    h.action.progress = async (id, restore) => {
      if (id === "op-c1") throw new Error("rpc error: code = Unknown desc = backend gone");
      return progress(id, restore);
    };
    expect(await s.operations.reconcile(KEY)).toEqual({ kind: "requeue", afterMs: 10_000 });
    expect(h.get().status).toMatchObject({ phase: "WaitingForPluginOperationsPartiallyFailed", errors: 1, restoreItemOperationsFailed: 1 });
    const ops = JSON.parse(await h.file("RestoreItemOperations")) as RestoreOperation[];
    expect(ops.find((o) => o.spec.operationID === "op-c1")?.status).toMatchObject({ phase: "Failed", error: "rpc error: code = Unknown desc = backend gone" });
    h.action.progressValue = { completed: true };
    await s.operations.reconcile(KEY);
    expect(h.get().status).toMatchObject({ phase: "PartiallyFailed", errors: 1, restoreItemOperationsCompleted: 1, restoreItemOperationsFailed: 1 });
  });

  it("records an operation that failed by the end of the restore in its results, as Velero words it", async () => {
    const h = await setup();
    h.action.progressValue = { completed: true, err: "volume populator failed" };
    await startWaiting(h);
    expect(h.phases()).toEqual(["InProgress", "FinalizingPartiallyFailed", "PartiallyFailed"]);
    expect(h.get().status).toMatchObject({ errors: 2, restoreItemOperationsAttempted: 2, restoreItemOperationsFailed: 2 });
    expect(JSON.parse(await h.file("RestoreResults"))).toEqual({
      errors: { velero: ["error from restore item operation: volume populator failed", "error from restore item operation: volume populator failed"] },
      warnings: {},
    });
  });

  it("merges the errors of post-restore exec hooks it still tracks into the results at finalize", async () => {
    const hookErrors = new RestoreResultSet();
    hookErrors.add("app", "hook exec failed in pod web");
    const operation = (id: string): RestoreOperation => ({
      spec: { restoreName: "r1", restoreUID: "", restoreItemAction: ACTION, resourceIdentifier: { Group: "", Resource: "configmaps", Namespace: "app", Name: id }, operationID: id },
      status: { phase: "New", created: "2024-05-01T10:00:00Z" },
    });
    const restorer: Restorer = {
      restore: async () => ({
        warnings: new RestoreResultSet(),
        errors: new RestoreResultSet(),
        resourceList: {},
        itemOperations: [operation("op-x")],
        volumeInfo: [],
        progress: { totalItems: 1, itemsRestored: 1 },
        hooks: Promise.resolve({ attempted: 1, failed: 1, errors: hookErrors }),
      }),
    };
    const h = await setup({ restorer });
    const s = await startWaiting(h);
    expect(h.get().status?.phase).toBe("WaitingForPluginOperations");
    h.action.progressValue = { completed: true };
    await s.operations.reconcile(KEY);
    expect(h.get().status).toMatchObject({ phase: "PartiallyFailed", errors: 1, hookStatus: { hooksAttempted: 1, hooksFailed: 1 }, restoreItemOperationsCompleted: 1 });
    expect(JSON.parse(await h.file("RestoreResults"))).toEqual({ errors: { namespaces: { app: ["hook exec failed in pod web"] } }, warnings: {} });
  });

  it("finishes a Finalizing restore whose files are not in the bucket (a server stopped before storing them), as Velero reads missing files as empty; it was not stuck for ever", async () => {
    const h = await setup();
    h.kube.seed(GVR.restores, { ...forRestore("r1", { backupName: "b1" }), status: { phase: "FinalizingPartiallyFailed", errors: 2 } } as never);
    expect(await h.server().operations.reconcile(KEY)).toEqual({ kind: "done" });
    expect(h.get().status).toMatchObject({ phase: "PartiallyFailed", errors: 2 });
  });

  it("a restore waiting for operations whose operations file is missing goes on to finish (Velero: no file, no operations)", async () => {
    const h = await setup();
    h.kube.seed(GVR.restores, { ...forRestore("r1", { backupName: "b1" }), status: { phase: "WaitingForPluginOperations" } } as never);
    await h.server().operations.reconcile(KEY);
    expect(h.get().status?.phase).toBe("Completed");
  });

  it("a restore waiting for operations whose backup is gone ends PartiallyFailed with its errors count untouched (as Velero)", async () => {
    const h = await setup();
    h.kube.seed(GVR.restores, { ...forRestore("r1", { backupName: "b1" }), status: { phase: "WaitingForPluginOperations" } } as never);
    await h.kube.delete(GVR.backups, "b1", NS);
    expect(await h.server().operations.reconcile(KEY)).toEqual({ kind: "done" });
    expect(h.get().status?.phase).toBe("PartiallyFailed");
    expect(h.get().status).not.toHaveProperty("errors");
  });

  it("writes hookStatus {} when it finishes a restore whose hooks this process did not run (Velero's finalizer always writes it)", async () => {
    const h = await setup();
    h.kube.seed(GVR.restores, { ...forRestore("r1", { backupName: "b1" }), status: { phase: "Finalizing" } } as never);
    await h.server().operations.reconcile(KEY);
    expect(h.get().status).toMatchObject({ phase: "Completed", hookStatus: {} });
  });

  it("a final status patch that keeps failing past --resource-timeout makes the reconcile fail (retried with backoff), not end quietly with the restore Finalizing", async () => {
    const h = await setup();
    h.kube.seed(GVR.restores, { ...forRestore("r1", { backupName: "b1" }), status: { phase: "Finalizing" } } as never);
    const ops = new RestoreOperationsReconciler({ kube: h.kube, namespace: NS, plugins: { getRestoreItemActions: async () => [] }, getBackupStore: async () => h.store, clock: h.clock, logger: createSilentLogger(), builtinActions: [], resourceTimeoutMs: 500 });
    h.kube.failNext("patch", "restores", new Error("etcdserver: request timed out"), 1);
    await expect(ops.reconcile(KEY)).rejects.toThrow(`could not write the final status of restore ${KEY}; trying again`);
    expect(h.get().status?.phase).toBe("Finalizing");
    expect(await ops.reconcile(KEY)).toEqual({ kind: "done" });
    expect(h.get().status?.phase).toBe("Completed");
  });

  it("leaves restores in other phases alone", async () => {
    const h = await setup();
    const s = h.server();
    h.kube.seed(GVR.restores, { ...forRestore("r1", { backupName: "b1" }), status: { phase: "InProgress" } } as never);
    expect(await s.operations.reconcile(KEY)).toEqual({ kind: "done" });
    expect(h.phases()).toEqual([]);
  });
});
