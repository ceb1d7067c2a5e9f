// velero-ts in place of real Velero v1.18.1, and back: the drop-in case. One Velero namespace,
// one location (moto S3) and the objects Velero left in it (Backups, a Restore, a Schedule, the
// location's status); real Velero (Go, with the Go velero-plugin-for-aws) runs there first, then is
// stopped and velero-ts (our AWS plugin) runs on the same namespace, then real Velero again.
// Each server must take over what the other left: nothing done again, nothing marked failed, an
// expired backup collected, a schedule not fired early, a backup made by the other deleted and
// restored, and the bucket left as the other expects it.
import { mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Backup, Restore, Schedule, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { buildSeaExecutable, ROOT } from "../../../scripts/build-plugins.ts";
import { installCrds } from "../../../host/src/kube/crds.ts";
import { GVR } from "../../../host/src/kube/gvr.ts";
import { HttpKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import { loadKubeConfig } from "../../../host/src/kube/kube-config.ts";
import { startServer, type RunningServer } from "../../../host/src/server/server.ts";
import { createLogger } from "../../../host/src/shared/logging.ts";
import { createWriteStream, existsSync, readFileSync } from "node:fs";
import { loadEndpoints } from "../../helpers/endpoints.ts";
import {
  bucketKeys,
  createAppNamespace,
  eventually,
  motoS3,
  RealVeleroServer,
  type RealVeleroOptions,
  startRealVeleroBeside,
  suffix,
  waitTerminal,
} from "./harness.ts";

const SFX = suffix();
const BUCKET = `vt-inplace-${SFX}`;
const NS = `vt-inplace-velero-${SFX}`;
const APP = `vt-inplace-app-${SFX}`;

let kube: HttpKubeClient;
let s3: S3Client;
let work: string;
let veleroOptions: RealVeleroOptions;
let velero: RealVeleroServer | undefined;
let ours: RunningServer | undefined;

const oursLog = (): string => join(work, "velero-ts.log");
const logs = (): string =>
  `${velero?.logTail() ?? ""}\n--- velero-ts (${oursLog()}):\n${existsSync(oursLog()) ? readFileSync(oursLog(), "utf8").split("\n").filter((l) => /level=(error|warning)/.test(l)).slice(0, 30).join("\n") : ""}`;

const getBackup = async (name: string) => (await kube.get(GVR.backups, name, NS)) as unknown as Backup | undefined;
const getRestore = async (name: string) => (await kube.get(GVR.restores, name, NS)) as unknown as Restore | undefined;

async function create(gvr: (typeof GVR)["backups"], kind: string, name: string, spec: Record<string, unknown>, labels?: Record<string, string>): Promise<void> {
  await kube.create(gvr, { apiVersion: "velero.io/v1", kind, metadata: { namespace: NS, name, ...(labels ? { labels } : {}) }, spec } as unknown as UnstructuredItem);
}

async function finished<T>(gvr: (typeof GVR)["backups"], name: string): Promise<T> {
  return (await waitTerminal(kube, gvr, name, NS, 120_000, logs)) as unknown as T;
}

/** velero-ts on the namespace real Velero left, with our AWS plugin and the credentials Velero's harness wrote. */
async function startOurs(): Promise<RunningServer> {
  const pluginDir = join(work, "ts-plugins");
  if (!existsSync(pluginDir)) {
    await mkdir(pluginDir);
    const plugin = join(ROOT, "dist", "plugins", "velero-plugin-aws");
    await buildSeaExecutable({ name: "velero-plugin-aws", entry: join(ROOT, "plugins", "aws", "src", "main.ts"), output: plugin }, { log: () => {} });
    await symlink(plugin, join(pluginDir, "velero-plugin-aws"));
  }
  // the plugin processes inherit these (Velero's Deployment mounts the same Secret)
  process.env["AWS_SHARED_CREDENTIALS_FILE"] = join(veleroOptions.workDir, "aws-credentials");
  process.env["AWS_EC2_METADATA_DISABLED"] = "true";
  return startServer({
    kubeconfig: loadEndpoints().kubeconfig,
    namespace: NS,
    pluginDir,
    metricsAddress: "127.0.0.1:0",
    storeValidationFrequency: "2s",
    garbageCollectionFrequency: "2s",
    logger: createLogger({ level: "info", destination: createWriteStream(oursLog(), { flags: "a" }) }),
  });
}

beforeAll(async () => {
  const ep = loadEndpoints();
  work = await mkdtemp(join(tmpdir(), "vt-inplace-"));
  kube = new HttpKubeClient(loadKubeConfig({ kubeconfig: ep.kubeconfig }));
  await installCrds(kube);
  s3 = motoS3(ep);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await createAppNamespace(kube, APP);
  const started = await startRealVeleroBeside(kube, { namespace: NS, bucket: BUCKET, work, extraArgs: ["--store-validation-frequency=3s"] });
  velero = started.server;
  veleroOptions = started.options;
  await eventually("real Velero to validate its location", async () => ((await kube.get(GVR.backupStorageLocations, "default", NS))?.["status"] as { phase?: string } | undefined)?.phase === "Available", 60_000, logs);
}, 300_000);

afterAll(async () => {
  await ours?.stop();
  await velero?.stop();
  if (kube) {
    for (const ns of [NS, APP, `${APP}-by-ts`, `${APP}-by-go`]) await kube.delete(GVR.namespaces, ns).catch(() => undefined);
    await kube.close();
  }
  s3?.destroy();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("velero-ts in place of real Velero v1.18.1 on the same namespace and location, and back", () => {
  let goBackup: Backup;
  let goRestore: Restore;

  it("1. real Velero leaves a backup, a restore of it, an expiring backup and a schedule", async () => {
    await create(GVR.backups, "Backup", "by-go", { includedNamespaces: [APP], snapshotVolumes: false });
    goBackup = await finished<Backup>(GVR.backups, "by-go");
    expect(goBackup.status?.phase, logs()).toBe("Completed");
    await create(GVR.restores, "Restore", "by-go-restore", { backupName: "by-go", namespaceMapping: { [APP]: `${APP}-by-go` } });
    goRestore = await finished<Restore>(GVR.restores, "by-go-restore");
    expect(goRestore.status?.phase, logs()).toBe("Completed");
    // expires at once; Velero's garbage collection (hourly by default) has not run yet when it stops
    await create(GVR.backups, "Backup", "expiring", { includedNamespaces: [APP], snapshotVolumes: false, ttl: "1s" });
    expect((await finished<Backup>(GVR.backups, "expiring")).status?.phase, logs()).toBe("Completed");
    await create(GVR.schedules, "Schedule", "hourly", { schedule: "@every 1h", template: { includedNamespaces: [APP], snapshotVolumes: false } });
    await eventually("Velero to enable the schedule", async () => ((await kube.get(GVR.schedules, "hourly", NS)) as unknown as Schedule | undefined)?.status?.phase === "Enabled", 60_000, logs);
    await velero?.stop();
    velero = undefined;
  });

  it("2. velero-ts takes over: the finished backup and restore stay as they are, the expired backup is collected, the schedule does not fire early", async () => {
    ours = await startOurs();
    await eventually("velero-ts to collect the expired backup (CR and bucket keys)", async () => !(await getBackup("expiring")) && (await bucketKeys(s3, BUCKET, "backups/expiring/")).length === 0, 60_000, logs);
    const backup = await getBackup("by-go");
    expect(backup?.status).toEqual(goBackup.status);
    expect(backup?.metadata.resourceVersion).toBe(goBackup.metadata.resourceVersion);
    const restore = await getRestore("by-go-restore");
    expect(restore?.status).toEqual(goRestore.status);
    // no backup of the schedule yet: it is next due an hour after Velero created it
    const fired = (await kube.list(GVR.backups, { namespace: NS, labelSelector: "velero.io/schedule-name=hourly" })).items;
    expect(fired.map((b) => b.metadata.name)).toEqual([]);
    expect(((await kube.get(GVR.schedules, "hourly", NS)) as unknown as Schedule).status?.phase).toBe("Enabled");
  });

  it("3. velero-ts restores and deletes the backup real Velero made, and makes its own", async () => {
    await create(GVR.restores, "Restore", "by-go-restore-2", { backupName: "by-go", namespaceMapping: { [APP]: `${APP}-by-ts` } });
    const restore = await finished<Restore>(GVR.restores, "by-go-restore-2");
    expect(restore.status?.phase, logs()).toBe("Completed");
    expect(await kube.get(GVR.configMaps, "settings", `${APP}-by-ts`)).toBeDefined();

    await create(GVR.backups, "Backup", "by-ts", { includedNamespaces: [APP], snapshotVolumes: false });
    expect((await finished<Backup>(GVR.backups, "by-ts")).status?.phase, logs()).toBe("Completed");

    await create(GVR.deleteBackupRequests, "DeleteBackupRequest", "by-go-delete", { backupName: "by-go" }, { "velero.io/backup-name": "by-go" });
    await eventually(
      "the Velero-made backup, its two restores and their keys to be gone",
      async () =>
        !(await getBackup("by-go")) &&
        !(await getRestore("by-go-restore")) &&
        !(await getRestore("by-go-restore-2")) &&
        (await bucketKeys(s3, BUCKET, "backups/by-go/")).length === 0 &&
        (await bucketKeys(s3, BUCKET, "restores/by-go-restore")).length === 0,
      60_000,
      logs,
    );
    await ours?.stop();
    ours = undefined;
  });

  it("4. real Velero takes back over: velero-ts's backup is Completed there, restores and is deleted", async () => {
    velero = await RealVeleroServer.start(veleroOptions);
    await eventually("real Velero to validate its location again", async () => {
      const bsl = await kube.get(GVR.backupStorageLocations, "default", NS);
      const status = bsl?.["status"] as { phase?: string; lastValidationTime?: string } | undefined;
      return status?.phase === "Available" && Date.parse(status.lastValidationTime ?? "") > Date.now() - 10_000;
    }, 60_000, logs);
    expect((await getBackup("by-ts"))?.status?.phase).toBe("Completed");
    await kube.delete(GVR.namespaces, `${APP}-by-ts`);
    await eventually("the earlier restore's namespace to be gone", async () => !(await kube.get(GVR.namespaces, `${APP}-by-ts`)), 120_000);
    await create(GVR.restores, "Restore", "by-ts-restore", { backupName: "by-ts", namespaceMapping: { [APP]: `${APP}-by-ts` } });
    const restore = await finished<Restore>(GVR.restores, "by-ts-restore");
    expect(restore.status?.phase, logs()).toBe("Completed");
    expect(restore.status?.errors ?? 0).toBe(0);
    expect(await kube.get(GVR.configMaps, "features", `${APP}-by-ts`)).toBeDefined();

    await create(GVR.deleteBackupRequests, "DeleteBackupRequest", "by-ts-delete", { backupName: "by-ts" }, { "velero.io/backup-name": "by-ts" });
    await eventually(
      "the velero-ts backup, its restore and their keys to be gone",
      async () => !(await getBackup("by-ts")) && !(await getRestore("by-ts-restore")) && (await bucketKeys(s3, BUCKET, "backups/by-ts/")).length === 0,
      60_000,
      logs,
    );
    // Velero found nothing to fail or redo: no Failed or PartiallyFailed backup or restore is left
    const left = [...(await kube.list(GVR.backups, { namespace: NS })).items, ...(await kube.list(GVR.restores, { namespace: NS })).items].map(
      (o) => `${o.metadata.name}:${(o["status"] as { phase?: string } | undefined)?.phase ?? ""}`,
    );
    expect(left.filter((l) => /Failed/.test(l))).toEqual([]);
  });
});
