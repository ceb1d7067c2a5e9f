// Benchmark: back up 300 Secrets of 900 KiB each (Helm release Secrets reach 1 MiB; their data is
// base64 of compressed bytes, random here) across 3 namespaces through the real server (in this
// process, filesystem object store) against the real local API server. Reports wall, MiB/s, CPU by
// thread and the peak RSS above the idle server: what the server needs for large objects (a LIST
// page is sized by bytes, ADR 0007), against the 512Mi limit `velero install` gives its Deployment.
// Appends to bench/RESULTS.md. Needs VT_ENV_DIR (scripts/bench.sh starts one when missing).
import { randomBytes } from "node:crypto";
import { appendFileSync, statSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { Backup, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { GVR } from "../host/src/kube/gvr.ts";
import { deleteNamespacesAndWait, formatPeerCpu, formatThreadCpu, openBenchCluster, peerCpuMs, pool, sleep, startFilesystemServer, threadCpuMs, waitTerminal } from "./cluster-common.ts";
import { benchCommand, loadAtStart, machineLine } from "./machine.ts";

const NAMESPACES = 3;
const PER_NAMESPACE = 100;
const SECRET_BYTES = 900 * 1024;
const RUNS = 2;

const { endpoints, kube, tag, namespaces } = await openBenchCluster("vt-large", NAMESPACES);
const velero = `vt-large-velero-${tag}`;
process.stderr.write(`bench backup-large: creating ${NAMESPACES * PER_NAMESPACE} Secrets of ${SECRET_BYTES / 1024} KiB...\n`);
for (const ns of [...namespaces, velero]) await kube.create(GVR.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
const secrets = namespaces.flatMap((ns) => Array.from({ length: PER_NAMESPACE }, (_, i) => ({ ns, i })));
await pool(secrets, 8, ({ ns, i }) =>
  kube.create(GVR.secrets, { apiVersion: "v1", kind: "Secret", metadata: { name: `sh.helm.release.v1.app-${i}.v1`, namespace: ns }, type: "helm.sh/release.v1", data: { release: randomBytes((SECRET_BYTES * 3) / 4).toString("base64") } } as unknown as UnstructuredItem),
);
const { server, bucketRoot } = await startFilesystemServer(kube, velero, "vt-large-bucket-");
// a full GC before the idle RSS is read (gc from a new context once the flag is set, as frames/reclaim.ts does)
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
gc();
await sleep(500);
gc();
const idleRss = process.memoryUsage().rss;
let peakRss = idleRss;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 10);
const load = loadAtStart();

const runs = [];
for (let run = 1; run <= RUNS; run++) {
  const name = `large-${run}`;
  process.stderr.write(`bench backup-large: backing up (${name})...\n`);
  const threads0 = threadCpuMs();
  const peers0 = peerCpuMs(endpoints.pids);
  const t0 = performance.now();
  await kube.create(GVR.backups, { apiVersion: "velero.io/v1", kind: "Backup", metadata: { namespace: velero, name }, spec: { includedNamespaces: namespaces, includedResources: ["secrets"] } } as unknown as UnstructuredItem);
  const backup = await waitTerminal<Backup>(kube, GVR.backups, name, velero);
  const wallMs = performance.now() - t0;
  const tarBytes = statSync(join(bucketRoot, "velero", "backups", name, `${name}.tar.gz`)).size;
  runs.push({ name, backup, wallMs, tarBytes, threads: formatThreadCpu(threads0, threadCpuMs()), peers: formatPeerCpu(peers0, peerCpuMs(endpoints.pids)) });
}
clearInterval(sampler);
await server.stop();
await deleteNamespacesAndWait(kube, [...namespaces, velero]);
await rm(bucketRoot, { recursive: true, force: true });
await rm(`${bucketRoot}.server.log`, { force: true });
await kube.close();

const mib = (b: number): string => (b / 1024 / 1024).toFixed(0);
// the RSS figures are from this process, which is the server: the bench's own work (creating the Secrets) came before the idle reading
const dataMiB = (NAMESPACES * PER_NAMESPACE * SECRET_BYTES) / 1024 / 1024;
const section = [
  `## backup-large: ${NAMESPACES * PER_NAMESPACE} Secrets of ${SECRET_BYTES / 1024} KiB (base64 of random bytes, as Helm release data) across ${NAMESPACES} namespaces — ${new Date().toISOString()}`,
  "",
  `- machine: ${machineLine(load)}`,
  `- command: \`${benchCommand("large")}\``,
  ...runs.map((r) => `- ${r.name}: phase ${r.backup.status?.phase}, ${r.backup.status?.progress?.itemsBackedUp ?? 0} items, wall (create Backup CR → Completed) ${(r.wallMs / 1000).toFixed(2)} s, ${(dataMiB / (r.wallMs / 1000)).toFixed(0)} MiB/s of Secret data, tarball ${mib(r.tarBytes)} MiB; CPU: ${r.threads}; peers ${r.peers}`),
  `- peak RSS of this process (the server) during the backups: ${mib(peakRss)} MiB, ${mib(peakRss - idleRss)} MiB above the idle server (${mib(idleRss)} MiB, after creating the Secrets and a GC)`,
  "",
].join("\n");
appendFileSync(join(process.cwd(), "bench", "RESULTS.md"), "\n" + section);
process.stdout.write(section + "\n");
