import { describe, expect, it } from "vitest";
import type { Backup, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { GVR } from "../../kube/gvr.js";
import { FakeKubeClient } from "../../testing/fake-kube-client.js";
import { CsiPvcBackupAction, CsiVolumeSnapshotBackupAction, csiVolumeSnapshotClassBackupAction, csiVolumeSnapshotContentBackupAction } from "./csi.js";

const DRIVER = "hostpath.csi.k8s.io";

function backup(extra: Partial<Backup> = {}): Backup {
  return { apiVersion: "velero.io/v1", kind: "Backup", metadata: { namespace: "velero", name: "b1", uid: "uid-b1" }, spec: { csiSnapshotTimeout: "1s" }, ...extra } as Backup;
}

function claim(extra: Record<string, unknown> = {}): UnstructuredItem {
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { namespace: "app", name: "data", labels: { app: "db" } },
    spec: { storageClassName: "fast", volumeName: "pv-1", resources: { requests: { storage: "1Mi" } } },
    status: { phase: "Bound" },
    ...extra,
  } as UnstructuredItem;
}

function cluster(options: { csi?: boolean; classes?: { name: string; driver?: string; labels?: Record<string, string>; annotations?: Record<string, string> }[] } = {}): FakeKubeClient {
  const kube = new FakeKubeClient();
  kube.seed(GVR.persistentVolumes, {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name: "pv-1" },
    spec: options.csi === false ? { hostPath: { path: "/x" } } : { csi: { driver: DRIVER, volumeHandle: "vol-1" } },
  });
  kube.seed(GVR.storageClasses, { apiVersion: "storage.k8s.io/v1", kind: "StorageClass", metadata: { name: "fast" }, provisioner: DRIVER } as UnstructuredItem);
  for (const c of options.classes ?? [{ name: "snap", labels: { "velero.io/csi-volumesnapshot-class": "true" } }]) {
    kube.seed(GVR.volumeSnapshotClasses, {
      apiVersion: "snapshot.storage.k8s.io/v1",
      kind: "VolumeSnapshotClass",
      metadata: { name: c.name, labels: c.labels ?? {}, annotations: c.annotations ?? {} },
      driver: c.driver ?? DRIVER,
      deletionPolicy: "Delete",
    } as UnstructuredItem);
  }
  return kube;
}

/** Plays the snapshot controller and the CSI snapshotter: binds every new snapshot to a content with a handle after `looks` looks. */
function snapshotter(kube: FakeKubeClient, looks = 1, restoreSize = 2 * 1024 * 1024): () => Promise<void> {
  let seen = 0;
  return async () => {
    if (++seen < looks) return;
    for (const vs of kube.all(GVR.volumeSnapshots)) {
      if ((vs.status as { boundVolumeSnapshotContentName?: string } | undefined)?.boundVolumeSnapshotContentName) continue;
      const content = `snapcontent-${vs.metadata.name}`;
      kube.seed(GVR.volumeSnapshotContents, {
        apiVersion: "snapshot.storage.k8s.io/v1",
        kind: "VolumeSnapshotContent",
        metadata: { name: content },
        spec: { driver: DRIVER, deletionPolicy: "Delete" },
        status: { snapshotHandle: `handle-${vs.metadata.name}`, readyToUse: false, restoreSize },
      } as UnstructuredItem);
      await kube.patchStatus(GVR.volumeSnapshots, vs.metadata.name, vs.metadata.namespace, { status: { boundVolumeSnapshotContentName: content } });
    }
  };
}

describe("velero.io/csi-pvc-backupper", () => {
  it("creates a VolumeSnapshot of the claim with the labelled class, waits for its handle, and backs it up with the claim", async () => {
    const kube = cluster({ classes: [{ name: "other" }, { name: "snap", labels: { "velero.io/csi-volumesnapshot-class": "true" } }] });
    const tick = snapshotter(kube, 3);
    const out = await new CsiPvcBackupAction(kube, { sleep: tick, firstPollMs: 1, maxPollMs: 1 }).execute(claim(), backup());
    const [vs] = kube.all(GVR.volumeSnapshots);
    expect(vs?.metadata.name).toMatch(/^velero-data-/);
    expect(vs?.metadata.labels).toEqual({ app: "db", "velero.io/backup-name": "b1" });
    expect(vs?.spec).toEqual({ source: { persistentVolumeClaimName: "data" }, volumeSnapshotClassName: "snap" });
    expect(out.additionalItems).toEqual([{ group: "snapshot.storage.k8s.io", resource: "volumesnapshots", namespace: "app", name: vs?.metadata.name }]);
    expect(out.item.metadata.labels).toMatchObject({ "velero.io/volume-snapshot-name": vs?.metadata.name, "velero.io/backup-name": "b1" });
    expect(out.item.metadata.annotations).toEqual({ "velero.io/volume-snapshot-name": vs?.metadata.name, "backup.velero.io/must-include-additional-items": "true" });
    // the snapshot (2Mi) is larger than the 1Mi request: the claim asks for the snapshot's size
    expect((out.item.spec as { resources: { requests: { storage: string } } }).resources.requests.storage).toBe("2Mi");
    expect(out.operationId ?? "").toBe("");
  });

  it("keeps a request larger than the snapshot", async () => {
    const kube = cluster();
    const out = await new CsiPvcBackupAction(kube, { sleep: snapshotter(kube, 1, 1000), firstPollMs: 1 }).execute(claim(), backup());
    expect((out.item.spec as { resources: { requests: { storage: string } } }).resources.requests.storage).toBe("1Mi");
  });

  it("takes the class the claim's annotation names, then the backup's annotation for the driver", async () => {
    const classes = [{ name: "snap", labels: { "velero.io/csi-volumesnapshot-class": "true" } }, { name: "gold" }, { name: "silver" }];
    let kube = cluster({ classes });
    const annotated = claim();
    annotated.metadata.annotations = { "velero.io/csi-volumesnapshot-class": "gold" };
    await new CsiPvcBackupAction(kube, { sleep: snapshotter(kube), firstPollMs: 1 }).execute(annotated, backup());
    expect((kube.all(GVR.volumeSnapshots)[0]?.spec as { volumeSnapshotClassName: string }).volumeSnapshotClassName).toBe("gold");

    kube = cluster({ classes });
    const b = backup();
    b.metadata.annotations = { [`velero.io/csi-volumesnapshot-class_${DRIVER}`]: "silver" };
    await new CsiPvcBackupAction(kube, { sleep: snapshotter(kube), firstPollMs: 1 }).execute(claim(), b);
    expect((kube.all(GVR.volumeSnapshots)[0]?.spec as { volumeSnapshotClassName: string }).volumeSnapshotClassName).toBe("silver");
  });

  it("fails naming the label to set when no class can be chosen for the driver", async () => {
    const kube = cluster({ classes: [{ name: "a" }, { name: "b" }, { name: "c", driver: "other.csi" }] });
    await expect(new CsiPvcBackupAction(kube, { sleep: snapshotter(kube), firstPollMs: 1 }).execute(claim(), backup())).rejects.toThrow(
      /failed to get VolumeSnapshotClass for StorageClass fast: .*provisioner hostpath\.csi\.k8s\.io: ensure that the desired VolumeSnapshotClass has the velero\.io\/csi-volumesnapshot-class label/,
    );
    expect(kube.all(GVR.volumeSnapshots)).toHaveLength(0);
  });

  it("marks a claim whose volume is not CSI and takes no snapshot", async () => {
    const kube = cluster({ csi: false });
    const out = await new CsiPvcBackupAction(kube).execute(claim(), backup());
    expect(out.item.metadata.annotations).toEqual({ "backup.velero.io/skipped-no-csi-pv": "true" });
    expect(out.additionalItems ?? []).toHaveLength(0);
    expect(kube.all(GVR.volumeSnapshots)).toHaveLength(0);
  });

  it("fails a claim without a storage class, or not bound", async () => {
    const kube = cluster();
    const noClass = claim();
    (noClass.spec as Record<string, unknown>)["storageClassName"] = null;
    await expect(new CsiPvcBackupAction(kube).execute(noClass, backup())).rejects.toThrow("Cannot snapshot PVC app/data, PVC has no storage class.");
    await expect(new CsiPvcBackupAction(kube).execute(claim({ status: { phase: "Pending" } }), backup())).rejects.toThrow("PVC app/data is in phase Pending and is not bound to a volume");
  });

  it("does nothing while the backup finalizes", async () => {
    const kube = cluster();
    const item = claim();
    const out = await new CsiPvcBackupAction(kube).execute(item, backup({ status: { phase: "Finalizing" } } as Partial<Backup>));
    expect(out.item).toBe(item);
    expect(kube.actions).toHaveLength(0);
  });

  it("takes no snapshot when data movement is asked for (velero-ts has no data mover) and says so", async () => {
    const kube = cluster();
    const b = backup();
    (b.spec as Record<string, unknown>)["snapshotMoveData"] = true;
    const item = claim();
    const out = await new CsiPvcBackupAction(kube).execute(item, b);
    expect(out.item).toBe(item);
    expect(kube.all(GVR.volumeSnapshots)).toHaveLength(0);
  });

  it("deletes its snapshot (and the storage snapshot) when no handle comes within the timeout", async () => {
    const kube = cluster();
    const content = "snapcontent-stuck";
    const tick = async (): Promise<void> => {
      for (const vs of kube.all(GVR.volumeSnapshots)) {
        if (kube.all(GVR.volumeSnapshotContents).length === 0) {
          kube.seed(GVR.volumeSnapshotContents, { apiVersion: "snapshot.storage.k8s.io/v1", kind: "VolumeSnapshotContent", metadata: { name: content }, spec: { deletionPolicy: "Retain" }, status: { error: { message: "driver says no" } } } as UnstructuredItem);
          await kube.patchStatus(GVR.volumeSnapshots, vs.metadata.name, vs.metadata.namespace, { status: { boundVolumeSnapshotContentName: content } });
        }
      }
      await new Promise((r) => setTimeout(r, 5));
    };
    const b = backup();
    (b.spec as Record<string, unknown>)["csiSnapshotTimeout"] = "50ms";
    await expect(new CsiPvcBackupAction(kube, { sleep: tick, firstPollMs: 5, maxPollMs: 5 }).execute(claim(), b)).rejects.toThrow("CSI got timed out with error: driver says no");
    expect(kube.all(GVR.volumeSnapshots)).toHaveLength(0);
    expect((kube.all(GVR.volumeSnapshotContents)[0]?.spec as { deletionPolicy: string }).deletionPolicy).toBe("Delete");
  });
});

function snapshotPair(kube: FakeKubeClient, ready: { vs?: boolean; vsc?: boolean; vscError?: string } = {}): UnstructuredItem {
  kube.seed(GVR.volumeSnapshotContents, {
    apiVersion: "snapshot.storage.k8s.io/v1",
    kind: "VolumeSnapshotContent",
    metadata: { name: "vsc-1" },
    spec: { driver: DRIVER, deletionPolicy: "Delete" },
    status: { snapshotHandle: "h-1", restoreSize: 1073741824, readyToUse: ready.vsc ?? false, ...(ready.vscError ? { error: { message: ready.vscError } } : {}) },
  } as UnstructuredItem);
  const vs = {
    apiVersion: "snapshot.storage.k8s.io/v1",
    kind: "VolumeSnapshot",
    metadata: { namespace: "app", name: "velero-data-x", labels: { "velero.io/backup-name": "b1" } },
    spec: { source: { persistentVolumeClaimName: "data" }, volumeSnapshotClassName: "snap" },
    status: { boundVolumeSnapshotContentName: "vsc-1", readyToUse: ready.vs ?? false },
  } as UnstructuredItem;
  kube.seed(GVR.volumeSnapshots, vs);
  return vs;
}

describe("velero.io/csi-volumesnapshot-backupper", () => {
  const now = new Date("2026-11-28T17:04:05.123Z");

  it("records the content's facts on the snapshot, backs up its class and content, and starts an operation", async () => {
    const kube = new FakeKubeClient();
    const vs = snapshotPair(kube);
    const out = await new CsiVolumeSnapshotBackupAction(kube, () => now).execute(vs, backup());
    const recorded = { "velero.io/csi-vsc-deletion-policy": "Delete", "velero.io/csi-volumesnapshot-handle": "h-1", "velero.io/csi-driver-name": DRIVER, "velero.io/csi-volumesnapshot-restore-size": "1Gi" };
    expect(out.item.metadata.annotations).toEqual({ ...recorded, "backup.velero.io/must-include-additional-items": "true" });
    expect(kube.all(GVR.volumeSnapshots)[0]?.metadata.annotations).toEqual(recorded);
    expect(kube.all(GVR.volumeSnapshotContents)[0]?.metadata.labels).toEqual({ "velero.io/backup-name": "b1" });
    expect(out.additionalItems).toEqual([
      { group: "snapshot.storage.k8s.io", resource: "volumesnapshotclasses", namespace: "", name: "snap" },
      { group: "snapshot.storage.k8s.io", resource: "volumesnapshotcontents", namespace: "", name: "vsc-1" },
    ]);
    expect(out.operationId).toBe("app/velero-data-x/2026-11-28T17:04:05Z");
    expect(out.postOperationItems).toEqual([
      { group: "snapshot.storage.k8s.io", resource: "volumesnapshots", namespace: "app", name: "velero-data-x" },
      { group: "snapshot.storage.k8s.io", resource: "volumesnapshotcontents", namespace: "", name: "vsc-1" },
    ]);
  });

  it("reports the operation complete when the content is ready, or failed with its error", async () => {
    const action = (kube: FakeKubeClient) => new CsiVolumeSnapshotBackupAction(kube, () => now);
    const id = "app/velero-data-x/2026-11-28T17:00:00Z";
    let kube = new FakeKubeClient();
    snapshotPair(kube, { vs: true, vsc: false });
    expect(await action(kube).progress(id)).toMatchObject({ completed: false, err: "", started: new Date("2026-11-28T17:00:00Z") });
    kube = new FakeKubeClient();
    snapshotPair(kube, { vs: true, vsc: true });
    expect(await action(kube).progress(id)).toMatchObject({ completed: true, err: "", updated: now });
    kube = new FakeKubeClient();
    snapshotPair(kube, { vsc: false, vscError: "out of space" });
    expect(await action(kube).progress(id)).toMatchObject({ completed: true, err: "out of space" });
    await expect(action(kube).progress("not-an-id")).rejects.toThrow(/invalid/);
  });

  it("while the backup finalizes, removes the snapshot and its content from the cluster but keeps the storage snapshot", async () => {
    const kube = new FakeKubeClient();
    const vs = snapshotPair(kube, { vs: true, vsc: true });
    await new CsiVolumeSnapshotBackupAction(kube).execute(vs, backup({ status: { phase: "Finalizing" } } as Partial<Backup>));
    expect(kube.actions.map((a) => `${a.verb} ${a.resource} ${a.name}`)).toEqual(["patch volumesnapshotcontents vsc-1", "delete volumesnapshotcontents vsc-1", "delete volumesnapshots velero-data-x"]);
    expect(kube.actions[0]?.patch).toEqual({ spec: { deletionPolicy: "Retain" } });
  });
});

describe("velero.io/csi-volumesnapshotcontent-backupper and -volumesnapshotclass-backupper", () => {
  it("back up the secret a content's deletion or a class's listing names", async () => {
    const vsc = { apiVersion: "snapshot.storage.k8s.io/v1", kind: "VolumeSnapshotContent", metadata: { name: "c", annotations: { "csi.storage.k8s.io/snapshotter-secret-name": "s", "csi.storage.k8s.io/snapshotter-secret-namespace": "ns" } } } as UnstructuredItem;
    const out = await csiVolumeSnapshotContentBackupAction().execute(vsc, backup());
    expect(out.additionalItems).toEqual([{ group: "", resource: "secrets", namespace: "ns", name: "s" }]);
    expect(out.item.metadata.annotations?.["backup.velero.io/must-include-additional-items"]).toBe("true");
    const cls = { apiVersion: "snapshot.storage.k8s.io/v1", kind: "VolumeSnapshotClass", metadata: { name: "k", annotations: { "csi.storage.k8s.io/snapshotter-list-secret-name": "l" } } } as UnstructuredItem;
    expect((await csiVolumeSnapshotClassBackupAction().execute(cls, backup())).additionalItems).toEqual([]);
    cls.metadata.annotations = { ...cls.metadata.annotations, "csi.storage.k8s.io/snapshotter-list-secret-namespace": "ns2" };
    expect((await csiVolumeSnapshotClassBackupAction().execute(cls, backup())).additionalItems).toEqual([{ group: "", resource: "secrets", namespace: "ns2", name: "l" }]);
  });
});
