import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { Restore, RestoreSpec, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { KubeApiError } from "../../../kube/errors.js";
import { GVR } from "../../../kube/gvr.js";
import { runWithActionLog } from "../../../shared/action-log.js";
import { createSilentLogger } from "../../../shared/logging.js";
import { captureLogger } from "../../../testing/capturing-logger.js";
import { FakeKubeClient } from "../../../testing/fake-kube-client.js";
import { forBackupObject, forPvc, forRestoreObject } from "../../testing/fixtures.js";
import type { BuiltinActionDeps } from "../common.js";
import { CsiPvcRestoreAction } from "./pvc.js";

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

function claim(annotations: Record<string, string> = {}): UnstructuredItem {
  const pvc = forPvc("app", "data", "pv-1", { annotations });
  (pvc.spec as Record<string, unknown>).dataSourceRef = { apiGroup: "example.io", kind: "Populator", name: "p" };
  return pvc;
}

function setup(options: { snapshotMoveData?: boolean; seedBackup?: boolean } = {}) {
  const kube = new FakeKubeClient();
  if (options.seedBackup !== false) {
    const backup = forBackupObject("b1");
    if (options.snapshotMoveData !== undefined) backup.spec.snapshotMoveData = options.snapshotMoveData;
    kube.seed(GVR.backups, backup);
  }
  const deps: BuiltinActionDeps = { kube, veleroNamespace: "velero", logger: createSilentLogger() };
  return { kube, action: new CsiPvcRestoreAction(deps) };
}

async function run(action: CsiPvcRestoreAction, fromBackup: UnstructuredItem, spec: Partial<RestoreSpec> = {}, item: UnstructuredItem = structuredClone(fromBackup)) {
  const log = captureLogger();
  const restore: Restore = forRestoreObject(spec);
  const out = await runWithActionLog(log, () => action.execute({ item, itemFromBackup: fromBackup, restore }));
  return { out, log };
}

describe("CsiPvcRestoreAction", () => {
  it("applies to persistentvolumeclaims", async () => {
    const { action } = setup();
    expect((await action.appliesTo()).includedResources).toEqual(["persistentvolumeclaims"]);
  });

  it("returns the item unchanged when the claim already exists in the mapped namespace", async () => {
    const { kube, action } = setup();
    kube.seed(GVR.persistentVolumeClaims, forPvc("target", "data", "pv-other"));
    const pvc = claim({ "velero.io/volume-snapshot-name": "vs-1" });
    const { out, log } = await run(action, pvc, { namespaceMapping: { app: "target" } });
    expect(out.item).toEqual(pvc);
    expect(out.additionalItems ?? []).toEqual([]);
    expect(log.records).toContainEqual(expect.objectContaining({ level: "warn", message: "PVC already exists. Skip restore this PVC." }));
  });

  it("does not take a claim in the source namespace for one in the mapped namespace", async () => {
    const { kube, action } = setup();
    kube.seed(GVR.persistentVolumeClaims, forPvc("app", "data", "pv-1"));
    const { out } = await run(action, claim({ "velero.io/volume-snapshot-name": "vs-1" }), { namespaceMapping: { app: "target" } });
    expect((out.item.spec as Record<string, unknown>).dataSource).toEqual({ apiGroup: "snapshot.storage.k8s.io", kind: "VolumeSnapshot", name: sha256("uid-r1/vs-1") });
  });

  it("clears the volume name and data sources when the restore does not restore volumes", async () => {
    const { action } = setup({ seedBackup: false });
    const pvc = claim({ "velero.io/volume-snapshot-name": "vs-1" });
    (pvc.spec as Record<string, unknown>).dataSource = { apiGroup: "snapshot.storage.k8s.io", kind: "VolumeSnapshot", name: "old" };
    const { out } = await run(action, pvc, { restorePVs: false });
    expect(out.item.spec).toEqual({ accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, storageClassName: "standard" });
    expect(out.additionalItems ?? []).toEqual([]);
    expect(out.skipRestore ?? false).toBe(false);
  });

  it("fails naming the backup when the restore's backup does not exist", async () => {
    const { action } = setup({ seedBackup: false });
    await expect(run(action, claim({ "velero.io/volume-snapshot-name": "vs-1" }))).rejects.toThrow(/^fail to get backup for restore: backup "velero\/b1" not found/);
  });

  it("fails with the API error when the backup cannot be read", async () => {
    const { kube, action } = setup();
    kube.failNext("get", "backups", new KubeApiError({ statusCode: 403, reason: "Forbidden", message: "backups.velero.io \"b1\" is forbidden" }));
    await expect(run(action, claim())).rejects.toThrow('fail to get backup for restore: backups.velero.io "b1" is forbidden');
  });

  it("fails naming the claim and its DataUpload when the backup moved the data", async () => {
    const { action } = setup({ snapshotMoveData: true });
    const pvc = claim({ "velero.io/data-upload-name": "b1-abcde" });
    const run1 = run(action, pvc);
    await expect(run1).rejects.toThrow(/PVC app\/data.*DataUpload "b1-abcde".*velero-ts has no data mover.*restore this backup with Velero, or back up without --snapshot-move-data/);
  });

  it("returns the item unchanged when the backup moved data but the claim has no DataUpload", async () => {
    const { action } = setup({ snapshotMoveData: true });
    const pvc = claim({ "velero.io/volume-snapshot-name": "vs-1" });
    const { out } = await run(action, pvc);
    expect(out.item).toEqual(pvc);
    expect(out.additionalItems ?? []).toEqual([]);
  });

  it("returns the item unchanged when the backed-up claim names no VolumeSnapshot", async () => {
    const { action } = setup({ snapshotMoveData: false });
    const pvc = claim();
    const { out, log } = await run(action, pvc);
    expect(out.item).toEqual(pvc);
    expect(out.additionalItems ?? []).toEqual([]);
    expect(log.records).toContainEqual(expect.objectContaining({ level: "info", message: "Skipping PVCRestoreItemAction for PVC, PVC does not have a CSI VolumeSnapshot." }));
  });

  it("points the claim at the restore's VolumeSnapshot and restores the backed-up one first", async () => {
    const { action } = setup();
    const fromBackup = claim({ "velero.io/volume-snapshot-name": "vs-1" });
    // an earlier action (velero.io/pvc) took the annotation off the item: it is read from the backup
    const item = structuredClone(fromBackup);
    delete item.metadata.annotations?.["velero.io/volume-snapshot-name"];
    const { out } = await run(action, fromBackup, { namespaceMapping: { app: "target" } }, item);
    expect(out.item.spec).toEqual({
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: "1Gi" } },
      storageClassName: "standard",
      dataSource: { apiGroup: "snapshot.storage.k8s.io", kind: "VolumeSnapshot", name: sha256("uid-r1/vs-1") },
    });
    expect(out.item.metadata).toEqual(item.metadata);
    expect(out.additionalItems).toEqual([{ group: "snapshot.storage.k8s.io", resource: "volumesnapshots", namespace: "app", name: "vs-1" }]);
    expect(out.operationId ?? "").toBe("");
  });

  it("does not change the input item", async () => {
    const { action } = setup();
    const fromBackup = claim({ "velero.io/volume-snapshot-name": "vs-1" });
    const item = structuredClone(fromBackup);
    await run(action, fromBackup, {}, item);
    expect(item).toEqual(fromBackup);
  });

  it("starts no operations: progress and cancel reject, additional items are ready", async () => {
    const { action } = setup();
    const restore = forRestoreObject();
    await expect(action.progress("", restore)).rejects.toThrow('operation ID "" is invalid');
    await expect(action.progress("dd-1", restore)).rejects.toThrow('operation ID "dd-1" is invalid');
    await expect(action.cancel("", restore)).rejects.toThrow('operation ID "" is invalid');
    expect(await action.areAdditionalItemsReady([], restore)).toBe(true);
  });
});
