// Compatibility with real Velero v1.18.1 (Go, built from the module proxy: peer set velero118), side by
// side with velero-ts on one API server and one moto bucket:
//   1. real Velero runs OUR velero-plugin-aws executable (the only plugin in its --plugin-dir): the BSL
//      becomes Available and a backup of a small namespace completes, with its files in moto;
//   2. velero-ts (startServer, same bucket) syncs Velero's backup and restores it into a mapped namespace;
//   3. real Velero syncs a backup made by velero-ts and restores it into a mapped namespace;
//   4. so does a second real Velero running the Go velero-plugin-for-aws v1.14.3 on a ReadOnly location;
//   5. Velero's CLI and ours print the same `describe --details` and `logs` of those backups and
//      restores, whether real Velero or velero-ts answers the DownloadRequests.
// Each server has its own namespace (the Velero CRs live there); both locations are ReadWrite on the
// same bucket, so each one syncs the other's backups, as after a migration.
import { mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import { buildSeaExecutable, ROOT } from "../../../scripts/build-plugins.ts";
import { installCrds } from "../../../host/src/kube/crds.ts";
import { GVR } from "../../../host/src/kube/gvr.ts";
import { HttpKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import { loadKubeConfig } from "../../../host/src/kube/kube-config.ts";
import { startServer, type RunningServer } from "../../../host/src/server/server.ts";
import { createLogger, createSilentLogger } from "../../../host/src/shared/logging.ts";
import { loadEndpoints } from "../../helpers/endpoints.ts";
import { itemPaths, readVeleroTarball } from "../../helpers/velero-tarball.ts";
import {
  appSnapshot,
  awsLocation,
  bucketKeys,
  bucketObject,
  createAppNamespace,
  createVeleroNamespace,
  eventually,
  motoS3,
  restoreLabels,
  RealVeleroServer,
  bothClis,
  realVeleroBinaries,
  suffix,
  tearDownSideBySide,
  waitTerminal,
} from "./harness.ts";

const SFX = suffix();
const BUCKET = `vt-velero-compat-${SFX}`;
const GO_NS = `vt-vc-velero-${SFX}`; // real Velero's namespace
const TS_NS = `vt-vc-ts-${SFX}`; // velero-ts's namespace
const GO2_NS = `vt-vc-velero-go-${SFX}`; // real Velero with the Go AWS plugin
const APP = `vt-vc-app-${SFX}`;
const GO_BACKUP = `by-velero-${SFX}`;
const TS_BACKUP = `by-velero-ts-${SFX}`;

let kube: HttpKubeClient;
let s3: S3Client;
let work: string;
let velero: RealVeleroServer | undefined;
let veleroGoPlugin: RealVeleroServer | undefined;
let ours: RunningServer | undefined;
let ourPlugin: string;
let pluginDir: string;
let original: Record<string, unknown>;

beforeAll(async () => {
  const { velero: veleroBin, goAwsPlugin } = realVeleroBinaries();
  if (!goAwsPlugin) throw new Error("the Go velero-plugin-for-aws peer is not built (peers.json bin.veleroPluginForAws): run `bash scripts/peers-install.sh`");
  const ep = loadEndpoints();
  work = await mkdtemp(join(tmpdir(), "vt-velero-compat-"));
  ourPlugin = join(ROOT, "dist", "plugins", "velero-plugin-aws");
  await buildSeaExecutable({ name: "velero-plugin-aws", entry: join(ROOT, "plugins", "aws", "src", "main.ts"), output: ourPlugin }, { log: () => {} });
  // A plugin dir holding nothing but our AWS plugin executable.
  pluginDir = join(work, "plugins");
  await mkdir(pluginDir);
  await symlink(ourPlugin, join(pluginDir, "velero-plugin-aws"));

  kube = new HttpKubeClient(loadKubeConfig({ kubeconfig: ep.kubeconfig }));
  await installCrds(kube);
  s3 = motoS3(ep);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));

  await createAppNamespace(kube, APP);
  original = await appSnapshot(kube, APP);
  await createVeleroNamespace(kube, GO_NS);
  await kube.create(GVR.backupStorageLocations, awsLocation(GO_NS, "default", BUCKET));
  velero = await RealVeleroServer.start({
    velero: veleroBin,
    kubeconfig: ep.kubeconfig,
    namespace: GO_NS,
    pluginDir,
    workDir: join(work, "velero"),
    extraArgs: ["--backup-sync-period=3s", "--store-validation-frequency=3s"],
  });
  // Real Velero's backup sync runs once a minute whatever the period: start the second one now.
  const goPluginDir = join(work, "go-plugins");
  await mkdir(goPluginDir);
  await symlink(goAwsPlugin, join(goPluginDir, "velero-plugin-for-aws"));
  await createVeleroNamespace(kube, GO2_NS);
  await kube.create(GVR.backupStorageLocations, awsLocation(GO2_NS, "default", BUCKET, { accessMode: "ReadOnly" }));
  veleroGoPlugin = await RealVeleroServer.start({
    velero: veleroBin,
    kubeconfig: ep.kubeconfig,
    namespace: GO2_NS,
    pluginDir: goPluginDir,
    workDir: join(work, "velero-go"),
    extraArgs: ["--backup-sync-period=3s", "--store-validation-frequency=3s"],
  });
}, 300_000);

afterAll(async () => {
  await tearDownSideBySide(kube, { serverNamespaces: [GO_NS, TS_NS, GO2_NS], otherNamespaces: [APP, `${APP}-ts`, `${APP}-go`, `${APP}-go2`], servers: [velero, veleroGoPlugin, ours] });
  s3?.destroy();
  if (work && process.env["VT_KEEP_COMPAT"] !== "1") await rm(work, { recursive: true, force: true });
});

/** Starts velero-ts in its own namespace on the same bucket (our AWS plugin, credentials via the shared file). */
async function startOurs(): Promise<RunningServer> {
  const ep = loadEndpoints();
  await kube.create(GVR.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: TS_NS } });
  await kube.create(GVR.backupStorageLocations, awsLocation(TS_NS, "default", BUCKET));
  // the plugin processes inherit this (Velero mounts the same file from the cloud-credentials secret)
  process.env["AWS_SHARED_CREDENTIALS_FILE"] = join(work, "velero", "aws-credentials");
  process.env["AWS_EC2_METADATA_DISABLED"] = "true";
  const server = await startServer({
    kubeconfig: ep.kubeconfig,
    namespace: TS_NS,
    pluginDir,
    metricsAddress: "127.0.0.1:0",
    backupSyncPeriod: "2s",
    storeValidationFrequency: "2s",
    logger: process.env["VT_COMPAT_LOG"] === "1" ? createLogger({ level: "debug" }).child({ server: TS_NS }) : createSilentLogger(),
  });
  await eventually(`velero-ts location ${TS_NS}/default to be Available`, async () => {
    const l = await kube.get(GVR.backupStorageLocations, "default", TS_NS);
    return (l?.["status"] as { phase?: string } | undefined)?.phase === "Available";
  });
  return server;
}

function restoreCr(namespace: string, name: string, backupName: string, target: string): UnstructuredItem {
  return {
    apiVersion: "velero.io/v1",
    kind: "Restore",
    metadata: { namespace, name },
    spec: { backupName, includedNamespaces: [APP], namespaceMapping: { [APP]: target } },
  };
}

describe("real Velero v1.18.1 side by side with velero-ts (moto S3, real API server)", () => {
  it("1. real Velero runs our AWS plugin: the location becomes Available and a backup completes into moto", async () => {
    const bsl = await eventually(
      `Velero's location ${GO_NS}/default to be Available`,
      async () => {
        const l = await kube.get(GVR.backupStorageLocations, "default", GO_NS);
        return (l?.["status"] as { phase?: string } | undefined)?.phase === "Available" ? l : undefined;
      },
      120_000,
      () => velero!.logTail(),
    );
    expect((bsl["status"] as { lastValidationTime?: string }).lastValidationTime).toBeDefined();
    // Velero and its plugins listen and connect on loopback only (controller-runtime's ":8080" is off).
    const sockets = velero!.tcpSockets();
    expect(sockets.length).toBeGreaterThan(0);
    for (const s of sockets) expect(s).toMatch(/^(127\.0\.0\.1|\[::ffff:127\.0\.0\.1\]|\[::1\]):\d+ -> (127\.0\.0\.1|\[::ffff:127\.0\.0\.1\]|\[::1\]|0\.0\.0\.0|\[::\]):\d+$/);
    // Velero found exactly our executable and registered its object store.
    const log = velero!.log();
    expect(log).toContain(join(pluginDir, "velero-plugin-aws"));
    expect(log).toMatch(/registering plugin.*velero\.io\/aws|velero\.io\/aws.*registering plugin/);

    await kube.create(GVR.backups, {
      apiVersion: "velero.io/v1",
      kind: "Backup",
      metadata: { namespace: GO_NS, name: GO_BACKUP },
      spec: { includedNamespaces: [APP], storageLocation: "default", snapshotVolumes: false, ttl: "24h0m0s" },
    });
    const backup = await waitTerminal(kube, GVR.backups, GO_BACKUP, GO_NS, 180_000, () => velero!.logTail());
    const status = backup["status"] as { phase: string; version?: number; formatVersion?: string; progress?: { itemsBackedUp?: number }; errors?: number };
    expect(status.phase, velero!.logTail()).toBe("Completed");
    expect(status.formatVersion).toBe("1.1.0");
    expect(status.progress?.itemsBackedUp).toBeGreaterThanOrEqual(4);

    const keys = await bucketKeys(s3, BUCKET, `backups/${GO_BACKUP}/`);
    expect(keys).toEqual(expect.arrayContaining([`backups/${GO_BACKUP}/velero-backup.json`, `backups/${GO_BACKUP}/${GO_BACKUP}.tar.gz`, `backups/${GO_BACKUP}/${GO_BACKUP}-logs.gz`]));
    const meta = JSON.parse((await bucketObject(s3, BUCKET, `backups/${GO_BACKUP}/velero-backup.json`)).toString("utf8")) as UnstructuredItem;
    expect(meta.kind).toBe("Backup");
    expect(meta.metadata.name).toBe(GO_BACKUP);
    const paths = itemPaths(readVeleroTarball(await bucketObject(s3, BUCKET, `backups/${GO_BACKUP}/${GO_BACKUP}.tar.gz`)));
    expect(paths).toEqual(
      expect.arrayContaining([
        `resources/configmaps/namespaces/${APP}/settings.json`,
        `resources/configmaps/namespaces/${APP}/features.json`,
        `resources/deployments.apps/namespaces/${APP}/web.json`,
        `resources/namespaces/cluster/${APP}.json`,
      ]),
    );
  });

  it("2. velero-ts syncs the backup real Velero made and restores it into a mapped namespace", async () => {
    ours = await startOurs();
    const synced = await eventually(`velero-ts to sync ${GO_BACKUP}`, async () => kube.get(GVR.backups, GO_BACKUP, TS_NS), 60_000);
    expect((synced["status"] as { phase?: string }).phase).toBe("Completed");

    const target = `${APP}-ts`;
    await kube.create(GVR.restores, restoreCr(TS_NS, `ts-restores-${SFX}`, GO_BACKUP, target));
    const restore = await waitTerminal(kube, GVR.restores, `ts-restores-${SFX}`, TS_NS, 120_000);
    const status = restore["status"] as { phase: string; errors?: number; progress?: { itemsRestored?: number } };
    expect(status.phase).toBe("Completed");
    expect(status.errors ?? 0).toBe(0);
    expect(await appSnapshot(kube, target)).toEqual(original);
    expect(Object.values(await restoreLabels(kube, target))).toEqual(Array(3).fill({ backup: GO_BACKUP, restore: `ts-restores-${SFX}` }));
  });

  it("3. real Velero syncs a backup made by velero-ts and restores it into a mapped namespace", async () => {
    ours ??= await startOurs();
    await kube.create(GVR.backups, {
      apiVersion: "velero.io/v1",
      kind: "Backup",
      metadata: { namespace: TS_NS, name: TS_BACKUP },
      spec: { includedNamespaces: [APP], storageLocation: "default", snapshotVolumes: false, ttl: "24h0m0s" },
    });
    const backup = await waitTerminal(kube, GVR.backups, TS_BACKUP, TS_NS, 120_000);
    expect((backup["status"] as { phase: string }).phase).toBe("Completed");
    expect(await bucketKeys(s3, BUCKET, `backups/${TS_BACKUP}/`)).toEqual(
      expect.arrayContaining([`backups/${TS_BACKUP}/velero-backup.json`, `backups/${TS_BACKUP}/${TS_BACKUP}.tar.gz`]),
    );

    const synced = await eventually(`real Velero to sync ${TS_BACKUP}`, async () => kube.get(GVR.backups, TS_BACKUP, GO_NS), 90_000, () => velero!.logTail());
    expect((synced["status"] as { phase?: string }).phase).toBe("Completed");
    expect(synced.metadata.labels?.["velero.io/storage-location"]).toBe("default");

    const target = `${APP}-go`;
    await kube.create(GVR.restores, restoreCr(GO_NS, `go-restores-${SFX}`, TS_BACKUP, target));
    const restore = await waitTerminal(kube, GVR.restores, `go-restores-${SFX}`, GO_NS, 180_000, () => velero!.logTail());
    const status = restore["status"] as { phase: string; errors?: number };
    expect(status.phase, velero!.logTail()).toBe("Completed");
    expect(status.errors ?? 0).toBe(0);
    expect(await appSnapshot(kube, target)).toEqual(original);
    expect(Object.values(await restoreLabels(kube, target))).toEqual(Array(3).fill({ backup: TS_BACKUP, restore: `go-restores-${SFX}` }));
  });

  it("4. real Velero with the Go velero-plugin-for-aws (ReadOnly location) restores the backup velero-ts made", async () => {
    const bsl = await eventually(`${GO2_NS}/default to be Available`, async () => {
      const l = await kube.get(GVR.backupStorageLocations, "default", GO2_NS);
      return (l?.["status"] as { phase?: string } | undefined)?.phase === "Available" ? l : undefined;
    }, 60_000, () => veleroGoPlugin!.logTail());
    expect((bsl["spec"] as { accessMode?: string }).accessMode).toBe("ReadOnly");
    expect(veleroGoPlugin!.log()).toContain(join(work, "go-plugins", "velero-plugin-for-aws"));
    const synced = await eventually(`the Go-plugin Velero to sync ${TS_BACKUP}`, async () => kube.get(GVR.backups, TS_BACKUP, GO2_NS), 90_000, () => veleroGoPlugin!.logTail());
    expect((synced["status"] as { phase?: string }).phase).toBe("Completed");

    const target = `${APP}-go2`;
    await kube.create(GVR.restores, restoreCr(GO2_NS, `go2-restores-${SFX}`, TS_BACKUP, target));
    const restore = await waitTerminal(kube, GVR.restores, `go2-restores-${SFX}`, GO2_NS, 180_000, () => veleroGoPlugin!.logTail());
    const status = restore["status"] as { phase: string; errors?: number };
    expect(status.phase, veleroGoPlugin!.logTail()).toBe("Completed");
    expect(status.errors ?? 0).toBe(0);
    expect(await appSnapshot(kube, target)).toEqual(original);
    expect(Object.values(await restoreLabels(kube, target))).toEqual(Array(3).fill({ backup: TS_BACKUP, restore: `go2-restores-${SFX}` }));
  });

  it("5. describe --details, logs and plugin get: Velero's CLI and ours print the same, with real Velero or velero-ts answering the requests", async () => {
    const cases: [string, string[]][] = [
      // --colorized always given: by default Velero colours piped output too, velero-ts a terminal only
      [GO_NS, ["backup", "describe", GO_BACKUP, "--details", "--colorized=false"]],
      [GO_NS, ["backup", "describe", TS_BACKUP, "--details", "--colorized=true"]],
      [GO_NS, ["restore", "describe", `go-restores-${SFX}`, "--details", "--colorized=false"]],
      [GO_NS, ["backup", "logs", TS_BACKUP]],
      [TS_NS, ["backup", "describe", GO_BACKUP, "--details", "--colorized=false"]],
      [TS_NS, ["backup", "describe", TS_BACKUP, "--details", "--colorized=true"]],
      [TS_NS, ["restore", "describe", `ts-restores-${SFX}`, "--details", "--colorized=true"]],
      [TS_NS, ["restore", "logs", `ts-restores-${SFX}`]],
      // the structured describer (-o json), with and without --details
      [GO_NS, ["backup", "describe", GO_BACKUP, "-o", "json"]],
      [TS_NS, ["backup", "describe", TS_BACKUP, "-o", "json", "--details"]],
      [GO_NS, ["backup", "describe", TS_BACKUP, "-o", "json", "--details"]],
      // ServerStatusRequests: each CLI asks the namespace's server for its plugins
      [GO_NS, ["plugin", "get"]],
      [TS_NS, ["plugin", "get"]],
      [TS_NS, ["get", "restores"]],
    ];
    for (const [namespace, args] of cases) {
      const { go, ours: ts } = await bothClis([...args, "-n", namespace]);
      const what = `velero ${args.join(" ")} -n ${namespace}`;
      expect(go.code, `${what}: Velero failed: ${go.stderr}`).toBe(0);
      expect({ code: ts.code, stdout: ts.stdout }, `${what}: velero-ts differs (stderr: ${ts.stderr})`).toEqual({ code: go.code, stdout: go.stdout });
    }
  }, 180_000);
});
