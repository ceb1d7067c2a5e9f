import { createReadStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { createGunzip, gunzipSync } from "node:zlib";
import { extract } from "tar-stream";
import { describe, expect, it } from "vitest";
import type { Backup, BackupItemActionV2, BackupItemActionV2Output, BackupStorageLocation, OperationProgress, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { TarballWriter } from "../backup/tar-writer.js";
import { GVR } from "../kube/gvr.js";
import { ObjectBackupStore } from "../persistence/object-backup-store.js";
import { createSilentLogger } from "../shared/logging.js";
import { forBackup, forBackupStorageLocation, forConfigMap, forNamespace } from "../testing/builders.js";
import { FakeClock } from "../testing/fake-clock.js";
import { FakeKubeClient } from "../testing/fake-kube-client.js";
import { MemoryObjectStore } from "../testing/in-memory-object-store.js";
import { BackupReconciler } from "./backup-controller.js";
import { BackupOperationsReconciler, BackupPostProcessingTracker, DEFAULT_ITEM_OPERATION_SYNC_MS, OPERATION_TIMED_OUT, updateCsiVolumeInfos, type StoredOperation } from "./backup-operations-controller.js";

const ACTION = "test.io/async-cm";
const KEY = "velero/b1";

/**
 * A BIA v2 on config maps. On "<name>-result" items it only annotates them `test.io/backed-up-by`
 * and names "<name>-extra" in namespace "other" as an additional item; on any other config map it
 * starts operation "op-<name>" whose post-operation item is "<name>-result". Namespace "app" only.
 */
class AsyncAction implements BackupItemActionV2 {
  progressValue: Partial<OperationProgress> = { completed: false };
  /** Per operation ID: what progress() reports instead of progressValue. */
  readonly progressFor = new Map<string, Partial<OperationProgress>>();
  progressError: Error | undefined;
  readonly progressCalls: string[] = [];
  readonly cancelled: string[] = [];
  async appliesTo() {
    return { includedNamespaces: ["app"], excludedNamespaces: [], includedResources: ["configmaps"], excludedResources: [], selector: "" };
  }
  async execute(item: UnstructuredItem, backup: Backup): Promise<BackupItemActionV2Output> {
    const it = item as unknown as { metadata: { name: string; namespace: string; annotations?: Record<string, string> } };
    if (it.metadata.name.endsWith("-result")) {
      const annotated = { ...it, metadata: { ...it.metadata, annotations: { ...it.metadata.annotations, "test.io/backed-up-by": backup.metadata.name ?? "" } } };
      return {
        item: annotated as unknown as UnstructuredItem,
        additionalItems: [{ group: "", resource: "configmaps", namespace: "other", name: `${it.metadata.name}-extra` }],
        operationId: "",
        postOperationItems: [],
      };
    }
    return {
      item,
      additionalItems: [],
      operationId: `op-${it.metadata.name}`,
      postOperationItems: [{ group: "", resource: "configmaps", namespace: it.metadata.namespace, name: `${it.metadata.name}-result` }],
    };
  }
  async progress(operationId: string, backup: Backup): Promise<OperationProgress> {
    this.progressCalls.push(`${operationId}:${backup.metadata.name}`);
    if (this.progressError) throw this.progressError;
    return { completed: false, err: "", nCompleted: 0, nTotal: 0, operationUnits: "", description: "", ...(this.progressFor.get(operationId) ?? this.progressValue) };
  }
  async cancel(operationId: string): Promise<void> {
    this.cancelled.push(operationId);
  }
}

async function setup(options: { progressAtBackupEnd?: Partial<OperationProgress>; secondOperation?: boolean; itemOperationTimeout?: string } = {}) {
  const kube = new FakeKubeClient();
  const clock = new FakeClock("2024-05-01T10:00:00Z");
  const objects = new MemoryObjectStore();
  const action = new AsyncAction();
  if (options.progressAtBackupEnd) action.progressValue = options.progressAtBackupEnd;
  kube
    .seed(GVR.namespaces, forNamespace("app").build(), forNamespace("other").build())
    .seed(
      GVR.configMaps,
      forConfigMap("app", "cm1", { v: "before" }).build(),
      forConfigMap("app", "cm1-result", { v: "before" }).build(),
      forConfigMap("other", "cm1-result-extra", { v: "extra" }).build(),
      ...(options.secondOperation ? [forConfigMap("app", "cm2", { v: "before" }).build(), forConfigMap("app", "cm2-result", { v: "before" }).build()] : []),
    )
    .seed(GVR.backupStorageLocations, forBackupStorageLocation("velero", "default").default().phase("Available").build());
  const getBackupStore = async (l: BackupStorageLocation) => new ObjectBackupStore({ objectStore: objects, bucket: l.spec.objectStorage.bucket, prefix: l.spec.objectStorage.prefix });
  const plugins = { getBackupItemActions: async () => [{ name: ACTION, action }], getItemBlockActions: async () => [], getVolumeSnapshotter: async () => Promise.reject(new Error("none")) };
  const postProcessing = new BackupPostProcessingTracker();
  const backupMetrics: string[] = [];
  const record = (name: string) => (...args: unknown[]) => void backupMetrics.push(`${name}:${args.join(":")}`);
  // what both controllers share in the server
  const shared = { kube, logger: createSilentLogger(), clock, getBackupStore, plugins, postProcessing };
  const backups = new BackupReconciler({
    ...shared,
    namespace: "velero",
    metrics: {
      backupAttempt: record("attempt"),
      backupSuccess: record("success"),
      backupPartialFailure: record("partial"),
      backupFailure: record("failure"),
      backupValidationFailure: record("validation"),
      backupDuration: record("duration"),
      backupItems: record("items"),
      backupWarning: record("warning"),
      backupLastStatus: record("lastStatus"),
      backupLastSuccessfulTimestamp: record("lastSuccess"),
      backupTarballSize: () => undefined,
      volumeSnapshots: record("volumeSnapshots"),
    },
  });
  const metrics: string[] = [];
  const m = (name: string) => (schedule: string, value?: unknown) => void metrics.push(`${name}:${schedule}:${value instanceof Date ? value.toISOString() : String(value)}`);
  const operations = new BackupOperationsReconciler({
    ...shared,
    metrics: {
      backupSuccess: m("success"),
      backupPartialFailure: m("partial"),
      backupLastStatus: m("lastStatus"),
      backupLastSuccessfulTimestamp: m("lastSuccess"),
      backupDuration: m("duration"),
      backupItems: (schedule: string, total: number, errors: number) => void metrics.push(`items:${schedule}:${total}:${errors}`),
      backupTarballSize: (schedule: string, bytes: number) => void metrics.push(`tarballSize:${schedule}:${bytes > 0 ? "set" : bytes}`),
    },
  });
  const spec = forBackup("velero", "b1").includedNamespaces("app").build() as Backup;
  if (options.itemOperationTimeout) spec.spec.itemOperationTimeout = options.itemOperationTimeout;
  await kube.create(GVR.backups, spec as never);
  await backups.reconcile(KEY);
  await backups.idle();
  // what the backup controller asked (once, as the backup's items were written); the tests count the operations controller's calls
  const progressAtBackup = action.progressCalls.splice(0);
  action.progressValue = { completed: false };
  const store = await getBackupStore(kube.peek<BackupStorageLocation>(GVR.backupStorageLocations, "default", "velero") as BackupStorageLocation);
  const backup = () => kube.peek<Backup>(GVR.backups, "b1", "velero") as Backup;
  const stored = () => JSON.parse(objects.get("bucket", "backups/b1/velero-backup.json")?.toString() ?? "null") as Backup;
  const ops = async () => (await store.getBackupItemOperations("b1")) as { spec: Record<string, unknown>; status: Record<string, unknown> }[];
  return { kube, clock, objects, action, operations, store, backup, stored, ops, metrics, backupMetrics, progressAtBackup, postProcessing };
}

async function tarEntries(stream: Readable): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const ex = extract();
  stream.pipe(createGunzip()).pipe(ex);
  for await (const entry of ex) {
    const chunks: Buffer[] = [];
    for await (const c of entry) chunks.push(c as Buffer);
    out.set(entry.header.name, Buffer.concat(chunks).toString());
  }
  return out;
}

describe("BackupOperationsReconciler", () => {
  it("the backup controller leaves a backup with an operation in WaitingForPluginOperations", async () => {
    const t = await setup();
    // asked once as the backup was written (as Velero does), still running
    expect(t.progressAtBackup).toEqual(["op-cm1:b1"]);
    expect(t.backup().status).toMatchObject({ phase: "WaitingForPluginOperations", backupItemOperationsAttempted: 1 });
    // what the run produced is recorded now (as Velero's backup controller does); its outcome and duration when it ends
    expect(t.backupMetrics).toEqual(["attempt:", "items::3:0", "volumeSnapshots::0:0"]);
    // held by this server until its operations end (it cannot be deleted meanwhile)
    expect([...t.postProcessing.keys]).toEqual([KEY]);
    expect(t.stored().status?.phase).toBe("WaitingForPluginOperations");
    expect(await t.ops()).toEqual([
      expect.objectContaining({
        spec: expect.objectContaining({ operationID: "op-cm1", backupItemAction: ACTION, postOperationItems: [{ Group: "", Resource: "configmaps", Namespace: "app", Name: "cm1-result" }] }),
      }),
    ]);
  });

  it.each([
    ["its tarball", "backups/b1/b1.tar.gz", "backup cannot be finished: its tarball (b1.tar.gz) is missing from object storage"],
    ["its item operations", "backups/b1/b1-itemoperations.json.gz", "backup cannot be finished: its 1 item operation(s) are missing from object storage (b1-itemoperations.json.gz), so they cannot be followed"],
  ])("a waiting backup whose bucket lacks %s (its upload was cut short) ends Failed, not Completed", async (_what, key, reason) => {
    const t = await setup();
    t.action.progressValue = { completed: true };
    t.objects.objects.delete(`bucket/${key}`);
    await t.operations.reconcile(KEY);
    expect(t.backup().status).toMatchObject({ phase: "Failed", failureReason: reason });
    expect([...t.postProcessing.keys]).toEqual([]);
  });

  it("an operation still running: InProgress with its progress recorded, requeued after the sync period", async () => {
    const t = await setup();
    // not started yet (the plugin reports no start): the operation stays New, as in Velero
    t.action.progressValue = { completed: false, nCompleted: 0, nTotal: 10 };
    await t.operations.reconcile(KEY);
    expect((await t.ops())[0]?.status).toMatchObject({ phase: "New", nTotal: 10 });
    t.action.progressCalls.splice(0);
    t.action.progressValue = { completed: false, nCompleted: 3, nTotal: 10, operationUnits: "bytes", description: "uploading", started: new Date("2024-05-01T10:00:02Z") };
    t.clock.advance(5_000);
    const actionsBefore = t.kube.actions.length;
    expect(await t.operations.reconcile(KEY)).toEqual({ kind: "requeue", afterMs: DEFAULT_ITEM_OPERATION_SYNC_MS });
    expect(t.action.progressCalls).toEqual(["op-cm1:b1"]);
    expect(t.backup().status).toMatchObject({ phase: "WaitingForPluginOperations" });
    // zero counts left out, as Go writes them (omitempty); an unchanged status is not patched again
    expect(t.backup().status).not.toHaveProperty("backupItemOperationsCompleted");
    expect(t.backup().status).not.toHaveProperty("backupItemOperationsFailed");
    expect(t.kube.actions.slice(actionsBefore).filter((a) => a.verb === "patch" && a.name === "b1")).toHaveLength(0);
    expect((await t.ops())[0]?.status).toMatchObject({
      phase: "InProgress",
      nCompleted: 3,
      nTotal: 10,
      operationUnits: "bytes",
      description: "uploading",
    });
    // the plugin reported no update time: none is made up (as Velero)
    expect((await t.ops())[0]?.status).not.toHaveProperty("updated");
    expect(t.stored().status?.phase).toBe("WaitingForPluginOperations");
    expect(t.backup().status?.completionTimestamp).toBeUndefined();
    // A second check that changes nothing in the status does not patch the Backup again.
    const patches = () => t.kube.actions.filter((a) => a.resource === "backups" && a.verb === "patch").length;
    const before = patches();
    expect(await t.operations.reconcile(KEY)).toMatchObject({ kind: "requeue" });
    expect(t.action.progressCalls).toHaveLength(2);
    expect(patches()).toBe(before);
    expect(t.metrics).toEqual([]);
    // progress back to zero counts and empty texts: left out of the file, as Go's omitempty
    // leaves them (Velero copies every reported field, an emptied one too)
    t.action.progressValue = { completed: false, nCompleted: 0, nTotal: 0, operationUnits: "", description: "" };
    await t.operations.reconcile(KEY);
    for (const field of ["nCompleted", "nTotal", "operationUnits", "description"]) expect((await t.ops())[0]?.status).not.toHaveProperty(field);
  });

  it("an operation that completes: post-operation items re-backed-up through the actions into the tarball, then Completed (metadata last)", async () => {
    const t = await setup();
    const before = await tarEntries(await t.store.getBackupContents("b1"));
    // The backup excluded namespace "other": the action's additional item is not in it.
    expect(before.has("resources/configmaps/namespaces/other/cm1-result-extra.json")).toBe(false);
    await t.kube.patch(GVR.configMaps, "cm1-result", "app", { data: { v: "after" } });
    t.action.progressValue = { completed: true, nCompleted: 10, nTotal: 10 };
    t.clock.advance(20_000);
    const putsBefore = t.objects.puts.length;
    expect(await t.operations.reconcile(KEY)).toEqual({ kind: "done" });
    const status = t.backup().status;
    expect(status).toMatchObject({ phase: "Completed", backupItemOperationsAttempted: 1, backupItemOperationsCompleted: 1 });
    // zero counts left out, as Go writes them (omitempty)
    expect(status).not.toHaveProperty("backupItemOperationsFailed");
    expect(status).not.toHaveProperty("errors");
    expect(status?.completionTimestamp).toBe("2024-05-01T10:00:20Z");
    expect(t.stored()).toMatchObject({ apiVersion: "velero.io/v1", kind: "Backup", status: { phase: "Completed", backupItemOperationsCompleted: 1 } });
    expect((await t.ops())[0]?.status).toMatchObject({ phase: "Completed", nCompleted: 10, nTotal: 10 });
    // As Velero: velero-backup.json and the operations with the Finalizing phase; then the
    // tarball, then velero-backup.json last (Completed).
    expect(t.objects.puts.slice(putsBefore)).toEqual(["backups/b1/velero-backup.json", "backups/b1/b1-itemoperations.json.gz", "backups/b1/b1.tar.gz", "backups/b1/velero-backup.json"]);
    const entries = await tarEntries(await t.store.getBackupContents("b1"));
    expect(entries.has("metadata/version")).toBe(true);
    // The post-operation item is read again from the API server and run through the action again
    // (the annotation is not on the cluster's object: only the re-run puts it there).
    for (const path of ["resources/configmaps/namespaces/app/cm1-result.json", "resources/configmaps/v1-preferredversion/namespaces/app/cm1-result.json"]) {
      expect(JSON.parse(entries.get(path) ?? "{}")).toMatchObject({ kind: "ConfigMap", data: { v: "after" }, metadata: { annotations: { "test.io/backed-up-by": "b1" } } });
    }
    expect(t.kube.peek<{ metadata: { annotations?: object } }>(GVR.configMaps, "cm1-result", "app")?.metadata.annotations).toBeUndefined();
    // Additional items of a finalize run skip the exclusion checks (Velero), so the excluded namespace's item is added.
    expect(JSON.parse(entries.get("resources/configmaps/namespaces/other/cm1-result-extra.json") ?? "{}")).toMatchObject({ data: { v: "extra" } });
    // Items that are not post-operation items keep their backed-up copy.
    expect(JSON.parse(entries.get("resources/configmaps/namespaces/app/cm1.json") ?? "{}")).toMatchObject({ data: { v: "before" } });
    expect([...entries.keys()].filter((k) => k.endsWith("/cm1-result.json"))).toHaveLength(2);
    expect(entries.has("resources/namespaces/cluster/app.json")).toBe(true);
    // the rewritten tarball's size, then the outcome
    expect(t.metrics).toEqual(["tarballSize::set", "success::undefined", "lastStatus::true", "lastSuccess::2024-05-01T10:00:20.000Z", "duration::20"]);
    expect(t.postProcessing.keys.size, "no longer held: it may be deleted").toBe(0);
    // Finished backups are left alone afterwards.
    expect(await t.operations.reconcile(KEY)).toEqual({ kind: "done" });
    expect(t.action.progressCalls).toHaveLength(1);
  });

  it("checks unfinished operations every syncPeriodMs (--item-operation-sync-frequency)", async () => {
    const t = await setup();
    const ops = new BackupOperationsReconciler({ kube: t.kube, logger: createSilentLogger(), clock: t.clock, getBackupStore: async () => t.store, plugins: { getBackupItemActions: async () => [{ name: ACTION, action: t.action }] }, syncPeriodMs: 2_500 });
    expect(await ops.reconcile(KEY)).toEqual({ kind: "requeue", afterMs: 2_500 });
  });

  it("a post-operation item whose action starts another operation while finalizing keeps its old copy; the backup ends PartiallyFailed (README: Velero only logs it)", async () => {
    const t = await setup();
    // The result config map now gets an operation of its own from the action: Velero refuses that while finalizing.
    const execute = t.action.execute.bind(t.action);
    t.action.execute = async (item, backup) => ({ ...(await execute(item, backup)), operationId: "op-again" });
    await t.kube.patch(GVR.configMaps, "cm1-result", "app", { data: { v: "after" } });
    t.action.progressValue = { completed: true };
    expect(await t.operations.reconcile(KEY)).toEqual({ kind: "done" });
    expect(t.backup().status).toMatchObject({ phase: "PartiallyFailed", backupItemOperationsCompleted: 1, errors: 1 });
    const entries = await tarEntries(await t.store.getBackupContents("b1"));
    expect(JSON.parse(entries.get("resources/configmaps/namespaces/app/cm1-result.json") ?? "{}")).toMatchObject({ data: { v: "before" } });
    expect(entries.has("resources/configmaps/namespaces/other/cm1-result-extra.json")).toBe(false);
  });

  it("an operation that reports an error: Failed, backup PartiallyFailed with backupItemOperationsFailed 1", async () => {
    const t = await setup();
    t.action.progressValue = { completed: true, err: "snapshot upload failed" };
    expect(await t.operations.reconcile(KEY)).toEqual({ kind: "done" });
    expect(t.backup().status).toMatchObject({ phase: "PartiallyFailed", backupItemOperationsFailed: 1, errors: 1 });
    // zero counts left out, as Go writes them (omitempty)
    expect(t.backup().status).not.toHaveProperty("backupItemOperationsCompleted");
    expect(t.stored().status).toMatchObject({ phase: "PartiallyFailed", backupItemOperationsFailed: 1 });
    expect((await t.ops())[0]?.status).toMatchObject({ phase: "Failed", error: "snapshot upload failed" });
    // the errors gauge follows the operation's error (3 items backed up), then the rewritten tarball's size and the outcome
    expect(t.metrics).toEqual(["items::3:1", "tarballSize::set", "partial::undefined", "lastStatus::false", "duration::0"]);
  });

  it("a progress call that throws fails the operation", async () => {
    const t = await setup();
    t.action.progressError = new Error("plugin crashed");
    await t.operations.reconcile(KEY);
    expect(t.backup().status).toMatchObject({ phase: "PartiallyFailed", backupItemOperationsFailed: 1 });
    expect((await t.ops())[0]?.status).toMatchObject({ phase: "Failed", error: "plugin crashed" });
  });

  it("an operation past spec.itemOperationTimeout is cancelled and failed", async () => {
    const t = await setup();
    expect(await t.operations.reconcile(KEY)).toMatchObject({ kind: "requeue" });
    t.clock.advance(4 * 3_600_000 + 1_000);
    expect(await t.operations.reconcile(KEY)).toEqual({ kind: "done" });
    expect(t.action.cancelled).toEqual(["op-cm1"]);
    // as Velero: the plugin is asked first; only an operation it says is not complete times out
    expect(t.action.progressCalls).toHaveLength(2);
    expect((await t.ops())[0]?.status).toMatchObject({ phase: "Failed", error: OPERATION_TIMED_OUT });
    expect(t.backup().status).toMatchObject({ phase: "PartiallyFailed", backupItemOperationsFailed: 1 });
    expect(t.stored().status?.phase).toBe("PartiallyFailed");
  });

  it("an operation past its timeout that the plugin reports completed is Completed, not timed out (the plugin is asked first, as in Velero)", async () => {
    const t = await setup();
    t.action.progressValue = { completed: false, nCompleted: 1, nTotal: 2 };
    expect(await t.operations.reconcile(KEY)).toMatchObject({ kind: "requeue" });
    t.clock.advance(4 * 3_600_000 + 1_000);
    t.action.progressValue = { completed: true, nCompleted: 2, nTotal: 2 };
    expect(await t.operations.reconcile(KEY)).toEqual({ kind: "done" });
    expect(t.action.cancelled).toEqual([]);
    expect((await t.ops())[0]?.status).toMatchObject({ phase: "Completed", nCompleted: 2 });
    expect(t.backup().status).toMatchObject({ phase: "Completed", backupItemOperationsCompleted: 1 });
  });

  it("an operation already done when the backup is written: straight to Finalizing (no WaitingForPluginOperations), then Completed by this controller", async () => {
    const t = await setup({ progressAtBackupEnd: { completed: true, nCompleted: 1, nTotal: 1 } });
    expect(t.backup().status).toMatchObject({ phase: "Finalizing", backupItemOperationsAttempted: 1, backupItemOperationsCompleted: 1 });
    expect((await t.ops())[0]?.status).toMatchObject({ phase: "Completed" });
    expect(await t.operations.reconcile(KEY)).toEqual({ kind: "done" });
    expect(t.action.progressCalls).toEqual([]);
    expect(t.backup().status).toMatchObject({ phase: "Completed", backupItemOperationsCompleted: 1 });
    expect(t.stored().status?.phase).toBe("Completed");
  });

  it("an operation that failed by the time the backup is written: an error of the backup, FinalizingPartiallyFailed", async () => {
    const t = await setup({ progressAtBackupEnd: { completed: true, err: "snapshot refused" } });
    expect(t.backup().status).toMatchObject({ phase: "FinalizingPartiallyFailed", backupItemOperationsFailed: 1, errors: 1 });
    expect(await t.operations.reconcile(KEY)).toEqual({ kind: "done" });
    expect(t.backup().status).toMatchObject({ phase: "PartiallyFailed", backupItemOperationsFailed: 1 });
  });

  it("an action that is no longer registered fails its operation with Velero's words", async () => {
    const t = await setup();
    const ops = new BackupOperationsReconciler({
      kube: t.kube,
      logger: createSilentLogger(),
      clock: t.clock,
      getBackupStore: async () => t.store,
      plugins: { getBackupItemActions: async () => [] },
    });
    await ops.reconcile(KEY);
    expect((await t.ops())[0]?.status.error).toBe(`unable to get valid BackupItemActionV2 for "${ACTION}"`);
    expect(t.backup().status?.phase).toBe("PartiallyFailed");
  });

  it("a backup already WaitingForPluginOperationsPartiallyFailed ends PartiallyFailed even when its operations complete", async () => {
    const t = await setup();
    await t.kube.patch(GVR.backups, "b1", "velero", { status: { phase: "WaitingForPluginOperationsPartiallyFailed", errors: 2 } });
    t.action.progressValue = { completed: true };
    await t.operations.reconcile(KEY);
    expect(t.backup().status).toMatchObject({ phase: "PartiallyFailed", backupItemOperationsCompleted: 1, errors: 2 });
    // zero counts left out, as Go writes them (omitempty)
    expect(t.backup().status).not.toHaveProperty("backupItemOperationsFailed");
  });

  it("a backup whose location was deleted, or made ReadOnly, while its operations ran ends PartiallyFailed, its errors count and completion time untouched, and nothing is written to the bucket (as Velero)", async () => {
    for (const change of ["deleted", "read-only"] as const) {
      const t = await setup();
      if (change === "deleted") await t.kube.delete(GVR.backupStorageLocations, "default", "velero");
      else await t.kube.patch(GVR.backupStorageLocations, "default", "velero", { spec: { accessMode: "ReadOnly" } });
      const puts = t.objects.puts.length;
      t.clock.advance(5_000);
      expect(await t.operations.reconcile(KEY), change).toEqual({ kind: "done" });
      expect(t.backup().status?.phase, change).toBe("PartiallyFailed");
      expect(t.backup().status, change).not.toHaveProperty("errors");
      expect(t.backup().status, change).not.toHaveProperty("completionTimestamp");
      expect(t.objects.puts.length, `${change}: no write`).toBe(puts);
      expect(t.action.progressCalls, `${change}: the plugin is not asked`).toEqual([]);
      expect(t.stored().status?.phase, `${change}: the bucket's copy is left as it was`).toBe("WaitingForPluginOperations");
      // Velero sets the errors gauge only (3 items, no errors)
      expect(t.metrics, change).toEqual(["items::3:0"]);
      // done: a later look changes nothing
      expect(await t.operations.reconcile(KEY)).toEqual({ kind: "done" });
    }
  });

  it("a Finalizing backup whose location is gone is retried (it throws, stays Finalizing, nothing written) and finishes once the location is back, as Velero's finalizer", async () => {
    const t = await setup();
    await t.kube.patch(GVR.backups, "b1", "velero", { status: { phase: "Finalizing" } });
    const location = t.kube.peek<BackupStorageLocation>(GVR.backupStorageLocations, "default", "velero") as BackupStorageLocation;
    await t.kube.delete(GVR.backupStorageLocations, "default", "velero");
    const puts = t.objects.puts.length;
    await expect(t.operations.reconcile(KEY)).rejects.toThrow(/backup storage location "default" does not exist/);
    expect(t.backup().status?.phase).toBe("Finalizing");
    expect(t.objects.puts.length).toBe(puts);
    await t.kube.create(GVR.backupStorageLocations, { ...location, metadata: { name: "default", namespace: "velero" } } as never);
    expect(await t.operations.reconcile(KEY)).toEqual({ kind: "done" });
    expect(t.backup().status?.phase).toBe("Completed");
  });

  it("a Finalizing backup whose location became ReadOnly ends PartiallyFailed with an error and nothing is written (Velero would write to it: README)", async () => {
    const t = await setup();
    await t.kube.patch(GVR.backups, "b1", "velero", { status: { phase: "Finalizing" } });
    await t.kube.patch(GVR.backupStorageLocations, "default", "velero", { spec: { accessMode: "ReadOnly" } });
    const puts = t.objects.puts.length;
    expect(await t.operations.reconcile(KEY)).toEqual({ kind: "done" });
    expect(t.backup().status).toMatchObject({ phase: "PartiallyFailed", errors: 1 });
    expect(t.objects.puts.length).toBe(puts);
  });

  it("a tarball that cannot be stored while finalizing: the reconcile throws and the backup stays Finalizing with its tarball as it was; the next try completes it", async () => {
    const t = await setup();
    await t.kube.patch(GVR.configMaps, "cm1-result", "app", { data: { v: "after" } });
    t.action.progressValue = { completed: true };
    t.objects.failPutOn = (key) => key.endsWith(".tar.gz");
    await expect(t.operations.reconcile(KEY)).rejects.toThrow(/b1\.tar\.gz failed/);
    expect(t.backup().status?.phase).toBe("Finalizing");
    expect(t.backup().status).not.toHaveProperty("errors");
    expect(t.stored().status?.phase).toBe("Finalizing");
    let entries = await tarEntries(await t.store.getBackupContents("b1"));
    expect(JSON.parse(entries.get("resources/configmaps/namespaces/app/cm1-result.json") ?? "{}")).toMatchObject({ data: { v: "before" } });
    t.objects.failPutOn = undefined;
    expect(await t.operations.reconcile(KEY)).toEqual({ kind: "done" });
    expect(t.backup().status?.phase).toBe("Completed");
    entries = await tarEntries(await t.store.getBackupContents("b1"));
    expect(JSON.parse(entries.get("resources/configmaps/namespaces/app/cm1-result.json") ?? "{}")).toMatchObject({ data: { v: "after" } });
  });

  it("a post-operation item gone from the cluster keeps its earlier copy; an error of the backup, PartiallyFailed (README: Velero only logs it)", async () => {
    const t = await setup();
    await t.kube.delete(GVR.configMaps, "cm1-result", "app");
    t.action.progressValue = { completed: true };
    expect(await t.operations.reconcile(KEY)).toEqual({ kind: "done" });
    expect(t.backup().status).toMatchObject({ phase: "PartiallyFailed", errors: 1 });
    expect(t.stored().status).toMatchObject({ phase: "PartiallyFailed", errors: 1 });
    const entries = await tarEntries(await t.store.getBackupContents("b1"));
    expect(JSON.parse(entries.get("resources/configmaps/namespaces/app/cm1-result.json") ?? "{}")).toMatchObject({ data: { v: "before" } });
  });

  it("the rewritten tarball replaces only entries of the same path: a copy of the item under another version directory is kept (Velero's buildFinalTarball)", async () => {
    const t = await setup();
    // another served version's copy, as EnableAPIGroupVersions writes one
    const otherVersion = "resources/configmaps/v2/namespaces/app/cm1-result.json";
    const dir = await mkdtemp(join(tmpdir(), "vt-ops-test-"));
    try {
      const path = join(dir, "b1.tar.gz");
      const writer = new TarballWriter(path);
      for (const [name, data] of await tarEntries(await t.store.getBackupContents("b1"))) await writer.writeFile(name, data);
      await writer.writeFile(otherVersion, '{"v2":"before"}');
      await writer.close();
      await t.store.putBackupContents("b1", createReadStream(path));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    await t.kube.patch(GVR.configMaps, "cm1-result", "app", { data: { v: "after" } });
    t.action.progressValue = { completed: true };
    expect(await t.operations.reconcile(KEY)).toEqual({ kind: "done" });
    const entries = await tarEntries(await t.store.getBackupContents("b1"));
    expect(entries.get(otherVersion)).toBe('{"v2":"before"}');
    expect(JSON.parse(entries.get("resources/configmaps/namespaces/app/cm1-result.json") ?? "{}")).toMatchObject({ data: { v: "after" } });
  });

  it("an operation that fails while another still runs: the bucket's velero-backup.json follows (WaitingForPluginOperationsPartiallyFailed, errors 1), as Velero writes it", async () => {
    const t = await setup({ secondOperation: true });
    t.action.progressFor.set("op-cm1", { completed: true, err: "upload refused" });
    expect(await t.operations.reconcile(KEY)).toMatchObject({ kind: "requeue" });
    expect(t.backup().status).toMatchObject({ phase: "WaitingForPluginOperationsPartiallyFailed", errors: 1, backupItemOperationsFailed: 1 });
    expect(t.stored().status).toMatchObject({ phase: "WaitingForPluginOperationsPartiallyFailed", errors: 1, backupItemOperationsFailed: 1 });
    expect((await t.ops()).map((o) => o.status.phase)).toEqual(["Failed", "New"]);
  });

  it("a negative spec.itemOperationTimeout times an unfinished operation out at its first check (Velero defaults only a zero timeout)", async () => {
    const t = await setup({ itemOperationTimeout: "-1m" });
    expect(await t.operations.reconcile(KEY)).toEqual({ kind: "done" });
    expect(t.action.cancelled).toEqual(["op-cm1"]);
    expect((await t.ops())[0]?.status).toMatchObject({ phase: "Failed", error: OPERATION_TIMED_OUT });
  });

  it("an operation failing as the backup is written is logged in the backup's results with Velero's words (<error>, plugin: <name>)", async () => {
    const t = await setup({ progressAtBackupEnd: { completed: true, err: "snapshot refused" } });
    const results = JSON.parse(gunzipSync(t.objects.get("bucket", "backups/b1/b1-results.gz") ?? Buffer.alloc(0)).toString()) as { errors?: { velero?: string[] } };
    // (an entry without a resource is written " message: /<text>", as Velero's log hook writes it)
    expect(results.errors?.velero).toEqual([` message: /snapshot refused, plugin: ${ACTION}`]);
  });

  it("ignores backups in other phases", async () => {
    const t = await setup();
    await t.kube.patch(GVR.backups, "b1", "velero", { status: { phase: "Completed" } });
    expect(await t.operations.reconcile(KEY)).toEqual({ kind: "done" });
    expect(await t.operations.reconcile("velero/missing")).toEqual({ kind: "done" });
    expect(t.action.progressCalls).toEqual([]);
  });
});

describe("updateCsiVolumeInfos (Velero's updateVolumeInfos while a backup finalizes)", () => {
  const op = (id: string, status: Partial<StoredOperation["status"]>): StoredOperation =>
    ({
      spec: { backupName: "b", backupUID: "u", backupItemAction: "velero.io/csi-volumesnapshot-backupper", resourceIdentifier: { Group: "snapshot.storage.k8s.io", Resource: "volumesnapshots", Namespace: "app", Name: "vs" }, operationID: id, postOperationItems: null },
      status: { phase: "Completed", ...status },
    }) as StoredOperation;
  const csi = (id: string) => ({ pvcName: "data", backupMethod: "CSISnapshot", snapshotDataMoved: false, preserveLocalSnapshot: true, skipped: false, startTimestamp: "2026-11-28T10:00:00Z", csiSnapshotInfo: { snapshotHandle: "h", operationID: id }, pvInfo: { reclaimPolicy: "Delete", labels: null } });

  it("gives each CSI snapshot its operation's result and last update, in Velero's field order", async () => {
    const stored = new Map<string, unknown[]>([["b", [{ pvName: "pv-native", backupMethod: "NativeSnapshot", skipped: false }, csi("ok"), csi("bad"), csi("unknown")]]]);
    const store = { getBackupVolumeInfos: async (n: string) => stored.get(n), putBackupVolumeInfos: async (n: string, v: unknown[]) => void stored.set(n, v) };
    await updateCsiVolumeInfos(store, "b", [op("ok", { updated: "2026-11-28T10:00:05Z" }), op("bad", { phase: "Failed", error: "driver failed", updated: "2026-11-28T10:00:06Z" })]);
    const [native, ok, bad, unknown] = stored.get("b") as Record<string, unknown>[];
    expect(native).toEqual({ pvName: "pv-native", backupMethod: "NativeSnapshot", skipped: false });
    expect(ok).toMatchObject({ result: "succeeded", completionTimestamp: "2026-11-28T10:00:05Z" });
    expect(Object.keys(ok ?? {})).toEqual(["pvcName", "backupMethod", "snapshotDataMoved", "preserveLocalSnapshot", "skipped", "startTimestamp", "completionTimestamp", "result", "csiSnapshotInfo", "pvInfo"]);
    expect(bad).toMatchObject({ result: "failed", completionTimestamp: "2026-11-28T10:00:06Z" });
    expect(unknown).toEqual(csi("unknown"));
  });

  it("writes nothing for a backup without volume info or CSI snapshots", async () => {
    let writes = 0;
    const put = async () => void writes++;
    await updateCsiVolumeInfos({ getBackupVolumeInfos: async () => undefined, putBackupVolumeInfos: put }, "b", [op("ok", {})]);
    await updateCsiVolumeInfos({ getBackupVolumeInfos: async () => [{ backupMethod: "NativeSnapshot" }], putBackupVolumeInfos: put }, "b", [op("ok", {})]);
    expect(writes).toBe(0);
  });
});
