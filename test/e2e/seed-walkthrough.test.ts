// The seed walkthrough (Velero primer: install with the AWS plugin against an S3 endpoint, label-
// selector backups, schedules, restore, restore get/describe, backup delete), typed verbatim except
// for names, the endpoint and the plugin image, against the real control plane with moto standing
// in for MinIO. The Velero server runs as `velero server` child process with --plugin-dir
// dist/plugins (the real velero-plugin-aws executable). Assertions check output AND cluster/bucket.
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSeaExecutable, ROOT } from "../../scripts/build-plugins.ts";
import { GVR } from "../../host/src/kube/gvr.ts";
import { HttpKubeClient } from "../../host/src/kube/http-kube-client.ts";
import { loadKubeConfig } from "../../host/src/kube/kube-config.ts";
import { readTarball } from "../../host/src/testing/read-tarball.ts";
import { loadEndpoints, type Endpoints } from "../helpers/endpoints.ts";
import { eventually, startVeleroServer, velero, type CliEnv, type ServerProcess } from "./cli.ts";

const PLUGIN_IMAGE = "velero-ts/velero-plugin-aws:v0.1.0";
const DEPLOYMENTS = { group: "apps", version: "v1", resource: "deployments" };
const suffix = randomBytes(3).toString("hex");
const NS = `velero-e2e-${suffix}`;
const APP_NS = `iperf-e2e-${suffix}`;
const BUCKET = `velero-e2e-${suffix}`;

let ep: Endpoints;
let kube: HttpKubeClient;
let s3: S3Client;
let ctx: CliEnv;
let server: ServerProcess | undefined;
let restoreName: string | undefined;

async function bucketKeys(prefix: string): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key ?? "");
}

async function phaseOf(kind: "backup" | "restore", name: string): Promise<string | undefined> {
  const r = await velero(ctx, kind, "get", name, "-o", "json");
  if (r.code !== 0) return undefined;
  return (JSON.parse(r.stdout) as { status?: { phase?: string } }).status?.phase;
}

function terminal(kind: "backup" | "restore", name: string): Promise<string> {
  return eventually(`${kind} ${name} to finish`, 120_000, async () => {
    const phase = await phaseOf(kind, name);
    return phase && ["Completed", "PartiallyFailed", "Failed", "FailedValidation"].includes(phase) ? phase : undefined;
  });
}

async function createWorkload(): Promise<void> {
  await kube.create(GVR.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: APP_NS } });
  await kube.create(GVR.configMaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "iperf3-config", namespace: APP_NS, labels: { app: "iperf3-server" } }, data: { port: "5201" } });
  await kube.create(GVR.configMaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "scratch", namespace: APP_NS, labels: { backup: "ignore" } }, data: { k: "v" } });
  await kube.create(DEPLOYMENTS, {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "iperf3-server", namespace: APP_NS, labels: { app: "iperf3-server" } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: "iperf3-server" } },
      template: { metadata: { labels: { app: "iperf3-server" } }, spec: { containers: [{ name: "iperf3", image: "networkstatic/iperf3", args: ["-s"] }] } },
    },
  });
}

beforeAll(async () => {
  ep = loadEndpoints();
  kube = new HttpKubeClient(loadKubeConfig({ kubeconfig: ep.kubeconfig }));
  s3 = new S3Client({ endpoint: ep.s3.endpoint, region: ep.s3.region, forcePathStyle: true, credentials: { accessKeyId: ep.s3.accessKeyId, secretAccessKey: ep.s3.secretAccessKey } });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await buildSeaExecutable({ name: "velero-plugin-aws", entry: join(ROOT, "plugins", "aws", "src", "main.ts"), output: join(ROOT, "dist", "plugins", "velero-plugin-aws") }, { log: () => {} });
  const cwd = mkdtempSync(join(tmpdir(), "vt-e2e-seed-"));
  // The Velero namespace comes from the environment so the seed's commands stay verbatim.
  ctx = { cwd, env: { KUBECONFIG: ep.kubeconfig, VELERO_NAMESPACE: NS, HOME: cwd, AWS_SHARED_CREDENTIALS_FILE: join(cwd, "credentials-velero") } };
  await createWorkload();
});

afterAll(async () => {
  await server?.stop();
  // Never `velero uninstall` here: it would delete the cluster-wide CRDs other suites use.
  await kube?.delete(GVR.namespaces, NS).catch(() => undefined);
  await kube?.delete(GVR.namespaces, APP_NS).catch(() => undefined);
  await kube?.delete(GVR.clusterRoleBindings, `velero-${NS}`).catch(() => undefined);
  await kube?.close();
});

describe("the seed walkthrough, verbatim", () => {
  it("velero install --provider aws --plugins ... --use-volume-snapshots=false --backup-location-config ...", async () => {
    writeFileSync(join(ctx.cwd, "credentials-velero"), `[default]\naws_access_key_id = ${ep.s3.accessKeyId}\naws_secret_access_key = ${ep.s3.secretAccessKey}\n`);
    const r = await velero(
      ctx,
      "install",
      "--provider",
      "aws",
      "--plugins",
      PLUGIN_IMAGE,
      "--bucket",
      BUCKET,
      "--secret-file",
      "./credentials-velero",
      "--use-volume-snapshots=false",
      "--backup-location-config",
      `region=minio,s3ForcePathStyle=true,s3Url=${ep.s3.endpoint}`,
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toContain("CustomResourceDefinition/backups.velero.io: attempting to create resource");
    expect(lines.some((l) => /^CustomResourceDefinition\/backups\.velero\.io: (created|already exists, proceeding)$/.test(l))).toBe(true);
    expect(lines.slice(lines.indexOf("Waiting for resources to be ready in cluster..."))).toEqual([
      "Waiting for resources to be ready in cluster...",
      `Namespace/${NS}: attempting to create resource client`,
      `Namespace/${NS}: attempting to create resource`,
      `Namespace/${NS}: created`,
      `ClusterRoleBinding/velero-${NS}: attempting to create resource client`,
      `ClusterRoleBinding/velero-${NS}: attempting to create resource`,
      `ClusterRoleBinding/velero-${NS}: created`,
      "ServiceAccount/velero: attempting to create resource client",
      "ServiceAccount/velero: attempting to create resource",
      "ServiceAccount/velero: created",
      "Secret/cloud-credentials: attempting to create resource client",
      "Secret/cloud-credentials: attempting to create resource",
      "Secret/cloud-credentials: created",
      "BackupStorageLocation/default: attempting to create resource client",
      "BackupStorageLocation/default: attempting to create resource",
      "BackupStorageLocation/default: created",
      "Deployment/velero: attempting to create resource client",
      "Deployment/velero: attempting to create resource",
      "Deployment/velero: created",
      `Velero is installed! ⛵ Use 'kubectl logs deployment/velero -n ${NS}' to view the status.`,
    ]);
    const bsl = await kube.get(GVR.backupStorageLocations, "default", NS);
    expect(bsl?.spec).toEqual({ provider: "aws", objectStorage: { bucket: BUCKET }, config: { region: "minio", s3ForcePathStyle: "true", s3Url: ep.s3.endpoint }, default: true });
    expect(await kube.get(GVR.volumeSnapshotLocations, "default", NS)).toBeUndefined();
    const deploy = (await kube.get(DEPLOYMENTS, "velero", NS)) as { spec: { template: { spec: { initContainers: { name: string; image: string }[] } } } } | undefined;
    expect(deploy?.spec.template.spec.initContainers.map((c) => [c.name, c.image])).toEqual([["velero-ts-velero-plugin-aws", PLUGIN_IMAGE]]);
    const rerun = await velero(ctx, "install", "--provider", "aws", "--plugins", PLUGIN_IMAGE, "--bucket", BUCKET, "--secret-file", "./credentials-velero", "--use-volume-snapshots=false", "--backup-location-config", `region=minio,s3ForcePathStyle=true,s3Url=${ep.s3.endpoint}`);
    expect(rerun.code).toBe(0);
    expect(rerun.stdout).toContain("BackupStorageLocation/default: already exists, proceeding");
  });

  it("starts `velero server` and the location becomes Available", async () => {
    const serverArgs = ["--kubeconfig", ep.kubeconfig, "--plugin-dir", join(ROOT, "dist", "plugins"), "--metrics-address", "127.0.0.1:0", "--store-validation-frequency", "5s"];
    server = startVeleroServer(ctx, serverArgs, join(ctx.cwd, "velero-server.log"));
    const table = await eventually("the BSL to become Available", 90_000, async () => {
      const r = await velero(ctx, "backup-location", "get");
      return r.stdout.includes("Available") ? r.stdout : undefined;
    });
    // As Velero: the plugin process that validated the location got the server's own flags.
    const plugin = childCommandLines(server.child.pid ?? -1).find((argv) => (argv[0] ?? "").endsWith("velero-plugin-aws"));
    expect(plugin?.slice(1)).toEqual(serverArgs);
    expect(table.split("\n")[0]).toMatch(/^NAME +PROVIDER +BUCKET\/PREFIX +PHASE +LAST VALIDATED +ACCESS MODE +DEFAULT$/);
    expect(table).toMatch(new RegExp(`default +aws +${BUCKET} +Available .* ReadWrite +true`));
    const version = await velero(ctx, "version");
    expect(version.stdout).toMatch(/^Client:\n\tVersion: v\S+\n\tGit commit: \S+\nServer:\n\tVersion: v\S+\n$/);
  });

  it("velero backup create test-backup --selector app=iperf3-server", async () => {
    const r = await velero(ctx, "backup", "create", "test-backup", "--selector", "app=iperf3-server");
    expect(r).toMatchObject({ code: 0, stdout: 'Backup request "test-backup" submitted successfully.\nRun `velero backup describe test-backup` or `velero backup logs test-backup` for more details.\n' });
    expect(await terminal("backup", "test-backup")).toBe("Completed");
    const describe = await velero(ctx, "backup", "describe", "test-backup", "--details");
    expect(describe.stdout).toContain("Phase:  Completed\n");
    expect(describe.stdout).toContain("Label selector:  app=iperf3-server\n");
    expect(describe.stdout).toContain(`    - ${APP_NS}/iperf3-config\n`);
    expect(describe.stdout).not.toContain(`${APP_NS}/scratch`);
    expect(await bucketKeys("backups/test-backup/")).toEqual(expect.arrayContaining(["backups/test-backup/velero-backup.json", "backups/test-backup/test-backup.tar.gz"]));
    const logs = await velero(ctx, "backup", "logs", "test-backup");
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain("level=");
    // The API server names the writers by their User-Agent, as for Velero: the CLI created the
    // Backup ("velero"), the server moved it along ("velero-server").
    const managers = ((await kube.get(GVR.backups, "test-backup", NS))?.metadata.managedFields ?? []).map((f) => f.manager);
    expect(managers).toEqual(expect.arrayContaining(["velero", "velero-server"]));
  });

  it("velero backup create nginx-backup --selector 'backup!=ignore'", async () => {
    const r = await velero(ctx, "backup", "create", "nginx-backup", "--selector", "backup!=ignore");
    expect(r.code).toBe(0);
    expect(await terminal("backup", "nginx-backup")).toBe("Completed");
    const get = await velero(ctx, "backup", "get");
    expect(get.stdout.split("\n")[0]).toMatch(/^NAME +STATUS +ERRORS +WARNINGS +CREATED +EXPIRES +STORAGE LOCATION +QUEUE POSITION +SELECTOR$/);
    // This selector matches the whole cluster, which other suites change while it runs: an
    // additional item deleted mid-backup is a warning (as in Velero), so only errors must be 0.
    expect(get.stdout).toMatch(/nginx-backup +Completed +0 +\d+ +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} \S+ +29d +default +backup notin \(ignore\)/);
    expect(get.stdout).toMatch(/test-backup +Completed .* app=iperf3-server/);
  });

  it('velero schedule create test-daily --schedule="0 1 * * *" --selector app=iperf3-server, and the @every 24h form', async () => {
    const daily = await velero(ctx, "schedule", "create", "test-daily", "--schedule=0 1 * * *", "--selector", "app=iperf3-server");
    expect(daily).toMatchObject({ code: 0, stdout: 'Schedule "test-daily" created successfully.\n' });
    const every = await velero(ctx, "schedule", "create", "test-every", "--schedule=@every 24h", "--selector", "app=iperf3-server");
    expect(every.code).toBe(0);
    const get = await eventually("both schedules Enabled", 60_000, async () => {
      const r = await velero(ctx, "schedule", "get");
      return (r.stdout.match(/Enabled/g) ?? []).length === 2 ? r.stdout : undefined;
    });
    expect(get.split("\n")[0]).toMatch(/^NAME +STATUS +CREATED +SCHEDULE +BACKUP TTL +LAST BACKUP +SELECTOR +PAUSED$/);
    expect(get).toMatch(/test-daily +Enabled .* 0 1 \* \* \* +0s .* app=iperf3-server +false/);
    expect(get).toMatch(/test-every +Enabled .* @every 24h +0s .* app=iperf3-server +false/);
  });

  it("velero restore create --from-backup test-backup; restore get shows Completed; restore describe", async () => {
    await kube.delete(GVR.configMaps, "iperf3-config", APP_NS);
    await kube.delete(DEPLOYMENTS, "iperf3-server", APP_NS);
    await eventually("the workload to be gone", 30_000, async () => ((await kube.get(GVR.configMaps, "iperf3-config", APP_NS)) ? undefined : true));
    const r = await velero(ctx, "restore", "create", "--from-backup", "test-backup");
    expect(r.code).toBe(0);
    const name = /Restore request "(test-backup-\d{14})" submitted successfully\./.exec(r.stdout)?.[1];
    expect(name).toBeDefined();
    restoreName = name;
    expect(await terminal("restore", name as string)).toBe("Completed");
    const get = await velero(ctx, "restore", "get");
    const [header, ...rows] = get.stdout.trimEnd().split("\n");
    expect(header).toMatch(/^NAME +BACKUP +STATUS +STARTED +COMPLETED +ERRORS +WARNINGS +CREATED +SELECTOR$/);
    expect(rows.find((l) => l.startsWith(name as string))).toMatch(new RegExp(`^${name} +test-backup +Completed +\\d{4}-.* +0 +\\d+ +\\d{4}-.* +<none>$`));
    const describe = await velero(ctx, "restore", "describe", name as string);
    expect(describe.code).toBe(0);
    expect(describe.stdout).toContain(`Name:         ${name}\n`);
    expect(describe.stdout).toMatch(/Phase:\s+Completed\n/);
    expect(describe.stdout).toContain("Backup:  test-backup\n");
    const cm = await kube.get(GVR.configMaps, "iperf3-config", APP_NS);
    expect(cm?.data).toEqual({ port: "5201" });
    expect(cm?.metadata.labels).toMatchObject({ app: "iperf3-server", "velero.io/backup-name": "test-backup", "velero.io/restore-name": name });
    expect(await kube.get(DEPLOYMENTS, "iperf3-server", APP_NS)).toBeDefined();
    // as Velero's restore logger, the server wrote each line of the restore's log to its own log too
    const logs = await velero(ctx, "restore", "logs", name as string);
    expect(logs.code).toBe(0);
    const restoreLines = logs.stdout.trimEnd().split("\n");
    expect(restoreLines.length).toBeGreaterThan(3);
    expect(restoreLines.at(-1)).toMatch(/ msg="restore completed" /);
    const serverLog = readFileSync(join(ctx.cwd, "velero-server.log"), "utf8");
    expect(restoreLines.filter((l) => !serverLog.includes(l))).toEqual([]);
  });

  it("velero debug --backup test-backup --restore <restore>: the support bundle holds the Velero objects, the server pod's logs, version, describe and logs", async () => {
    expect(restoreName, "the restore step ran").toBeDefined();
    const r = await velero(ctx, "debug", "--backup", "test-backup", "--restore", restoreName as string, "--output", "bundle.tar.gz");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const path = join(ctx.cwd, "bundle.tar.gz");
    expect(r.stdout.trimEnd().split("\n").at(-1)).toBe(`Generated debug information bundle: ${path}`);
    const entries = await readTarball(path);
    const names = [...entries.keys()];
    const capture = (prefix: string): { kind: string; items: { metadata: { name: string } }[] } => {
      const name = names.find((n) => n.startsWith(prefix) && n.endsWith(".json"));
      expect(name, `${prefix}* in ${names.join(", ")}`).toBeDefined();
      return JSON.parse(entries.get(name as string)?.data ?? "") as { kind: string; items: { metadata: { name: string } }[] };
    };
    expect(capture(`velero-bundle/kubecapture/velero.io_v1/${NS}/backups-`).items.map((b) => b.metadata.name).sort()).toEqual(["nginx-backup", "test-backup"]);
    expect(capture(`velero-bundle/kubecapture/velero.io_v1/${NS}/backupstoragelocations-`).items.map((b) => b.metadata.name)).toEqual(["default"]);
    expect(capture(`velero-bundle/kubecapture/velero.io_v1/${NS}/restores-`).items.map((b) => b.metadata.name)).toEqual([restoreName]);
    // The Deployment `velero install` made runs (kwok) one pod; kwok serves every container's log from one file.
    const pods = capture(`velero-bundle/kubecapture/core_v1/${NS}/pods-`).items;
    expect(pods.length).toBeGreaterThan(0);
    const served = 'time="2026-01-01T00:00:00Z" level=info msg="a container log line served by kwok (test environment)"\n';
    for (const pod of pods) expect(entries.get(`velero-bundle/kubecapture/core_v1/${NS}/${pod.metadata.name}/velero/velero.log`)?.data).toBe(served);
    expect(entries.get("velero-bundle/version.txt")?.data).toMatch(/^Client:\n\tVersion: .+\n\tGit commit: .+\nServer:\n\tVersion: .+\n/);
    expect(entries.get("velero-bundle/backup_describe_test-backup.txt")?.data).toMatch(/^Phase:\s+Completed$/m);
    expect(entries.get("velero-bundle/backup_test-backup.log")?.data).toContain('msg="Backing up item"');
    expect(entries.get(`velero-bundle/restore_describe_${restoreName}.txt`)?.data).toMatch(/^Phase:\s+Completed$/m);
    expect(entries.get(`velero-bundle/restore_${restoreName}.log`)?.data).toMatch(/level=info msg="[^"]*[Rr]estor/);
    // no Secret was read: the credentials `velero install` stored are not in it
    const credentials = readFileSync(join(ctx.cwd, "credentials-velero"), "utf8");
    const key = /aws_secret_access_key\s*=\s*(\S+)/.exec(credentials)?.[1];
    expect(key).toBeDefined();
    expect([...entries.values()].some((e) => e.data.includes(key as string) || e.data.includes(Buffer.from(credentials).toString("base64")))).toBe(false);
  });

  it("velero backup delete test-backup --confirm removes it from the bucket", async () => {
    const r = await velero(ctx, "backup", "delete", "test-backup", "--confirm");
    expect(r).toMatchObject({ code: 0, stdout: 'Request to delete backup "test-backup" submitted successfully.\nThe backup will be fully deleted after all associated data (disk snapshots, backup files, restores) are removed.\n' });
    await eventually("backups/test-backup/ to be emptied", 90_000, async () => ((await bucketKeys("backups/test-backup/")).length === 0 ? true : undefined));
    await eventually("the Backup to disappear", 60_000, async () => ((await kube.get(GVR.backups, "test-backup", NS)) ? undefined : true));
    const get = await velero(ctx, "backup", "get", "test-backup");
    expect(get.code).toBe(1);
    expect(get.stderr).toContain('backup "test-backup" not found');
    expect((await bucketKeys("backups/nginx-backup/")).length).toBeGreaterThan(0);
  });

  it("kept the server log free of errors", () => {
    const log = readFileSync(join(ctx.cwd, "velero-server.log"), "utf8");
    expect(log).toContain("server started");
    // Velero's start-up lines, in Velero's order
    const lines = ["setting log-level to INFO", "Starting Velero server ", "Checking existence of namespace.", "Namespace exists", "All Velero custom resource definitions exist", "Starting metric server at address [127.0.0.1:", "Starting controllers", "Server starting..."];
    const at = lines.map((l) => log.indexOf(`msg="${l}`));
    expect(at.every((i) => i >= 0), JSON.stringify(lines.filter((_, i) => (at[i] as number) < 0))).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(log).not.toMatch(/level=(error|fatal)/);
  });
});

/** The command lines (argv) of the live child processes of `parent`, from /proc. */
function childCommandLines(parent: number): string[][] {
  const out: string[][] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) !== parent) continue;
      out.push(readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").filter((a) => a !== ""));
    } catch {
      // the process ended while being read
    }
  }
  return out;
}
