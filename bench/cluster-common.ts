// Shared setup of the 10k-object benchmarks: a bounded-concurrency pool, the real server with a
// filesystem BackupStorageLocation (waited until Available), and polling a Backup/Restore to its end.
import { readFileSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
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
  const server = await startServer({ kube, namespace: velero, pluginDir: join(bucketRoot, "none"), metricsAddress: "127.0.0.1:0", logger: createSilentLogger(), storeValidationFrequency: "1m" });
  for (;;) {
    const bsl = await kube.get(GVR.backupStorageLocations, "default", velero);
    if ((bsl?.status as { phase?: string } | undefined)?.phase === "Available") break;
    await sleep(100);
  }
  return { server, bucketRoot };
}

/** Polls a Backup or Restore until its phase is terminal. */
export async function waitTerminal<T extends { status?: { phase?: string } }>(kube: KubeClient, gvr: typeof GVR.backups, name: string, velero: string): Promise<T> {
  // A watch instead of polling: the bench must not add its own load to the API server it measures.
  const terminal = (o: T | undefined): boolean => ["Completed", "PartiallyFailed", "Failed", "FailedValidation"].includes(o?.status?.phase ?? "");
  for (;;) {
    const list = await kube.list(gvr, { namespace: velero, fieldSelector: `metadata.name=${name}` });
    const current = list.items[0] as unknown as T | undefined;
    if (terminal(current)) return current as T;
    let found: T | undefined;
    let handle: { stop(): void; done: Promise<void> } | undefined = undefined;
    handle = await kube.watch(gvr, { namespace: velero, fieldSelector: `metadata.name=${name}`, resourceVersion: list.resourceVersion }, (event) => {
      const o = event.object as unknown as T;
      if (!found && terminal(o)) {
        found = o;
        handle?.stop();
      }
    });
    if (found) handle.stop();
    await handle.done.catch(() => undefined);
    if (found) return found;
  }
}

/**
 * With VT_BENCH_CPU_PROFILE=<file>, profiles this process's CPU between start and stop and writes
 * a .cpuprofile there (open in Chrome DevTools); otherwise returns undefined.
 */
export async function startProfiler(): Promise<{ stop(): Promise<void> } | undefined> {
  const file = process.env["VT_BENCH_CPU_PROFILE"];
  if (!file) return undefined;
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 200 });
  await session.post("Profiler.start");
  return {
    async stop() {
      const { profile } = await session.post("Profiler.stop");
      await writeFile(file, JSON.stringify(profile));
      session.disconnect();
      process.stderr.write(`bench: CPU profile written to ${file}\n`);
    },
  };
}

/**
 * Waits (up to `timeoutMs`) until no namespace is Terminating: the namespace controller deleting
 * a previous run's 10,000 objects would otherwise compete with the run being measured.
 */
export async function waitNamespacesSettled(kube: KubeClient, timeoutMs = 180_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // Only the benchmarks' own namespaces: another suite's namespace stuck on a finalizer costs no CPU.
    const terminating = (await kube.list(GVR.namespaces)).items.filter(
      (n) => n.metadata.name.startsWith("vt-bench-") && (n.status as { phase?: string } | undefined)?.phase === "Terminating",
    ).length;
    if (terminating === 0 || Date.now() > deadline) return terminating;
    process.stderr.write(`bench: waiting for ${terminating} Terminating namespace(s) to go away...\n`);
    await sleep(2000);
  }
}

/** utime+stime in ms of the given processes (from /proc/<pid>/stat; a vanished process counts 0). */
export function peerCpuMs(pids: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out[name] = ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks (USER_HZ 100)
    } catch {
      out[name] = 0;
    }
  }
  return out;
}

/** Busy and total CPU time of the whole machine so far in ms (/proc/stat: every process, this one and the peers included). */
export function machineCpuMs(): { busy: number; total: number } {
  const fields = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "").trim().split(/\s+/).slice(1).map(Number);
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: ((total - idle) * 1000) / 100, total: (total * 1000) / 100 };
}

/** Total ms of a peerCpuMs difference. */
export function peerCpuTotal(before: Record<string, number>, after: Record<string, number>): number {
  return Object.keys(after).reduce((sum, k) => sum + (after[k] ?? 0) - (before[k] ?? 0), 0);
}

/** "kube-apiserver 410 ms, etcd 35 ms, ..." for the processes that used at least 5 ms between two peerCpuMs samples. */
export function formatPeerCpu(before: Record<string, number>, after: Record<string, number>): string {
  return Object.keys(after)
    .map((k) => [k, (after[k] ?? 0) - (before[k] ?? 0)] as const)
    .filter(([, ms]) => ms >= 5)
    .sort((a, b) => b[1] - a[1])
    .map(([k, ms]) => `${k} ${ms.toFixed(0)} ms`)
    .join(", ") || "none";
}
