import { describe, expect, it } from "vitest";
import type { ResourceIdentifier, RestoreSpec, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { forItem, forRestoreObject } from "../../testing/fixtures.js";
import { CsiVolumeSnapshotClassRestoreAction } from "./volume-snapshot-class.js";

function snapshotClass(annotations: Record<string, string> = {}): UnstructuredItem {
  return forItem("snapshot.storage.k8s.io/v1", "VolumeSnapshotClass", undefined, "csi-class", { driver: "hostpath.csi.k8s.io", deletionPolicy: "Delete" }, { annotations });
}

function run(item: UnstructuredItem, spec: Partial<RestoreSpec> = {}) {
  return new CsiVolumeSnapshotClassRestoreAction().execute({ item: structuredClone(item), itemFromBackup: item, restore: forRestoreObject(spec) });
}

describe("CsiVolumeSnapshotClassRestoreAction", () => {
  it("applies to volumesnapshotclasses.snapshot.storage.k8s.io", async () => {
    expect((await new CsiVolumeSnapshotClassRestoreAction().appliesTo()).includedResources).toEqual(["volumesnapshotclasses.snapshot.storage.k8s.io"]);
  });

  it("skips the class when the restore does not restore volumes", async () => {
    expect((await run(snapshotClass(), { restorePVs: false })).skipRestore).toBe(true);
  });

  it.each<{ name: string; annotations: Record<string, string>; want: ResourceIdentifier[] }>([
    {
      name: "restores the lister secret first",
      annotations: { "csi.storage.k8s.io/snapshotter-list-secret-name": "lister", "csi.storage.k8s.io/snapshotter-list-secret-namespace": "creds" },
      want: [{ group: "", resource: "secrets", namespace: "creds", name: "lister" }],
    },
    { name: "restores no secret when only its namespace is annotated", annotations: { "csi.storage.k8s.io/snapshotter-list-secret-namespace": "creds" }, want: [] },
    { name: "restores no secret for the snapshotter secret annotations", annotations: { "csi.storage.k8s.io/snapshotter-secret-name": "s", "csi.storage.k8s.io/snapshotter-secret-namespace": "creds" }, want: [] },
  ])("$name and keeps the class unchanged", async ({ annotations, want }) => {
    const item = snapshotClass(annotations);
    const out = await run(item);
    expect(out.item).toEqual(item);
    expect(out.additionalItems).toEqual(want);
    expect(out.skipRestore ?? false).toBe(false);
  });

  it("starts no operations", async () => {
    const action = new CsiVolumeSnapshotClassRestoreAction();
    await expect(action.progress("op", forRestoreObject())).rejects.toThrow('operation ID "op" is invalid');
    expect(await action.areAdditionalItemsReady([], forRestoreObject())).toBe(true);
  });
});
