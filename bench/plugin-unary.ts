// Unary call rate and latency of BackupItemAction.Execute with a 2 KiB item, host -> TS plugin
// process (the fixture plugin's test.io/bia-v1 through the plugin manager: restartable wrapper,
// SDK client adapter, unix socket, SDK server adapter, lossless JSON both ways), over both
// transports: vtframes1 (what the velero-ts host negotiates with TypeScript plugins; the target is
// judged on it) and gRPC (what Velero's Go host and Go plugins speak).
// Run: npm run bench -- plugin   (or scripts/bench.sh plugin)
import type { Backup, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { connect as connectHttp2 } from "node:http2";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PluginTransport } from "../host/src/plugins/plugin-process.js";
import { buildFixturePlugin } from "./plugin-build.js";
import { report, startFixtureBinary, TRANSPORTS } from "./plugin-common.js";

const SEQUENTIAL = Number(process.env["VT_BENCH_CALLS"] ?? 20_000);
const WARMUP = 2_000;
const CONCURRENCY = 32;
const STEADY_RUNS = 3;

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

/** One run of sequential calls: rate and latency percentiles. */
interface Sequential {
  rate: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

interface Measured {
  transport: PluginTransport;
  /** The first SEQUENTIAL calls after WARMUP warm-up calls. */
  first: Sequential;
  /** The run with the median p50 of the next STEADY_RUNS runs (a long-running server's plugin). */
  steady: Sequential;
  parRate: number;
}

const item = itemOf(2048);
const itemBytes = Buffer.byteLength(JSON.stringify(item));
const backup = { apiVersion: "velero.io/v1", kind: "Backup", metadata: { name: "b1", namespace: "velero" }, spec: {} } as unknown as Backup;

async function sequential(action: { execute(item: UnstructuredItem, backup: Backup): Promise<unknown> }): Promise<Sequential> {
  const latencies = new Float64Array(SEQUENTIAL);
  const start = performance.now();
  for (let i = 0; i < SEQUENTIAL; i++) {
    const t = process.hrtime.bigint();
    await action.execute(item, backup);
    latencies[i] = Number(process.hrtime.bigint() - t) / 1000;
  }
  const ms = performance.now() - start;
  latencies.sort();
  const pct = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
  return { rate: SEQUENTIAL / (ms / 1000), p50: pct(50), p90: pct(90), p99: pct(99), max: pct(100) };
}

async function measure(fixture: string, transport: PluginTransport): Promise<Measured> {
  const bench = await startFixtureBinary(fixture, transport);
  try {
    const action = await bench.manager.get("BackupItemAction", "test.io/bia-v1");
    for (let i = 0; i < WARMUP; i++) await action.execute(item, backup);
    const first = await sequential(action);
    // Both processes keep getting faster for a while after the first thousands of calls (V8's
    // optimising tiers, the young generation growing to its working size): what a server that
    // has run for a while sees is measured too, as the stream benchmark's steady state is.
    const runs: Sequential[] = [];
    for (let r = 0; r < STEADY_RUNS; r++) runs.push(await sequential(action));
    const steady = [...runs].sort((a, b) => a.p50 - b.p50)[Math.floor(STEADY_RUNS / 2)] as Sequential;

    let next = 0;
    const parStart = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next++ < SEQUENTIAL) await action.execute(item, backup);
      }),
    );
    const parMs = performance.now() - parStart;
    return { transport, first, steady, parRate: SEQUENTIAL / (parMs / 1000) };
  } finally {
    await bench.close();
  }
}

const fixture = await buildFixturePlugin();
const results: Measured[] = [];
for (const transport of TRANSPORTS) results.push(await measure(fixture, transport));
const floor = await http2Floor(itemBytes + 200, SEQUENTIAL);
const raw = await rawFloor(itemBytes + 200, SEQUENTIAL);
const judged = results[0] as Measured;
const line = (r: Sequential): string => `${r.rate.toFixed(0)} calls/s; latency p50 ${r.p50.toFixed(0)} µs, p90 ${r.p90.toFixed(0)} µs, p99 ${r.p99.toFixed(0)} µs, max ${r.max.toFixed(0)} µs`;
await report("plugin: BackupItemAction.Execute, 2 KiB item, host -> TS plugin", "plugin", [
  `item JSON size: ${itemBytes} bytes; per transport: ${WARMUP} warm-up calls, then the first ${SEQUENTIAL} sequential calls, then ${STEADY_RUNS} more runs of ${SEQUENTIAL} (steady state: the run with the median p50), then ${SEQUENTIAL} calls from ${CONCURRENCY} concurrent callers`,
  ...results.map(
    (r) =>
      `${r.transport}${r.transport === "vtframes1" ? " (velero-ts host -> TS plugin, the default)" : " (Velero's Go host / Go plugins; forced with VELERO_TS_PLUGIN_TRANSPORT=grpc)"}: first ${SEQUENTIAL}: ${line(r.first)}; steady state: ${line(r.steady)}; ${CONCURRENCY} concurrent callers on one connection: ${r.parRate.toFixed(0)} calls/s`,
  ),
  `raw floor: a ${itemBytes + 200}-byte ping-pong over a unix socket with a child node process (no framing, no protobuf, no JSON): p50 ${raw.p50.toFixed(0)} µs, p99 ${raw.p99.toFixed(0)} µs`,
  `HTTP/2 floor: a plain node:http2 request/response of the same size (no gRPC, no protobuf) to a child process over a unix socket: p50 ${floor.p50.toFixed(0)} µs, p99 ${floor.p99.toFixed(0)} µs`,
  `target p50 <= 100 µs (judged on ${judged.transport}, steady state): ${judged.steady.p50 <= 100 ? "met" : `MISSED (${judged.steady.p50.toFixed(0)} µs)`}; first ${SEQUENTIAL} calls: ${judged.first.p50 <= 100 ? "met" : `missed (${judged.first.p50.toFixed(0)} µs)`}`,
]);

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
    const result = await floorLatency(call, calls);
    session.close();
    return result;
  } finally {
    server.kill();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Latency of a bare request/response of `bytes` bytes over a unix socket with a child echo process. */
async function rawFloor(bytes: number, calls: number): Promise<{ p50: number; p99: number }> {
  const dir = await mkdtemp(join(tmpdir(), "vt-bench-raw-"));
  const path = join(dir, "s.sock");
  const childCode = `const n=${bytes};require("net").createServer((s)=>{let got=0;s.on("data",(d)=>{got+=d.length;if(got>=n){got-=n;s.write(Buffer.alloc(n,121));}});}).listen(process.argv[1],()=>process.stdout.write("ready\\n"));`;
  const server = spawn(process.execPath, ["-e", childCode, path], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    await new Promise<void>((resolve) => server.stdout?.once("data", () => resolve()));
    const socket = connect(path);
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    const body = Buffer.alloc(bytes, 120);
    let waiting: (() => void) | undefined;
    let got = 0;
    socket.on("data", (d: Buffer) => {
      got += d.length;
      if (got >= bytes) {
        got -= bytes;
        waiting?.();
      }
    });
    const call = (): Promise<void> =>
      new Promise((resolve) => {
        waiting = resolve;
        socket.write(body);
      });
    const result = await floorLatency(call, calls);
    socket.destroy();
    return result;
  } finally {
    server.kill();
    await rm(dir, { recursive: true, force: true });
  }
}

/** p50/p99 in µs of `calls` sequential calls after 2,000 warm-up calls (the floors' shared loop). */
async function floorLatency(call: () => Promise<void>, calls: number): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < 2000; i++) await call();
  const lat = new Float64Array(calls);
  for (let i = 0; i < calls; i++) {
    const t = process.hrtime.bigint();
    await call();
    lat[i] = Number(process.hrtime.bigint() - t) / 1000;
  }
  lat.sort();
  return { p50: lat[Math.floor(calls / 2)] ?? NaN, p99: lat[Math.floor(calls * 0.99)] ?? NaN };
}
