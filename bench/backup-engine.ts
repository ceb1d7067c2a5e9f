// Benchmark: the backup engine's own CPU, with no API server and no controller: the 10k backup's
// 10,000 ConfigMaps and Secrets (20 namespaces) backed up by KubernetesBackupper into a tarball on
// disk, with the backup log (gzipped as it grows) teed to a server logger writing to /dev/null, as
// the server runs it. LIST pages are JSON.parse'd from bodies shaped like the API server's (uid,
// resourceVersion, creationTimestamp, managedFields), as the HTTP client parses them, so parsing
// is counted. Without the API server's CPU on the same cores this measures what the engine itself
// costs per backup, steadily enough to compare two versions of the code; the 10k benchmark
// (backup-10k.ts) measures the whole against its limit. No target. Appends to bench/RESULTS.md.
import { appendFileSync, createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Backup, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { BackupLogger } from "../host/src/backup/backup-log.ts";
import { KubernetesBackupper } from "../host/src/backup/backupper.ts";
import { TarballWriter } from "../host/src/backup/tar-writer.ts";
import type { GroupVersionResource, ListOptions, ListPage } from "../host/src/kube/client.ts";
import { GVR } from "../host/src/kube/gvr.ts";
import { createLogger } from "../host/src/shared/logging.ts";
import { DEFAULT_FAKE_RESOURCES, FakeKubeClient } from "../host/src/testing/fake-kube-client.ts";
import { benchObjects, formatThreadCpu, threadCpuMs } from "./cluster-common.ts";
import { median } from "./stats.ts";
import { benchCommand, loadAtStart, machineLine } from "./machine.ts";

const NAMESPACES = 20;
const PER_KIND = 250;
const WARM_UP = 3;
const RUNS = 9;

const namespaces = Array.from({ length: NAMESPACES }, (_, i) => `vt-engine-${String(i).padStart(2, "0")}`);
const RESOURCES: Record<string, string> = { ConfigMap: "configmaps", Secret: "secrets" };

/**
 * Each namespace's LIST bodies by "<resource>/<namespace>": the 10k benchmark's objects
 * (benchObjects) as the API server writes them back (uid, resourceVersion, creationTimestamp,
 * managedFields added; no kind/apiVersion on items), with the kind for the client to set.
 */
const bodies = new Map<string, { kind: string; body: string }>();
{
  const lists = new Map<string, { kind: string; items: object[] }>();
  let serial = 0;
  for (const { kind, metadata, apiVersion: _apiVersion, ...rest } of benchObjects(namespaces, PER_KIND)) {
    const n = serial++;
    const key = `${RESOURCES[kind]}/${metadata.namespace}`;
    const list = lists.get(key) ?? { kind, items: [] };
    lists.set(key, list);
    list.items.push({
      metadata: {
        ...metadata,
        uid: `6b1f0c2e-8a4d-4e7b-9c1a-${String(100_000_000_000 + n)}`,
        resourceVersion: String(500_000 + n),
        creationTimestamp: "2026-11-28T01:41:14Z",
        managedFields: [{ manager: "node", operation: "Update", apiVersion: "v1", time: "2026-11-28T01:41:14Z", fieldsType: "FieldsV1", fieldsV1: { "f:data": { ".": {}, "f:v": {} } } }],
      },
      ...rest,
      ...(kind === "Secret" ? { type: "Opaque" } : {}),
    });
  }
  for (const [key, { kind, items }] of lists) bodies.set(key, { kind, body: JSON.stringify({ kind: `${kind}List`, apiVersion: "v1", metadata: { resourceVersion: "999999" }, items }) });
}
const listBytes = [...bodies.values()].reduce((sum, { body }) => sum + Buffer.byteLength(body), 0);

/** The fake cluster, whose ConfigMap and Secret LISTs are parsed from `bodies` on the next turn of the event loop. */
class ParsingKubeClient extends FakeKubeClient {
  override async *listPages(gvr: GroupVersionResource, options: ListOptions = {}): AsyncGenerator<ListPage> {
    const listed = options.namespace ? bodies.get(`${gvr.resource}/${options.namespace}`) : undefined;
    if (listed === undefined) {
      yield* super.listPages(gvr, options);
      return;
    }
    await new Promise((resolve) => setImmediate(resolve));
    const list = JSON.parse(listed.body) as { items: UnstructuredItem[]; metadata: { resourceVersion: string } };
    const { kind } = listed;
    for (const item of list.items) {
      item.apiVersion = "v1";
      item.kind = kind;
    }
    yield { items: list.items, resourceVersion: list.metadata.resourceVersion };
  }
}

const kube = new ParsingKubeClient(DEFAULT_FAKE_RESOURCES);
for (const ns of namespaces) kube.seed(GVR.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } } as UnstructuredItem);
const serverLog = createLogger({ level: "info", destination: createWriteStream("/dev/null"), batch: true });
const dir = mkdtempSync(join(tmpdir(), "vt-bench-engine-"));

interface Run {
  wallMs: number;
  cpuMs: number;
  threads: string;
  items: number;
  tarBytes: number;
}

async function backupOnce(name: string): Promise<Run> {
  const backup = {
    apiVersion: "velero.io/v1",
    kind: "Backup",
    metadata: { namespace: "velero", name, uid: `uid-${name}` },
    spec: { includedNamespaces: namespaces, includedResources: ["configmaps", "secrets"] },
    status: {},
  } as unknown as Backup;
  const log = new BackupLogger({ level: "info", tee: serverLog, compress: true }).child({ backup: `velero/${name}` });
  const tarball = new TarballWriter(join(dir, `${name}.tar.gz`));
  const threads0 = threadCpuMs();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const out = await new KubernetesBackupper(kube).backup({ backup, snapshotLocations: [], tarball, log, actions: [] });
  await tarball.close();
  await log.gzipped();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const threads = formatThreadCpu(threads0, threadCpuMs());
  rmSync(join(dir, `${name}.tar.gz`), { force: true });
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, threads, items: out.progress.itemsBackedUp ?? 0, tarBytes: tarball.bytes };
}

/** JSON.parse of the same LIST bodies: the part of the engine's work the 10k benchmark's limit does too. */
function parseOnlyMs(): number {
  const cpu0 = process.cpuUsage();
  for (const { body } of bodies.values()) JSON.parse(body);
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / 1000;
}

const load = loadAtStart();
for (let i = 0; i < WARM_UP; i++) await backupOnce(`warm-up-${i}`);
const runs: Run[] = [];
for (let i = 0; i < RUNS; i++) runs.push(await backupOnce(`run-${i}`));
const parse = median(Array.from({ length: 5 }, () => parseOnlyMs()));
rmSync(dir, { recursive: true, force: true });

const items = runs[0]?.items ?? 0;
if (runs.some((r) => r.items !== NAMESPACES * PER_KIND * 2)) throw new Error(`bench engine: expected ${NAMESPACES * PER_KIND * 2} items per backup, got ${runs.map((r) => r.items).join(", ")}`);
const cpuSorted = runs.map((r) => r.cpuMs).sort((a, b) => a - b);
const medianCpu = median(runs.map((r) => r.cpuMs));
const medianRun = runs.find((r) => r.cpuMs === cpuSorted[Math.floor(cpuSorted.length / 2)]) ?? runs[0];
const wallMedian = median(runs.map((r) => r.wallMs));
const section = [
  `## engine: the backup engine alone, 10,000 ConfigMaps+Secrets with no API server — ${new Date().toISOString()}`,
  "",
  `- machine: ${machineLine(load)}`,
  `- command: \`${benchCommand("engine")}\``,
  `- ${items} items per backup from ${bodies.size} LIST bodies (${(listBytes / 1048576).toFixed(1)} MiB of JSON, parsed as the HTTP client parses them); ${((runs[0]?.tarBytes ?? 0) / 1048576).toFixed(1)} MiB of item JSON in the tarball (each item under two paths), before tar headers and gzip; ${RUNS} backups after ${WARM_UP} warm-ups`,
  `- CPU per backup (this process, every thread): median ${medianCpu.toFixed(0)} ms (${((medianCpu * 1000) / items).toFixed(1)} µs per item), fastest ${cpuSorted[0]?.toFixed(0)} ms, slowest ${cpuSorted.at(-1)?.toFixed(0)} ms; the median run: ${medianRun?.threads}`,
  `- wall per backup: median ${wallMedian.toFixed(0)} ms (${Math.round((items / wallMedian) * 1000)} items/s)`,
  `- of which parsing the LIST bodies alone (JSON.parse, median of 5): ${parse.toFixed(0)} ms`,
  "",
].join("\n");
process.stdout.write(section);
appendFileSync(join(import.meta.dirname, "RESULTS.md"), `\n${section}`);
process.exit(0);
