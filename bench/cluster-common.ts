// Shared setup of the 10k-object benchmarks: a bounded-concurrency pool, the real server with a
// filesystem BackupStorageLocation (waited until Available), and polling a Backup/Restore to its end.
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import type { KubeClient } from "../host/src/kube/client.ts";
import { GVR } from "../host/src/kube/gvr.ts";
import { startServer } from "../host/src/server/server.ts";
import { createSilentLogger } from "../host/src/shared/logging.ts";

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs fn over items with at most n in flight. */
export async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<unknown>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (i < items.length) await fn(items[i++] as T);
    }),
  );
}

/** Starts the server in namespace `velero` with a default filesystem BSL under a fresh temp dir; resolves once the BSL is Available. */
export async function startFilesystemServer(
  kube: KubeClient,
  velero: string,
  bucketPrefix: string,
): Promise<{ server: Awaited<ReturnType<typeof startServer>>; bucketRoot: string }> {
  const bucketRoot = await mkdtemp(join(tmpdir(), bucketPrefix));
  await kube.create(GVR.backupStorageLocations, {
    apiVersion: "velero.io/v1",
    kind: "BackupStorageLocation",
    metadata: { namespace: velero, name: "default" },
    spec: { provider: "velero.io/filesystem", config: { path: bucketRoot }, objectStorage: { bucket: "velero" }, default: true },
  } as unknown as UnstructuredItem);
  const server = await startServer({ kube, namespace: velero, pluginDir: join(bucketRoot, "none"), metricsAddress: "127.0.0.1:0", logger: createSilentLogger(), storeValidationFrequency: "1s" });
  for (;;) {
    const bsl = await kube.get(GVR.backupStorageLocations, "default", velero);
    if ((bsl?.status as { phase?: string } | undefined)?.phase === "Available") break;
    await sleep(100);
  }
  return { server, bucketRoot };
}

/** Polls a Backup or Restore until its phase is terminal. */
export async function waitTerminal<T extends { status?: { phase?: string } }>(kube: KubeClient, gvr: typeof GVR.backups, name: string, velero: string): Promise<T> {
  for (;;) {
    const o = (await kube.get(gvr, name, velero)) as unknown as T;
    if (["Completed", "PartiallyFailed", "Failed", "FailedValidation"].includes(o?.status?.phase ?? "")) return o;
    await sleep(50);
  }
}
