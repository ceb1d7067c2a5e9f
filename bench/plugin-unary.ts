// Unary call rate and latency of BackupItemAction.Execute with a 2 KiB item, host -> TS plugin
// process (the fixture plugin's test.io/bia-v1 through the plugin manager: restartable wrapper,
// SDK gRPC client, unix socket, SDK server, lossless JSON both ways).
// Run: npm run bench -- plugin   (or scripts/bench.sh plugin)
import type { Backup, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { connect as connectHttp2 } from "node:http2";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
  const floor = await http2Floor(itemBytes + 200, SEQUENTIAL);
  await report("plugin: BackupItemAction.Execute, 2 KiB item, host -> TS plugin", "bash scripts/bench.sh plugin", [
    `item JSON size: ${itemBytes} bytes; ${SEQUENTIAL} calls after ${WARMUP} warm-up calls`,
    `sequential: ${(SEQUENTIAL / (seqMs / 1000)).toFixed(0)} calls/s; latency p50 ${p50.toFixed(0)} µs, p90 ${pct(90).toFixed(0)} µs, p99 ${pct(99).toFixed(0)} µs, max ${pct(100).toFixed(0)} µs`,
    `${CONCURRENCY} concurrent callers on one connection: ${(SEQUENTIAL / (parMs / 1000)).toFixed(0)} calls/s`,
    `HTTP/2 floor: a plain node:http2 request/response of the same size (no gRPC, no protobuf) to a child process over a unix socket: p50 ${floor.p50.toFixed(0)} µs, p99 ${floor.p99.toFixed(0)} µs`,
    `target p50 <= 100 µs: ${p50 <= 100 ? "met" : `MISSED (${p50.toFixed(0)} µs)`}`,
  ]);
} finally {
  await bench.close();
}

/** Latency of plain node:http2 unary exchanges (what gRPC runs on) with a child echo server. */
async function http2Floor(bytes: number, calls: number): Promise<{ p50: number; p99: number }> {
  const dir = await mkdtemp(join(tmpdir(), "vt-bench-h2-"));
  const path = join(dir, "s.sock");
  const childCode = `const s=require("http2").createServer();s.on("stream",(st)=>{const c=[];st.on("data",d=>c.push(d));st.on("end",()=>{st.respond({":status":200,"content-type":"application/grpc"},{waitForTrailers:true});st.on("wantTrailers",()=>st.sendTrailers({"grpc-status":"0"}));st.end(Buffer.concat(c));});});s.listen(process.argv[1],()=>process.stdout.write("ready\\n"));`;
  const server = spawn(process.execPath, ["-e", childCode, path], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    await new Promise<void>((resolve) => server.stdout?.once("data", () => resolve()));
    const session = connectHttp2("http://localhost", { createConnection: () => connect(path) });
    const body = Buffer.alloc(bytes, 120);
    const call = (): Promise<void> =>
      new Promise((resolve, reject) => {
        const req = session.request({ ":method": "POST", ":path": "/v2.BackupItemAction/Execute", "content-type": "application/grpc", te: "trailers" });
        req.on("data", () => undefined);
        req.on("end", () => resolve());
        req.on("error", reject);
        req.end(body);
      });
    for (let i = 0; i < 2000; i++) await call();
    const lat = new Float64Array(calls);
    for (let i = 0; i < calls; i++) {
      const t = process.hrtime.bigint();
      await call();
      lat[i] = Number(process.hrtime.bigint() - t) / 1000;
    }
    session.close();
    lat.sort();
    return { p50: lat[Math.floor(calls / 2)] ?? NaN, p99: lat[Math.floor(calls * 0.99)] ?? NaN };
  } finally {
    server.kill();
    await rm(dir, { recursive: true, force: true });
  }
}
