// Shared setup for integration tests that run `velero server`'s composition root (startServer)
// against the REAL control plane with a velero.io/filesystem BackupStorageLocation in a temp dir:
// a connected KubeClient with Velero's CRDs, the temp dirs (bucket + plugin dir, optionally with
// the fixture plugin), namespaces, the server itself, polling for a Backup/Restore to end, bucket
// keys and tarballs, and cleanup.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import type { GroupVersionResource } from "../../host/src/kube/client.ts";
import { installCrds } from "../../host/src/kube/crds.ts";
import { GVR } from "../../host/src/kube/gvr.ts";
import { HttpKubeClient } from "../../host/src/kube/http-kube-client.ts";
import { loadKubeConfig } from "../../host/src/kube/kube-config.ts";
import { startServer, type RunningServer, type ServerOptions } from "../../host/src/server/server.ts";
import { createLogger, createSilentLogger } from "../../host/src/shared/logging.ts";
import { buildFixturePlugin } from "../plugin-protocol/helpers.ts";
import { loadEndpoints, type Endpoints } from "./endpoints.ts";
import { readVeleroTarball, type TarEntry } from "./velero-tarball.ts";

/** The bucket every suite's filesystem location uses. */
export const BUCKET = "velero";
/** Phases after which a Backup or Restore no longer changes. */
export const TERMINAL_PHASES = ["Completed", "PartiallyFailed", "Failed", "FailedValidation"];

/** Polls `probe` until it returns something other than undefined/false; the timeout error names `what` and the last probe error. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const v = await probe().catch((err: unknown) => {
      last = err;
      return undefined;
    });
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ""}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface VeleroTestEnv {
  endpoints: Endpoints;
  kube: HttpKubeClient;
  /** The temp dir holding everything below; removed by tearDownVelero. */
  root: string;
  /** The filesystem location's path (the bucket is `<bucketRoot>/<BUCKET>`). */
  bucketRoot: string;
  /** The server's plugin dir: empty, or holding the fixture plugin. */
  pluginDir: string;
}

/** Connects to the test cluster, installs Velero's CRDs and makes the temp dirs (`fixturePlugin`: link the built fixture plugin into the plugin dir). */
export async function setUpVeleroEnv(prefix: string, options: { fixturePlugin?: boolean; endpoints?: Endpoints } = {}): Promise<VeleroTestEnv> {
  const endpoints = options.endpoints ?? loadEndpoints();
  const kube = new HttpKubeClient(loadKubeConfig({ kubeconfig: endpoints.kubeconfig }));
  await installCrds(kube);
  const root = await mkdtemp(join(tmpdir(), prefix));
  const bucketRoot = join(root, "bucket");
  const pluginDir = join(root, "plugins");
  await mkdir(bucketRoot);
  await mkdir(pluginDir);
  if (options.fixturePlugin) await symlink(await buildFixturePlugin(), join(pluginDir, "velero-plugin-fixture"));
  return { endpoints, kube, root, bucketRoot, pluginDir };
}

export async function createNamespaces(kube: HttpKubeClient, names: string[]): Promise<void> {
  for (const name of names) await kube.create(GVR.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
}

/** A default velero.io/filesystem BackupStorageLocation named "default" in `namespace`, storing under `path`. */
export async function createFilesystemLocation(kube: HttpKubeClient, namespace: string, path: string, bucket = BUCKET): Promise<void> {
  await kube.create(GVR.backupStorageLocations, {
    apiVersion: "velero.io/v1",
    kind: "BackupStorageLocation",
    metadata: { namespace, name: "default" },
    spec: { provider: "velero.io/filesystem", config: { path }, objectStorage: { bucket }, default: true },
  } as unknown as UnstructuredItem);
}

/** Waits for the location "default" in `namespace` to be Available. */
export async function locationAvailable(kube: HttpKubeClient, namespace: string): Promise<void> {
  await eventually("the location to be Available", async () => ((await kube.get(GVR.backupStorageLocations, "default", namespace))?.status as { phase?: string })?.phase === "Available");
}

/**
 * Creates the filesystem location in `namespace` (which must exist; `restart`: an earlier server's
 * location is there already), starts the server there and waits for the location to be Available.
 * Debug logs go to stderr when the environment variable `logEnv` is "1".
 */
export async function startVeleroServer(
  env: VeleroTestEnv,
  namespace: string,
  options: { logEnv: string; backupSyncPeriod?: string; restart?: boolean } & Pick<ServerOptions, "itemBlockWorkerCount" | "itemOperationSyncFrequency" | "concurrency" | "objectStoreTimeout">,
): Promise<RunningServer> {
  if (!options.restart) await createFilesystemLocation(env.kube, namespace, env.bucketRoot);
  const server = await startServer({
    kube: env.kube,
    namespace,
    pluginDir: env.pluginDir,
    metricsAddress: "127.0.0.1:0",
    storeValidationFrequency: "1s",
    ...(options.backupSyncPeriod ? { backupSyncPeriod: options.backupSyncPeriod } : {}),
    ...(options.itemBlockWorkerCount !== undefined ? { itemBlockWorkerCount: options.itemBlockWorkerCount } : {}),
    ...(options.itemOperationSyncFrequency !== undefined ? { itemOperationSyncFrequency: options.itemOperationSyncFrequency } : {}),
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    ...(options.objectStoreTimeout !== undefined ? { objectStoreTimeout: options.objectStoreTimeout } : {}),
    logger: process.env[options.logEnv] === "1" ? createLogger({ level: "debug" }) : createSilentLogger(),
  });
  await locationAvailable(env.kube, namespace);
  return server;
}

/**
 * Creates a Backup or Restore (`kind`) and waits for it to reach a terminal phase; every phase seen
 * is appended once to `phases` when given.
 */
export async function runToEnd<T>(
  kube: HttpKubeClient,
  kind: "Backup" | "Restore",
  namespace: string,
  name: string,
  spec: unknown,
  options: { timeoutMs?: number; phases?: string[] } = {},
): Promise<T> {
  const gvr: GroupVersionResource = kind === "Backup" ? GVR.backups : GVR.restores;
  await kube.create(gvr, { apiVersion: "velero.io/v1", kind, metadata: { namespace, name }, spec } as unknown as UnstructuredItem);
  return eventually(
    `${kind.toLowerCase()} ${name} to finish`,
    async () => {
      const got = (await kube.get(gvr, name, namespace)) as unknown as { status?: { phase?: string } } | undefined;
      const phase = got?.status?.phase;
      if (phase && options.phases && !options.phases.includes(phase)) options.phases.push(phase);
      return got && TERMINAL_PHASES.includes(phase ?? "") ? (got as T) : undefined;
    },
    options.timeoutMs,
  );
}

export const backupDir = (bucketRoot: string, name: string): string => join(bucketRoot, BUCKET, "backups", name);
export const restoreDir = (bucketRoot: string, name: string): string => join(bucketRoot, BUCKET, "restores", name);
/** The sorted object keys stored for `backup` ([] when none). */
export function backupKeys(bucketRoot: string, backup: string): string[] {
  const dir = backupDir(bucketRoot, backup);
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}
export const backupTarball = (bucketRoot: string, backup: string): TarEntry[] => readVeleroTarball(readFileSync(join(backupDir(bucketRoot, backup), `${backup}.tar.gz`)));

/**
 * Stops the server, runs `afterStop`, deletes `namespaces` (errors ignored), closes the client and
 * removes the temp dir. Safe to call when setup failed part way.
 */
/**
 * Deletes every Restore in `namespace` while its server still runs (Restores carry Velero's
 * external-resources finalizer, which the running server removes after deleting their files) and
 * waits up to 30 s for them to go.
 */
export async function deleteRestoresWhileServing(kube: HttpKubeClient, namespace: string): Promise<void> {
  for (const r of (await kube.list(GVR.restores, { namespace }).catch(() => ({ items: [] as UnstructuredItem[] }))).items) {
    await kube.delete(GVR.restores, r.metadata.name, namespace).catch(() => undefined);
  }
  await eventually("the restores to be finalized", async () => (await kube.list(GVR.restores, { namespace })).items.length === 0, 30_000).catch(() => undefined);
}

/**
 * Drops the external-resources finalizer of every Restore in `namespace`, once its server is
 * stopped (the server removes it only while running): otherwise deleting the namespace leaves it
 * Terminating for good.
 */
export async function releaseRestores(kube: Pick<HttpKubeClient, "list" | "patch">, namespace: string): Promise<void> {
  const { items } = await kube.list(GVR.restores, { namespace }).catch(() => ({ items: [] as UnstructuredItem[] }));
  for (const r of items) {
    if (r.metadata.finalizers?.length) await kube.patch(GVR.restores, r.metadata.name, namespace, { metadata: { finalizers: null } }).catch(() => undefined);
  }
}

export async function tearDownVelero(
  env: VeleroTestEnv | undefined,
  server: RunningServer | undefined,
  namespaces: string[],
  afterStop?: (kube: HttpKubeClient) => Promise<void>,
): Promise<void> {
  await server?.stop();
  if (env && afterStop) await afterStop(env.kube);
  for (const ns of namespaces) {
    if (env) await releaseRestores(env.kube, ns);
    await env?.kube.delete(GVR.namespaces, ns).catch(() => undefined);
  }
  await env?.kube.close();
  if (env) await rm(env.root, { recursive: true, force: true });
}
