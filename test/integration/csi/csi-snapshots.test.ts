// Velero's built-in CSI actions end to end against the test environment's CSI stack (the real
// external-provisioner, csi-snapshotter and snapshot-controller driving test/peers/go/csihostpath,
// whose volumes are directories and snapshots tar files under the environment's csi dataDir):
// `velero server --features=EnableCSI` backs up a namespace with a provisioned claim → a
// VolumeSnapshot is taken, waited for, backed up with its content and class, and removed from the
// cluster while the storage snapshot stays; the namespace is deleted and restored → the claim is
// provisioned from the snapshot (the file written into the volume is back); the backup is deleted
// → the storage snapshot is deleted through a temporary content. A server without the feature
// leaves the claim's volume alone.
import { existsSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Backup, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { GVR } from "../../../host/src/kube/gvr.ts";
import type { HttpKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import { loadEndpoints, type Endpoints } from "../../helpers/endpoints.ts";
import { boundClaim, deleteContentsOf, snapshotTar } from "../../helpers/csi.ts";
import { readVeleroTarball } from "../../helpers/velero-tarball.ts";
import { connect, createBucketRoot, createNamespace, eventually, LifecycleServer } from "../lifecycle/harness.ts";

let ep: Endpoints;
let kube: HttpKubeClient;
let bucketRoot: string;
let server: LifecycleServer | undefined;
let plain: LifecycleServer | undefined;
let app: string;
let volumeHandle: string;
const CONTENT = `written into the volume at ${new Date().toISOString()}\n`;

const spec = <T>(o: UnstructuredItem | undefined): T => (o?.["spec"] ?? {}) as T;
const status = <T>(o: UnstructuredItem | undefined): T => (o?.["status"] ?? {}) as T;

async function finished(s: LifecycleServer, name: string): Promise<Backup> {
  return eventually(`backup ${name} to be Completed, PartiallyFailed or Failed`, async () => {
    const b = await s.getBackup(name);
    return ["Completed", "PartiallyFailed", "Failed", "FailedValidation"].includes(b?.status?.phase ?? "") ? b : undefined;
  }, 120_000);
}

beforeAll(async () => {
  ep = loadEndpoints();
  kube = await connect();
  bucketRoot = await createBucketRoot();
  app = await createNamespace(kube, "vt-csi-app");
  await kube.create(GVR.persistentVolumeClaims, {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { namespace: app, name: "data", labels: { app: "db" } },
    spec: { accessModes: ["ReadWriteOnce"], storageClassName: ep.csi.storageClass, resources: { requests: { storage: "1Mi" } } },
  } as UnstructuredItem);
  await kube.create(GVR.configMaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { namespace: app, name: "settings" }, data: { k: "v" } });
  ({ volumeHandle } = await boundClaim(kube, app, "data"));
  // no kubelet writes into volumes here: the test plays the pod
  await writeFile(join(ep.csi.dataDir, volumeHandle, "hello.txt"), CONTENT);
  server = await LifecycleServer.start({ kube, bucketRoot, bucket: "csi", features: ["EnableCSI"], itemOperationSyncFrequency: "1s" });
}, 180_000);

afterAll(async () => {
  await server?.stop().catch(() => undefined);
  await plain?.stop().catch(() => undefined);
  if (kube && app) await kube.delete(GVR.namespaces, app).catch(() => undefined);
  // the restore's content (Retain, cluster-scoped) outlives the namespace, as it does under Velero
  if (kube && app) await deleteContentsOf(kube, [app]);
  if (bucketRoot) await rm(bucketRoot, { recursive: true, force: true });
}, 120_000);

describe("CSI snapshots with --features=EnableCSI (csi-hostpath driver, external-snapshotter)", () => {
  let snapshotHandle = "";
  let vsName = "";

  it("snapshots the claim's volume, backs up the snapshot, its content and class, and leaves only the storage snapshot", async () => {
    const s = server as LifecycleServer;
    await s.kube.create(GVR.backups, { apiVersion: "velero.io/v1", kind: "Backup", metadata: { namespace: s.namespace, name: "with-csi" }, spec: { includedNamespaces: [app] } } as UnstructuredItem);
    const backup = await finished(s, "with-csi");
    expect(backup.status).toMatchObject({
      phase: "Completed",
      csiVolumeSnapshotsAttempted: 1,
      csiVolumeSnapshotsCompleted: 1,
      backupItemOperationsAttempted: 1,
      backupItemOperationsCompleted: 1,
    });
    expect(backup.status?.errors ?? 0).toBe(0);

    const gz = await readFile(join(s.bucketRoot, s.bucket, "backups", "with-csi", "with-csi.tar.gz"));
    const entries = readVeleroTarball(gz);
    const item = (path: string): UnstructuredItem => {
      const e = entries.find((x) => x.name === path);
      if (!e) throw new Error(`${path} is not in the tarball; it holds ${entries.map((x) => x.name).join(", ")}`);
      return JSON.parse(e.data.toString("utf8")) as UnstructuredItem;
    };
    const claim = item(`resources/persistentvolumeclaims/namespaces/${app}/data.json`);
    vsName = claim.metadata.annotations?.["velero.io/volume-snapshot-name"] ?? "";
    expect(vsName).toMatch(/^velero-data-/);
    expect(claim.metadata.labels).toMatchObject({ app: "db", "velero.io/volume-snapshot-name": vsName, "velero.io/backup-name": "with-csi" });
    // as in real Velero's tarball (test/integration/velero-compat/csi.test.ts): the annotation stays
    expect(claim.metadata.annotations?.["backup.velero.io/must-include-additional-items"]).toBe("true");

    const vs = item(`resources/volumesnapshots.snapshot.storage.k8s.io/namespaces/${app}/${vsName}.json`);
    const vscName = status<{ boundVolumeSnapshotContentName: string }>(vs).boundVolumeSnapshotContentName;
    const vsc = item(`resources/volumesnapshotcontents.snapshot.storage.k8s.io/cluster/${vscName}.json`);
    item(`resources/volumesnapshotclasses.snapshot.storage.k8s.io/cluster/${ep.csi.volumeSnapshotClass}.json`);
    snapshotHandle = status<{ snapshotHandle: string }>(vsc).snapshotHandle;
    expect(snapshotHandle).not.toBe("");
    // the re-backed-up copies (after the operation) hold the ready state and the recorded facts
    // (the snapshot's own readyToUse may lag its content's: the operation completes on the content's)
    expect(status<{ readyToUse: boolean }>(vsc).readyToUse).toBe(true);
    expect(vs.metadata.labels?.["velero.io/backup-name"]).toBe("with-csi");
    expect(vs.metadata.annotations).toMatchObject({
      "velero.io/csi-volumesnapshot-handle": snapshotHandle,
      "velero.io/csi-driver-name": ep.csi.driver,
      "velero.io/csi-vsc-deletion-policy": "Delete",
    });
    expect(vsc.metadata.labels?.["velero.io/backup-name"]).toBe("with-csi");

    const volumeInfo = JSON.parse(gunzipSync(await readFile(join(s.bucketRoot, s.bucket, "backups", "with-csi", "with-csi-volumeinfo.json.gz"))).toString("utf8")) as Record<string, unknown>[];
    expect(volumeInfo).toHaveLength(1);
    expect(volumeInfo[0]).toMatchObject({
      pvcName: "data",
      pvcNamespace: app,
      backupMethod: "CSISnapshot",
      snapshotDataMoved: false,
      preserveLocalSnapshot: true,
      skipped: false,
      csiSnapshotInfo: { snapshotHandle, driver: ep.csi.driver, vscName },
      // set while the backup finalized, from its operation
      result: "succeeded",
      completionTimestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
    });

    // Velero's CSI snapshot counters, by schedule and backup
    const metrics = await (await fetch(s.metricsUrl ?? "")).text();
    expect(metrics).toContain('velero_csi_snapshot_attempt_total{schedule="",backupName="with-csi"} 1');
    expect(metrics).toContain('velero_csi_snapshot_success_total{schedule="",backupName="with-csi"} 1');
    expect(metrics).toContain('velero_csi_snapshot_failure_total{schedule="",backupName="with-csi"} 0');

    // the storage snapshot stays; the cluster's VolumeSnapshot and content are gone
    expect(existsSync(snapshotTar(ep.csi.dataDir, snapshotHandle))).toBe(true);
    await eventually(`VolumeSnapshot ${app}/${vsName} to be deleted`, async () => (await kube.get(GVR.volumeSnapshots, vsName, app)) === undefined);
    await eventually(`VolumeSnapshotContent ${vscName} to be deleted`, async () => (await kube.get(GVR.volumeSnapshotContents, vscName)) === undefined);
    expect(existsSync(snapshotTar(ep.csi.dataDir, snapshotHandle))).toBe(true);

  });

  it("restores the deleted namespace with the claim provisioned from the snapshot", async () => {
    const s = server as LifecycleServer;
    await kube.delete(GVR.namespaces, app);
    await eventually(`namespace ${app} to be deleted`, async () => (await kube.get(GVR.namespaces, app)) === undefined, 120_000);
    await s.kube.create(GVR.restores, { apiVersion: "velero.io/v1", kind: "Restore", metadata: { namespace: s.namespace, name: "from-csi" }, spec: { backupName: "with-csi" } } as UnstructuredItem);
    const restore = await eventually("restore from-csi to finish", async () => {
      const r = await kube.get(GVR.restores, "from-csi", s.namespace);
      return ["Completed", "PartiallyFailed", "Failed"].includes(status<{ phase?: string }>(r).phase ?? "") ? r : undefined;
    }, 120_000);
    expect(status<{ phase: string; errors?: number }>(restore)).toMatchObject({ phase: "Completed" });

    const { claim, volumeHandle: restoredHandle } = await boundClaim(kube, app, "data");
    const dataSource = spec<{ dataSource?: { kind: string; name: string; apiGroup: string } }>(claim).dataSource;
    expect(dataSource).toMatchObject({ kind: "VolumeSnapshot", apiGroup: "snapshot.storage.k8s.io" });
    const restoredVs = await kube.get(GVR.volumeSnapshots, dataSource?.name ?? "", app);
    expect(spec<{ source: { volumeSnapshotContentName?: string } }>(restoredVs).source.volumeSnapshotContentName).toBe(dataSource?.name);
    expect(restoredHandle).not.toBe(volumeHandle);
    expect(await readFile(join(ep.csi.dataDir, restoredHandle, "hello.txt"), "utf8")).toBe(CONTENT);
  });

  it("deletes the storage snapshot with the backup", async () => {
    const s = server as LifecycleServer;
    await s.kube.create(GVR.deleteBackupRequests, {
      apiVersion: "velero.io/v1",
      kind: "DeleteBackupRequest",
      metadata: { namespace: s.namespace, name: "delete-with-csi" },
      spec: { backupName: "with-csi" },
    } as UnstructuredItem);
    await eventually("backup with-csi to be deleted", async () => (await s.getBackup("with-csi")) === undefined, 120_000);
    // the restore's VolumeSnapshotContent (Retain) still names the handle; the driver removed the data
    await eventually(`storage snapshot ${snapshotHandle} to be deleted`, async () => !existsSync(snapshotTar(ep.csi.dataDir, snapshotHandle)), 60_000);
  });
});

describe("CSI snapshot data movement (no data mover in velero-ts)", () => {
  it("backs the claim up without a snapshot and ends PartiallyFailed, naming the claim and the flag", async () => {
    const s = server as LifecycleServer;
    await s.kube.create(GVR.backups, { apiVersion: "velero.io/v1", kind: "Backup", metadata: { namespace: s.namespace, name: "move-data" }, spec: { includedNamespaces: [app], snapshotMoveData: true } } as UnstructuredItem);
    const backup = await finished(s, "move-data");
    expect(backup.status).toMatchObject({ phase: "PartiallyFailed", errors: 1 });
    expect((await kube.list(GVR.volumeSnapshots, { namespace: app, labelSelector: "velero.io/backup-name=move-data" })).items).toHaveLength(0);
    const results = JSON.parse(gunzipSync(await readFile(join(s.bucketRoot, s.bucket, "backups", "move-data", "move-data-results.gz"))).toString("utf8")) as { errors?: { namespaces?: Record<string, string[]> } };
    expect(JSON.stringify(results.errors)).toContain(`PVC ${app}/data: the backup asks for snapshot data movement (snapshotMoveData)`);
  });
});

describe("CSI actions without the feature", () => {
  it("back up a CSI claim without a VolumeSnapshot", async () => {
    plain = await LifecycleServer.start({ kube, bucketRoot, bucket: "plain" });
    const ns = await createNamespace(kube, "vt-csi-off");
    try {
      await kube.create(GVR.persistentVolumeClaims, {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: { namespace: ns, name: "data" },
        spec: { accessModes: ["ReadWriteOnce"], storageClassName: ep.csi.storageClass, resources: { requests: { storage: "1Mi" } } },
      } as UnstructuredItem);
      await boundClaim(kube, ns, "data");
      await plain.kube.create(GVR.backups, { apiVersion: "velero.io/v1", kind: "Backup", metadata: { namespace: plain.namespace, name: "no-csi" }, spec: { includedNamespaces: [ns] } } as UnstructuredItem);
      const backup = await finished(plain, "no-csi");
      expect(backup.status?.phase).toBe("Completed");
      expect(backup.status?.csiVolumeSnapshotsAttempted).toBeUndefined();
      expect(backup.status?.backupItemOperationsAttempted ?? 0).toBe(0);
      expect((await kube.list(GVR.volumeSnapshots, { namespace: ns })).items).toHaveLength(0);
      const entries = readVeleroTarball(await readFile(join(plain.bucketRoot, plain.bucket, "backups", "no-csi", "no-csi.tar.gz")));
      expect(entries.some((e) => e.name.includes("volumesnapshots"))).toBe(false);
    } finally {
      await kube.delete(GVR.namespaces, ns).catch(() => undefined);
    }
  });
});
