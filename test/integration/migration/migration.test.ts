// Migration between two separate control planes (issue 5): environment A — the run's environment
// from the global setup — backs a namespace up with `velero server` (startServer) into a bucket on
// A's moto S3 through our velero-plugin-aws executable; environment B — a SECOND kube-apiserver,
// etcd, controllers and kwok started here with the env tool — runs its own `velero server` whose
// BackupStorageLocation points at the SAME bucket in ReadOnly mode. B lists the backup through
// sync, restores it, and its objects match A's.
//
// ReadOnly and the bucket: like Velero, a ReadOnly location refuses new backups, backup deletion
// and restore-file deletion, but the restore controller still uploads the restore's log, results
// and resource list to restores/<name>/ (Velero v1.18's restore controller does not consult the
// access mode before uploading them). So the test asserts that B writes NOTHING except those
// files: every key under backups/ is unchanged (same ETag and size) and the only new keys are
// Velero's restore files under restores/<restore>/.
//
// The one legitimate difference between the clusters shows up as Velero shows it: B's own
// kube-root-ca.crt (B's CA) already exists in the restored namespace, so the backed-up one (A's CA)
// is skipped with a warning and the restore is Completed with exactly that warning. A's CSI volume
// was not snapshotted and its reclaim policy is Delete, so the PV is skipped and B's provisioner
// creates a new volume for the restored claim.
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import { buildSeaExecutable, ROOT } from "../../../scripts/build-plugins.ts";
import type { GroupVersionResource } from "../../../host/src/kube/client.ts";
import { installCrds } from "../../../host/src/kube/crds.ts";
import { GVR } from "../../../host/src/kube/gvr.ts";
import { HttpKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import { loadKubeConfig } from "../../../host/src/kube/kube-config.ts";
import { startServer, type RunningServer } from "../../../host/src/server/server.ts";
import { createLogger, createSilentLogger, type Logger } from "../../../host/src/shared/logging.ts";
import { loadEndpoints, type Endpoints } from "../../helpers/endpoints.ts";
import { down, startWatchdog, up } from "../../peers/env.ts";

const SFX = randomBytes(3).toString("hex");
const BUCKET = `vt-migration-${SFX}`;
const APP = `vt-mig-app-${SFX}`;
const NS_A = `vt-mig-velero-a-${SFX}`;
const NS_B = `vt-mig-velero-b-${SFX}`;
const BACKUP = `migrate-${SFX}`;
const RESTORE = `migrate-in-b-${SFX}`;
const TERMINAL = ["Completed", "PartiallyFailed", "Failed", "FailedValidation"];

const DEPLOYMENTS: GroupVersionResource = { group: "apps", version: "v1", resource: "deployments" };
const SERVICES: GroupVersionResource = { group: "", version: "v1", resource: "services" };

/** The objects compared between A and B. */
const KINDS: { kind: string; gvr: GroupVersionResource; name: string }[] = [
  { kind: "ConfigMap", gvr: GVR.configMaps, name: "settings" },
  { kind: "Secret", gvr: GVR.secrets, name: "creds" },
  { kind: "ServiceAccount", gvr: GVR.serviceAccounts, name: "runner" },
  { kind: "Service", gvr: SERVICES, name: "web" },
  { kind: "Deployment", gvr: DEPLOYMENTS, name: "web" },
  { kind: "PersistentVolumeClaim", gvr: GVR.persistentVolumeClaims, name: "data" },
];

let epA: Endpoints;
let dirB: string | undefined;
let epB: Endpoints | undefined;
let kubeA: HttpKubeClient;
let kubeB: HttpKubeClient;
let s3: S3Client;
let work: string;
let serverA: RunningServer | undefined;
let serverB: RunningServer | undefined;
const snapshotA = new Map<string, UnstructuredItem>();
let bucketAfterBackup: Map<string, string>;
let pvNameA: string;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function eventually<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await sleep(250);
  }
}

const phaseOf = (o: UnstructuredItem | undefined): string | undefined => (o?.["status"] as { phase?: string } | undefined)?.phase;

function serverLogger(name: string): Logger {
  return process.env["VT_MIGRATION_LOG"] === "1" ? createLogger({ level: "debug" }).child({ server: name }) : createSilentLogger();
}

/** Every key of the bucket with its ETag and size: what "nothing was written" is checked against. */
async function bucketListing(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, ContinuationToken: token }));
    for (const o of page.Contents ?? []) out.set(o.Key ?? "", `${o.ETag ?? ""}/${o.Size ?? -1}`);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out;
}

async function bucketObject(key: string): Promise<Buffer> {
  const res = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from(await res.Body!.transformToByteArray());
}

/** A Velero namespace with an aws BackupStorageLocation on the shared bucket, credentials from a Secret. */
async function createLocation(kube: HttpKubeClient, namespace: string, accessMode: "ReadWrite" | "ReadOnly", backupSyncPeriod: string): Promise<void> {
  await kube.create(GVR.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
  const cloud = `[default]\naws_access_key_id = ${epA.s3.accessKeyId}\naws_secret_access_key = ${epA.s3.secretAccessKey}\n`;
  await kube.create(GVR.secrets, { apiVersion: "v1", kind: "Secret", metadata: { namespace, name: "cloud-credentials" }, type: "Opaque", data: { cloud: Buffer.from(cloud).toString("base64") } });
  await kube.create(GVR.backupStorageLocations, {
    apiVersion: "velero.io/v1",
    kind: "BackupStorageLocation",
    metadata: { namespace, name: "default" },
    spec: {
      provider: "aws",
      objectStorage: { bucket: BUCKET },
      // Both clusters reach A's moto: the bucket is the one thing they share.
      config: { region: epA.s3.region, s3Url: epA.s3.endpoint, s3ForcePathStyle: "true", checksumAlgorithm: "" },
      credential: { name: "cloud-credentials", key: "cloud" },
      default: true,
      accessMode,
      backupSyncPeriod,
    },
  });
}

async function startVelero(ep: Endpoints, kube: HttpKubeClient, namespace: string, pluginDir: string): Promise<RunningServer> {
  const server = await startServer({
    kubeconfig: ep.kubeconfig,
    namespace,
    pluginDir,
    metricsAddress: "127.0.0.1:0",
    backupSyncPeriod: "2s",
    storeValidationFrequency: "2s",
    logger: serverLogger(namespace),
  });
  await eventually(`location ${namespace}/default to be Available`, async () => phaseOf(await kube.get(GVR.backupStorageLocations, "default", namespace)) === "Available", 120_000);
  return server;
}

/** What Velero (and the target cluster) legitimately change on restore, removed before comparing. */
function normalize(kind: string, o: UnstructuredItem): Record<string, unknown> {
  const c = structuredClone(o) as Record<string, unknown> & UnstructuredItem;
  const meta = c.metadata as unknown as Record<string, unknown>;
  for (const f of ["uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "selfLink"]) delete meta[f];
  const labels = { ...(c.metadata.labels ?? {}) };
  delete labels["velero.io/backup-name"];
  delete labels["velero.io/restore-name"];
  meta.labels = labels;
  const annotations = { ...(c.metadata.annotations ?? {}) };
  // set by B's controllers for B's own objects (PV binding, revision counter)
  for (const a of ["pv.kubernetes.io/bind-completed", "pv.kubernetes.io/bound-by-controller", "volume.beta.kubernetes.io/storage-provisioner", "volume.kubernetes.io/storage-provisioner", "deployment.kubernetes.io/revision"]) delete annotations[a];
  meta.annotations = annotations;
  delete c["status"];
  const spec = c["spec"] as Record<string, unknown> | undefined;
  if (kind === "Service" && spec) {
    delete spec["clusterIP"]; // B's apiserver allocates its own (velero.io/service drops A's)
    delete spec["clusterIPs"];
  }
  if (kind === "PersistentVolumeClaim" && spec) delete spec["volumeName"]; // B provisions its own volume
  return c;
}

beforeAll(async () => {
  epA = loadEndpoints();
  kubeA = new HttpKubeClient(loadKubeConfig({ kubeconfig: epA.kubeconfig }));
  s3 = new S3Client({
    region: epA.s3.region,
    endpoint: epA.s3.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: epA.s3.accessKeyId, secretAccessKey: epA.s3.secretAccessKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });

  // Environment B: a second, separate control plane (own etcd, apiserver, kwok, CSI), stopped by
  // pid in afterAll; its watchdog stops it if this process dies first.
  dirB = mkdtempSync("/tmp/vt.");
  const starting = up(dirB, { log: () => undefined }).then((ep) => {
    startWatchdog(dirB!);
    return ep;
  });

  const plugin = join(ROOT, "dist", "plugins", "velero-plugin-aws");
  await buildSeaExecutable({ name: "velero-plugin-aws", entry: join(ROOT, "plugins", "aws", "src", "main.ts"), output: plugin }, { log: () => {} });
  work = await mkdtemp(join(tmpdir(), "vt-migration-"));
  const pluginDir = join(work, "plugins");
  await mkdir(pluginDir);
  await symlink(plugin, join(pluginDir, "velero-plugin-aws"));

  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await installCrds(kubeA);

  // The application in A.
  await kubeA.create(GVR.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: APP, labels: { team: "blue" } } });
  const create = (gvr: GroupVersionResource, o: Record<string, unknown>) => kubeA.create(gvr, o as UnstructuredItem);
  await create(GVR.configMaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings", namespace: APP, labels: { app: "web" } }, data: { mode: "prod", "index.html": "<b>a & b</b>" } });
  await create(GVR.secrets, { apiVersion: "v1", kind: "Secret", metadata: { name: "creds", namespace: APP }, type: "Opaque", data: { password: Buffer.from("s3cret").toString("base64") } });
  await create(GVR.serviceAccounts, { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "runner", namespace: APP } });
  await create(SERVICES, { apiVersion: "v1", kind: "Service", metadata: { name: "web", namespace: APP }, spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: 8080, protocol: "TCP" }] } });
  await create(GVR.persistentVolumeClaims, {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: "data", namespace: APP },
    spec: { accessModes: ["ReadWriteOnce"], storageClassName: epA.csi.storageClass, resources: { requests: { storage: "1Gi" } } },
  });
  await create(DEPLOYMENTS, {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: APP, labels: { app: "web" } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: "web" } },
      template: {
        metadata: { labels: { app: "web" } },
        spec: { serviceAccountName: "runner", containers: [{ name: "web", image: "nginx:1.25", volumeMounts: [{ name: "data", mountPath: "/data" }] }], volumes: [{ name: "data", persistentVolumeClaim: { claimName: "data" } }] },
      },
    },
  });
  await eventually("A's PVC to be bound to a CSI-provisioned PV", async () => phaseOf(await kubeA.get(GVR.persistentVolumeClaims, "data", APP)) === "Bound");
  await eventually("A's pods to be Running", async () => {
    const pods = (await kubeA.list(GVR.pods, { namespace: APP })).items;
    return pods.length === 2 && pods.every((p) => phaseOf(p) === "Running");
  });
  for (const k of KINDS) snapshotA.set(k.kind, (await kubeA.get(k.gvr, k.name, APP)) as UnstructuredItem);
  pvNameA = (snapshotA.get("PersistentVolumeClaim")!["spec"] as { volumeName: string }).volumeName;

  // Velero in A: ReadWrite location, backup through the aws plugin into moto.
  await createLocation(kubeA, NS_A, "ReadWrite", "0s");
  serverA = await startVelero(epA, kubeA, NS_A, pluginDir);

  epB = await starting;
  kubeB = new HttpKubeClient(loadKubeConfig({ kubeconfig: epB.kubeconfig }));
  await installCrds(kubeB);
  await createLocation(kubeB, NS_B, "ReadOnly", "2s");
}, 600_000);

afterAll(async () => {
  await serverB?.stop().catch(() => undefined);
  await serverA?.stop().catch(() => undefined);
  if (dirB) {
    await down(dirB, { log: () => undefined }).catch(() => undefined);
    rmSync(dirB, { recursive: true, force: true });
  }
  if (kubeA) for (const ns of [APP, NS_A]) await kubeA.delete(GVR.namespaces, ns).catch(() => undefined);
  s3?.destroy();
  if (work) await rm(work, { recursive: true, force: true });
  // the servers' per-location credential files ($TMPDIR/credentials/<velero namespace>)
  for (const ns of [NS_A, NS_B]) await rm(join(tmpdir(), "credentials", ns), { recursive: true, force: true });
}, 120_000);

describe("migration: A backs up to a shared bucket, B (a second control plane, ReadOnly location) restores", () => {
  it("A's backup completes into the bucket through the aws plugin", async () => {
    await kubeA.create(GVR.backups, {
      apiVersion: "velero.io/v1",
      kind: "Backup",
      metadata: { namespace: NS_A, name: BACKUP },
      spec: { includedNamespaces: [APP], storageLocation: "default", snapshotVolumes: false, ttl: "24h0m0s" },
    });
    const backup = await eventually(`backup ${BACKUP} to finish`, async () => {
      const b = await kubeA.get(GVR.backups, BACKUP, NS_A);
      return TERMINAL.includes(phaseOf(b) ?? "") ? b : undefined;
    }, 180_000);
    expect(phaseOf(backup)).toBe("Completed");
    expect((backup["status"] as { errors?: number }).errors ?? 0).toBe(0);
    bucketAfterBackup = await bucketListing();
    expect([...bucketAfterBackup.keys()]).toEqual(
      expect.arrayContaining([`backups/${BACKUP}/velero-backup.json`, `backups/${BACKUP}/${BACKUP}.tar.gz`, `backups/${BACKUP}/${BACKUP}-logs.gz`]),
    );
    expect([...bucketAfterBackup.keys()].every((k) => k.startsWith(`backups/${BACKUP}/`))).toBe(true);
  });

  it("B syncs the backup from its ReadOnly location and refuses to back up into it", async () => {
    expect(bucketAfterBackup, "A's backup must have completed").toBeDefined();
    serverB = await startVelero(epB!, kubeB, NS_B, join(work, "plugins"));
    const synced = await eventually(`B to sync ${BACKUP}`, async () => kubeB.get(GVR.backups, BACKUP, NS_B), 60_000);
    expect(phaseOf(synced)).toBe("Completed");
    expect(synced.metadata.labels?.["velero.io/storage-location"]).toBe("default");
    expect((synced["spec"] as { includedNamespaces?: string[] }).includedNamespaces).toEqual([APP]);
    // B's cluster never had the application: everything that follows comes from the bucket.
    expect(await kubeB.get(GVR.namespaces, APP)).toBeUndefined();

    // A backup on the ReadOnly location fails validation and writes nothing.
    await kubeB.create(GVR.backups, { apiVersion: "velero.io/v1", kind: "Backup", metadata: { namespace: NS_B, name: `refused-${SFX}` }, spec: { storageLocation: "default" } });
    const refused = await eventually("the backup on the ReadOnly location to be refused", async () => {
      const b = await kubeB.get(GVR.backups, `refused-${SFX}`, NS_B);
      return TERMINAL.includes(phaseOf(b) ?? "") ? b : undefined;
    });
    expect(phaseOf(refused)).toBe("FailedValidation");
    expect(JSON.stringify((refused["status"] as { validationErrors?: string[] }).validationErrors)).toMatch(/read-only/);
    expect(await bucketListing()).toEqual(bucketAfterBackup);
  });

  it("B restores the backup: Completed, Velero's restore files, and nothing else written to the bucket", async () => {
    expect(serverB, "B's server must be running").toBeDefined();
    await kubeB.create(GVR.restores, { apiVersion: "velero.io/v1", kind: "Restore", metadata: { namespace: NS_B, name: RESTORE }, spec: { backupName: BACKUP, includedNamespaces: [APP] } });
    const restore = await eventually(`restore ${RESTORE} to finish`, async () => {
      const r = await kubeB.get(GVR.restores, RESTORE, NS_B);
      return TERMINAL.includes(phaseOf(r) ?? "") ? r : undefined;
    }, 180_000);
    const status = restore["status"] as { phase: string; errors?: number; warnings?: number; progress?: { totalItems?: number; itemsRestored?: number } };
    expect(status.phase).toBe("Completed");
    expect(status.errors ?? 0).toBe(0);
    expect(status.progress?.itemsRestored).toBe(status.progress?.totalItems);

    const after = await bucketListing();
    // Everything A wrote is untouched (same keys, ETags and sizes).
    for (const [key, tag] of bucketAfterBackup) expect(after.get(key), key).toBe(tag);
    // The only new keys are Velero's restore files (uploaded even for a ReadOnly location, as Velero does).
    const added = [...after.keys()].filter((k) => !bucketAfterBackup.has(k)).sort();
    expect(added.every((k) => k.startsWith(`restores/${RESTORE}/`)), added.join(", ")).toBe(true);
    const dir = `restores/${RESTORE}/`;
    expect(added).toEqual(
      [`${RESTORE}-volumeinfo.json.gz`, `restore-${RESTORE}-itemoperations.json.gz`, `restore-${RESTORE}-logs.gz`, `restore-${RESTORE}-resource-list.json.gz`, `restore-${RESTORE}-results.gz`].map((f) => dir + f),
    );
    const results = JSON.parse(gunzipSync(await bucketObject(`${dir}restore-${RESTORE}-results.gz`)).toString("utf8")) as { errors: unknown; warnings: unknown };
    expect(results.errors).toEqual({});
    const resourceList = JSON.parse(gunzipSync(await bucketObject(`${dir}restore-${RESTORE}-resource-list.json.gz`)).toString("utf8")) as Record<string, string[]>;
    // The one legitimate difference between two clusters: B's own kube-root-ca.crt (B's CA). B's
    // controller-manager creates it in the restored namespace, before or after the restore gets to
    // it: if before, B's stays with a warning (and is listed failed, as Velero lists such items);
    // if after, A's is created and B's controller-manager puts B's CA back.
    if (JSON.stringify(results.warnings).includes("kube-root-ca.crt")) {
      expect(results.warnings).toEqual({ namespaces: { [APP]: [expect.stringMatching(/ConfigMap:kube-root-ca\.crt already exists.*in-cluster version is different/)] } });
      expect(status.warnings).toBe(1);
      expect(resourceList["v1/ConfigMap"]).toEqual(expect.arrayContaining([`${APP}/settings(created)`, `${APP}/kube-root-ca.crt(failed)`]));
    } else {
      expect(results.warnings).toEqual({});
      expect(status, "a zero count is left out, as Go writes it").not.toHaveProperty("warnings");
      expect(resourceList["v1/ConfigMap"]).toEqual(expect.arrayContaining([`${APP}/settings(created)`, `${APP}/kube-root-ca.crt(created)`]));
    }
    expect(resourceList["v1/Secret"]).toEqual([`${APP}/creds(created)`]);
    expect(resourceList["v1/Service"]).toEqual([`${APP}/web(created)`]);
    expect(resourceList["apps/v1/Deployment"]).toEqual([`${APP}/web(created)`]);
    expect(resourceList["v1/PersistentVolumeClaim"]).toEqual([`${APP}/data(created)`]);
    // A's CSI volume was not snapshotted and its reclaim policy is Delete: skipped, B provisions its own.
    expect(resourceList["v1/PersistentVolume"]).toEqual([`${pvNameA}(skipped)`]);
    expect(resourceList["v1/Namespace"]).toEqual([`${APP}(created)`]);
    expect(resourceList["v1/Pod"]).toHaveLength(2);
    const log = gunzipSync(await bucketObject(`${dir}restore-${RESTORE}-logs.gz`)).toString("utf8");
    expect(log).toContain(RESTORE);
  });

  it("B's namespace carries A's labels; its kube-root-ca.crt is B's own CA, not A's", async () => {
    expect((await kubeB.get(GVR.namespaces, APP))?.metadata.labels).toMatchObject({ team: "blue" });
    const rootCa = (await kubeB.get(GVR.configMaps, "kube-root-ca.crt", APP))?.["data"] as Record<string, string> | undefined;
    expect(rootCa?.["ca.crt"]?.trim()).toBe(readFileSync(epB!.kubernetes.caFile, "utf8").trim());
    expect(rootCa?.["ca.crt"]?.trim()).not.toBe(readFileSync(epA.kubernetes.caFile, "utf8").trim());
  });

  it.each(KINDS.map((k) => k.kind))("B's %s matches A's (apart from what Velero and B's cluster legitimately change)", async (kind) => {
    const k = KINDS.find((x) => x.kind === kind)!;
    const inB = (await kubeB.get(k.gvr, k.name, APP)) as UnstructuredItem | undefined;
    expect(inB, `${kind} ${APP}/${k.name} exists in B`).toBeDefined();
    expect(inB!.metadata.labels).toMatchObject({ "velero.io/backup-name": BACKUP, "velero.io/restore-name": RESTORE });
    expect(inB!.metadata.uid).not.toBe(snapshotA.get(kind)!.metadata.uid);
    expect(normalize(kind, inB!)).toEqual(normalize(kind, snapshotA.get(kind)!));
  });

  it("B runs the Deployment's pods (kwok) and provisions its own volume for the PVC", async () => {
    await eventually("B's pods to be Running", async () => {
      const pods = (await kubeB.list(GVR.pods, { namespace: APP, labelSelector: "app=web" })).items;
      const running = pods.filter((p) => phaseOf(p) === "Running" && !p.metadata.deletionTimestamp);
      return running.length === 2;
    }, 120_000);
    const pvc = await eventually("B's PVC to be bound", async () => {
      const c = await kubeB.get(GVR.persistentVolumeClaims, "data", APP);
      return phaseOf(c) === "Bound" ? c : undefined;
    }, 120_000);
    const pvName = (pvc["spec"] as { volumeName: string }).volumeName;
    const pv = await kubeB.get(GVR.persistentVolumes, pvName);
    expect((pv?.["spec"] as { csi?: { driver?: string } }).csi?.driver).toBe(epB!.csi.driver);
    expect((pv?.["spec"] as { claimRef?: { uid?: string } }).claimRef?.uid).toBe(pvc.metadata.uid);
    expect(pvName).not.toBe(pvNameA);
    expect(await kubeB.get(GVR.persistentVolumes, pvNameA)).toBeUndefined();
    // A is untouched by the migration.
    expect(phaseOf(await kubeA.get(GVR.persistentVolumeClaims, "data", APP))).toBe("Bound");
  });
});
