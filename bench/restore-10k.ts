// Benchmark: restore the 10,000-object backup of the backup benchmark (ConfigMaps and Secrets
// across 20 namespaces) into an empty cluster through the real server (startServer, filesystem
// object store) against the real local API server, and compare with the limit: merely CREATE the
// same objects with a tight client loop (sequential, and with as many in flight as the restorer).
// Appends to bench/RESULTS.md. Needs VT_ENV_DIR (scripts/bench.sh starts an environment when missing).
import { appendFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { Backup, Restore, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { DEFAULT_ITEM_CONCURRENCY } from "../host/src/controllers/restore-controller.ts";
import { GVR } from "../host/src/kube/gvr.ts";
import { benchObjects, countBenchObjects, deleteNamespacesAndWait, formatPeerCpu, openBenchCluster, formatThreadCpu, peerCpuMs, pool, sleep, startFilesystemServer, startProfiler, threadCpuMs, waitTerminal } from "./cluster-common.ts";
import { benchCommand, loadAtStart, machineLine } from "./machine.ts";

const NAMESPACES = 20;
const PER_KIND = 250; // per namespace: 250 ConfigMaps + 250 Secrets → 10,000 objects
const SETUP_CONCURRENCY = 32;
const load = loadAtStart();

const { endpoints, kube, tag, namespaces } = await openBenchCluster("vt-rbench", NAMESPACES);
const velero = `vt-rbench-velero-${tag}`;
const objects = (): UnstructuredItem[] => benchObjects(namespaces, PER_KIND);
const gvrOf = (o: UnstructuredItem) => (o.kind === "ConfigMap" ? GVR.configMaps : GVR.secrets);
const createNamespaces = () => Promise.all(namespaces.map((ns) => kube.create(GVR.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } })));


process.stderr.write(`bench restore-10k: creating ${NAMESPACES * PER_KIND * 2} objects...\n`);
await kube.create(GVR.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: velero } });
await createNamespaces();
await pool(objects(), SETUP_CONCURRENCY, (o) => kube.create(gvrOf(o), o));

const { server, bucketRoot } = await startFilesystemServer(kube, velero, "vt-rbench-bucket-");

process.stderr.write("bench restore-10k: backing up...\n");
await kube.create(GVR.backups, {
  apiVersion: "velero.io/v1",
  kind: "Backup",
  metadata: { namespace: velero, name: "bench" },
  spec: { includedNamespaces: namespaces, includedResources: ["namespaces", "configmaps", "secrets"] },
} as unknown as UnstructuredItem);
const backup = await waitTerminal<Backup>(kube, GVR.backups, "bench", velero);
if (backup.status?.phase !== "Completed") throw new Error(`bench backup ended ${backup.status?.phase}`);

process.stderr.write("bench restore-10k: emptying the cluster...\n");
await deleteNamespacesAndWait(kube, namespaces);

process.stderr.write("bench restore-10k: restoring...\n");
const rssBefore = process.memoryUsage().rss;
let peakRss = rssBefore;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
const profiler = await startProfiler();
const cpu0 = process.cpuUsage();
const threads0 = threadCpuMs();
const peers0 = peerCpuMs(endpoints.pids);
const t0 = performance.now();
await kube.create(GVR.restores, { apiVersion: "velero.io/v1", kind: "Restore", metadata: { namespace: velero, name: "bench" }, spec: { backupName: "bench" } } as unknown as UnstructuredItem);
const restore = await waitTerminal<Restore>(kube, GVR.restores, "bench", velero);
const wallMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const threads = formatThreadCpu(threads0, threadCpuMs());
const peerCpu = formatPeerCpu(peers0, peerCpuMs(endpoints.pids));
await profiler?.stop();
clearInterval(sampler);
const restoredItems = restore.status?.progress?.itemsRestored ?? 0;
const present = await countBenchObjects(kube, namespaces);

// The limit: CREATE the same objects (and their namespaces) into an empty cluster with a tight loop.
process.stderr.write("bench restore-10k: measuring the CREATE limit...\n");
const limit = async (inFlight: number): Promise<number> => {
  await deleteNamespacesAndWait(kube, namespaces);
  const l0 = performance.now();
  await createNamespaces();
  await pool(objects(), inFlight, (o) => kube.create(gvrOf(o), o));
  return performance.now() - l0;
};
const limitSeqMs = await limit(1);
const limitParMs = await limit(DEFAULT_ITEM_CONCURRENCY);

// The Restore carries Velero's external-resources finalizer, which the running server removes on
// deletion: delete it first, or the namespace would stay Terminating.
await kube.delete(GVR.restores, "bench", velero);
for (let waited = 0; (await kube.get(GVR.restores, "bench", velero)) && waited < 60_000; waited += 500) await sleep(500);
await server.stop();
await Promise.all([...namespaces, velero].map((ns) => kube.delete(GVR.namespaces, ns)));
await rm(bucketRoot, { recursive: true, force: true });
await rm(`${bucketRoot}.server.log`, { force: true });
await kube.close();

const mib = (b: number) => (b / 1024 / 1024).toFixed(0);
const section = [
  `## restore: 10,000 ConfigMaps+Secrets (+${NAMESPACES} namespaces) into an empty cluster — ${new Date().toISOString()}`,
  "",
  `- machine: ${machineLine(load)}`,
  `- command: \`${benchCommand("restore")}\``,
  `- restore phase ${restore.status?.phase}, ${restoredItems} items restored (${present} ConfigMaps+Secrets present afterwards), errors ${restore.status?.errors ?? 0}, warnings ${restore.status?.warnings ?? 0}`,
  `- wall (create Restore CR → Completed, incl. download + extraction + upload of the restore files): ${(wallMs / 1000).toFixed(2)} s; ${(restoredItems / (wallMs / 1000)).toFixed(0)} items/s; restorer runs ${DEFAULT_ITEM_CONCURRENCY} items of a type in flight; CPU: this process ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms (${threads}), peers ${peerCpu}`,
  `- limit: tight CREATE loop of the same ${NAMESPACES * PER_KIND * 2} objects + namespaces: sequential ${(limitSeqMs / 1000).toFixed(2)} s; ${DEFAULT_ITEM_CONCURRENCY} in flight ${(limitParMs / 1000).toFixed(2)} s`,
  `- ratio to the limit: ${(wallMs / limitSeqMs).toFixed(2)}× the sequential loop, ${(wallMs / limitParMs).toFixed(2)}× the ${DEFAULT_ITEM_CONCURRENCY}-in-flight loop`,
  `- peak RSS of the bench process (server + restore) during the restore: ${mib(peakRss)} MiB (${mib(rssBefore)} MiB before it)`,
  "",
].join("\n");
appendFileSync(join(process.cwd(), "bench", "RESULTS.md"), "\n" + section);
process.stdout.write(section + "\n");
