// PutObject / GetObject throughput of a 1 GiB object, host <-> TS plugin process (fixture plugin,
// bucket "null": the plugin only counts or streams bytes, so this measures the transport), with
// the host's peak RSS; compared with a raw unix-socket copy of the same bytes between two node
// processes.
// Run: npm run bench -- plugin   (or scripts/bench.sh plugin)
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { generateBytes } from "../test/fixtures/plugins/generated-bytes.js";
import { mibPerSecond, peakRss, report, startFixture } from "./plugin-common.js";

const SIZE = Number(process.env["VT_BENCH_BYTES"] ?? 1024 * 1024 * 1024);
const CHUNK = 256 * 1024;
const MiB = 1024 * 1024;

async function count(stream: AsyncIterable<Buffer>): Promise<number> {
  let n = 0;
  for await (const chunk of stream) n += chunk.length;
  return n;
}

/** Raw copy of SIZE bytes over a unix socket between this process and a child node process. */
async function rawCopy(direction: "to-child" | "from-child"): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), "vt-bench-raw-"));
  const path = join(dir, "s.sock");
  const childCode =
    direction === "to-child"
      ? `const s=require("net").connect(process.argv[1]);let n=0;s.on("data",d=>n+=d.length);s.on("end",()=>{process.stdout.write(String(n));});`
      : `const s=require("net").connect(process.argv[1],()=>{const p=Buffer.alloc(${CHUNK}+251);for(let i=0;i<p.length;i++)p[i]=i%251;let off=0;const w=()=>{while(off<${SIZE}){const n=Math.min(${CHUNK},${SIZE}-off);const ok=s.write(p.subarray(off%251,off%251+n));off+=n;if(!ok){s.once("drain",w);return;}}s.end();};w();});`;
  try {
    const server = createServer();
    const connected = new Promise<Socket>((resolve) => server.once("connection", resolve));
    await new Promise<void>((resolve) => server.listen(path, resolve));
    const child = spawn(process.execPath, ["-e", childCode, path], { stdio: ["ignore", "pipe", "inherit"] });
    const childOut = count(child.stdout as AsyncIterable<Buffer>);
    const socket = await connected;
    const start = performance.now();
    if (direction === "to-child") {
      for (const chunk of generateBytes(SIZE, CHUNK, true)) {
        if (!socket.write(chunk)) await new Promise((r) => socket.once("drain", r));
      }
      socket.end();
      await new Promise((r) => child.once("exit", r));
      await childOut;
    } else {
      const got = await count(socket as AsyncIterable<Buffer>);
      if (got !== SIZE) throw new Error(`raw copy received ${got} bytes, expected ${SIZE}`);
    }
    const ms = performance.now() - start;
    server.close();
    return ms;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const bench = await startFixture();
try {
  const store = await bench.manager.getObjectStore("test.io/store", { bucket: "null" });
  // warm up the connection and code paths
  await store.putObject("null", "warm", Readable.from(generateBytes(16 * MiB, CHUNK, true)));
  await count((await store.getObject("null", String(16 * MiB))) as AsyncIterable<Buffer>);

  const baselineRss = process.memoryUsage().rss / MiB;
  const put = await peakRss(async () => {
    const start = performance.now();
    await store.putObject("null", "big", Readable.from(generateBytes(SIZE, CHUNK, true)));
    return performance.now() - start;
  });
  const chunks: Buffer[] = [];
  for await (const c of (await store.getObject("null", "big.length")) as AsyncIterable<Buffer>) chunks.push(c);
  const stored = Number(Buffer.concat(chunks).toString());
  if (stored !== SIZE) throw new Error(`plugin received ${stored} bytes, expected ${SIZE}`);

  const get = await peakRss(async () => {
    const start = performance.now();
    const got = await count((await store.getObject("null", String(SIZE))) as AsyncIterable<Buffer>);
    if (got !== SIZE) throw new Error(`host received ${got} bytes, expected ${SIZE}`);
    return performance.now() - start;
  });

  // the raw baseline runs after the gRPC transfers so it cannot inflate their RSS
  const rawPutMs = await rawCopy("to-child");
  const rawGetMs = await rawCopy("from-child");
  const putRate = mibPerSecond(SIZE, put.result);
  const getRate = mibPerSecond(SIZE, get.result);
  const rawPut = mibPerSecond(SIZE, rawPutMs);
  const rawGet = mibPerSecond(SIZE, rawGetMs);
  const peak = Math.max(put.peak, get.peak) / MiB;
  await report(`plugin: PutObject/GetObject of ${(SIZE / MiB).toFixed(0)} MiB, host <-> TS plugin`, "bash scripts/bench.sh plugin", [
    `PutObject: ${putRate.toFixed(0)} MiB/s (raw unix-socket copy host -> child: ${rawPut.toFixed(0)} MiB/s; ${((100 * putRate) / rawPut).toFixed(0)}% of raw)`,
    `GetObject: ${getRate.toFixed(0)} MiB/s (raw unix-socket copy child -> host: ${rawGet.toFixed(0)} MiB/s; ${((100 * getRate) / rawGet).toFixed(0)}% of raw)`,
    `host peak RSS during the transfers: ${peak.toFixed(0)} MiB (put ${(put.peak / MiB).toFixed(0)}, get ${(get.peak / MiB).toFixed(0)}; ${baselineRss.toFixed(0)} MiB before them)`,
    `targets: >= 80% of raw: ${putRate >= 0.8 * rawPut && getRate >= 0.8 * rawGet ? "met" : "MISSED"}; <= 128 MiB RSS: ${peak <= 128 ? "met" : "MISSED"}`,
  ]);
} finally {
  await bench.close();
}
