// CSI snapshots against the oracle: real Velero v1.18.1 (Go, with the Go velero-plugin-for-aws) and
// velero-ts (our AWS plugin), both with --features=EnableCSI, on one API server, one moto bucket and
// the test environment's CSI stack (real external-provisioner, csi-snapshotter, snapshot-controller;
// test/peers/go/csihostpath, whose volumes are directories). Both back up a namespace holding a
// provisioned claim whose volume holds a file: the backups have the same status counters, the same
// tarball entries (the snapshot and content names aside) and the same CSI facts on the claim and the
// snapshot. Then each restores the OTHER's backup into a namespace of its own: the claims are
// provisioned from the snapshots and hold the file. Deleting its backup, each deletes the storage
// snapshot.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
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
import type { RunningServer } from "../../../host/src/server/server.ts";
import { loadEndpoints, type Endpoints } from "../../helpers/endpoints.ts";
import { boundClaim, deleteContentsOf, snapshotTar } from "../../helpers/csi.ts";
import { readVeleroTarball } from "../../helpers/velero-tarball.ts";
import { bothClis, bucketObject, eventually, motoS3, RealVeleroServer, startRealVeleroBeside, startVeleroTsBeside, suffix, tearDownSideBySide, waitTerminal } from "./harness.ts";

const SFX = suffix();
const BUCKET = `vt-csi-compat-${SFX}`;
const GO_NS = `vt-csi-go-${SFX}`;
const TS_NS = `vt-csi-ts-${SFX}`;
const APP = `vt-csi-capp-${SFX}`;
const GO_BACKUP = `csi-by-velero-${SFX}`;
const TS_BACKUP = `csi-by-velero-ts-${SFX}`;
const CONTENT = `file ${randomBytes(8).toString("hex")}\n`;

let ep: Endpoints;
let kube: HttpKubeClient;
let s3: S3Client;
let work: string;
let velero: RealVeleroServer | undefined;
let ours: RunningServer | undefined;

const status = <T>(o: UnstructuredItem | undefined): T => (o?.["status"] ?? {}) as T;

async function tarItems(backup: string): Promise<Map<string, UnstructuredItem>> {
  const tar = readVeleroTarball(await bucketObject(s3, BUCKET, `backups/${backup}/${backup}.tar.gz`));
  return new Map(tar.filter((e) => e.type === "0" && e.name.startsWith("resources/")).map((e) => [e.name, JSON.parse(e.data.toString("utf8")) as UnstructuredItem]));
}

/** The entry paths with the backup's own snapshot and content names made generic. */
function genericPaths(items: Map<string, UnstructuredItem>, vs: string, vsc: string): string[] {
  return [...items.keys()].map((p) => p.replaceAll(vs, "<vs>").replaceAll(vsc, "<vsc>")).sort();
}

beforeAll(async () => {
  ep = loadEndpoints();
  work = await mkdtemp(join(tmpdir(), "vt-csi-compat-"));
  kube = new HttpKubeClient(loadKubeConfig({ kubeconfig: ep.kubeconfig }));
  await installCrds(kube);
  s3 = motoS3(ep);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));

  await kube.create(GVR.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: APP } });
  await kube.create(GVR.persistentVolumeClaims, {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { namespace: APP, name: "data", labels: { app: "db" } },
    spec: { accessModes: ["ReadWriteOnce"], storageClassName: ep.csi.storageClass, resources: { requests: { storage: "1Mi" } } },
  } as UnstructuredItem);
  // no kubelet writes into volumes here: the test plays the pod
  await writeFile(join(ep.csi.dataDir, (await boundClaim(kube, APP, "data")).volumeHandle, "hello.txt"), CONTENT);

  velero = (await startRealVeleroBeside(kube, { namespace: GO_NS, bucket: BUCKET, work, extraArgs: ["--features=EnableCSI", "--backup-sync-period=3s", "--store-validation-frequency=3s", "--item-operation-sync-frequency=2s"] })).server;
  ours = await startVeleroTsBeside(kube, { namespace: TS_NS, bucket: BUCKET, work, credentialsFile: join(work, "velero", "aws-credentials"), backupSyncPeriod: "2s", logLevel: "debug", features: ["EnableCSI"] });
  for (const ns of [GO_NS, TS_NS]) {
    await eventually(`location ${ns}/default to be Available`, async () => status<{ phase?: string }>(await kube.get(GVR.backupStorageLocations, "default", ns)).phase === "Available", 60_000, () => velero!.logTail());
  }
}, 300_000);

afterAll(async () => {
  await tearDownSideBySide(kube, { serverNamespaces: [GO_NS, TS_NS], otherNamespaces: [APP, `${APP}-ts`, `${APP}-go`], servers: [velero, ours] });
  // the restores' contents (Retain, cluster-scoped) outlive their namespaces, as they do under Velero
  if (kube) await deleteContentsOf(kube, [APP, `${APP}-ts`, `${APP}-go`]);
  await kube?.close();
  s3?.destroy();
  if (work && process.env["VT_KEEP_COMPAT"] !== "1") await rm(work, { recursive: true, force: true });
});

describe("CSI snapshots: real Velero v1.18.1 and velero-ts side by side (EnableCSI)", () => {
  it("both snapshot the claim through a VolumeSnapshot and back up the same entries and CSI facts", async () => {
    // One after the other: a claim read while the other server's snapshot of it is being taken
    // carries the snapshot controller's pvc-as-source-protection finalizer, which a restore keeps
    // (as Velero's does) and nothing then removes.
    const statuses: Record<string, unknown>[] = [];
    for (const [ns, name] of [[GO_NS, GO_BACKUP], [TS_NS, TS_BACKUP]] as const) {
      await kube.create(GVR.backups, {
        apiVersion: "velero.io/v1",
        kind: "Backup",
        metadata: { namespace: ns, name },
        // (events out: those of the other server's snapshot would differ)
        spec: { includedNamespaces: [APP], excludedResources: ["events", "events.events.k8s.io"], storageLocation: "default", ttl: "24h0m0s" },
      } as unknown as UnstructuredItem);
      const b = await waitTerminal(kube, GVR.backups, name, ns, 180_000, () => velero!.logTail());
      statuses.push(b["status"] as Record<string, unknown>);
    }
    const counters = (s: Record<string, unknown>) => ({
      phase: s["phase"],
      csiVolumeSnapshotsAttempted: s["csiVolumeSnapshotsAttempted"],
      csiVolumeSnapshotsCompleted: s["csiVolumeSnapshotsCompleted"],
      backupItemOperationsAttempted: s["backupItemOperationsAttempted"],
      backupItemOperationsCompleted: s["backupItemOperationsCompleted"],
      errors: s["errors"],
    });
    expect(counters(statuses[0]!)).toEqual({ phase: "Completed", csiVolumeSnapshotsAttempted: 1, csiVolumeSnapshotsCompleted: 1, backupItemOperationsAttempted: 1, backupItemOperationsCompleted: 1, errors: undefined });
    expect(counters(statuses[1]!)).toEqual(counters(statuses[0]!));

    const shapes = [];
    for (const backup of [GO_BACKUP, TS_BACKUP]) {
      const items = await tarItems(backup);
      const claim = items.get(`resources/persistentvolumeclaims/namespaces/${APP}/data.json`);
      const vsName = claim?.metadata.annotations?.["velero.io/volume-snapshot-name"] ?? "";
      const vs = items.get(`resources/volumesnapshots.snapshot.storage.k8s.io/namespaces/${APP}/${vsName}.json`);
      const vscName = status<{ boundVolumeSnapshotContentName?: string }>(vs).boundVolumeSnapshotContentName ?? "";
      const vsc = items.get(`resources/volumesnapshotcontents.snapshot.storage.k8s.io/cluster/${vscName}.json`);
      const handle = status<{ snapshotHandle?: string }>(vsc).snapshotHandle ?? "";
      const generic = (v: string | undefined) => v?.replaceAll(vsName, "<vs>").replaceAll(vscName, "<vsc>").replaceAll(handle, "<handle>");
      const volumeInfo = JSON.parse(gunzipSync(await bucketObject(s3, BUCKET, `backups/${backup}/${backup}-volumeinfo.json.gz`)).toString("utf8")) as Record<string, unknown>[];
      shapes.push({
        paths: genericPaths(items, vsName, vscName),
        claimLabels: Object.fromEntries(Object.entries(claim?.metadata.labels ?? {}).map(([k, v]) => [k, k === "velero.io/backup-name" ? "<backup>" : generic(v)])),
        claimAnnotations: Object.fromEntries(Object.entries(claim?.metadata.annotations ?? {}).filter(([k]) => k.startsWith("velero.io/") || k.startsWith("backup.velero.io/")).map(([k, v]) => [k, generic(v)])),
        claimRequest: (claim?.["spec"] as { resources?: unknown } | undefined)?.resources,
        claimFinalizers: claim?.metadata.finalizers,
        snapshotAnnotations: Object.fromEntries(Object.entries(vs?.metadata.annotations ?? {}).map(([k, v]) => [k, generic(v)])),
        // (the snapshot's own readyToUse may lag its content's, which completes the operation)
        contentReady: status<{ readyToUse?: boolean }>(vsc).readyToUse,
        contentLabel: vsc?.metadata.labels?.["velero.io/backup-name"] === backup,
        volumeInfo: volumeInfo.map((v) => ({
          ...v,
          startTimestamp: typeof v["startTimestamp"],
          completionTimestamp: typeof v["completionTimestamp"],
          // (ReadyToUse is the snapshot's at the end of the backup: true or false depending on timing)
          csiSnapshotInfo: {
            ...(JSON.parse(generic(JSON.stringify(v["csiSnapshotInfo"]))?.replace(/\/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"/, '/<started>"') ?? "null") as Record<string, unknown>),
            ReadyToUse: typeof (v["csiSnapshotInfo"] as { ReadyToUse?: unknown } | undefined)?.ReadyToUse,
          },
          pvName: typeof v["pvName"],
        })),
        volumeInfoKeys: volumeInfo.map((v) => Object.keys(v)),
      });
    }
    expect(shapes[0]!.paths).toEqual(expect.arrayContaining(["resources/volumesnapshots.snapshot.storage.k8s.io/namespaces/" + APP + "/<vs>.json", "resources/volumesnapshotcontents.snapshot.storage.k8s.io/cluster/<vsc>.json"]));
    expect(shapes[1]).toEqual(shapes[0]);
  });

  it("each restores the other's backup: the claim is provisioned from the snapshot and holds the file", async () => {
    await eventually(`velero-ts to sync ${GO_BACKUP}`, async () => kube.get(GVR.backups, GO_BACKUP, TS_NS), 90_000);
    await eventually(`real Velero to sync ${TS_BACKUP}`, async () => kube.get(GVR.backups, TS_BACKUP, GO_NS), 120_000, () => velero!.logTail());
    const restores = [
      [TS_NS, `csi-ts-restores-${SFX}`, GO_BACKUP, `${APP}-ts`],
      [GO_NS, `csi-go-restores-${SFX}`, TS_BACKUP, `${APP}-go`],
    ] as const;
    for (const [ns, name, backupName, target] of restores) {
      await kube.create(GVR.restores, {
        apiVersion: "velero.io/v1",
        kind: "Restore",
        metadata: { namespace: ns, name },
        spec: { backupName, includedNamespaces: [APP], namespaceMapping: { [APP]: target } },
      } as unknown as UnstructuredItem);
    }
    for (const [ns, name, , target] of restores) {
      const r = await waitTerminal(kube, GVR.restores, name, ns, 180_000, () => velero!.logTail());
      expect(status<{ phase: string }>(r).phase, `${ns}/${name}`).toBe("Completed");
      const { volumeHandle: handle } = await boundClaim(kube, target, "data");
      const claim = await kube.get(GVR.persistentVolumeClaims, "data", target);
      expect((claim?.["spec"] as { dataSource?: { kind?: string } }).dataSource?.kind, `${target}/data`).toBe("VolumeSnapshot");
      expect(await readFile(join(ep.csi.dataDir, handle, "hello.txt"), "utf8"), `${target}/data`).toBe(CONTENT);
    }
  });

  it("describe --details: Velero's CLI and ours print the same CSI snapshots and restores, whichever server answers", async () => {
    const cases: [string, string[]][] = [
      [GO_NS, ["backup", "describe", GO_BACKUP, "--details", "--colorized=false"]],
      [GO_NS, ["backup", "describe", TS_BACKUP, "--details", "--colorized=false"]],
      [TS_NS, ["backup", "describe", GO_BACKUP, "--details", "--colorized=false"]],
      [TS_NS, ["backup", "describe", TS_BACKUP, "--details", "--colorized=false"]],
      [TS_NS, ["backup", "describe", TS_BACKUP, "-o", "json", "--details"]],
      [GO_NS, ["restore", "describe", `csi-go-restores-${SFX}`, "--details", "--colorized=false"]],
      [TS_NS, ["restore", "describe", `csi-ts-restores-${SFX}`, "--details", "--colorized=false"]],
    ];
    for (const [namespace, args] of cases) {
      const { go, ours: ts } = await bothClis([...args, "-n", namespace]);
      const what = `velero ${args.join(" ")} -n ${namespace}`;
      expect(go.code, `${what}: Velero failed: ${go.stderr}`).toBe(0);
      expect({ code: ts.code, stdout: ts.stdout }, `${what}: velero-ts differs (stderr: ${ts.stderr})`).toEqual({ code: go.code, stdout: go.stdout });
    }
    const { go } = await bothClis(["backup", "describe", TS_BACKUP, "--details", "--colorized=false", "-n", GO_NS]);
    expect(go.stdout).toMatch(/CSI Snapshots:\n\s+vt-csi-capp-[0-9a-f]+\/data:\n\s+Snapshot:/);
  }, 180_000);

  it("deleting their backups, both delete the storage snapshots", async () => {
    const handles: Record<string, string> = {};
    for (const backup of [GO_BACKUP, TS_BACKUP]) {
      const items = await tarItems(backup);
      const vsc = [...items.entries()].find(([path]) => path.startsWith("resources/volumesnapshotcontents.snapshot.storage.k8s.io/cluster/"))?.[1];
      handles[backup] = status<{ snapshotHandle: string }>(vsc).snapshotHandle;
      expect(existsSync(snapshotTar(ep.csi.dataDir, handles[backup]!)), backup).toBe(true);
    }
    for (const [ns, backup] of [[GO_NS, GO_BACKUP], [TS_NS, TS_BACKUP]] as const) {
      await kube.create(GVR.deleteBackupRequests, { apiVersion: "velero.io/v1", kind: "DeleteBackupRequest", metadata: { namespace: ns, name: `delete-${backup}` }, spec: { backupName: backup } } as unknown as UnstructuredItem);
    }
    for (const [ns, backup] of [[GO_NS, GO_BACKUP], [TS_NS, TS_BACKUP]] as const) {
      await eventually(`${ns}/${backup} to be deleted`, async () => (await kube.get(GVR.backups, backup, ns)) === undefined, 180_000, () => velero!.logTail());
    }
    for (const backup of [GO_BACKUP, TS_BACKUP]) {
      await eventually(`the storage snapshot of ${backup} to be deleted`, async () => !existsSync(snapshotTar(ep.csi.dataDir, handles[backup]!)), 60_000);
    }
  });
});
