// `velero server` in cluster, as its Deployment runs it: the single executable the server image
// ships (dist/bin/velero, the image's /velero) with the command line and environment of the
// Deployment `velero install` writes (taken from that executable's own `install --dry-run -o
// json`, which also shows it carries the CRDs), and only what a pod gets from the kubelet:
// KUBERNETES_SERVICE_HOST/PORT and the service account's token, CA and namespace under
// /var/run/secrets/kubernetes.io/serviceaccount, no kubeconfig. There is no kubelet here, so the
// server runs as a child process in a mount namespace of its own (unshare, as root) where a
// private tmpfs over /run holds that directory, with a token the API server issued for the
// ServiceAccount `velero` (TokenRequest, `kubectl create token`). Nothing outside the process
// sees the mount. Proven: without RBAC the API server refuses the server's requests as
// system:serviceaccount:<ns>:velero (so it authenticated with the mounted token, trusting the
// mounted CA) and the server stops naming the fix (as Velero's namespace check); once `velero install`'s ClusterRoleBinding
// (cluster-admin) exists, the same server runs a backup to Completed and patches it as field
// manager "velero-server". Not proven: the image build itself (no container runtime here).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, createWriteStream, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Backup, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { ROOT } from "../../scripts/build-plugins.ts";
import { GVR } from "../../host/src/kube/gvr.ts";
import { createKubeClient, type HttpKubeClient } from "../../host/src/kube/http-kube-client.ts";
import { installCrds } from "../../host/src/kube/crds.ts";
import { readTarball } from "../../host/src/testing/read-tarball.ts";
import { loadEndpoints } from "../helpers/endpoints.ts";
import { loadPeers } from "../peers/env.ts";
import { runProcess } from "../helpers/run-process.ts";
import { eventually, stopChild } from "./cli.ts";

const suffix = randomBytes(3).toString("hex");
const NS = `velero-incluster-${suffix}`;
const APP = `app-incluster-${suffix}`;
const BINDING = `velero-incluster-${suffix}`;
const SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

const ep = loadEndpoints();
let kube: HttpKubeClient;
let work: string;
let bucketRoot: string;
let saDir: string;
const children: ChildProcess[] = [];
/** The single executable the server image ships as /velero. */
const VELERO_EXECUTABLE = join(ROOT, "dist", "bin", "velero");
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath?: string } };
}
/** The velero container of the Deployment `velero install` writes. */
let deployment: { command: string[]; args: string[]; env: EnvVar[] };

/**
 * `velero server` (the built binary) in its own mount namespace with the service account mounted
 * where client libraries look for it, and the environment of a pod: no KUBECONFIG, a HOME without
 * ~/.kube, VELERO_NAMESPACE from the Deployment's fieldRef. Its output goes to `log`.
 */
function startInCluster(log: string, metricsAddress = "127.0.0.1:0", extraArgs: string[] = []): ChildProcess {
  const { command, args, env: podEnv } = deployment;
  const apiServer = new URL(ep.apiServer);
  const run = realpathSync("/var/run"); // /run on Debian: a tmpfs over it hides the host's only here
  const script = [
    "set -e",
    `mount -t tmpfs -o size=1m,mode=0755 vt-pod-run "${run}"`,
    `mkdir -p "${join(run, "secrets/kubernetes.io/serviceaccount")}"`,
    `mount --bind "$VT_SA_SOURCE" "${join(run, "secrets/kubernetes.io/serviceaccount")}"`,
    'exec "$0" "$@"',
  ].join("\n");
  // the Deployment's environment: fixed values as written, VELERO_NAMESPACE from its fieldRef, and
  // /scratch (an emptyDir there) a directory of this test's
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: join(work, "home"),
    KUBERNETES_SERVICE_HOST: apiServer.hostname,
    KUBERNETES_SERVICE_PORT: apiServer.port,
    VT_SA_SOURCE: saDir,
  };
  for (const e of podEnv) {
    if (e.value !== undefined) env[e.name] = e.name === "VELERO_SCRATCH_DIR" ? join(work, "scratch") : e.value;
    else if (e.valueFrom?.fieldRef?.fieldPath === "metadata.namespace") env[e.name] = NS;
  }
  expect(command).toEqual(["/velero"]);
  // /velero is the image's copy of dist/bin/velero; the metrics port is a free one (127.0.0.1:8085 may be taken on this machine)
  const child = spawn("unshare", ["--mount", "--propagation", "private", "sh", "-c", script, VELERO_EXECUTABLE, ...args, "--metrics-address", metricsAddress, ...extraArgs], { env, stdio: ["ignore", "pipe", "pipe"] });
  const out = createWriteStream(log);
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  children.push(child);
  return child;
}

beforeAll(async () => {
  kube = createKubeClient({ kubeconfig: ep.kubeconfig });
  await installCrds(kube);
  work = mkdtempSync(join(tmpdir(), "vt-incluster-"));
  mkdirSync(join(work, "home"));
  mkdirSync(join(work, "scratch"));
  // what the image's executable itself writes for `velero install`, run outside the source tree
  const install = await runProcess(VELERO_EXECUTABLE, ["install", "--provider", "velero.io/filesystem", "--bucket", "velero", "--no-secret", "--use-volume-snapshots=false", "--dry-run", "-o", "json"], {
    cwd: work,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: join(work, "home") },
  });
  expect(install.code, install.stderr).toBe(0);
  const manifests = (JSON.parse(install.stdout) as { items: { kind: string; spec?: { template?: { spec?: { containers?: { name: string; command: string[]; args: string[]; env: EnvVar[] }[] } } } }[] }).items;
  expect(manifests.filter((m) => m.kind === "CustomResourceDefinition")).toHaveLength(13); // embedded in the executable
  const container = manifests.find((m) => m.kind === "Deployment")?.spec?.template?.spec?.containers?.find((c) => c.name === "velero");
  if (!container) throw new Error(`no velero container in the Deployment of velero install: ${install.stdout.slice(0, 500)}`);
  deployment = { command: container.command, args: container.args, env: container.env };
  bucketRoot = join(work, "bucket");
  mkdirSync(bucketRoot);
  for (const name of [NS, APP]) await kube.create(GVR.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
  await kube.create(GVR.serviceAccounts, { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "velero", namespace: NS } });
  await kube.create(GVR.configMaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings", namespace: APP }, data: { mode: "in-cluster" } } as UnstructuredItem);
  await kube.create(GVR.backupStorageLocations, {
    apiVersion: "velero.io/v1",
    kind: "BackupStorageLocation",
    metadata: { name: "default", namespace: NS },
    spec: { provider: "velero.io/filesystem", default: true, objectStorage: { bucket: "velero" }, config: { path: bucketRoot } },
  } as unknown as UnstructuredItem);

  // what the kubelet mounts into a pod: a bound token of the pod's service account, the cluster's CA, the namespace
  const token = spawnSync(loadPeers().bin.kubectl, ["--kubeconfig", ep.kubeconfig, "-n", NS, "create", "token", "velero", "--duration", "1h"], { encoding: "utf8" });
  expect(token.status, token.stderr).toBe(0);
  saDir = join(work, "serviceaccount");
  mkdirSync(saDir);
  writeFileSync(join(saDir, "token"), token.stdout.trim());
  copyFileSync(ep.kubernetes.caFile, join(saDir, "ca.crt"));
  writeFileSync(join(saDir, "namespace"), NS);
}, 120_000);

afterAll(async () => {
  for (const child of children) await stopChild(child);
  await kube.delete(GVR.clusterRoleBindings, BINDING).catch(() => undefined);
  for (const name of [APP, NS]) await kube.delete(GVR.namespaces, name).catch(() => undefined);
  await kube.close();
  rmSync(work, { recursive: true, force: true });
});

describe(`velero server in cluster (service account token and CA at ${SA_DIR}, no kubeconfig)`, () => {
  it("authenticates as its service account: without RBAC, the API server refuses it as system:serviceaccount:<ns>:velero, and the server stops naming the fix", async () => {
    const log = join(work, "server-no-rbac.log");
    const child = startInCluster(log);
    // As Velero's: its first request that needs RBAC (reading its namespace) is refused, and it exits.
    const code = await new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once("exit", (c) => resolve(c))));
    // its output reaches the log file through a pipe: read it once the error line is in
    const text = await eventually("the server's last words in its log", 10_000, async () => {
      const t = readFileSync(log, "utf8");
      return /An error occurred|unshare failed/.test(t) ? t : undefined;
    });
    // e.g. "unshare failed: Operation not permitted": the suite needs root (CAP_SYS_ADMIN) for the mount namespace
    expect(text, "velero server ran in its mount namespace").not.toMatch(/unshare failed/);
    expect(code).toBe(1);
    expect(text).toMatch(/forbidden/i);
    expect(text).toContain(`system:serviceaccount:${NS}:velero`);
    // the fix is named, not only the failure
    expect(text).toContain(`the server's identity may not read its namespace; bind it to a role that may (velero install binds its ServiceAccount "velero" to cluster-admin)`);
    expect(text).not.toMatch(/certificate|self[- ]signed|unable to verify/i); // the mounted CA was trusted
    expect(text).not.toMatch(/kubeconfig/i);
  });

  it("with velero install's ClusterRoleBinding, backs up a namespace to Completed", async () => {
    await kube.create(GVR.clusterRoleBindings, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: BINDING },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
      subjects: [{ kind: "ServiceAccount", name: "velero", namespace: NS }],
    } as unknown as UnstructuredItem);
    const log = join(work, "server.log");
    const metricsPort = await freePort();
    startInCluster(log, `127.0.0.1:${metricsPort}`, ["--log-level", "debug"]);
    await eventually("the location to be Available", 60_000, async () => {
      const bsl = await kube.get(GVR.backupStorageLocations, "default", NS);
      return (bsl?.status as { phase?: string } | undefined)?.phase === "Available" ? true : undefined;
    });
    await kube.create(GVR.backups, { apiVersion: "velero.io/v1", kind: "Backup", metadata: { name: "in-cluster", namespace: NS }, spec: { includedNamespaces: [APP] } } as unknown as UnstructuredItem);
    const backup = await eventually("the backup to finish", 120_000, async () => {
      const b = (await kube.get(GVR.backups, "in-cluster", NS)) as Backup | undefined;
      return b?.status?.phase && !["New", "Queued", "ReadyToStart", "InProgress", "Finalizing"].includes(b.status.phase) ? b : undefined;
    });
    expect(backup.status?.phase, readFileSync(log, "utf8").slice(-3000)).toBe("Completed");
    // the server's writes, under the field manager its User-Agent names (as Velero's Deployment's)
    expect((backup.metadata.managedFields ?? []).map((f) => f.manager)).toContain("velero-server");
    const entries = await readTarball(join(bucketRoot, "velero", "backups", "in-cluster", "in-cluster.tar.gz"));
    expect(JSON.parse(entries.get(`resources/configmaps/namespaces/${APP}/settings.json`)?.data ?? "{}")).toMatchObject({ data: { mode: "in-cluster" } });
    expect(readFileSync(log, "utf8")).not.toMatch(/forbidden/i);
    // the executable's baked-in Node options (scripts/build-plugins.ts VELERO_EXEC_ARGV: a 16 MiB
    // semi-space), as the server logs them at debug level; prom-client's heap gauges are served too
    expect(readFileSync(log, "utf8")).toMatch(/Node\.js runtime.*--max-semi-space-size=16/);
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(Number(/^nodejs_heap_space_size_total_bytes\{space="new"\} (\d+)/m.exec(metrics)?.[1])).toBeLessThanOrEqual(2 * 16 * 1024 * 1024);
  });
});

/** A TCP port free on 127.0.0.1 just now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
