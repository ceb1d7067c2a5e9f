// Shared setup of the 10k-object benchmarks: the cluster and its objects, a bounded-concurrency
// pool, the real server with a filesystem BackupStorageLocation (waited until Available), polling a
// Backup/Restore to its end, the LIST limit, and CPU accounting.
import { randomBytes } from "node:crypto";
import { createWriteStream, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import type { KubeClient } from "../host/src/kube/client.ts";
import { installCrds } from "../host/src/kube/crds.ts";
import { GVR } from "../host/src/kube/gvr.ts";
import { TarballWriter } from "../host/src/backup/tar-writer.ts";
import { createKubeClient, type HttpKubeClient } from "../host/src/kube/http-kube-client.ts";
import { startServer } from "../host/src/server/server.ts";
import { createLogger } from "../host/src/shared/logging.ts";
import { loadEndpoints, type Endpoints } from "../test/helpers/endpoints.ts";

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

/** The benchmarks' 10,000 objects: per namespace 250 ConfigMaps and 250 Secrets with a 512-byte value each. */
export function benchObjects(namespaces: string[], perKind = 250): UnstructuredItem[] {
  const payload = "x".repeat(512);
  const out: UnstructuredItem[] = [];
  for (const ns of namespaces) {
    for (let j = 0; j < perKind; j++) {
      out.push({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `cm-${j}`, namespace: ns }, data: { v: payload } } as UnstructuredItem);
      out.push({ apiVersion: "v1", kind: "Secret", metadata: { name: `s-${j}`, namespace: ns }, data: { v: Buffer.from(payload).toString("base64") } } as UnstructuredItem);
    }
  }
  return out;
}

/**
 * The benchmarks' cluster: a client on the test environment, Velero's CRDs installed, no earlier
 * benchmark namespace still Terminating, and `count` namespace names under a fresh tag
 * (`<prefix>-00-<tag>`...).
 */
export async function openBenchCluster(prefix: string, count = 20): Promise<{ endpoints: Endpoints; kube: HttpKubeClient; tag: string; namespaces: string[] }> {
  const endpoints = loadEndpoints();
  const kube = createKubeClient({ kubeconfig: endpoints.kubeconfig });
  await installCrds(kube);
  await waitNamespacesSettled(kube);
  const tag = randomBytes(3).toString("hex");
  return { endpoints, kube, tag, namespaces: Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(2, "0")}-${tag}`) };
}

/** Deletes the namespaces and waits until the namespace controller has removed them. */
export async function deleteNamespacesAndWait(kube: KubeClient, namespaces: string[]): Promise<void> {
  await Promise.all(namespaces.map((ns) => kube.delete(GVR.namespaces, ns)));
  for (;;) {
    const left = (await kube.list(GVR.namespaces)).items.filter((n) => namespaces.includes(n.metadata.name));
    if (left.length === 0) return;
    await sleep(500);
  }
}

/** The ConfigMaps and Secrets in the namespaces, but each namespace's own kube-root-ca.crt. */
export async function countBenchObjects(kube: KubeClient, namespaces: string[]): Promise<number> {
  let n = 0;
  for (const ns of namespaces) {
    for (const gvr of [GVR.configMaps, GVR.secrets]) n += (await kube.list(gvr, { namespace: ns })).items.filter((o) => o.metadata.name !== "kube-root-ca.crt").length;
  }
  return n;
}

/**
 * The LIST half of the backup benchmarks' limit: every ConfigMap and Secret of the namespaces,
 * one LIST per namespace and kind, timed three times; the fastest run (the strictest limit) with
 * the CPU it took here and in the peers.
 */
export async function fastestList(kube: KubeClient, namespaces: string[], pids: Record<string, number>): Promise<{ ms: number; listed: number; cpuMs: number; peerCpu: string }> {
  let best = { ms: Infinity, listed: 0, cpuMs: 0, peerCpu: "" };
  for (let run = 0; run < 3; run++) {
    const cpu0 = process.cpuUsage();
    const peers0 = peerCpuMs(pids);
    const t0 = performance.now();
    let listed = 0;
    for (const ns of namespaces) {
      for (const gvr of [GVR.configMaps, GVR.secrets]) listed += (await kube.list(gvr, { namespace: ns })).items.length;
    }
    const ms = performance.now() - t0;
    if (ms < best.ms) {
      const c = process.cpuUsage(cpu0);
      best = { ms, listed, cpuMs: (c.user + c.system) / 1000, peerCpu: formatPeerCpu(peers0, peerCpuMs(pids)) };
    }
  }
  return best;
}

/** Creates the namespaces, then the objects of benchObjects (32 requests in flight). */
export async function createBenchObjects(kube: KubeClient, namespaces: string[], perKind = 250): Promise<void> {
  for (const ns of namespaces) await kube.create(GVR.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  await pool(benchObjects(namespaces, perKind), 32, (o) => kube.create(o.kind === "ConfigMap" ? GVR.configMaps : GVR.secrets, o));
}

/**
 * CPU in ms used so far by process `root` and every live process below it (utime + stime, plus
 * cutime + cstime: what their exited and reaped children used), from /proc.
 */
export function processTreeCpuMs(root: number): number {
  const procs = new Map<number, { ppid: number; ms: number }>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      procs.set(Number(entry), { ppid: Number(f[1]), ms: ((Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 1000) / 100 });
    } catch {
      // the process ended while being read
    }
  }
  let total = 0;
  for (const [pid, p] of procs) {
    for (let cur: number | undefined = pid; cur !== undefined && cur > 1; cur = procs.get(cur)?.ppid) {
      if (cur === root) {
        total += p.ms;
        break;
      }
    }
  }
  return total;
}

/** CPU in ms used so far by each thread of this process, by thread id, with the thread's name (/proc/self/task). */
export function threadCpuMs(): Map<string, { name: string; ms: number }> {
  const out = new Map<string, { name: string; ms: number }>();
  for (const tid of readdirSync("/proc/self/task")) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.set(tid, { name: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")), ms: ((Number(f[11]) + Number(f[12])) * 1000) / 100 });
    } catch {
      // the thread ended while being read
    }
  }
  return out;
}

/** "main thread 400 ms, V8 workers 190 ms, libuv pool 180 ms" between two threadCpuMs samples (threads grouped by name). */
export function formatThreadCpu(before: Map<string, { name: string; ms: number }>, after: Map<string, { name: string; ms: number }>): string {
  const labels: Record<string, string> = { MainThread: "main thread", V8Worker: "V8 workers (GC, compiler)", "libuv-worker": "libuv pool (zlib, fs)" };
  const byName = new Map<string, number>();
  for (const [tid, t] of after) {
    const label = labels[t.name] ?? (tid === String(process.pid) ? "main thread" : t.name);
    byName.set(label, (byName.get(label) ?? 0) + t.ms - (before.get(tid)?.ms ?? 0));
  }
  return [...byName].filter(([, ms]) => ms >= 5).map(([name, ms]) => `${name} ${ms.toFixed(0)} ms`).join(", ") || "none";
}

/**
 * Starts the server in namespace `velero` with a default filesystem BSL under a fresh temp dir
 * (its log in `<bucketRoot>.server.log`); resolves once the BSL is Available.
 */
/** The default BackupStorageLocation of namespace `velero`: a filesystem store in a new temp dir (returned). */
export async function createFilesystemLocation(kube: KubeClient, velero: string, bucketPrefix: string): Promise<string> {
  const bucketRoot = await mkdtemp(join(tmpdir(), bucketPrefix));
  await kube.create(GVR.backupStorageLocations, {
    apiVersion: "velero.io/v1",
    kind: "BackupStorageLocation",
    metadata: { namespace: velero, name: "default" },
    spec: { provider: "velero.io/filesystem", config: { path: bucketRoot }, objectStorage: { bucket: "velero" }, default: true },
  } as unknown as UnstructuredItem);
  return bucketRoot;
}

export async function startFilesystemServer(
  kube: KubeClient,
  velero: string,
  bucketPrefix: string,
  /** The client the server uses (default: kube, the bench's own). */
  serverKube: KubeClient = kube,
): Promise<{ server: Awaited<ReturnType<typeof startServer>>; bucketRoot: string }> {
  const bucketRoot = await createFilesystemLocation(kube, velero, bucketPrefix);
  // A server logs as a deployed one does (info, text; every backup log line too), to a file.
  const logger = createLogger({ level: "info", destination: createWriteStream(`${bucketRoot}.server.log`), batch: true });
  const server = await startServer({ kube: serverKube, namespace: velero, pluginDir: join(bucketRoot, "none"), metricsAddress: "127.0.0.1:0", logger, storeValidationFrequency: "1m" });
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
 * a .cpuprofile there (open in Chrome DevTools); with VT_BENCH_HEAP_PROFILE=<file>, samples its
 * allocations (every 32 KiB on average, garbage included) and writes a .heapprofile; otherwise
 * returns undefined.
 */
export async function startProfiler(): Promise<{ stop(): Promise<void> } | undefined> {
  const cpuFile = process.env["VT_BENCH_CPU_PROFILE"];
  const heapFile = process.env["VT_BENCH_HEAP_PROFILE"];
  if (!cpuFile && !heapFile) return undefined;
  const session = new Session();
  session.connect();
  if (cpuFile) {
    await session.post("Profiler.enable");
    await session.post("Profiler.setSamplingInterval", { interval: 200 });
    await session.post("Profiler.start");
  }
  if (heapFile) {
    await session.post("HeapProfiler.enable");
    await session.post("HeapProfiler.startSampling", { samplingInterval: 32 * 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  }
  return {
    async stop() {
      if (cpuFile) {
        const { profile } = await session.post("Profiler.stop");
        await writeFile(cpuFile, JSON.stringify(profile));
        process.stderr.write(`bench: CPU profile written to ${cpuFile}\n`);
      }
      if (heapFile) {
        const { profile } = await session.post("HeapProfiler.stopSampling");
        await writeFile(heapFile, JSON.stringify(profile));
        process.stderr.write(`bench: allocation profile written to ${heapFile}\n`);
      }
      session.disconnect();
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

/**
 * The least work any backup of the bench objects in Velero's format must do in Node, with none of
 * a backup's logic (filters, actions, logs, status, Go-compatible JSON): LIST each namespace's
 * ConfigMaps and Secrets with the next LIST in flight, JSON.stringify each item, append it twice
 * (plain and preferred-version paths, as Velero writes it) with the backup engine's TarballWriter
 * (gzip on the thread pool), close the file. Fastest of 3.
 */
export async function bareBackupFloor(kube: KubeClient, namespaces: string[], dir: string): Promise<{ ms: number; cpuMs: number; threads: string }> {
  let best = { ms: Infinity, cpuMs: 0, threads: "" };
  const jobs = namespaces.flatMap((ns) => [GVR.configMaps, GVR.secrets].map((gvr) => ({ ns, gvr })));
  for (let run = 0; run < 3; run++) {
    const cpu0 = process.cpuUsage();
    const threads0 = threadCpuMs();
    const t0 = performance.now();
    const tarball = new TarballWriter(join(dir, `floor-${run}.tar.gz`));
    let next = kube.list(jobs[0]!.gvr, { namespace: jobs[0]!.ns });
    for (let i = 0; i < jobs.length; i++) {
      const { ns, gvr } = jobs[i]!;
      const page = await next;
      if (i + 1 < jobs.length) next = kube.list(jobs[i + 1]!.gvr, { namespace: jobs[i + 1]!.ns });
      for (const item of page.items) {
        const paths = [`resources/${gvr.resource}/namespaces/${ns}/${item.metadata.name}.json`, `resources/${gvr.resource}/v1-preferredversion/namespaces/${ns}/${item.metadata.name}.json`];
        const wait = tarball.appendCopies(paths, JSON.stringify(item));
        if (wait) await wait;
      }
    }
    await tarball.close();
    const ms = performance.now() - t0;
    if (ms < best.ms) {
      const c = process.cpuUsage(cpu0);
      best = { ms, cpuMs: (c.user + c.system) / 1000, threads: formatThreadCpu(threads0, threadCpuMs()) };
    }
  }
  return best;
}
