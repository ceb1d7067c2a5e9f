import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { RestoreSpec, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { runWithActionLog } from "../../../shared/action-log.js";
import { captureLogger } from "../../../testing/capturing-logger.js";
import { forItem, forRestoreObject } from "../../testing/fixtures.js";
import { CsiVolumeSnapshotRestoreAction } from "./volume-snapshot.js";

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

function volumeSnapshot(options: { annotations?: Record<string, string>; boundContent?: string | null } = {}): UnstructuredItem {
  const status = options.boundContent === null ? { readyToUse: false } : { boundVolumeSnapshotContentName: options.boundContent ?? "snapcontent-1", readyToUse: true };
  return forItem(
    "snapshot.storage.k8s.io/v1",
    "VolumeSnapshot",
    "app",
    "vs-1",
    { spec: { source: { persistentVolumeClaimName: "data" }, volumeSnapshotClassName: "csi-class" }, status },
    options.annotations ? { annotations: options.annotations } : {},
  );
}

async function run(fromBackup: UnstructuredItem, spec: Partial<RestoreSpec> = {}) {
  const log = captureLogger();
  const action = new CsiVolumeSnapshotRestoreAction();
  const out = await runWithActionLog(log, () => action.execute({ item: structuredClone(fromBackup), itemFromBackup: fromBackup, restore: forRestoreObject(spec) }));
  return { out, log };
}

describe("CsiVolumeSnapshotRestoreAction", () => {
  it("applies to volumesnapshots.snapshot.storage.k8s.io", async () => {
    expect((await new CsiVolumeSnapshotRestoreAction().appliesTo()).includedResources).toEqual(["volumesnapshots.snapshot.storage.k8s.io"]);
  });

  it("skips the snapshot when the restore does not restore volumes", async () => {
    const { out } = await run(volumeSnapshot(), { restorePVs: false });
    expect(out.skipRestore).toBe(true);
  });

  it("binds the snapshot to the restored content under the restore-unique name", async () => {
    const { out } = await run(volumeSnapshot({ annotations: { keep: "me" } }));
    const name = sha256("uid-r1/vs-1");
    expect(out.item.metadata.name).toBe(name);
    expect(out.item.metadata.namespace).toBe("app");
    expect(out.item.metadata.annotations).toEqual({ keep: "me", "velero.io/csi-vsc-deletion-policy": "Retain" });
    expect(out.item.spec).toEqual({ source: { volumeSnapshotContentName: name } });
    expect(out.additionalItems).toEqual([{ group: "snapshot.storage.k8s.io", resource: "volumesnapshotcontents", namespace: "", name: "snapcontent-1" }]);
    expect(out.skipRestore ?? false).toBe(false);
  });

  it("creates the annotations when the snapshot has none", async () => {
    const vs = volumeSnapshot();
    delete vs.metadata.annotations;
    const { out } = await run(vs);
    expect(out.item.metadata.annotations).toEqual({ "velero.io/csi-vsc-deletion-policy": "Retain" });
  });

  it("fails naming the snapshot when the backed-up snapshot has no bound content", async () => {
    await expect(run(volumeSnapshot({ boundContent: null }))).rejects.toThrow(/^VS app\/vs-1 doesn't have bound VSC: .*status\.boundVolumeSnapshotContentName/);
  });

  it("restores a group snapshot member on its own, saying no stub group content is created", async () => {
    const { out, log } = await run(volumeSnapshot({ annotations: { "velero.io/csi-volumegroupsnapshot-handle": "group-1" } }));
    expect(out.item.metadata.name).toBe(sha256("uid-r1/vs-1"));
    expect(log.records).toContainEqual(expect.objectContaining({ level: "info", message: expect.stringContaining("does not create the stub VolumeGroupSnapshotContent") }));
  });

  it("starts no operations", async () => {
    const action = new CsiVolumeSnapshotRestoreAction();
    await expect(action.progress("", forRestoreObject())).rejects.toThrow('operation ID "" is invalid');
    await expect(action.cancel("x", forRestoreObject())).resolves.toBeUndefined();
    expect(await action.areAdditionalItemsReady([], forRestoreObject())).toBe(true);
  });
});
