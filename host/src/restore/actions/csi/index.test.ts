import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { describeRestoreItemActionConformance } from "@velero-ts/plugin-sdk/testing";
import { GVR } from "../../../kube/gvr.js";
import { createSilentLogger } from "../../../shared/logging.js";
import { FakeKubeClient } from "../../../testing/fake-kube-client.js";
import { forBackupObject, forItem, forPvc, forRestoreObject } from "../../testing/fixtures.js";
import { builtinCsiRestoreItemActions, CSI_RESTORE_ITEM_ACTIONS, restoredSnapshotName } from "./index.js";

describe("builtinCsiRestoreItemActions", () => {
  it("lists Velero's CSI restore actions in its registration order, each applying to its resource", async () => {
    const actions = builtinCsiRestoreItemActions({ kube: new FakeKubeClient(), veleroNamespace: "velero", logger: createSilentLogger() });
    expect(actions.map((a) => a.name)).toEqual([
      "velero.io/csi-pvc-restorer",
      "velero.io/csi-volumesnapshot-restorer",
      "velero.io/csi-volumesnapshotcontent-restorer",
      "velero.io/csi-volumesnapshotclass-restorer",
    ]);
    expect(Object.values(CSI_RESTORE_ITEM_ACTIONS)).toEqual(actions.map((a) => a.name));
    const applies = await Promise.all(actions.map(async (a) => (await a.create().appliesTo()).includedResources));
    expect(applies).toEqual([
      ["persistentvolumeclaims"],
      ["volumesnapshots.snapshot.storage.k8s.io"],
      ["volumesnapshotcontents.snapshot.storage.k8s.io"],
      ["volumesnapshotclasses.snapshot.storage.k8s.io"],
    ]);
  });
});

describe("restoredSnapshotName", () => {
  it("is the hex SHA-256 of the restore UID and the snapshot name joined by a slash", () => {
    expect(restoredSnapshotName("0b6f6c1e-uid", "velero-data-abcde")).toBe(createHash("sha256").update("0b6f6c1e-uid/velero-data-abcde").digest("hex"));
    // pinned (sha256sum of "uid-r1/vs-1"), so a change to the joining cannot go unnoticed
    expect(restoredSnapshotName("uid-r1", "vs-1")).toBe("b2862b0a7a7e7b0722bd264a535b25b68465864904d61234245802cf6ea87fbb");
  });
});

const SAMPLES = {
  "velero.io/csi-pvc-restorer": [forPvc("app", "data", "pv-1", { annotations: { "velero.io/volume-snapshot-name": "vs-1" } }), forPvc("app", "plain", "pv-2")],
  "velero.io/csi-volumesnapshot-restorer": [forItem("snapshot.storage.k8s.io/v1", "VolumeSnapshot", "app", "vs-1", { spec: { source: { persistentVolumeClaimName: "data" } }, status: { boundVolumeSnapshotContentName: "vsc-1" } })],
  "velero.io/csi-volumesnapshotcontent-restorer": [
    forItem("snapshot.storage.k8s.io/v1", "VolumeSnapshotContent", undefined, "vsc-1", {
      spec: { driver: "d", deletionPolicy: "Delete", source: { volumeHandle: "v" }, volumeSnapshotRef: { namespace: "app", name: "vs-1" } },
      status: { snapshotHandle: "h" },
    }),
  ],
  "velero.io/csi-volumesnapshotclass-restorer": [forItem("snapshot.storage.k8s.io/v1", "VolumeSnapshotClass", undefined, "c", { driver: "d", deletionPolicy: "Delete" })],
} as const;

for (const [name, items] of Object.entries(SAMPLES)) {
  describeRestoreItemActionConformance(name, async () => {
    const kube = new FakeKubeClient().seed(GVR.backups, forBackupObject("b1"));
    const entry = builtinCsiRestoreItemActions({ kube, veleroNamespace: "velero", logger: createSilentLogger() }).find((a) => a.name === name);
    if (!entry) throw new Error(`no action ${name}`);
    return { action: entry.create(), restore: forRestoreObject(), items: [...items] };
  });
}
