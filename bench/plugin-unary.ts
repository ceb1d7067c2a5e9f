// Unary call rate and latency of BackupItemAction.Execute with a 2 KiB item, host -> TS plugin
// process (the fixture plugin's test.io/bia-v1 through the plugin manager: restartable wrapper,
// SDK gRPC client, unix socket, SDK server, lossless JSON both ways).
// Run: npm run bench -- plugin   (or scripts/bench.sh plugin)
import type { Backup, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { report, startFixture } from "./plugin-common.js";

const SEQUENTIAL = Number(process.env["VT_BENCH_CALLS"] ?? 20_000);
const WARMUP = 2_000;
const CONCURRENCY = 32;

function itemOf(bytes: number): UnstructuredItem {
  const item: UnstructuredItem = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web-0", namespace: "app", labels: { app: "web" } },
    spec: { containers: [{ name: "c", image: "nginx:1.27" }] },
  };
  const size = (): number => Buffer.byteLength(JSON.stringify(item));
  item.metadata.annotations = { pad: "x".repeat(Math.max(0, bytes - size() - 20)) };
  return item;
}

const bench = await startFixture();
try {
  const action = await bench.manager.get("BackupItemAction", "test.io/bia-v1");
  const item = itemOf(2048);
  const itemBytes = Buffer.byteLength(JSON.stringify(item));
  const backup = { apiVersion: "velero.io/v1", kind: "Backup", metadata: { name: "b1", namespace: "velero" }, spec: {} } as unknown as Backup;
  for (let i = 0; i < WARMUP; i++) await action.execute(item, backup);

  const latencies = new Float64Array(SEQUENTIAL);
  const seqStart = performance.now();
  for (let i = 0; i < SEQUENTIAL; i++) {
    const t = process.hrtime.bigint();
    await action.execute(item, backup);
    latencies[i] = Number(process.hrtime.bigint() - t) / 1000;
  }
  const seqMs = performance.now() - seqStart;
  latencies.sort();
  const pct = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;

  let next = 0;
  const parStart = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < SEQUENTIAL) await action.execute(item, backup);
    }),
  );
  const parMs = performance.now() - parStart;

  const p50 = pct(50);
  await report("plugin: BackupItemAction.Execute, 2 KiB item, host -> TS plugin", "bash scripts/bench.sh plugin", [
    `item JSON size: ${itemBytes} bytes; ${SEQUENTIAL} calls after ${WARMUP} warm-up calls`,
    `sequential: ${(SEQUENTIAL / (seqMs / 1000)).toFixed(0)} calls/s; latency p50 ${p50.toFixed(0)} µs, p90 ${pct(90).toFixed(0)} µs, p99 ${pct(99).toFixed(0)} µs, max ${pct(100).toFixed(0)} µs`,
    `${CONCURRENCY} concurrent callers on one connection: ${(SEQUENTIAL / (parMs / 1000)).toFixed(0)} calls/s`,
    `target p50 <= 100 µs: ${p50 <= 100 ? "met" : `MISSED (${p50.toFixed(0)} µs)`}`,
  ]);
} finally {
  await bench.close();
}
