// Benchmark: the memory of `velero server` run as its own process, as a Deployment runs it, in a
// memory cgroup with the limit `velero install` gives the Deployment (512 MiB; Node then sizes its
// heap to it): peak RSS idle, during two backups of the backup benchmark's objects and during
// their restore into the emptied cluster, with the cgroup's OOM kills. Without a memory cgroup it
// can create (not root, no memory controller) it runs the server unconstrained and says so.
// No target: a figure for users and a guard against memory growing with the number of items.
// VT_BENCH_PER_KIND (default 250: 10,000 objects) sets the ConfigMaps and Secrets per namespace.
// Appends to bench/RESULTS.md. Needs VT_ENV_DIR (scripts/bench.sh starts one when missing).
import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import { GVR } from "../host/src/kube/gvr.ts";
import { releaseRestores } from "../test/helpers/velero-server.ts";
import { countBenchObjects, createBenchObjects, createFilesystemLocation, deleteNamespacesAndWait, openBenchCluster, sleep, waitNamespacesSettled, waitTerminal } from "./cluster-common.ts";
import { benchCommand, loadAtStart, machineLine } from "./machine.ts";
import { peakRss } from "./stats.ts";

const LIMIT_BYTES = 512 * 1024 * 1024;
const PER_KIND = Number(process.env["VT_BENCH_PER_KIND"] ?? 250);
const MiB = 1024 * 1024;

/** A memory cgroup limited to LIMIT_BYTES (v1, or v2 with the memory controller), or why there is none. */
function makeCgroup(name: string): { dir: string; v: 1 | 2 } | { reason: string } {
  try {
    if (existsSync("/sys/fs/cgroup/memory/memory.limit_in_bytes")) {
      const dir = `/sys/fs/cgroup/memory/${name}`;
      mkdirSync(dir);
      writeFileSync(join(dir, "memory.limit_in_bytes"), String(LIMIT_BYTES));
      return { dir, v: 1 };
    }
    if (readFileSync("/sys/fs/cgroup/cgroup.controllers", "utf8").split(/\s+/).includes("memory")) {
      writeFileSync("/sys/fs/cgroup/cgroup.subtree_control", "+memory");
      const dir = `/sys/fs/cgroup/${name}`;
      mkdirSync(dir);
      writeFileSync(join(dir, "memory.max"), String(LIMIT_BYTES));
      return { dir, v: 2 };
    }
    return { reason: "no memory cgroup controller here" };
  } catch (err) {
    return { reason: `cannot create a memory cgroup (${(err as Error).message})` };
  }
}

/** OOM kills in the cgroup so far. */
function oomKills(cg: { dir: string; v: 1 | 2 }): number {
  const file = cg.v === 1 ? join(cg.dir, "memory.oom_control") : join(cg.dir, "memory.events");
  return Number(/^oom_kill (\d+)/m.exec(readFileSync(file, "utf8"))?.[1] ?? 0);
}

const { endpoints, kube, tag, namespaces } = await openBenchCluster("vt-bench-mem", 20);
const velero = `vt-bench-mem-velero-${tag}`;
const objectCount = namespaces.length * PER_KIND * 2;
process.stderr.write(`bench server-memory: creating ${objectCount} objects...\n`);
await createBenchObjects(kube, namespaces, PER_KIND);
await kube.create(GVR.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: velero } });
const bucketRoot = await createFilesystemLocation(kube, velero, "vt-bench-mem-");

const cg = makeCgroup(`velero-ts-bench-${tag}`);
const argv = [join(process.cwd(), "host", "dist", "main.js"), "server", "--namespace", velero, "--kubeconfig", endpoints.kubeconfig, "--plugin-dir", join(bucketRoot, "none"), "--metrics-address", "127.0.0.1:0"];
// The server's log (info, text) goes to a file, as a Deployment's goes to its container's log.
const logFile = `${bucketRoot}.server.log`;
const server: ChildProcess =
  "dir" in cg
    ? spawn("sh", ["-c", `echo $$ > ${cg.dir}/cgroup.procs && exec "$0" "$@" >>"${logFile}" 2>&1`, process.execPath, ...argv], { stdio: "ignore" })
    : spawn("sh", ["-c", `exec "$0" "$@" >>"${logFile}" 2>&1`, process.execPath, ...argv], { stdio: "ignore" });
let exited: string | undefined;
server.once("exit", (code, signal) => (exited = `exited (code ${code}, signal ${signal})`));
// A bench that fails half-way leaves no server behind.
process.once("exit", () => {
  if (!exited) server.kill("SIGKILL");
});

/** The server's RSS in MiB (0 once it is gone). */
const rssMiB = (): number => {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
};
function checkRunning(): void {
  if (exited) throw new Error(`bench server-memory: the server ${exited}; see ${logFile}`);
}

for (;;) {
  checkRunning();
  const bsl = await kube.get(GVR.backupStorageLocations, "default", velero);
  if ((bsl?.status as { phase?: string } | undefined)?.phase === "Available") break;
  await sleep(200);
}
await waitNamespacesSettled(kube);
const load = loadAtStart();
await sleep(2000);
const idle = rssMiB();

const backups: { name: string; phase: string; items: number; seconds: number; peak: number }[] = [];
for (const name of ["first", "second"]) {
  const t0 = performance.now();
  const { result, peak } = await peakRss(async () => {
    await kube.create(GVR.backups, { apiVersion: "velero.io/v1", kind: "Backup", metadata: { namespace: velero, name }, spec: { includedNamespaces: namespaces, includedResources: ["configmaps", "secrets"] } } as unknown as UnstructuredItem);
    return waitTerminal<{ status?: { phase?: string; progress?: { itemsBackedUp?: number } } }>(kube, GVR.backups, name, velero);
  }, rssMiB, 100);
  checkRunning();
  backups.push({ name, phase: result.status?.phase ?? "", items: result.status?.progress?.itemsBackedUp ?? 0, seconds: (performance.now() - t0) / 1000, peak });
}

process.stderr.write("bench server-memory: deleting the objects before the restore...\n");
await deleteNamespacesAndWait(kube, namespaces);
const t1 = performance.now();
const restored = await peakRss(async () => {
  await kube.create(GVR.restores, { apiVersion: "velero.io/v1", kind: "Restore", metadata: { namespace: velero, name: "restore" }, spec: { backupName: "second" } } as unknown as UnstructuredItem);
  return waitTerminal<{ status?: { phase?: string; progress?: { itemsRestored?: number } } }>(kube, GVR.restores, "restore", velero);
}, rssMiB, 100);
const restoreSeconds = (performance.now() - t1) / 1000;
checkRunning();
const present = await countBenchObjects(kube, namespaces);
const kills = "dir" in cg ? oomKills(cg) : 0;

server.kill("SIGTERM");
await new Promise((resolve) => (exited ? resolve(undefined) : server.once("exit", resolve)));
if ("dir" in cg) rmdirSync(cg.dir);
// The stopped server can no longer take Velero's finalizer off its Restore: without this its
// namespace stayed Terminating, and every later benchmark waited three minutes for it.
await releaseRestores(kube, velero);
for (const ns of [...namespaces, velero]) await kube.delete(GVR.namespaces, ns).catch(() => undefined);
await waitNamespacesSettled(kube);
await rm(bucketRoot, { recursive: true, force: true });
await rm(logFile, { force: true });
await kube.close();

const where = "dir" in cg ? `in a cgroup-v${cg.v} memory cgroup limited to ${LIMIT_BYTES / MiB} MiB (the limit \`velero install\` gives the Deployment); OOM kills in it: ${kills}` : `with no memory limit: ${cg.reason}`;
const section = [
  `## server-memory: \`velero server\` as its own process, ${objectCount} ConfigMaps+Secrets backed up twice and restored — ${new Date().toISOString()}`,
  "",
  `- machine: ${machineLine(load)}`,
  `- command: \`${benchCommand("server-memory")}\``,
  `- the server ran ${where}; RSS sampled every 100 ms from /proc`,
  `- idle (location Available): ${idle.toFixed(0)} MiB`,
  ...backups.map((b) => `- backup ${b.name}: phase ${b.phase}, ${b.items} items, ${b.seconds.toFixed(1)} s; peak RSS ${b.peak.toFixed(0)} MiB`),
  `- restore of the second backup into the emptied cluster: phase ${restored.result.status?.phase}, ${restored.result.status?.progress?.itemsRestored ?? 0} items (${present} of the ${objectCount} objects present afterwards), ${restoreSeconds.toFixed(1)} s; peak RSS ${restored.peak.toFixed(0)} MiB`,
  "",
].join("\n");
appendFileSync(join(process.cwd(), "bench", "RESULTS.md"), "\n" + section);
process.stdout.write(section + "\n");
