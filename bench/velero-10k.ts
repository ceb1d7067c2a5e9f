// Benchmark: the backup benchmark's 10,000 objects (ConfigMaps and Secrets across 20 namespaces)
// backed up and restored by real Velero v1.18.1 (Go, with the Go velero-plugin-for-aws) and by
// velero-ts (with its own AWS plugin), both writing to moto S3 against the same local API server,
// with the same Backup spec and each server's default flags (info log level). Both servers run
// side by side, each in its own namespace and bucket; their backups alternate (Velero cold,
// velero-ts cold, Velero warm, velero-ts warm) so that machine noise falls on both. The limit is
// the backup benchmark's: LIST every object + PUT a same-size tarball (here to moto). Then each
// server restores its warm backup into the emptied cluster (the 20 namespaces deleted before
// each restore), and the restored objects are counted.
// Appends to bench/RESULTS.md. Needs VT_ENV_DIR (scripts/bench.sh starts one when missing) and the
// real Velero peers (scripts/peers-install.sh builds them).
import { appendFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import type { Backup, Restore, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { GVR } from "../host/src/kube/gvr.ts";
import { bucketKeys, bucketObject, motoS3, startRealVeleroBeside, startVeleroTsBeside } from "../test/integration/velero-compat/harness.ts";
import { countBenchObjects, createBenchObjects, deleteNamespacesAndWait, fastestList, formatPeerCpu, openBenchCluster, peerCpuMs, processTreeCpuMs, sleep, waitNamespacesSettled, waitTerminal } from "./cluster-common.ts";
import { benchCommand, loadAtStart, machineLine } from "./machine.ts";

const NAMESPACES = 20;
const PER_KIND = 250;

const { endpoints, kube, tag, namespaces } = await openBenchCluster("vt-bench", NAMESPACES);
const goNs = `vt-bench-velero-go-${tag}`;
const tsNs = `vt-bench-velero-ts-${tag}`;
const s3 = motoS3(endpoints);
const buckets = { go: `vt-bench-go-${tag}`, ts: `vt-bench-ts-${tag}`, limit: `vt-bench-limit-${tag}` };
for (const bucket of Object.values(buckets)) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
const work = await mkdtemp(join(tmpdir(), "vt-bench-velero-"));

process.stderr.write(`bench velero-10k: creating ${NAMESPACES * PER_KIND * 2} objects...\n`);
await createBenchObjects(kube, namespaces);

process.stderr.write("bench velero-10k: starting real Velero v1.18.1 and velero-ts...\n");
// Sync off on both locations: no backup sync may run during a measured backup.
const go = await startRealVeleroBeside(kube, { namespace: goNs, bucket: buckets.go, work, location: { backupSyncPeriod: "0s" }, extraArgs: ["--log-level=info"] });
// Each server writes its log at info to a file of its own.
const ts = await startVeleroTsBeside(kube, { namespace: tsNs, bucket: buckets.ts, work, credentialsFile: join(work, "velero", "aws-credentials"), backupSyncPeriod: "0s", logFile: join(work, "velero-ts.log") });
for (const ns of [goNs, tsNs]) {
  for (;;) {
    const bsl = await kube.get(GVR.backupStorageLocations, "default", ns);
    if ((bsl?.status as { phase?: string } | undefined)?.phase === "Available") break;
    await sleep(200);
  }
}
const settling = await waitNamespacesSettled(kube);
const load = loadAtStart();

interface Run {
  backup: Backup;
  wallMs: number;
  cpuMs: number;
  peerCpu: string;
}

/** One backup through one server, timed from CR creation to a terminal phase; CPU of that server's process tree. */
async function runBackup(who: "go" | "ts", name: string): Promise<Run> {
  const namespace = who === "go" ? goNs : tsNs;
  process.stderr.write(`bench velero-10k: backing up with ${who === "go" ? "real Velero" : "velero-ts"} (${name})...\n`);
  const goPid = go.server.pid ?? -1;
  // velero-ts runs in this process; Velero is this process's child, so its tree is left out of ours.
  const cpu = (): number => (who === "go" ? processTreeCpuMs(goPid) : processTreeCpuMs(process.pid) - processTreeCpuMs(goPid));
  const cpu0 = cpu();
  const peers0 = peerCpuMs(endpoints.pids);
  const t0 = performance.now();
  await kube.create(GVR.backups, {
    apiVersion: "velero.io/v1",
    kind: "Backup",
    metadata: { namespace, name },
    spec: { includedNamespaces: namespaces, includedResources: ["configmaps", "secrets"] },
  } as unknown as UnstructuredItem);
  const backup = await waitTerminal<Backup>(kube, GVR.backups, name, namespace);
  const wallMs = performance.now() - t0;
  const cpuMs = cpu() - cpu0;
  const peerCpu = formatPeerCpu(peers0, peerCpuMs(endpoints.pids));
  return { backup, wallMs, cpuMs, peerCpu };
}

const runs = { goCold: await runBackup("go", "cold"), tsCold: await runBackup("ts", "cold"), goWarm: await runBackup("go", "warm"), tsWarm: await runBackup("ts", "warm") };

// The limit: LIST every object (fastest of 3) + PUT a same-size tarball to moto.
const { ms: listMs, listed } = await fastestList(kube, namespaces, endpoints.pids);
const tarballs = {
  go: await bucketObject(s3, buckets.go, "backups/warm/warm.tar.gz"),
  ts: await bucketObject(s3, buckets.ts, "backups/warm/warm.tar.gz"),
};
const p0 = performance.now();
await s3.send(new PutObjectCommand({ Bucket: buckets.limit, Key: "same-size.tar.gz", Body: tarballs.ts }));
const putMs = performance.now() - p0;
const limitMs = listMs + putMs;
const keys = { go: await bucketKeys(s3, buckets.go, "backups/warm/"), ts: await bucketKeys(s3, buckets.ts, "backups/warm/") };

interface RestoreRun {
  restore: Restore;
  wallMs: number;
  cpuMs: number;
  peerCpu: string;
  present: number;
}

/** Empties the cluster of the bench namespaces, then restores `who`'s warm backup, timed from CR creation to a terminal phase. */
async function runRestore(who: "go" | "ts"): Promise<RestoreRun> {
  const namespace = who === "go" ? goNs : tsNs;
  process.stderr.write("bench velero-10k: emptying the cluster...\n");
  await deleteNamespacesAndWait(kube, namespaces);
  await waitNamespacesSettled(kube);
  process.stderr.write(`bench velero-10k: restoring with ${who === "go" ? "real Velero" : "velero-ts"}...\n`);
  const goPid = go.server.pid ?? -1;
  const cpu = (): number => (who === "go" ? processTreeCpuMs(goPid) : processTreeCpuMs(process.pid) - processTreeCpuMs(goPid));
  const cpu0 = cpu();
  const peers0 = peerCpuMs(endpoints.pids);
  const t0 = performance.now();
  await kube.create(GVR.restores, { apiVersion: "velero.io/v1", kind: "Restore", metadata: { namespace, name: "bench" }, spec: { backupName: "warm" } } as unknown as UnstructuredItem);
  const restore = await waitTerminal<Restore>(kube, GVR.restores, "bench", namespace);
  const wallMs = performance.now() - t0;
  const cpuMs = cpu() - cpu0;
  const peerCpu = formatPeerCpu(peers0, peerCpuMs(endpoints.pids));
  return { restore, wallMs, cpuMs, peerCpu, present: await countBenchObjects(kube, namespaces) };
}
const restores = { go: await runRestore("go"), ts: await runRestore("ts") };

// Restores carry Velero's external-resources finalizer, which their server removes on deletion:
// delete them while both servers still run, or their namespaces would stay Terminating.
for (const ns of [goNs, tsNs]) await kube.delete(GVR.restores, "bench", ns);
for (const ns of [goNs, tsNs]) {
  for (let waited = 0; (await kube.get(GVR.restores, "bench", ns)) && waited < 60_000; waited += 500) await sleep(500);
}

await ts.stop();
await go.server.stop();
for (const ns of [...namespaces, goNs, tsNs]) await kube.delete(GVR.namespaces, ns);
process.stderr.write("bench velero-10k: waiting for the namespace controller to delete the objects...\n");
await waitNamespacesSettled(kube);
await rm(work, { recursive: true, force: true });
await kube.close();

const line = (label: string, r: Run, tarball: Buffer, bucketKeyCount: number): string => {
  const items = r.backup.status?.progress?.itemsBackedUp ?? 0;
  return (
    `- ${label}: phase ${r.backup.status?.phase}, ${items} items, wall (create Backup CR → ${r.backup.status?.phase}) ${(r.wallMs / 1000).toFixed(3)} s, ` +
    `${(items / (r.wallMs / 1000)).toFixed(0)} items/s, ${(r.wallMs / limitMs).toFixed(2)}× the limit; CPU: server and its plugins ${r.cpuMs.toFixed(0)} ms, peers ${r.peerCpu}; ` +
    `tarball ${(tarball.length / 1024).toFixed(0)} KiB, ${bucketKeyCount} keys under backups/warm/`
  );
};
const restoreLine = (label: string, r: RestoreRun): string =>
  `- ${label}: phase ${r.restore.status?.phase}, ${r.restore.status?.progress?.itemsRestored ?? 0} items restored (${r.present} ConfigMaps+Secrets present afterwards), ` +
  `warnings ${r.restore.status?.warnings ?? 0}, errors ${r.restore.status?.errors ?? 0}, wall (create Restore CR → ${r.restore.status?.phase}) ${(r.wallMs / 1000).toFixed(2)} s; ` +
  `CPU: server and its plugins ${r.cpuMs.toFixed(0)} ms, peers ${r.peerCpu}`;
const speedup = (goRun: { wallMs: number; cpuMs: number }, tsRun: { wallMs: number; cpuMs: number }): string => `${(goRun.wallMs / tsRun.wallMs).toFixed(1)}× the speed of real Velero (wall), ${(goRun.cpuMs / Math.max(1, tsRun.cpuMs)).toFixed(1)}× less CPU`;
const section = [
  `## velero: the 10,000-object backup and restore, real Velero v1.18.1 vs velero-ts, both to moto S3 — ${new Date().toISOString()}`,
  "",
  `- machine: ${machineLine(load, settling ? `, ${settling} namespaces still Terminating` : "")}`,
  `- command: \`${benchCommand("velero")}\``,
  "- both servers with default flags and `--log-level=info`, each logging to a file (Velero v1.18.1: `--client-qps 100 --client-burst 100`, one item-block worker), sync off on their locations; backups alternate Velero cold, velero-ts cold, Velero warm, velero-ts warm",
  `- limit: LIST ${listed} objects ${(listMs / 1000).toFixed(3)} s (fastest of 3) + PUT same-size tarball to moto ${(putMs / 1000).toFixed(3)} s = ${(limitMs / 1000).toFixed(3)} s`,
  line("real Velero, cold (first backup of a fresh server)", runs.goCold, tarballs.go, keys.go.length),
  line("velero-ts, cold (first backup of a fresh server)", runs.tsCold, tarballs.ts, keys.ts.length),
  line("real Velero, warm (second backup)", runs.goWarm, tarballs.go, keys.go.length),
  line("velero-ts, warm (second backup)", runs.tsWarm, tarballs.ts, keys.ts.length),
  `- backup: velero-ts cold ${speedup(runs.goCold, runs.tsCold)}; warm ${speedup(runs.goWarm, runs.tsWarm)}`,
  restoreLine("restore of the warm backup into the emptied cluster, real Velero", restores.go),
  restoreLine("restore of the warm backup into the emptied cluster, velero-ts", restores.ts),
  `- restore: velero-ts ${speedup(restores.go, restores.ts)}`,
  "",
].join("\n");
appendFileSync(join(process.cwd(), "bench", "RESULTS.md"), "\n" + section);
process.stdout.write(section + "\n");
