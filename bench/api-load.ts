// Benchmark: the requests the server sends the API server (the load it puts on the control plane),
// counted from the HTTP client (undici's diagnostics channel, requests whose User-Agent is the
// server's; discovery and watches included), for: a start beside 200 Backups and 50 Restores (the
// first 30 s), a backup of a small namespace, its restore, the deletion of the backup with its
// restore, and two idle minutes with one location and one schedule. The server runs in this
// process (filesystem object store) against the real local API server; the bench's own requests
// carry another User-Agent and are not counted. Appends to bench/RESULTS.md. Needs VT_ENV_DIR
// (scripts/bench.sh starts one when missing). See ADR 0008.
import { subscribe } from "node:diagnostics_channel";
import { appendFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import { GVR } from "../host/src/kube/gvr.ts";
import { createKubeClient } from "../host/src/kube/http-kube-client.ts";
import { deleteNamespacesAndWait, openBenchCluster, sleep, startFilesystemServer } from "./cluster-common.ts";
import { benchCommand, loadAtStart, machineLine } from "./machine.ts";

const SERVER_AGENT = "velero-server/api-load-bench";
const STARTUP_MS = 30_000;
const IDLE_MS = 120_000;

/** "LIST backups", "GET backupstoragelocations", "WATCH restores", "discovery"... of one request. */
function describeRequest(method: string, path: string): string {
  const [bare, query = ""] = path.split("?");
  const parts = (bare ?? "").split("/").filter(Boolean);
  let rest: string[];
  if (parts[0] === "api" && parts.length >= 2) rest = parts.slice(2);
  else if (parts[0] === "apis" && parts.length >= 3) rest = parts.slice(3);
  else return "discovery";
  if (rest.length === 0) return "discovery";
  let resource: string | undefined;
  let name: string | undefined;
  let sub: string | undefined;
  if (rest[0] === "namespaces" && rest.length >= 3) [, , resource, name, sub] = rest;
  else [resource, name, sub] = rest;
  const what = sub ? `${resource}/${sub}` : resource;
  if (method === "GET") return `${/(^|&)watch=(true|1)/.test(query) ? "WATCH" : name ? "GET" : "LIST"} ${what}`;
  return `${method} ${what}`;
}

let counting: string[] | undefined;
subscribe("undici:request:create", (message) => {
  const request = (message as { request: { method: string; path: string; headers: string[] | string } }).request;
  const headers = request.headers;
  let agent = "";
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) if (String(headers[i]).toLowerCase() === "user-agent") agent = String(headers[i + 1]);
  } else agent = /^user-agent: *(.*)$/im.exec(headers)?.[1] ?? "";
  if (agent === SERVER_AGENT) counting?.push(describeRequest(request.method, request.path));
});

async function count(run: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  counting = seen;
  try {
    await run();
  } finally {
    counting = undefined;
  }
  return seen;
}

function summary(requests: string[]): string {
  const by = new Map<string, number>();
  for (const r of requests) by.set(r, (by.get(r) ?? 0) + 1);
  return `${requests.length} requests (${[...by].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([r, n]) => `${n} ${r}`).join(", ")})`;
}

const terminal = new Set(["Completed", "PartiallyFailed", "Failed", "FailedValidation"]);
async function waitPhase(gvr: typeof GVR.backups, name: string, namespace: string): Promise<string> {
  for (const deadline = Date.now() + 120_000; Date.now() < deadline; await sleep(20)) {
    const phase = ((await kube.get(gvr, name, namespace))?.status as { phase?: string } | undefined)?.phase ?? "";
    if (terminal.has(phase)) return phase;
  }
  throw new Error(`${gvr.resource} ${namespace}/${name} did not finish within 2 minutes`);
}

const load = loadAtStart();
const { endpoints, kube, tag } = await openBenchCluster("vt-api", 0);
const velero = `vt-api-velero-${tag}`;
const app = `vt-api-app-${tag}`;
for (const ns of [velero, app]) await kube.create(GVR.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
for (let i = 0; i < 3; i++) await kube.create(GVR.configMaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { namespace: app, name: `cm-${i}` }, data: { key: `value-${i}` } } as unknown as UnstructuredItem);
// finished backups and restores of another location (so backup sync leaves them alone), as a cluster collects them
process.stderr.write("bench api-load: creating 200 Backups and 50 Restores...\n");
for (let i = 0; i < 200; i++) {
  await kube.create(GVR.backups, {
    apiVersion: "velero.io/v1",
    kind: "Backup",
    metadata: { namespace: velero, name: `old-${i}`, labels: { "velero.io/storage-location": "elsewhere" } },
    spec: { storageLocation: "elsewhere", ttl: "720h0m0s" },
    status: { phase: "Completed", expiration: "2099-01-01T00:00:00Z", completionTimestamp: "2026-01-01T00:00:00Z" },
  } as unknown as UnstructuredItem);
}
for (let i = 0; i < 50; i++) {
  await kube.create(GVR.restores, {
    apiVersion: "velero.io/v1",
    kind: "Restore",
    metadata: { namespace: velero, name: `old-${i}`, finalizers: ["restores.velero.io/external-resources-finalizer"] },
    spec: { backupName: `old-${i}` },
    status: { phase: "Completed" },
  } as unknown as UnstructuredItem);
}

const serverKube = createKubeClient({ kubeconfig: endpoints.kubeconfig, userAgent: SERVER_AGENT });
let started: Awaited<ReturnType<typeof startFilesystemServer>> | undefined;
const startup = await count(async () => {
  started = await startFilesystemServer(kube, velero, "vt-api-bucket-", serverKube);
  await sleep(STARTUP_MS);
});
const { server, bucketRoot } = started!;
process.stderr.write("bench api-load: a backup, its restore, its deletion...\n");
let backupPhase = "";
const backup = await count(async () => {
  await kube.create(GVR.backups, { apiVersion: "velero.io/v1", kind: "Backup", metadata: { namespace: velero, name: "b1" }, spec: { includedNamespaces: [app] } } as unknown as UnstructuredItem);
  backupPhase = await waitPhase(GVR.backups, "b1", velero);
  await sleep(2_000);
});
let restorePhase = "";
const restore = await count(async () => {
  await kube.create(GVR.restores, { apiVersion: "velero.io/v1", kind: "Restore", metadata: { namespace: velero, name: "r1" }, spec: { backupName: "b1", namespaceMapping: { [app]: `${app}-restored` } } } as unknown as UnstructuredItem);
  restorePhase = await waitPhase(GVR.restores, "r1", velero);
  await sleep(2_000);
});
let deletionMs = 0;
const deletion = await count(async () => {
  const t0 = performance.now();
  await kube.create(GVR.deleteBackupRequests, { apiVersion: "velero.io/v1", kind: "DeleteBackupRequest", metadata: { namespace: velero, name: "d1" }, spec: { backupName: "b1" } } as unknown as UnstructuredItem);
  for (const deadline = Date.now() + 120_000; (await kube.get(GVR.backups, "b1", velero)) && Date.now() < deadline; ) await sleep(20);
  deletionMs = performance.now() - t0;
  await sleep(2_000);
});
process.stderr.write(`bench api-load: ${IDLE_MS / 1000} s idle with one location and one schedule...\n`);
await kube.create(GVR.schedules, { apiVersion: "velero.io/v1", kind: "Schedule", metadata: { namespace: velero, name: "nightly" }, spec: { schedule: "0 3 * * *", template: { includedNamespaces: [app] } } } as unknown as UnstructuredItem);
await sleep(2_000);
const idle = await count(() => sleep(IDLE_MS));

await server.stop();
await serverKube.close();
// the old Restores carry Velero's finalizer, which only a running server removes
for (let i = 0; i < 50; i++) await kube.patch(GVR.restores, `old-${i}`, velero, { metadata: { finalizers: null } });
await deleteNamespacesAndWait(kube, [velero, app, `${app}-restored`]);
await rm(bucketRoot, { recursive: true, force: true });
await rm(`${bucketRoot}.server.log`, { force: true });
await kube.close();

const section = [
  `## api-load: requests the server sends the API server — ${new Date().toISOString()}`,
  "",
  `- machine: ${machineLine(load)}`,
  `- command: \`${benchCommand("api")}\``,
  "- counted: every HTTP request of the server's client (its User-Agent), discovery and watches included; the bench's own requests are not",
  `- start beside 200 Backups and 50 Restores, first ${STARTUP_MS / 1000} s (the location validated and synced once): ${summary(startup)}`,
  `- a backup of a namespace with 3 ConfigMaps (create → ${backupPhase}, +2 s): ${summary(backup)}`,
  `- its restore into a mapped namespace (create → ${restorePhase}, +2 s): ${summary(restore)}`,
  `- deleting the backup with its restore (DeleteBackupRequest → Backup gone in ${(deletionMs / 1000).toFixed(2)} s, +2 s): ${summary(deletion)}`,
  `- idle, one location (validated each minute) and one schedule, ${IDLE_MS / 1000} s: ${summary(idle)}, ${((idle.length * 60_000) / IDLE_MS).toFixed(1)} a minute`,
  "",
].join("\n");
appendFileSync(join(process.cwd(), "bench", "RESULTS.md"), "\n" + section);
process.stdout.write(section + "\n");
