// Benchmark: the latency of small backups, where a backup's fixed costs show: one namespace of 20
// ConfigMaps and 20 Secrets backed up whole (every resource type, as `velero backup create
// --include-namespaces app` does) through the real server (in this process, filesystem object
// store) against the real local API server, 3 warm-up backups then 20 timed ones, one at a time.
// Reports the walls (create Backup CR → Completed) and the server's requests per backup. No
// target: a regression guard and a figure for users. Appends to bench/RESULTS.md.
// Needs VT_ENV_DIR (scripts/bench.sh starts one when missing).
import { subscribe } from "node:diagnostics_channel";
import { appendFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { Backup, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { GVR } from "../host/src/kube/gvr.ts";
import { benchObjects, deleteNamespacesAndWait, openBenchCluster, pool, startFilesystemServer, waitTerminal } from "./cluster-common.ts";
import { median } from "./stats.ts";
import { benchCommand, loadAtStart, machineLine } from "./machine.ts";

const WARM_UP = 3;
const RUNS = 20;
const PER_KIND = 20;

const { kube, tag, namespaces } = await openBenchCluster("vt-small", 1);
const app = namespaces[0] as string;
const velero = `vt-small-velero-${tag}`;
for (const ns of [app, velero]) await kube.create(GVR.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
await pool(benchObjects([app], PER_KIND), 8, (o) => kube.create(o.kind === "ConfigMap" ? GVR.configMaps : GVR.secrets, o));
const { server, bucketRoot } = await startFilesystemServer(kube, velero, "vt-small-bucket-");
const load = loadAtStart();

// Every request this process sends while a backup runs (the bench's own watch included: one).
let requests: string[] | undefined;
subscribe("undici:request:create", (message) => {
  const request = (message as { request: { method: string; path: string } }).request;
  requests?.push(`${request.method} ${request.path}`);
});

const runs: { wallMs: number; requests: number; lists: number; items: number }[] = [];
for (let run = 0; run < WARM_UP + RUNS; run++) {
  const name = `small-${run}`;
  requests = [];
  const t0 = performance.now();
  await kube.create(GVR.backups, { apiVersion: "velero.io/v1", kind: "Backup", metadata: { namespace: velero, name }, spec: { includedNamespaces: [app] } } as unknown as UnstructuredItem);
  const backup = await waitTerminal<Backup>(kube, GVR.backups, name, velero);
  const wallMs = performance.now() - t0;
  const seen = requests;
  requests = undefined;
  if (backup.status?.phase !== "Completed") throw new Error(`backup ${name} ended ${backup.status?.phase}`);
  const lists = seen.filter((r) => r.startsWith("GET ") && r.includes(`/namespaces/${app}/`) && !/[?&]watch=/.test(r)).length;
  if (run >= WARM_UP) runs.push({ wallMs, requests: seen.length, lists, items: backup.status?.progress?.itemsBackedUp ?? 0 });
}
await server.stop();
await deleteNamespacesAndWait(kube, [app, velero]);
await rm(bucketRoot, { recursive: true, force: true });
await rm(`${bucketRoot}.server.log`, { force: true });
await kube.close();

const walls = runs.map((r) => r.wallMs).sort((a, b) => a - b);
const ms = (v: number | undefined): string => `${(v ?? NaN).toFixed(0)} ms`;
const section = [
  `## backup-small: one namespace of ${PER_KIND} ConfigMaps and ${PER_KIND} Secrets, backed up whole — ${new Date().toISOString()}`,
  "",
  `- machine: ${machineLine(load)}`,
  `- command: \`${benchCommand("small")}\``,
  `- ${runs[0]?.items} items per backup; ${RUNS} backups one at a time after ${WARM_UP} warm-up ones: wall (create Backup CR → Completed) median ${ms(median(walls))}, p90 ${ms(walls[Math.ceil(walls.length * 0.9) - 1])}, fastest ${ms(walls[0])}, slowest ${ms(walls.at(-1))}`,
  `- requests this process sent per backup (median; the bench's create and watch included): ${median(runs.map((r) => r.requests))}, of which LISTs in the namespace ${median(runs.map((r) => r.lists))}`,
  "",
].join("\n");
appendFileSync(join(process.cwd(), "bench", "RESULTS.md"), "\n" + section);
process.stdout.write(section + "\n");
