// TypeScript plugins of every kind, built with the SDK's serve(), run by real Velero v1.18.1 (Go):
// the wire protocol works in the direction where Velero's own plugin manager (go-plugin's host)
// spawns our binary, reads its handshake, lists its plugins and calls them.
// test/fixtures/plugins/under-velero-plugin.ts is the plugin; each of its plugins acts only on
// objects labelled for it and keeps no state in the process (Velero starts plugin processes per
// backup, restore and reconcile). One backup goes through every backup-side kind (its location
// is our ObjectStore, its volume snapshot location our VolumeSnapshotter), its restore through
// the restore-side kinds, and its deletion through the DeleteItemAction and DeleteSnapshot.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { CreateBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import { installCrds } from "../../../host/src/kube/crds.ts";
import { GVR } from "../../../host/src/kube/gvr.ts";
import { HttpKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import { loadKubeConfig } from "../../../host/src/kube/kube-config.ts";
import { loadEndpoints } from "../../helpers/endpoints.ts";
import { readVeleroTarball, type TarEntry } from "../../helpers/velero-tarball.ts";
import { buildUnderVeleroPlugin } from "../../plugin-protocol/helpers.ts";
import { eventually, motoS3, type RealVeleroServer, startRealVeleroBeside, suffix, TERMINAL_PHASES } from "./harness.ts";

const SFX = suffix();
const BUCKET = `vt-under-${SFX}`;
const GO_NS = `vt-under-velero-${SFX}`;
const APP = `vt-under-app-${SFX}`;
const PV = `vt-under-pv-${SFX}`;
const VOLUME = `vol-${SFX}`;
const BACKUP = "every-kind";
const RESTORE = "every-kind-restore";

let kube: HttpKubeClient;
let s3: S3Client;
let work: string;
let bucketRoot: string;
let markers: string;
let velero: RealVeleroServer | undefined;

const logs = (): string => velero?.logTail() ?? "";

function configMap(name: string, labels: Record<string, string>, annotations: Record<string, string> = {}): UnstructuredItem {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { namespace: APP, name, labels, annotations }, data: { name } } as unknown as UnstructuredItem;
}

/** Polls a Backup or Restore until it is terminal; returns it with every phase it was seen in. */
async function followPhases(gvr: (typeof GVR)["backups"], name: string, timeoutMs: number): Promise<{ object: UnstructuredItem; phases: string[] }> {
  const phases: string[] = [];
  const object = await eventually(
    `${gvr.resource} ${GO_NS}/${name} to finish`,
    async () => {
      const o = await kube.get(gvr, name, GO_NS);
      const phase = (o?.["status"] as { phase?: string } | undefined)?.phase ?? "";
      if (phases.at(-1) !== phase) phases.push(phase);
      return o && TERMINAL_PHASES.includes(phase) ? o : undefined;
    },
    timeoutMs,
    logs,
  );
  return { object, phases };
}

const backupDir = (): string => join(bucketRoot, "velero", "backups", BACKUP);
const gunzipJson = <T>(path: string): T => JSON.parse(gunzipSync(readFileSync(path)).toString("utf8")) as T;
const item = (entries: TarEntry[], path: string): UnstructuredItem | undefined => {
  const e = entries.find((x) => x.name === path);
  return e ? (JSON.parse(e.data.toString("utf8")) as UnstructuredItem) : undefined;
};

beforeAll(async () => {
  const ep = loadEndpoints();
  work = await mkdtemp(join(tmpdir(), "vt-under-velero-"));
  bucketRoot = join(work, "ts-bucket");
  markers = join(work, "markers");
  await mkdir(join(bucketRoot, "velero"), { recursive: true });
  await mkdir(markers);
  kube = new HttpKubeClient(loadKubeConfig({ kubeconfig: ep.kubeconfig }));
  await installCrds(kube);
  // the harness's default location (Go AWS plugin, moto); this test's backup names its own
  s3 = motoS3(ep);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));

  await kube.create(GVR.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: APP, labels: { "vt/app": "yes" } } });
  const app = { "vt/app": "yes" };
  for (const cm of [
    configMap("plain", app),
    configMap("with-bia", { ...app, "vt/bia": "yes" }, { "vt/extra-secret": "extra" }),
    configMap("with-async", { ...app, "vt/async": "yes" }),
    configMap("with-iba", { ...app, "vt/iba": "yes" }, { "vt/related": "related" }),
    // not labelled: in the backup only as the ItemBlockAction's related item
    configMap("related", {}),
    // not labelled and named by no plugin: not in the backup
    configMap("unselected", {}),
  ]) {
    await kube.create(GVR.configMaps, cm);
  }
  // not labelled: in the backup only as the BackupItemAction's additional item
  await kube.create(GVR.secrets, { apiVersion: "v1", kind: "Secret", metadata: { namespace: APP, name: "extra" }, stringData: { k: "v" } } as unknown as UnstructuredItem);
  await kube.create(GVR.persistentVolumes, {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name: PV, labels: app },
    spec: {
      capacity: { storage: "1Gi" },
      accessModes: ["ReadWriteOnce"],
      persistentVolumeReclaimPolicy: "Retain",
      csi: { driver: "vt.test.csi", volumeHandle: VOLUME },
    },
  } as unknown as UnstructuredItem);

  const plugin = await buildUnderVeleroPlugin();
  velero = (
    await startRealVeleroBeside(kube, {
      namespace: GO_NS,
      bucket: BUCKET,
      work,
      location: { backupSyncPeriod: "0s" },
      extraArgs: ["--store-validation-frequency=3s", "--item-operation-sync-frequency=1s"],
      beforeStart: async () => {
        await symlink(plugin, join(work, "go-plugins", "velero-plugin-under-velero"));
        await kube.create(GVR.backupStorageLocations, {
          apiVersion: "velero.io/v1",
          kind: "BackupStorageLocation",
          metadata: { namespace: GO_NS, name: "ts-fs" },
          spec: { provider: "vt.io/fs", objectStorage: { bucket: "velero" }, config: { path: bucketRoot }, backupSyncPeriod: "0s" },
        } as unknown as UnstructuredItem);
        await kube.create(GVR.volumeSnapshotLocations, {
          apiVersion: "velero.io/v1",
          kind: "VolumeSnapshotLocation",
          metadata: { namespace: GO_NS, name: "ts-snap" },
          spec: { provider: "vt.io/snap", config: { markerDir: markers } },
        } as unknown as UnstructuredItem);
      },
    })
  ).server;
  await eventually(
    "real Velero to validate the location served by the TS ObjectStore",
    async () => ((await kube.get(GVR.backupStorageLocations, "ts-fs", GO_NS))?.["status"] as { phase?: string } | undefined)?.phase === "Available",
    60_000,
    logs,
  );
}, 300_000);

afterAll(async () => {
  await velero?.stop();
  if (kube) {
    for (const ns of [GO_NS, APP]) await kube.delete(GVR.namespaces, ns).catch(() => undefined);
    await kube.delete(GVR.persistentVolumes, PV).catch(() => undefined);
    await kube.close();
  }
  s3?.destroy();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("TS plugins of every kind under real Velero v1.18.1", () => {
  it("1. a backup through the TS ObjectStore, VolumeSnapshotter, BackupItemActions v1 and v2 (async operation) and ItemBlockAction", async () => {
    await kube.create(GVR.backups, {
      apiVersion: "velero.io/v1",
      kind: "Backup",
      metadata: { namespace: GO_NS, name: BACKUP, annotations: { "vt/marker-dir": markers } },
      spec: {
        includedNamespaces: [APP],
        labelSelector: { matchLabels: { "vt/app": "yes" } },
        includeClusterResources: true,
        storageLocation: "ts-fs",
        volumeSnapshotLocations: ["ts-snap"],
      },
    } as unknown as UnstructuredItem);
    const { object: backup, phases } = await followPhases(GVR.backups, BACKUP, 120_000);
    const status = backup["status"] as Record<string, number | string | undefined>;
    expect(status["phase"], `${JSON.stringify(status)}\n${logs()}`).toBe("Completed");
    // the operation was still running when the items were written
    expect(phases, logs()).toContain("WaitingForPluginOperations");
    expect(status).toMatchObject({ backupItemOperationsAttempted: 1, backupItemOperationsCompleted: 1, volumeSnapshotsAttempted: 1, volumeSnapshotsCompleted: 1 });
    expect(status["errors"] ?? 0).toBe(0);

    // Everything Velero stored went through the TS ObjectStore (PutObject) into its directory.
    const keys = readdirSync(backupDir()).sort();
    expect(keys).toEqual(
      [
        "velero-backup.json",
        `${BACKUP}.tar.gz`,
        `${BACKUP}-logs.gz`,
        `${BACKUP}-itemoperations.json.gz`,
        `${BACKUP}-podvolumebackups.json.gz`,
        `${BACKUP}-resource-list.json.gz`,
        `${BACKUP}-results.gz`,
        `${BACKUP}-volumeinfo.json.gz`,
        `${BACKUP}-volumesnapshots.json.gz`,
      ].sort(),
    );
    const stored = JSON.parse(readFileSync(join(backupDir(), "velero-backup.json"), "utf8")) as { status: { phase: string } };
    expect(stored.status.phase).toBe("Completed");

    const entries = readVeleroTarball(readFileSync(join(backupDir(), `${BACKUP}.tar.gz`)));
    const cm = (name: string): string => `resources/configmaps/namespaces/${APP}/${name}.json`;
    for (const name of ["plain", "with-bia", "with-async", "with-iba", "related"]) expect(item(entries, cm(name)), name).toBeDefined();
    expect(item(entries, cm("unselected"))).toBeUndefined();
    // the v1 action's additional item, which the label selector alone leaves out
    expect(item(entries, `resources/secrets/namespaces/${APP}/extra.json`)).toBeDefined();
    // the v1 action's change to the item is what Velero wrote
    expect(item(entries, cm("with-bia"))?.metadata.annotations?.["vt/bia-v1"]).toBe(BACKUP);
    expect(item(entries, cm("plain"))?.metadata.annotations?.["vt/bia-v1"]).toBeUndefined();
    expect(item(entries, `resources/persistentvolumes/cluster/${PV}.json`)).toBeDefined();

    // The ItemBlockAction put the related ConfigMap in the block of the one naming it.
    const backupLog = gunzipSync(readFileSync(join(backupDir(), `${BACKUP}-logs.gz`))).toString("utf8");
    expect(backupLog).toMatch(new RegExp(`Backing Up Item Block including configmaps ${APP}/with-iba \\(2 items in block\\)`));

    // The v2 action's operation, as Velero's operations controller last saw it through Progress.
    const operations = gunzipJson<{ spec: { operationID: string; backupItemAction: string; resourceIdentifier: { Resource: string; Namespace: string; Name: string } }; status: { phase: string; nCompleted: number; nTotal: number; operationUnits: string; description: string } }[]>(
      join(backupDir(), `${BACKUP}-itemoperations.json.gz`),
    );
    expect(operations).toHaveLength(1);
    expect(operations[0]?.spec.backupItemAction).toBe("vt.io/bia-v2");
    expect(operations[0]?.spec.operationID).toMatch(/^op-with-async-\d+$/);
    // Go's ResourceIdentifier has no JSON tags: its field names as written
    expect(operations[0]?.spec.resourceIdentifier).toMatchObject({ Resource: "configmaps", Namespace: APP, Name: "with-async" });
    expect(operations[0]?.status).toMatchObject({ phase: "Completed", nCompleted: 2, nTotal: 2, operationUnits: "steps" });
    expect(operations[0]?.status.description).toMatch(/finished$/);

    // The VolumeSnapshotter's answers (GetVolumeID, GetVolumeInfo, CreateSnapshot) in Velero's record.
    const snapshots = gunzipJson<{ spec: { persistentVolumeName: string; providerVolumeID: string; volumeType: string; volumeIOPS: number }; status: { providerSnapshotID: string; phase: string } }[]>(
      join(backupDir(), `${BACKUP}-volumesnapshots.json.gz`),
    );
    expect(snapshots).toHaveLength(1);
    expect(snapshots[0]?.spec).toMatchObject({ persistentVolumeName: PV, providerVolumeID: VOLUME, volumeType: "vt-type", volumeIOPS: 100 });
    expect(snapshots[0]?.status).toMatchObject({ providerSnapshotID: `snap-${VOLUME}`, phase: "Completed" });
  });

  it("2. its restore through the TS RestoreItemActions v1 and v2 (async operation) and the VolumeSnapshotter", async () => {
    await kube.delete(GVR.namespaces, APP);
    await kube.delete(GVR.persistentVolumes, PV);
    await eventually(
      "the application namespace and the PV to be gone",
      async () => !(await kube.get(GVR.namespaces, APP)) && !(await kube.get(GVR.persistentVolumes, PV)),
      120_000,
    );
    await kube.create(GVR.restores, {
      apiVersion: "velero.io/v1",
      kind: "Restore",
      metadata: { namespace: GO_NS, name: RESTORE },
      spec: { backupName: BACKUP },
    } as unknown as UnstructuredItem);
    const { object: restore, phases } = await followPhases(GVR.restores, RESTORE, 120_000);
    const status = restore["status"] as Record<string, number | string | undefined>;
    expect(status["phase"], `${JSON.stringify(status)}\n${logs()}`).toBe("Completed");
    expect(phases, logs()).toContain("WaitingForPluginOperations");
    expect(status).toMatchObject({ restoreItemOperationsAttempted: 1, restoreItemOperationsCompleted: 1 });
    expect(status["errors"] ?? 0).toBe(0);

    const withBia = await kube.get(GVR.configMaps, "with-bia", APP);
    // changed at backup time by the BackupItemAction, at restore time by the RestoreItemAction
    expect(withBia?.metadata.annotations?.["vt/bia-v1"]).toBe(BACKUP);
    expect(withBia?.metadata.annotations?.["vt/ria-v1"]).toBe(`${RESTORE}:with-bia`);
    expect(await kube.get(GVR.configMaps, "with-async", APP)).toBeDefined();
    expect(await kube.get(GVR.secrets, "extra", APP)).toBeDefined();
    // CreateVolumeFromSnapshot and SetVolumeID made the restored PV's volume
    const pv = await kube.get(GVR.persistentVolumes, PV);
    expect((pv?.["spec"] as { csi?: { volumeHandle?: string } } | undefined)?.csi?.volumeHandle).toBe(`restored-snap-${VOLUME}`);

    const restoreDir = join(bucketRoot, "velero", "restores", RESTORE);
    const operations = gunzipJson<{ spec: { operationID: string; restoreItemAction: string }; status: { phase: string } }[]>(join(restoreDir, `restore-${RESTORE}-itemoperations.json.gz`));
    expect(operations).toHaveLength(1);
    expect(operations[0]?.spec.restoreItemAction).toBe("vt.io/ria-v2");
    expect(operations[0]?.spec.operationID).toMatch(/^rop-with-async-\d+$/);
    expect(operations[0]?.status.phase).toBe("Completed");
  });

  it("3. deleting the backup runs the TS DeleteItemAction and DeleteSnapshot and removes it through the TS ObjectStore", async () => {
    await kube.create(GVR.deleteBackupRequests, {
      apiVersion: "velero.io/v1",
      kind: "DeleteBackupRequest",
      metadata: { namespace: GO_NS, name: `${BACKUP}-delete`, labels: { "velero.io/backup-name": BACKUP } },
      spec: { backupName: BACKUP },
    } as unknown as UnstructuredItem);
    await eventually("the Backup and its Restore to be deleted", async () => !(await kube.get(GVR.backups, BACKUP, GO_NS)) && !(await kube.get(GVR.restores, RESTORE, GO_NS)), 120_000, logs);
    expect(readdirSync(markers).sort()).toEqual([`dia-with-bia-${BACKUP}`, `snapdel-snap-${VOLUME}`]);
    expect(existsSync(backupDir())).toBe(false);
    expect(existsSync(join(bucketRoot, "velero", "restores", RESTORE))).toBe(false);
  });
});
