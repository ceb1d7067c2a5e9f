// Real Velero v1.18.1 (Go, built from the module proxy in peer set velero118) side by side with
// velero-ts against the test environment's API server and moto. Helpers to find the binaries, run
// `velero server` out of cluster as a child process (stopped by pid), and compare restored objects.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, createWriteStream, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { mkdir, symlink } from "node:fs/promises";
import { join } from "node:path";
import { ListObjectsV2Command, S3Client, GetObjectCommand } from "@aws-sdk/client-s3";
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import { GVR } from "../../../host/src/kube/gvr.ts";
import type { HttpKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import { startServer, type RunningServer } from "../../../host/src/server/server.ts";
import { createLogger, createSilentLogger, type LogLevel } from "../../../host/src/shared/logging.ts";
import { buildSeaExecutable, ROOT } from "../../../scripts/build-plugins.ts";
import { VELERO_MAIN } from "../../e2e/cli.ts";
import { loadEndpoints, type Endpoints } from "../../helpers/endpoints.ts";
import { freePort } from "../../helpers/ports.ts";
import { runProcess, type ProcessResult } from "../../helpers/run-process.ts";

export const DEPLOYMENTS = { group: "apps", version: "v1", resource: "deployments" } as const;
export const TERMINAL_PHASES = ["Completed", "PartiallyFailed", "Failed", "FailedValidation"];

export interface RealVeleroBinaries {
  velero: string;
  goAwsPlugin: string | undefined;
}

/**
 * The real `velero` binary: $VT_VELERO_BIN, else $PEERS_HOME/peers.json bin.velero (built by
 * scripts/peers-install.sh step velero118). A missing binary fails the suite with the fix.
 */
export function realVeleroBinaries(): RealVeleroBinaries {
  const peersJson = join(process.env["PEERS_HOME"] ?? "/var/cache/velero-ts-peers", "peers.json");
  const bin = existsSync(peersJson) ? ((JSON.parse(readFileSync(peersJson, "utf8")) as { bin?: Record<string, string> }).bin ?? {}) : {};
  const velero = process.env["VT_VELERO_BIN"] ?? bin["velero"];
  if (!velero || !existsSync(velero)) {
    throw new Error(
      `the real velero v1.18.1 binary is not built (looked at $VT_VELERO_BIN and ${peersJson} bin.velero); ` +
        "run `bash scripts/peers-install.sh` (step velero118) or `bash test/peers/go/velero118/build.sh <dir>`",
    );
  }
  const goAwsPlugin = process.env["VT_GO_AWS_PLUGIN"] ?? bin["veleroPluginForAws"];
  return { velero, goAwsPlugin: goAwsPlugin && existsSync(goAwsPlugin) ? goAwsPlugin : undefined };
}

export function suffix(): string {
  return randomBytes(3).toString("hex");
}

/** Polls `probe` until it returns a value other than undefined/false, or fails with `what`. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000, onTimeout?: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}${onTimeout ? `\n${onTimeout()}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** The S3 client of moto, as the tests see the bucket. */
export function motoS3(ep: Endpoints = loadEndpoints()): S3Client {
  return new S3Client({
    endpoint: ep.s3.endpoint,
    region: ep.s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: ep.s3.accessKeyId, secretAccessKey: ep.s3.secretAccessKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

export async function bucketKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((c) => c.Key ?? "").sort();
}

export async function bucketObject(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

/** The BackupStorageLocation spec both Velero and velero-ts get: Velero's AWS provider on moto. */
export function awsLocation(namespace: string, name: string, bucket: string, extra: Record<string, unknown> = {}): UnstructuredItem {
  const ep = loadEndpoints();
  return {
    apiVersion: "velero.io/v1",
    kind: "BackupStorageLocation",
    metadata: { namespace, name },
    spec: {
      provider: "aws",
      objectStorage: { bucket },
      config: { region: ep.s3.region, s3Url: ep.s3.endpoint, s3ForcePathStyle: "true", checksumAlgorithm: "" },
      default: true,
      ...extra,
    },
  };
}

/** A namespace for a Velero server, with the dummy `Deployment velero` Velero looks up for its image. */
export async function createVeleroNamespace(kube: HttpKubeClient, name: string): Promise<void> {
  await kube.create(GVR.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
  await kube.create(DEPLOYMENTS, {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { namespace: name, name: "velero", labels: { component: "velero" } },
    spec: {
      replicas: 0,
      selector: { matchLabels: { deploy: "velero" } },
      template: {
        metadata: { labels: { deploy: "velero", component: "velero" } },
        spec: { containers: [{ name: "velero", image: "velero/velero:v1.18.1", command: ["/velero"], args: ["server"] }] },
      },
    },
  });
}

/** The application namespace every test backs up: two ConfigMaps and a Deployment (no volumes). */
export async function createAppNamespace(kube: HttpKubeClient, name: string): Promise<void> {
  await kube.create(GVR.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name, labels: { app: "vt-compat" } } });
  for (const [cm, value] of [["settings", "alpha"], ["features", "beta"]] as const) {
    await kube.create(GVR.configMaps, {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { namespace: name, name: cm, labels: { app: "web" }, annotations: { "vt.test/origin": cm } },
      data: { value, "multi.line": `${value}\nsecond line\n` },
    });
  }
  await kube.create(DEPLOYMENTS, {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { namespace: name, name: "web", labels: { app: "web" } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: "web" } },
      template: {
        metadata: { labels: { app: "web" } },
        spec: { containers: [{ name: "web", image: "registry.invalid/web:1.0", env: [{ name: "MODE", value: "compat" }] }] },
      },
    },
  });
}

function userLabels(labels: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(labels ?? {}).filter(([k]) => !k.startsWith("velero.io/")));
}

/** The velero.io/backup-name and velero.io/restore-name labels of every app object (a restore adds them). */
export async function restoreLabels(kube: HttpKubeClient, namespace: string): Promise<Record<string, Record<string, string | undefined>>> {
  const out: Record<string, Record<string, string | undefined>> = {};
  for (const [key, gvr, name] of [["configmap/settings", GVR.configMaps, "settings"], ["configmap/features", GVR.configMaps, "features"], ["deployment/web", DEPLOYMENTS, "web"]] as const) {
    const labels = (await kube.get(gvr, name, namespace))?.metadata.labels ?? {};
    out[key] = { backup: labels["velero.io/backup-name"], restore: labels["velero.io/restore-name"] };
  }
  return out;
}

/** What must survive a backup and a restore: the user-authored parts of the app's objects (velero.io/ labels aside). */
export async function appSnapshot(kube: HttpKubeClient, namespace: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const name of ["settings", "features"]) {
    const cm = await kube.get(GVR.configMaps, name, namespace);
    out[`configmap/${name}`] = cm && { labels: userLabels(cm.metadata.labels), annotation: cm.metadata.annotations?.["vt.test/origin"], data: cm["data"] };
  }
  const d = await kube.get(DEPLOYMENTS, "web", namespace);
  const spec = d?.["spec"] as { replicas?: number; selector?: unknown; template?: { metadata?: { labels?: unknown }; spec?: { containers?: unknown[] } } } | undefined;
  out["deployment/web"] = d && {
    labels: userLabels(d.metadata.labels),
    replicas: spec?.replicas,
    selector: spec?.selector,
    templateLabels: spec?.template?.metadata?.labels,
    containers: (spec?.template?.spec?.containers as { name: string; image: string; env?: unknown }[] | undefined)?.map((c) => ({ name: c.name, image: c.image, env: c.env })),
  };
  return out;
}

export interface RealVeleroOptions {
  velero: string;
  kubeconfig: string;
  namespace: string;
  pluginDir: string;
  /** working directory: credentials file, scratch dir, log */
  workDir: string;
  extraArgs?: string[];
  /** Extra environment variables for the server process. */
  extraEnv?: Record<string, string>;
}

/** `velero server` (real Velero, Go) out of cluster, as documented in Velero's run-locally guide. */
export class RealVeleroServer {
  readonly logFile: string;
  readonly metricsUrl: string;
  readonly #child: ChildProcess;
  #exited: Promise<number | null>;
  #exitCode: number | null | undefined;

  private constructor(child: ChildProcess, logFile: string, metricsUrl: string) {
    this.#child = child;
    this.logFile = logFile;
    this.metricsUrl = metricsUrl;
    this.#exited = new Promise((resolve) =>
      child.once("exit", (code, signal) => {
        this.#exitCode = code ?? (signal ? -1 : null);
        resolve(code);
      }),
    );
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get running(): boolean {
    return this.#exitCode === undefined;
  }

  static async start(o: RealVeleroOptions): Promise<RealVeleroServer> {
    const ep = loadEndpoints();
    mkdirSync(o.workDir, { recursive: true });
    const credentials = join(o.workDir, "aws-credentials");
    writeFileSync(credentials, `[default]\naws_access_key_id=${ep.s3.accessKeyId}\naws_secret_access_key=${ep.s3.secretAccessKey}\n`, { mode: 0o600 });
    const scratch = join(o.workDir, "scratch");
    mkdirSync(scratch, { recursive: true });
    const metricsPort = await freePort();
    const profilerPort = await freePort();
    const logFile = join(o.workDir, `velero-${o.namespace}.log`);
    const fd = openSync(logFile, "a");
    const args = [
      "server",
      `--kubeconfig=${o.kubeconfig}`,
      `--namespace=${o.namespace}`,
      `--plugin-dir=${o.pluginDir}`,
      `--metrics-address=127.0.0.1:${metricsPort}`,
      `--profiler-address=127.0.0.1:${profilerPort}`,
      "--uploader-type=kopia",
      "--log-level=debug",
      ...(o.extraArgs ?? []),
    ];
    writeFileSync(logFile, `# ${o.velero} ${args.join(" ")}\n`, { flag: "a" });
    // Own process group: the plugin processes Velero starts are stopped with it (by that group id only).
    const child = spawn(o.velero, args, {
      cwd: o.workDir,
      detached: true,
      stdio: ["ignore", fd, fd],
      env: {
        PATH: process.env["PATH"] ?? "/usr/bin:/bin",
        HOME: o.workDir,
        AWS_SHARED_CREDENTIALS_FILE: credentials,
        AWS_ENDPOINT_URL_EC2: ep.ec2.endpoint,
        AWS_EC2_METADATA_DISABLED: "true",
        VELERO_NAMESPACE: o.namespace,
        VELERO_SCRATCH_DIR: scratch,
        ...o.extraEnv,
      },
    });
    closeSync(fd);
    const server = new RealVeleroServer(child, logFile, `http://127.0.0.1:${metricsPort}/metrics`);
    await eventually(
      `real velero server in ${o.namespace} to serve ${server.metricsUrl}`,
      async () => {
        if (!server.running) throw new Error(`velero server exited with ${server.#exitCode}`);
        const res = await fetch(server.metricsUrl);
        await res.arrayBuffer();
        return res.ok;
      },
      120_000,
      () => server.logTail(),
    );
    return server;
  }

  /** The error and warning lines of Velero's log (the first 20), then its last lines: what a failed assertion shows. */
  logTail(lines = 40): string {
    const all = (existsSync(this.logFile) ? readFileSync(this.logFile, "utf8") : "").split("\n");
    const problems = all.filter((l) => /level=(error|warning)/.test(l)).slice(0, 20);
    return `--- error/warning lines of ${this.logFile}:\n${problems.join("\n")}\n--- last lines:\n${all.slice(-lines).join("\n")}`;
  }

  log(): string {
    return readFileSync(this.logFile, "utf8");
  }

  /** Every TCP socket ("local -> remote") held by Velero and the plugin processes of its process group. */
  tcpSockets(): string[] {
    const pgid = this.#child.pid;
    if (pgid === undefined) return [];
    const inodes = new Set<string>();
    for (const p of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
      try {
        const stat = readFileSync(`/proc/${p}/stat`, "utf8");
        if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]) !== pgid) continue;
        for (const fd of readdirSync(`/proc/${p}/fd`)) {
          const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${p}/fd/${fd}`));
          if (m) inodes.add(m[1]!);
        }
      } catch {
        // the process ended while being read
      }
    }
    const out: string[] = [];
    for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
      for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
        const f = line.trim().split(/\s+/);
        if (f.length > 9 && inodes.has(f[9]!)) out.push(`${hexAddress(f[1]!)} -> ${hexAddress(f[2]!)}`);
      }
    }
    return out;
  }

  /** SIGTERM to the pid we started, SIGKILL after 15 s; then whatever is left of its process group. */
  async stop(): Promise<void> {
    const pid = this.#child.pid;
    if (pid === undefined) return;
    if (this.running) {
      this.#child.kill("SIGTERM");
      const timer = setTimeout(() => {
        if (this.running) this.#child.kill("SIGKILL");
      }, 15_000);
      await this.#exited;
      clearTimeout(timer);
    }
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // the group is already empty
    }
  }
}

/** "0100007F:1F90" (or the 32-hex-digit IPv6 form) -> "127.0.0.1:8080" / "[::ffff:127.0.0.1]:8080". */
function hexAddress(value: string): string {
  const [hex, port] = value.split(":") as [string, string];
  const p = parseInt(port, 16);
  const bytes = (h: string) => (h.match(/../g) ?? []).map((b) => parseInt(b, 16)).reverse();
  if (hex.length === 8) return `${bytes(hex).join(".")}:${p}`;
  const words = (hex.match(/.{8}/g) ?? []).map(bytes).flat();
  if (words.slice(0, 10).every((b) => b === 0) && words[10] === 255 && words[11] === 255) return `[::ffff:${words.slice(12).join(".")}]:${p}`;
  if (words.every((b) => b === 0)) return `[::]:${p}`;
  if (words.slice(0, 15).every((b) => b === 0) && words[15] === 1) return `[::1]:${p}`;
  return `[${hex}]:${p}`;
}

/** Waits for a Velero CR (Backup, Restore) in `namespace` to reach a terminal phase. */
export async function waitTerminal(
  kube: HttpKubeClient,
  gvr: (typeof GVR)["backups"],
  name: string,
  namespace: string,
  timeoutMs: number,
  onTimeout?: () => string,
): Promise<UnstructuredItem> {
  return eventually(
    `${gvr.resource} ${namespace}/${name} to finish`,
    async () => {
      const o = await kube.get(gvr, name, namespace);
      const phase = (o?.["status"] as { phase?: string } | undefined)?.phase ?? "";
      return o && TERMINAL_PHASES.includes(phase) ? o : undefined;
    },
    timeoutMs,
    onTimeout,
  );
}

/**
 * Real Velero with the Go velero-plugin-for-aws: a plugin dir of its own under `work`, a Velero
 * namespace with a `default` location on `bucket` (plus `location` spec fields), `beforeStart` for
 * what the namespace must hold before the server starts, then the server. Returns it with its
 * options (to start it again).
 */
export async function startRealVeleroBeside(
  kube: HttpKubeClient,
  o: { namespace: string; bucket: string; work: string; location?: Record<string, unknown>; extraArgs: string[]; extraEnv?: Record<string, string>; beforeStart?: () => Promise<void> },
): Promise<{ server: RealVeleroServer; options: RealVeleroOptions }> {
  const { velero, goAwsPlugin } = realVeleroBinaries();
  if (!goAwsPlugin) throw new Error("the Go velero-plugin-for-aws peer is not built (peers.json bin.veleroPluginForAws): run `bash scripts/peers-install.sh`");
  const pluginDir = join(o.work, "go-plugins");
  await mkdir(pluginDir);
  await symlink(goAwsPlugin, join(pluginDir, "velero-plugin-for-aws"));
  await createVeleroNamespace(kube, o.namespace);
  await kube.create(GVR.backupStorageLocations, awsLocation(o.namespace, "default", o.bucket, o.location ?? {}));
  await o.beforeStart?.();
  const options: RealVeleroOptions = {
    velero,
    kubeconfig: loadEndpoints().kubeconfig,
    namespace: o.namespace,
    pluginDir,
    workDir: join(o.work, "velero"),
    extraArgs: o.extraArgs,
    ...(o.extraEnv ? { extraEnv: o.extraEnv } : {}),
  };
  return { server: await RealVeleroServer.start(options), options };
}

/** The same `velero` command line run by Velero's CLI and ours (UTC), side by side. */
export async function bothClis(args: string[]): Promise<{ go: ProcessResult; ours: ProcessResult }> {
  const env = { ...process.env, KUBECONFIG: loadEndpoints().kubeconfig, TZ: "UTC" } as Record<string, string>;
  const [go, ours] = await Promise.all([runProcess(realVeleroBinaries().velero, args, { env }), runProcess(process.execPath, [VELERO_MAIN, ...args], { env })]);
  return { go, ours };
}

/**
 * velero-ts beside real Velero: our AWS plugin (built fresh) in a plugin dir of its own under
 * `work`, a namespace with a `default` location on `bucket`, and the server, its plugins reading
 * the credentials file real Velero's harness wrote (as Velero mounts it from its Secret).
 */
export async function startVeleroTsBeside(
  kube: HttpKubeClient,
  o: { namespace: string; bucket: string; work: string; credentialsFile: string; backupSyncPeriod: string; features?: string[]; logLevel?: string; /** the server's log, as Velero's harness writes its own */ logFile?: string },
): Promise<RunningServer> {
  const ourPlugin = join(ROOT, "dist", "plugins", "velero-plugin-aws");
  await buildSeaExecutable({ name: "velero-plugin-aws", entry: join(ROOT, "plugins", "aws", "src", "main.ts"), output: ourPlugin }, { log: () => {} });
  const pluginDir = join(o.work, "plugins");
  await mkdir(pluginDir);
  await symlink(ourPlugin, join(pluginDir, "velero-plugin-aws"));
  await kube.create(GVR.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: o.namespace } });
  // As in Velero, --backup-sync-period=0 means the default minute: "0s" here turns sync off on the location.
  await kube.create(GVR.backupStorageLocations, awsLocation(o.namespace, "default", o.bucket, o.backupSyncPeriod === "0s" ? { backupSyncPeriod: "0s" } : {}));
  // the plugin processes inherit these
  process.env["AWS_SHARED_CREDENTIALS_FILE"] = o.credentialsFile;
  process.env["AWS_EC2_METADATA_DISABLED"] = "true";
  return startServer({
    kubeconfig: loadEndpoints().kubeconfig,
    namespace: o.namespace,
    pluginDir,
    metricsAddress: "127.0.0.1:0",
    ...(o.backupSyncPeriod === "0s" ? {} : { backupSyncPeriod: o.backupSyncPeriod }),
    storeValidationFrequency: "2s",
    ...(o.logLevel ? { logLevel: o.logLevel } : {}),
    ...(o.features ? { features: o.features } : {}),
    logger: o.logFile
      ? createLogger({ level: (o.logLevel ?? "info") as LogLevel, destination: createWriteStream(o.logFile) })
      : process.env["VT_COMPAT_LOG"] === "1"
        ? createLogger({ level: "debug" }).child({ server: o.namespace })
        : createSilentLogger(),
  });
}

/**
 * Tears a side-by-side suite down: the Restores of the servers' namespaces are deleted while the
 * servers still run (they carry Velero's external-resources finalizer), the servers are stopped,
 * whatever finalizer a stopped server left is removed (so no namespace stays Terminating), then the
 * servers' and the other listed namespaces are deleted.
 */
export async function tearDownSideBySide(
  kube: HttpKubeClient | undefined,
  o: { serverNamespaces: string[]; otherNamespaces: string[]; servers: ({ stop(): Promise<unknown> } | undefined)[] },
): Promise<void> {
  if (kube) {
    for (const ns of o.serverNamespaces) {
      for (const r of (await kube.list(GVR.restores, { namespace: ns }).catch(() => ({ items: [] }))).items) await kube.delete(GVR.restores, r.metadata.name, ns).catch(() => undefined);
    }
    await eventually("the restores to be finalized", async () => {
      for (const ns of o.serverNamespaces) if ((await kube.list(GVR.restores, { namespace: ns })).items.length > 0) return false;
      return true;
    }, 30_000).catch(() => undefined);
  }
  for (const server of o.servers) await server?.stop();
  if (!kube) return;
  for (const ns of o.serverNamespaces) {
    for (const gvr of [GVR.restores, GVR.backups, GVR.deleteBackupRequests]) {
      for (const obj of (await kube.list(gvr, { namespace: ns }).catch(() => ({ items: [] }))).items) {
        if (obj.metadata.finalizers?.length) await kube.patch(gvr, obj.metadata.name, ns, { metadata: { finalizers: null } }).catch(() => undefined);
      }
    }
  }
  for (const ns of [...o.serverNamespaces, ...o.otherNamespaces]) await kube.delete(GVR.namespaces, ns).catch(() => undefined);
}
