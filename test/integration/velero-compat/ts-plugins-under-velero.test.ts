// TypeScript plugins of every kind, built with the SDK's serve(), run by real Velero v1.18.1 (Go):
// the wire protocol works in the direction where Velero's own plugin manager (go-plugin's host)
// spawns our binary, reads its handshake, lists its plugins and calls them.
// test/fixtures/plugins/under-velero-plugin.ts is the plugin; each of its plugins acts only on
// objects labelled for it and keeps no state in the process (Velero starts plugin processes per
// backup, restore and reconcile). One backup goes through every backup-side kind (its location
// is our ObjectStore, its volume snapshot location our VolumeSnapshotter), its restore through
// the restore-side kinds, and its deletion through the DeleteItemAction and DeleteSnapshot.
// velero-ts runs the same plugin binary through the same steps beside it (its own namespace and
// directories), and what both stored, restored and deleted is compared.
import { createWriteStream, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
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
import { startServer, type RunningServer } from "../../../host/src/server/server.ts";
import { createLogger } from "../../../host/src/shared/logging.ts";
import { loadEndpoints } from "../../helpers/endpoints.ts";
import { readVeleroTarball, type TarEntry } from "../../helpers/velero-tarball.ts";
import { buildUnderVeleroPlugin } from "../../plugin-protocol/helpers.ts";
import { eventually, motoS3, type RealVeleroServer, startRealVeleroBeside, suffix, TERMINAL_PHASES } from "./harness.ts";

const SFX = suffix();
const BUCKET = `vt-under-${SFX}`;
const APP = `vt-under-app-${SFX}`;
const PV = `vt-under-pv-${SFX}`;
const VOLUME = `vol-${SFX}`;
// the same names on both sides (each in its own namespace), so that what the plugins write matches
const BACKUP = "every-kind";
const RESTORE = "every-kind-restore";

type Side = "go" | "ts";
const SIDES: Side[] = ["go", "ts"];
const NS: Record<Side, string> = { go: `vt-under-velero-${SFX}`, ts: `vt-under-velero-ts-${SFX}` };

let kube: HttpKubeClient;
let s3: S3Client;
let work: string;
let velero: RealVeleroServer | undefined;
let ours: RunningServer | undefined;

const logs = (): string => `${velero?.logTail() ?? ""}\n--- velero-ts log: ${join(work, "velero-ts.log")}\n${existsSync(join(work, "velero-ts.log")) ? readFileSync(join(work, "velero-ts.log"), "utf8").split("\n").filter((l) => /level=(error|warning)/.test(l)).slice(0, 20).join("\n") : ""}`;
const bucketRoot = (side: Side): string => join(work, `bucket-${side}`);
const markers = (side: Side): string => join(work, `markers-${side}`);
const backupDir = (side: Side): string => join(bucketRoot(side), "velero", "backups", BACKUP);
const restoreDir = (side: Side): string => join(bucketRoot(side), "velero", "restores", RESTORE);

function configMap(name: string, labels: Record<string, string>, annotations: Record<string, string> = {}): UnstructuredItem {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { namespace: APP, name, labels, annotations }, data: { name } } as unknown as UnstructuredItem;
}

/** Polls a Backup or Restore until it is terminal; returns it with every phase it was seen in. */
/**
 * Reads the Backup or Restore until it ends, noting each phase seen. Its plugin operation completes
 * only once `releaseFile` exists (the fixture's vt/release-file): written when the object is seen
 * waiting for it, so that wait is always seen, however slowly the machine runs the backup.
 */
async function followPhases(gvr: (typeof GVR)["backups"], name: string, namespace: string, timeoutMs: number, releaseFile: string): Promise<{ object: UnstructuredItem; phases: string[] }> {
  const phases: string[] = [];
  const object = await eventually(
    `${gvr.resource} ${namespace}/${name} to finish`,
    async () => {
      const o = await kube.get(gvr, name, namespace);
      const phase = (o?.["status"] as { phase?: string } | undefined)?.phase ?? "";
      if (phases.at(-1) !== phase) phases.push(phase);
      if (phase === "WaitingForPluginOperations") writeFileSync(releaseFile, "");
      return o && TERMINAL_PHASES.includes(phase) ? o : undefined;
    },
    timeoutMs,
    logs,
  );
  return { object, phases };
}

const gunzipJson = <T>(path: string): T => JSON.parse(gunzipSync(readFileSync(path)).toString("utf8")) as T;
const item = (entries: TarEntry[], path: string): UnstructuredItem | undefined => {
  const e = entries.find((x) => x.name === path);
  return e ? (JSON.parse(e.data.toString("utf8")) as UnstructuredItem) : undefined;
};
const cmPath = (name: string): string => `resources/configmaps/namespaces/${APP}/${name}.json`;

interface StoredOperation {
  spec: { operationID: string; backupUID?: string; restoreUID?: string; backupItemAction?: string; restoreItemAction?: string; resourceIdentifier: { Resource: string; Namespace: string; Name: string } };
  status: { phase: string; nCompleted: number; nTotal: number; operationUnits: string; description: string; created?: string; started?: string; updated?: string };
}
interface StoredSnapshot {
  spec: { backupName: string; backupUID?: string; location: string; persistentVolumeName: string; providerVolumeID: string; volumeType: string; volumeAZ?: string; volumeIOPS: number };
  status: { providerSnapshotID: string; phase: string };
}
/** An operation without what differs by run: its Backup's or Restore's uid, the start time in its ID, its times, the description naming the ID. */
const comparableOperation = (o: StoredOperation | undefined): unknown =>
  o && {
    ...o,
    spec: { ...o.spec, operationID: o.spec.operationID.replace(/\d+$/, "<epoch>"), ...("backupUID" in o.spec ? { backupUID: "" } : {}), ...("restoreUID" in o.spec ? { restoreUID: "" } : {}) },
    status: { ...o.status, description: o.status.description.replace(/\d+/, "<epoch>"), created: "", started: "", updated: "" } };

/** The application as restored: what a restore may change (annotations, labels, PV volume), per object. */
async function restoredApp(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const o of (await kube.list(GVR.configMaps, { namespace: APP })).items) {
    if (o.metadata.name === "kube-root-ca.crt") continue;
    out[`configmap/${o.metadata.name}`] = { labels: o.metadata.labels, annotations: o.metadata.annotations, data: o["data"] };
  }
  for (const o of (await kube.list(GVR.secrets, { namespace: APP })).items) out[`secret/${o.metadata.name}`] = { labels: o.metadata.labels, annotations: o.metadata.annotations };
  const pv = await kube.get(GVR.persistentVolumes, PV);
  out["pv"] = pv && { labels: pv.metadata.labels, annotations: pv.metadata.annotations, csi: (pv["spec"] as { csi?: unknown }).csi };
  return out;
}

async function deleteApp(): Promise<void> {
  await kube.delete(GVR.namespaces, APP).catch(() => undefined);
  await kube.delete(GVR.persistentVolumes, PV).catch(() => undefined);
  await eventually("the application namespace and the PV to be gone", async () => !(await kube.get(GVR.namespaces, APP)) && !(await kube.get(GVR.persistentVolumes, PV)), 120_000);
}

/** Each side's location on the TS ObjectStore and snapshot location on the TS VolumeSnapshotter. */
async function createLocations(side: Side): Promise<void> {
  await kube.create(GVR.backupStorageLocations, {
    apiVersion: "velero.io/v1",
    kind: "BackupStorageLocation",
    metadata: { namespace: NS[side], name: "ts-fs" },
    spec: { provider: "vt.io/fs", objectStorage: { bucket: "velero" }, config: { path: bucketRoot(side) }, backupSyncPeriod: "0s" },
  } as unknown as UnstructuredItem);
  await kube.create(GVR.volumeSnapshotLocations, {
    apiVersion: "velero.io/v1",
    kind: "VolumeSnapshotLocation",
    metadata: { namespace: NS[side], name: "ts-snap" },
    spec: { provider: "vt.io/snap", config: { markerDir: markers(side) } },
  } as unknown as UnstructuredItem);
}

beforeAll(async () => {
  const ep = loadEndpoints();
  work = await mkdtemp(join(tmpdir(), "vt-under-velero-"));
  for (const side of SIDES) {
    await mkdir(join(bucketRoot(side), "velero"), { recursive: true });
    await mkdir(markers(side));
  }
  kube = new HttpKubeClient(loadKubeConfig({ kubeconfig: ep.kubeconfig }));
  await installCrds(kube);
  // the harness's default location (Go AWS plugin, moto); this test's backups name their own
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
      // a class no claim asks for: the PV stays Available through both backups (without one, the PV
      // controller binds it to another test's Pending claim of class "", between the two backups)
      storageClassName: `vt-under-${SFX}`,
      csi: { driver: "vt.test.csi", volumeHandle: VOLUME },
    },
  } as unknown as UnstructuredItem);

  const plugin = await buildUnderVeleroPlugin();
  velero = (
    await startRealVeleroBeside(kube, {
      namespace: NS.go,
      bucket: BUCKET,
      work,
      location: { backupSyncPeriod: "0s" },
      extraArgs: ["--store-validation-frequency=3s", "--item-operation-sync-frequency=1s"],
      beforeStart: async () => {
        await symlink(plugin, join(work, "go-plugins", "velero-plugin-under-velero"));
        await createLocations("go");
      },
    })
  ).server;

  const ourPlugins = join(work, "ts-plugins");
  await mkdir(ourPlugins);
  await symlink(plugin, join(ourPlugins, "velero-plugin-under-velero"));
  await kube.create(GVR.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: NS.ts } });
  await createLocations("ts");
  ours = await startServer({
    kubeconfig: ep.kubeconfig,
    namespace: NS.ts,
    pluginDir: ourPlugins,
    metricsAddress: "127.0.0.1:0",
    storeValidationFrequency: "2s",
    itemOperationSyncFrequency: "1s",
    logger: createLogger({ level: "info", destination: createWriteStream(join(work, "velero-ts.log")) }),
  });
  for (const side of SIDES) {
    await eventually(
      `the ${side} server to validate the location served by the TS ObjectStore`,
      async () => ((await kube.get(GVR.backupStorageLocations, "ts-fs", NS[side]))?.["status"] as { phase?: string } | undefined)?.phase === "Available",
      60_000,
      logs,
    );
  }
}, 300_000);

afterAll(async () => {
  await Promise.all([velero?.stop(), ours?.stop()]);
  if (kube) {
    for (const ns of [...Object.values(NS), APP]) await kube.delete(GVR.namespaces, ns).catch(() => undefined);
    await kube.delete(GVR.persistentVolumes, PV).catch(() => undefined);
    await kube.close();
  }
  s3?.destroy();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("TS plugins of every kind under real Velero v1.18.1, and under velero-ts beside it", () => {
  it("1. a backup through the TS ObjectStore, VolumeSnapshotter, BackupItemActions v1 and v2 (async operation) and ItemBlockAction", async () => {
    const results = await Promise.all(
      SIDES.map(async (side) => {
        await kube.create(GVR.backups, {
          apiVersion: "velero.io/v1",
          kind: "Backup",
          metadata: { namespace: NS[side], name: BACKUP, annotations: { "vt/marker-dir": markers(side), "vt/release-file": join(work, `release-backup-${side}`) } },
          spec: {
            includedNamespaces: [APP],
            labelSelector: { matchLabels: { "vt/app": "yes" } },
            includeClusterResources: true,
            storageLocation: "ts-fs",
            volumeSnapshotLocations: ["ts-snap"],
          },
        } as unknown as UnstructuredItem);
        return followPhases(GVR.backups, BACKUP, NS[side], 120_000, join(work, `release-backup-${side}`));
      }),
    );
    const stored: Record<Side, { entries: TarEntry[]; operations: StoredOperation[]; snapshots: StoredSnapshot[]; keys: string[] }> = {} as never;
    for (const [i, side] of SIDES.entries()) {
      const { object: backup, phases } = results[i]!;
      const status = backup["status"] as Record<string, number | string | undefined>;
      const why = `${side}: ${JSON.stringify(status)}\n${logs()}`;
      expect(status["phase"], why).toBe("Completed");
      // the operation was still running when the items were written
      expect(phases, why).toContain("WaitingForPluginOperations");
      expect(status, why).toMatchObject({ backupItemOperationsAttempted: 1, backupItemOperationsCompleted: 1, volumeSnapshotsAttempted: 1, volumeSnapshotsCompleted: 1 });
      expect(status["errors"] ?? 0, why).toBe(0);

      // Everything the server stored went through the TS ObjectStore (PutObject) into its directory.
      const keys = readdirSync(backupDir(side)).sort();
      expect(keys, side).toEqual(
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
      expect((JSON.parse(readFileSync(join(backupDir(side), "velero-backup.json"), "utf8")) as { status: { phase: string } }).status.phase, side).toBe("Completed");

      const entries = readVeleroTarball(readFileSync(join(backupDir(side), `${BACKUP}.tar.gz`)));
      for (const name of ["plain", "with-bia", "with-async", "with-iba", "related"]) expect(item(entries, cmPath(name)), `${side}: ${name}`).toBeDefined();
      expect(item(entries, cmPath("unselected")), side).toBeUndefined();
      // the v1 action's additional item, which the label selector alone leaves out
      expect(item(entries, `resources/secrets/namespaces/${APP}/extra.json`), side).toBeDefined();
      // the v1 action's change to the item is what was written
      expect(item(entries, cmPath("with-bia"))?.metadata.annotations?.["vt/bia-v1"], side).toBe(BACKUP);
      expect(item(entries, cmPath("plain"))?.metadata.annotations?.["vt/bia-v1"], side).toBeUndefined();
      expect(item(entries, `resources/persistentvolumes/cluster/${PV}.json`), side).toBeDefined();

      // The ItemBlockAction put the related ConfigMap in the block of the one naming it.
      const backupLog = gunzipSync(readFileSync(join(backupDir(side), `${BACKUP}-logs.gz`))).toString("utf8");
      expect(backupLog, side).toMatch(new RegExp(`Backing Up Item Block including configmaps ${APP}/with-iba \\(2 items in block\\)`));

      // The v2 action's operation, as the operations controller last saw it through Progress.
      const operations = gunzipJson<StoredOperation[]>(join(backupDir(side), `${BACKUP}-itemoperations.json.gz`));
      expect(operations, side).toHaveLength(1);
      expect(operations[0]?.spec.backupItemAction, side).toBe("vt.io/bia-v2");
      expect(operations[0]?.spec.operationID, side).toMatch(/^op-with-async-\d+$/);
      // Go's ResourceIdentifier has no JSON tags: its field names as written
      expect(operations[0]?.spec.resourceIdentifier, side).toMatchObject({ Resource: "configmaps", Namespace: APP, Name: "with-async" });
      expect(operations[0]?.status, side).toMatchObject({ phase: "Completed", nCompleted: 2, nTotal: 2, operationUnits: "steps" });
      expect(operations[0]?.status.description, side).toMatch(/finished$/);

      // The VolumeSnapshotter's answers (GetVolumeID, GetVolumeInfo, CreateSnapshot) in the record.
      const snapshots = gunzipJson<StoredSnapshot[]>(join(backupDir(side), `${BACKUP}-volumesnapshots.json.gz`));
      expect(snapshots, side).toHaveLength(1);
      expect(snapshots[0]?.spec, side).toMatchObject({ persistentVolumeName: PV, providerVolumeID: VOLUME, volumeType: "vt-type", volumeIOPS: 100 });
      expect(snapshots[0]?.status, side).toMatchObject({ providerSnapshotID: `snap-${VOLUME}`, phase: "Completed" });
      stored[side] = { entries, operations, snapshots, keys };
    }
    // velero-ts wrote what Velero wrote: the same items (every entry's JSON), operation and snapshot record.
    const items = (side: Side): Record<string, unknown> =>
      Object.fromEntries(stored[side].entries.filter((e) => e.name.startsWith("resources/")).map((e) => [e.name, JSON.parse(e.data.toString("utf8"))]));
    expect(items("ts")).toEqual(items("go"));
    expect(comparableOperation(stored.ts.operations[0])).toEqual(comparableOperation(stored.go.operations[0]));
    const snapshot = (side: Side): unknown => ({ ...stored[side].snapshots[0], spec: { ...stored[side].snapshots[0]?.spec, backupUID: "" } });
    expect(snapshot("ts")).toEqual(snapshot("go"));
  });

  it("2. its restore through the TS RestoreItemActions v1 and v2 (async operation) and the VolumeSnapshotter", async () => {
    const restored: Partial<Record<Side, Record<string, unknown>>> = {};
    for (const side of SIDES) {
      await deleteApp();
      await kube.create(GVR.restores, {
        apiVersion: "velero.io/v1",
        kind: "Restore",
        metadata: { namespace: NS[side], name: RESTORE, annotations: { "vt/release-file": join(work, `release-restore-${side}`) } },
        spec: { backupName: BACKUP },
      } as unknown as UnstructuredItem);
      const { object: restore, phases } = await followPhases(GVR.restores, RESTORE, NS[side], 120_000, join(work, `release-restore-${side}`));
      const status = restore["status"] as Record<string, number | string | undefined>;
      const why = `${side}: ${JSON.stringify(status)}\n${logs()}`;
      expect(status["phase"], why).toBe("Completed");
      expect(phases, why).toContain("WaitingForPluginOperations");
      expect(status, why).toMatchObject({ restoreItemOperationsAttempted: 1, restoreItemOperationsCompleted: 1 });
      expect(status["errors"] ?? 0, why).toBe(0);

      const withBia = await kube.get(GVR.configMaps, "with-bia", APP);
      // changed at backup time by the BackupItemAction, at restore time by the RestoreItemAction
      expect(withBia?.metadata.annotations?.["vt/bia-v1"], side).toBe(BACKUP);
      expect(withBia?.metadata.annotations?.["vt/ria-v1"], side).toBe(`${RESTORE}:with-bia`);
      expect(await kube.get(GVR.configMaps, "with-async", APP), side).toBeDefined();
      expect(await kube.get(GVR.secrets, "extra", APP), side).toBeDefined();
      // CreateVolumeFromSnapshot and SetVolumeID made the restored PV's volume
      const pv = await kube.get(GVR.persistentVolumes, PV);
      expect((pv?.["spec"] as { csi?: { volumeHandle?: string } } | undefined)?.csi?.volumeHandle, side).toBe(`restored-snap-${VOLUME}`);

      const operations = gunzipJson<StoredOperation[]>(join(restoreDir(side), `restore-${RESTORE}-itemoperations.json.gz`));
      expect(operations, side).toHaveLength(1);
      expect(operations[0]?.spec.restoreItemAction, side).toBe("vt.io/ria-v2");
      expect(operations[0]?.spec.operationID, side).toMatch(/^rop-with-async-\d+$/);
      expect(operations[0]?.status.phase, side).toBe("Completed");
      restored[side] = { objects: await restoredApp(), operation: comparableOperation(operations[0]) };
    }
    // velero-ts restored what Velero restored (labels, annotations, data, the PV's volume) and recorded the same operation.
    expect(restored.ts).toEqual(restored.go);
  });

  it("3. deleting the backup runs the TS DeleteItemAction and DeleteSnapshot and removes it through the TS ObjectStore", async () => {
    for (const side of SIDES) {
      await kube.create(GVR.deleteBackupRequests, {
        apiVersion: "velero.io/v1",
        kind: "DeleteBackupRequest",
        metadata: { namespace: NS[side], name: `${BACKUP}-delete`, labels: { "velero.io/backup-name": BACKUP } },
        spec: { backupName: BACKUP },
      } as unknown as UnstructuredItem);
    }
    for (const side of SIDES) {
      await eventually(
        `${side}: the Backup and its Restore to be deleted`,
        async () => !(await kube.get(GVR.backups, BACKUP, NS[side])) && !(await kube.get(GVR.restores, RESTORE, NS[side])),
        120_000,
        logs,
      );
      expect(readdirSync(markers(side)).sort(), side).toEqual([`dia-with-bia-${BACKUP}`, `snapdel-snap-${VOLUME}`]);
      expect(existsSync(backupDir(side)), side).toBe(false);
      expect(existsSync(restoreDir(side)), side).toBe(false);
    }
  });
});
