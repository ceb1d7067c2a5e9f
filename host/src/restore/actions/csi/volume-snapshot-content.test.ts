import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { ResourceIdentifier, RestoreSpec, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { KubeApiError } from "../../../kube/errors.js";
import { GVR } from "../../../kube/gvr.js";
import { runWithActionLog } from "../../../shared/action-log.js";
import { createSilentLogger } from "../../../shared/logging.js";
import { captureLogger } from "../../../testing/capturing-logger.js";
import { FakeKubeClient } from "../../../testing/fake-kube-client.js";
import { forItem, forRestoreObject } from "../../testing/fixtures.js";
import { CsiVolumeSnapshotContentRestoreAction } from "./volume-snapshot-content.js";

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

function content(options: { annotations?: Record<string, string>; snapshotHandle?: string | null } = {}): UnstructuredItem {
  const status = options.snapshotHandle === null ? { readyToUse: false } : { snapshotHandle: options.snapshotHandle ?? "snap-handle-1", readyToUse: true };
  return forItem(
    "snapshot.storage.k8s.io/v1",
    "VolumeSnapshotContent",
    undefined,
    "snapcontent-1",
    {
      spec: {
        deletionPolicy: "Delete",
        driver: "hostpath.csi.k8s.io",
        source: { volumeHandle: "vol-1" },
        volumeSnapshotClassName: "old-class",
        volumeSnapshotRef: { apiVersion: "snapshot.storage.k8s.io/v1", kind: "VolumeSnapshot", namespace: "app", name: "vs-1", resourceVersion: "77", uid: "vs-uid" },
      },
      status,
    },
    options.annotations ? { annotations: options.annotations } : {},
  );
}

function snapshotClass(name: string, driver: string): UnstructuredItem {
  return forItem("snapshot.storage.k8s.io/v1", "VolumeSnapshotClass", undefined, name, { driver, deletionPolicy: "Delete" });
}

function setup(...classes: UnstructuredItem[]) {
  const kube = new FakeKubeClient();
  kube.seed(GVR.volumeSnapshotClasses, ...classes);
  return { kube, action: new CsiVolumeSnapshotContentRestoreAction({ kube, veleroNamespace: "velero", logger: createSilentLogger() }) };
}

async function run(action: CsiVolumeSnapshotContentRestoreAction, fromBackup: UnstructuredItem, spec: Partial<RestoreSpec> = {}) {
  const log = captureLogger();
  const out = await runWithActionLog(log, () => action.execute({ item: structuredClone(fromBackup), itemFromBackup: fromBackup, restore: forRestoreObject(spec) }));
  return { out, log };
}

describe("CsiVolumeSnapshotContentRestoreAction", () => {
  it("applies to volumesnapshotcontents.snapshot.storage.k8s.io", async () => {
    expect((await setup().action.appliesTo()).includedResources).toEqual(["volumesnapshotcontents.snapshot.storage.k8s.io"]);
  });

  it("skips the content when the restore does not restore volumes", async () => {
    const { out } = await run(setup().action, content(), { restorePVs: false });
    expect(out.skipRestore).toBe(true);
  });

  it("makes a retained, pre-provisioned content for the snapshot handle, named and bound as the restored snapshot", async () => {
    const { action } = setup(snapshotClass("a-other", "other.csi"), snapshotClass("b-hostpath", "hostpath.csi.k8s.io"), snapshotClass("c-hostpath", "hostpath.csi.k8s.io"));
    const { out } = await run(action, content());
    const name = sha256("uid-r1/vs-1");
    expect(out.item.metadata.name).toBe(name);
    expect(out.item.spec).toEqual({
      deletionPolicy: "Retain",
      driver: "hostpath.csi.k8s.io",
      source: { snapshotHandle: "snap-handle-1" },
      volumeSnapshotClassName: "b-hostpath",
      volumeSnapshotRef: { apiVersion: "snapshot.storage.k8s.io/v1", kind: "VolumeSnapshot", namespace: "app", name },
    });
    expect(out.additionalItems).toEqual([]);
  });

  it("points at the snapshot in the mapped namespace", async () => {
    const { out } = await run(setup().action, content(), { namespaceMapping: { app: "target" } });
    expect((out.item.spec as { volumeSnapshotRef: { namespace: string } }).volumeSnapshotRef.namespace).toBe("target");
  });

  it("leaves the class unset when no class in the cluster has the content's driver", async () => {
    const { out } = await run(setup(snapshotClass("other", "other.csi")).action, content());
    expect(out.item.spec).not.toHaveProperty("volumeSnapshotClassName");
  });

  it("leaves the class unset and warns when the classes cannot be listed", async () => {
    const { kube, action } = setup(snapshotClass("hostpath", "hostpath.csi.k8s.io"));
    kube.failNext("list", "volumesnapshotclasses", new KubeApiError({ statusCode: 403, reason: "Forbidden", message: "forbidden" }));
    const { out, log } = await run(action, content());
    expect(out.item.spec).not.toHaveProperty("volumeSnapshotClassName");
    expect(log.records).toContainEqual(expect.objectContaining({ level: "warn", message: "Failed to list VolumeSnapshotClasses: forbidden" }));
  });

  it("fails naming the content when the backed-up content has no snapshot handle", async () => {
    await expect(run(setup().action, content({ snapshotHandle: null }))).rejects.toThrow(
      new RegExp(`^fail to get snapshot handle from VSC ${sha256("uid-r1/vs-1")} status: the backed-up VolumeSnapshotContent "snapcontent-1" has no status.snapshotHandle`),
    );
  });

  it.each<{ name: string; annotations: Record<string, string>; want: ResourceIdentifier[] }>([
    { name: "restores the snapshotter secret first", annotations: { "csi.storage.k8s.io/snapshotter-secret-name": "s", "csi.storage.k8s.io/snapshotter-secret-namespace": "creds" }, want: [{ group: "", resource: "secrets", namespace: "creds", name: "s" }] },
    { name: "restores no secret when only its name is annotated", annotations: { "csi.storage.k8s.io/snapshotter-secret-name": "s" }, want: [] },
    { name: "restores no secret for the deletion-secret annotations (Velero reads only the snapshotter ones)", annotations: { "snapshot.storage.kubernetes.io/deletion-secret-name": "s", "snapshot.storage.kubernetes.io/deletion-secret-namespace": "creds" }, want: [] },
  ])("$name", async ({ annotations, want }) => {
    const { out } = await run(setup().action, content({ annotations }));
    expect(out.additionalItems).toEqual(want);
  });
});
