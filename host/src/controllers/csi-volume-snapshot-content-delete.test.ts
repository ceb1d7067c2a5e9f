import { describe, expect, it } from "vitest";
import type { Backup, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { describeDeleteItemActionConformance } from "@velero-ts/plugin-sdk/testing";
import type { GroupVersionResource } from "../kube/client.js";
import { KubeApiError } from "../kube/errors.js";
import { GVR } from "../kube/gvr.js";
import { forBackupObject, forItem } from "../restore/testing/fixtures.js";
import { captureLogger } from "../testing/capturing-logger.js";
import { FakeKubeClient } from "../testing/fake-kube-client.js";
import { CsiVolumeSnapshotContentDeleteAction } from "./csi-volume-snapshot-content-delete.js";

const LONG_BACKUP = `nightly-${"x".repeat(70)}`;
/** Its first 57 characters and the first 6 hex digits of its SHA-256 (computed with sha256sum). */
const LONG_BACKUP_LABEL = "nightly-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx7fa829";

/**
 * Keeps a copy of each object created, and plays the snapshot controller: a VolumeSnapshot naming a
 * content is bound to it (unless `binds` is false), and deleting a bound snapshot deletes its
 * content (Delete policy) unless `deletesContent` is false.
 */
class RecordingKube extends FakeKubeClient {
  readonly created: UnstructuredItem[] = [];
  binds = true;
  deletesContent = true;
  override async create(gvr: GroupVersionResource, object: UnstructuredItem): Promise<UnstructuredItem> {
    this.created.push(structuredClone(object));
    const out = await super.create(gvr, object);
    const content = (object.spec as { source?: { volumeSnapshotContentName?: string } } | undefined)?.source?.volumeSnapshotContentName;
    if (gvr.resource === "volumesnapshots" && content && this.binds) {
      await this.patchStatus(gvr, object.metadata.name, object.metadata.namespace, { status: { boundVolumeSnapshotContentName: content, readyToUse: true } });
    }
    return out;
  }
  override async delete(gvr: GroupVersionResource, name: string, namespace?: string): Promise<void> {
    const vs = gvr.resource === "volumesnapshots" ? await this.get(gvr, name, namespace) : undefined;
    await super.delete(gvr, name, namespace);
    const bound = (vs?.status as { boundVolumeSnapshotContentName?: string } | undefined)?.boundVolumeSnapshotContentName;
    if (bound && this.deletesContent) await super.delete(GVR.volumeSnapshotContents, bound);
  }
}

function content(options: { backupLabel?: string; snapshotHandle?: string | null } = {}): UnstructuredItem {
  const status = options.snapshotHandle === null ? { readyToUse: false } : { snapshotHandle: options.snapshotHandle ?? "snap-handle-1", readyToUse: true };
  return forItem(
    "snapshot.storage.k8s.io/v1",
    "VolumeSnapshotContent",
    undefined,
    "snapcontent-1",
    {
      spec: {
        deletionPolicy: "Retain",
        driver: "hostpath.csi.k8s.io",
        source: { volumeHandle: "vol-1" },
        sourceVolumeMode: "Filesystem",
        volumeSnapshotClassName: "csi-class",
        volumeSnapshotRef: { apiVersion: "snapshot.storage.k8s.io/v1", kind: "VolumeSnapshot", namespace: "app", name: "vs-1", uid: "vs-uid", resourceVersion: "9" },
      },
      status,
    },
    {
      uid: "vsc-uid-1",
      labels: { "velero.io/backup-name": options.backupLabel ?? "b1", other: "x" },
      annotations: { "velero.io/csi-volumesnapshot-handle": "snap-handle-1" },
      finalizers: ["snapshot.storage.kubernetes.io/volumesnapshotcontent-bound-protection"],
      managedFields: [{ manager: "csi-snapshotter" }],
    },
  );
}

function setup() {
  const kube = new RecordingKube();
  const logger = captureLogger();
  return { kube, logger, action: new CsiVolumeSnapshotContentDeleteAction({ kube, logger, timeoutMs: 50, pollMs: 5 }) };
}

const backupNamed = (name: string): Backup => forBackupObject(name);

describe("CsiVolumeSnapshotContentDeleteAction", () => {
  it("applies to volumesnapshotcontents.snapshot.storage.k8s.io", async () => {
    expect((await setup().action.appliesTo()).includedResources).toEqual(["volumesnapshotcontents.snapshot.storage.k8s.io"]);
  });

  it.each([
    { name: "another backup's label", item: content({ backupLabel: "b2" }) },
    { name: "no backup label", item: (() => { const c = content(); delete c.metadata.labels; return c; })() },
  ])("leaves a content with $name alone", async ({ item }) => {
    const { kube, logger, action } = setup();
    await action.execute(item, backupNamed("b1"));
    expect(kube.actions).toEqual([]);
    expect(logger.records).toContainEqual(expect.objectContaining({ level: "info", message: "VolumeSnapshotContent snapcontent-1 was not taken by backup b1, skipping deletion" }));
  });

  it("binds a temporary content for the snapshot handle to a temporary snapshot, then deletes the snapshot", async () => {
    const { kube, action } = setup();
    const backup = backupNamed("b1");
    await action.execute(content(), backup);
    expect(kube.created).toHaveLength(2);
    const temp = kube.created[0] as UnstructuredItem;
    const name = temp.metadata.name;
    expect(name).toMatch(/^vsc-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const ns = backup.metadata.namespace;
    expect(temp).toEqual({
      apiVersion: "snapshot.storage.k8s.io/v1",
      kind: "VolumeSnapshotContent",
      metadata: {
        name,
        labels: { "velero.io/backup-name": "b1", other: "x" },
        annotations: { "velero.io/csi-volumesnapshot-handle": "snap-handle-1" },
      },
      spec: {
        deletionPolicy: "Delete",
        driver: "hostpath.csi.k8s.io",
        source: { snapshotHandle: "snap-handle-1" },
        sourceVolumeMode: "Filesystem",
        volumeSnapshotRef: { apiVersion: "snapshot.storage.k8s.io/v1", kind: "VolumeSnapshot", namespace: ns, name },
      },
    });
    expect(kube.created[1]).toEqual({
      apiVersion: "snapshot.storage.k8s.io/v1",
      kind: "VolumeSnapshot",
      metadata: { namespace: ns, name, labels: { "velero.io/backup-name": "b1" } },
      spec: { source: { volumeSnapshotContentName: name } },
    });
    expect(kube.actions.map((a) => `${a.verb} ${a.resource}`)).toEqual(["create volumesnapshotcontents", "create volumesnapshots", "patchStatus volumesnapshots", "delete volumesnapshots", "delete volumesnapshotcontents"]);
    expect(kube.all(GVR.volumeSnapshotContents)).toEqual([]);
    expect(kube.all(GVR.volumeSnapshots)).toEqual([]);
  });

  it("matches a long backup name in its label form", async () => {
    const { kube, action } = setup();
    await action.execute(content({ backupLabel: LONG_BACKUP_LABEL }), backupNamed(LONG_BACKUP));
    expect(kube.created).toHaveLength(2);
  });

  it("fails naming the handle and the snapshot controller when the temporary snapshot is not bound, and removes it", async () => {
    const { kube, action } = setup();
    kube.binds = false;
    await expect(action.execute(content(), backupNamed("b1"))).rejects.toThrow(
      /^the snapshot controller did not bind the temporary VolumeSnapshot .*\/vsc-[-0-9a-f]+ .*so the storage snapshot snap-handle-1 of VolumeSnapshotContent snapcontent-1 was not deleted; check that the snapshot controller/,
    );
    expect(kube.all(GVR.volumeSnapshots)).toEqual([]);
  });

  it("fails naming the content when the driver does not delete it", async () => {
    const { kube, action } = setup();
    kube.deletesContent = false;
    await expect(action.execute(content(), backupNamed("b1"))).rejects.toThrow(/^VolumeSnapshotContent vsc-[-0-9a-f]+, made to delete the storage snapshot snap-handle-1 .* is still there after/);
  });

  it("fails when the temporary content cannot be created", async () => {
    const { kube, action } = setup();
    kube.failNext("create", "volumesnapshotcontents", new KubeApiError({ statusCode: 404, reason: "NotFound", message: "the server could not find the requested resource" }));
    await expect(action.execute(content(), backupNamed("b1"))).rejects.toThrow(/^fail to create VolumeSnapshotContent vsc-[-0-9a-f]+ to delete the snapshot of VolumeSnapshotContent snapcontent-1: the server could not find/);
  });

  it("fails naming the content, creating nothing, when it has no snapshot handle", async () => {
    const { kube, action } = setup();
    await expect(action.execute(content({ snapshotHandle: null }), backupNamed("b1"))).rejects.toThrow(/^cannot delete the snapshot of VolumeSnapshotContent snapcontent-1: the backed-up content has no status.snapshotHandle/);
    expect(kube.actions).toEqual([]);
  });
});

describeDeleteItemActionConformance("velero.io/csi-volumesnapshotcontent-delete", async () => ({
  action: setup().action,
  backup: backupNamed("b1"),
  items: [content(), content({ backupLabel: "b2" }), content({ snapshotHandle: null })],
}));
