// End to end with `velero server` (startServer): native EBS snapshots through the aws plugin
// executable against moto. A namespace with a PVC bound to an EBS-style PV (CSI driver
// ebs.csi.aws.com, volumeHandle = a moto volume) is backed up → a moto snapshot tagged with the
// backup's name; the namespace and PV are deleted and restored → a new moto volume created from the
// snapshot and a PV pointing at it; the backup is deleted → the snapshot is gone.
//
// The plugin process reaches moto's EC2 through AWS_ENDPOINT_URL_EC2 in the server's environment
// (plugin processes inherit it), as a Velero deployment would be configured for an EC2 emulator.
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import { CreateVolumeCommand, DescribeSnapshotsCommand, DescribeVolumesCommand, type EC2Client } from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import { installCrds } from "../../../host/src/kube/crds.ts";
import { GVR } from "../../../host/src/kube/gvr.ts";
import { HttpKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import { loadKubeConfig } from "../../../host/src/kube/kube-config.ts";
import { startServer, type RunningServer } from "../../../host/src/server/server.ts";
import { createLogger } from "../../../host/src/shared/logging.ts";
import { loadEndpoints, type Endpoints } from "../../helpers/endpoints.ts";
import { buildAwsPlugin, motoClients } from "./helpers.ts";

const SFX = randomBytes(3).toString("hex");
const BUCKET = `vt-aws-e2e-${SFX}`;
const VELERO_NS = `vt-aws-velero-${SFX}`;
const APP = `vt-aws-app-${SFX}`;
const PV_NAME = `vt-aws-pv-${SFX}`;
const BACKUP = `ebs-${SFX}`;
const RESTORE = `ebs-restore-${SFX}`;
const TERMINAL = ["Completed", "PartiallyFailed", "Failed", "FailedValidation"];

let ep: Endpoints;
let kube: HttpKubeClient;
let s3: S3Client;
let ec2: EC2Client;
let work: string;
let server: RunningServer | undefined;
let sourceVolume: string;
let zone: string;
let snapshotId: string;
const savedEc2Endpoint = process.env["AWS_ENDPOINT_URL_EC2"];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const phaseOf = (o: UnstructuredItem | undefined): string | undefined => (o?.["status"] as { phase?: string } | undefined)?.phase;

async function eventually<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await sleep(250);
  }
}

async function gone(gvr: Parameters<HttpKubeClient["get"]>[0], name: string, namespace?: string): Promise<boolean> {
  try {
    return (await kube.get(gvr, name, namespace)) === undefined;
  } catch {
    return true;
  }
}

beforeAll(async () => {
  ep = loadEndpoints();
  ({ s3, ec2 } = motoClients(ep));
  zone = `${ep.ec2.region}a`;
  kube = new HttpKubeClient(loadKubeConfig({ kubeconfig: ep.kubeconfig }));
  await installCrds(kube);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));

  const plugin = await buildAwsPlugin();
  work = await mkdtemp(join(tmpdir(), "vt-aws-e2e-"));
  const pluginDir = join(work, "plugins");
  await mkdir(pluginDir);
  await symlink(plugin, join(pluginDir, "velero-plugin-aws"));

  // The "EBS volume" behind the PV.
  const created = await ec2.send(
    new CreateVolumeCommand({
      AvailabilityZone: zone,
      Size: 1,
      VolumeType: "gp3",
      TagSpecifications: [{ ResourceType: "volume", Tags: [{ Key: "Name", Value: `data-${SFX}` }] }],
    }),
  );
  sourceVolume = created.VolumeId ?? "";

  // Velero's namespace: credentials secret, BSL and VSL (both provider aws, credentials from the secret).
  await kube.create(GVR.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: VELERO_NS } });
  const cloud = `[default]\naws_access_key_id = ${ep.s3.accessKeyId}\naws_secret_access_key = ${ep.s3.secretAccessKey}\n`;
  await kube.create(GVR.secrets, {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { namespace: VELERO_NS, name: "cloud-credentials" },
    type: "Opaque",
    data: { cloud: Buffer.from(cloud).toString("base64") },
  });
  const credential = { name: "cloud-credentials", key: "cloud" };
  await kube.create(GVR.backupStorageLocations, {
    apiVersion: "velero.io/v1",
    kind: "BackupStorageLocation",
    metadata: { namespace: VELERO_NS, name: "default" },
    spec: {
      provider: "aws",
      objectStorage: { bucket: BUCKET },
      config: { region: ep.s3.region, s3Url: ep.s3.endpoint, s3ForcePathStyle: "true", checksumAlgorithm: "" },
      credential,
      default: true,
      backupSyncPeriod: "0s", // no sync for this location (the server's --backup-sync-period=0 would mean a minute)
    },
  });
  await kube.create(GVR.volumeSnapshotLocations, {
    apiVersion: "velero.io/v1",
    kind: "VolumeSnapshotLocation",
    metadata: { namespace: VELERO_NS, name: "default" },
    spec: { provider: "aws", config: { region: ep.ec2.region }, credential },
  });

  // The application: a PVC statically bound to an EBS CSI PV in the volume's zone.
  await kube.create(GVR.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: APP } });
  await kube.create(GVR.persistentVolumes, {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name: PV_NAME, labels: { "topology.kubernetes.io/zone": zone } },
    spec: {
      capacity: { storage: "1Gi" },
      accessModes: ["ReadWriteOnce"],
      persistentVolumeReclaimPolicy: "Retain",
      storageClassName: "",
      csi: { driver: "ebs.csi.aws.com", volumeHandle: sourceVolume, fsType: "ext4" },
      claimRef: { namespace: APP, name: "data" },
    },
  } as UnstructuredItem);
  await kube.create(GVR.persistentVolumeClaims, {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { namespace: APP, name: "data" },
    spec: { accessModes: ["ReadWriteOnce"], storageClassName: "", volumeName: PV_NAME, resources: { requests: { storage: "1Gi" } } },
  } as UnstructuredItem);
  await eventually("the PVC to bind to the EBS PV", async () => phaseOf(await kube.get(GVR.persistentVolumeClaims, "data", APP)) === "Bound");

  process.env["AWS_ENDPOINT_URL_EC2"] = ep.ec2.endpoint;
  server = await startServer({
    kubeconfig: ep.kubeconfig,
    namespace: VELERO_NS,
    pluginDir,
    metricsAddress: "127.0.0.1:0",
    storeValidationFrequency: "2s",
    // to stderr with VT_AWS_E2E_LOG=1; otherwise to a file under the run's temp dir (kept when a run fails)
    logger: process.env["VT_AWS_E2E_LOG"] === "1" ? createLogger({ level: "debug" }) : createLogger({ level: "debug", destination: createWriteStream(join(tmpdir(), `vt-aws-snapshots-server-${SFX}.log`)) }),
  });
  await eventually("the location to be Available", async () => phaseOf(await kube.get(GVR.backupStorageLocations, "default", VELERO_NS)) === "Available");
}, 600_000);

afterAll(async () => {
  await server?.stop().catch(() => undefined);
  if (savedEc2Endpoint === undefined) delete process.env["AWS_ENDPOINT_URL_EC2"];
  else process.env["AWS_ENDPOINT_URL_EC2"] = savedEc2Endpoint;
  if (kube) {
    for (const ns of [APP, VELERO_NS]) await kube.delete(GVR.namespaces, ns).catch(() => undefined);
    await kube.delete(GVR.persistentVolumes, PV_NAME).catch(() => undefined);
  }
  if (work) await rm(work, { recursive: true, force: true });
}, 120_000);

describe("velero server with velero.io/aws native snapshots (moto EC2)", () => {
  it("backs up the namespace and snapshots the EBS volume, tagged with the backup name", async () => {
    await kube.create(GVR.backups, {
      apiVersion: "velero.io/v1",
      kind: "Backup",
      metadata: { namespace: VELERO_NS, name: BACKUP },
      spec: { includedNamespaces: [APP], snapshotVolumes: true, volumeSnapshotLocations: ["default"], storageLocation: "default", ttl: "24h0m0s" },
    } as UnstructuredItem);
    const backup = await eventually(`backup ${BACKUP} to finish`, async () => {
      const b = await kube.get(GVR.backups, BACKUP, VELERO_NS);
      return TERMINAL.includes(phaseOf(b) ?? "") ? b : undefined;
    });
    const status = backup?.["status"] as { phase: string; volumeSnapshotsAttempted?: number; volumeSnapshotsCompleted?: number };
    expect(status).toMatchObject({ phase: "Completed", volumeSnapshotsAttempted: 1, volumeSnapshotsCompleted: 1 });

    const snapshots = await ec2.send(new DescribeSnapshotsCommand({ Filters: [{ Name: "tag:velero.io/backup", Values: [BACKUP] }] }));
    expect(snapshots.Snapshots).toHaveLength(1);
    const snapshot = snapshots.Snapshots?.[0];
    expect(snapshot?.VolumeId).toBe(sourceVolume);
    const tags = Object.fromEntries((snapshot?.Tags ?? []).map((t) => [t.Key, t.Value]));
    expect(tags).toMatchObject({ "velero.io/backup": BACKUP, "velero.io/pv": PV_NAME, Name: `data-${SFX}` });
    snapshotId = snapshot?.SnapshotId ?? "";
  });

  it("restores the deleted namespace onto a new volume created from the snapshot", async () => {
    await kube.delete(GVR.namespaces, APP);
    await eventually("the app namespace to be gone", () => gone(GVR.namespaces, APP), 180_000);
    await kube.delete(GVR.persistentVolumes, PV_NAME);
    await eventually("the PV to be gone", () => gone(GVR.persistentVolumes, PV_NAME));

    await kube.create(GVR.restores, {
      apiVersion: "velero.io/v1",
      kind: "Restore",
      metadata: { namespace: VELERO_NS, name: RESTORE },
      spec: { backupName: BACKUP, restorePVs: true },
    } as UnstructuredItem);
    const restore = await eventually(`restore ${RESTORE} to finish`, async () => {
      const r = await kube.get(GVR.restores, RESTORE, VELERO_NS);
      return TERMINAL.includes(phaseOf(r) ?? "") ? r : undefined;
    });
    expect(phaseOf(restore), `restore status: ${JSON.stringify((restore as { status?: unknown }).status)}`).toBe("Completed");

    const pv = await eventually("the restored PV", () => kube.get(GVR.persistentVolumes, PV_NAME));
    const handle = (pv["spec"] as { csi: { volumeHandle: string } }).csi.volumeHandle;
    expect(handle).toMatch(/^vol-/);
    expect(handle).not.toBe(sourceVolume);
    const volume = (await ec2.send(new DescribeVolumesCommand({ VolumeIds: [handle] }))).Volumes?.[0];
    expect(volume).toMatchObject({ SnapshotId: snapshotId, AvailabilityZone: zone, VolumeType: "gp3" });
    expect(await kube.get(GVR.persistentVolumeClaims, "data", APP)).toBeDefined();
  });

  it("deletes the snapshot when the backup is deleted", async () => {
    await kube.create(GVR.deleteBackupRequests, {
      apiVersion: "velero.io/v1",
      kind: "DeleteBackupRequest",
      metadata: { namespace: VELERO_NS, name: `delete-${BACKUP}` },
      spec: { backupName: BACKUP },
    } as UnstructuredItem);
    try {
      await eventually(`backup ${BACKUP} to be deleted`, () => gone(GVR.backups, BACKUP, VELERO_NS));
    } catch (error) {
      // say why: the request's status (a refusal ends it Processed with the reason) and the backup's phase
      const request = await kube.get(GVR.deleteBackupRequests, `delete-${BACKUP}`, VELERO_NS).catch(() => undefined);
      const backup = await kube.get(GVR.backups, BACKUP, VELERO_NS).catch(() => undefined);
      throw new Error(`${String(error)}; DeleteBackupRequest status ${JSON.stringify(request?.["status"])}, backup phase ${phaseOf(backup)}`);
    }
    const left = await ec2.send(new DescribeSnapshotsCommand({ Filters: [{ Name: "snapshot-id", Values: [snapshotId] }] }));
    expect(left.Snapshots ?? []).toEqual([]);
  });
});
