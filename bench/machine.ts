// The "machine:" line every benchmark section starts with: cores, CPU model, Node.js, the load
// average when the benchmark started, and a speed probe of this machine at the time of the run.
//
// The probe is there because this machine's speed changes from day to day (a shared VM): on
// 2026-11-28 JavaScript ran 2–3× slower than on 2026-11-26/27 while a unix-socket ping-pong took
// the same time. Two fixed workloads, so that results of different days can be told apart from
// changes in the code: one all JavaScript (JSON round trips of a 2 KiB object, what the plugin
// and backup paths do most), one native (gzip of a fixed 4 MiB text, what the tarball costs).
import { readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { gzipSync } from "node:zlib";

const WARM_UP = 3;
const ROUNDS = 5;
const JSON_TRIPS = 10_000;
const GZIP_BYTES = 4 << 20;

/** A fixed 2 KiB object shaped like a Kubernetes item. */
function probeItem(): unknown {
  const labels: Record<string, string> = {};
  for (let i = 0; i < 8; i++) labels[`app.kubernetes.io/label-${i}`] = `value-${i}`;
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "probe", namespace: "bench", uid: "6f1c1a9e-1d2b-4c55-9a0e-2f3c4d5e6f70", resourceVersion: "123456", labels },
    data: Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`key-${i}`, `line ${i} `.repeat(16)])),
  };
}

/** Fastest of ROUNDS runs of fn after WARM_UP unmeasured ones, in ms of wall time (the machine's best, not its noise). */
function fastest(fn: () => void): number {
  for (let w = 0; w < WARM_UP; w++) fn(); // the heap grows to the workload's size, the code gets optimised
  let best = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const t = performance.now();
    fn();
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

interface SpeedProbe {
  /** ms for JSON_TRIPS JSON.stringify + JSON.parse round trips of a 2 KiB object. */
  jsonMs: number;
  /** ms to gzip 4 MiB of text at level 6. */
  gzipMs: number;
}

function speedProbe(): SpeedProbe {
  const item = probeItem();
  let sink = 0;
  const jsonMs = fastest(() => {
    for (let i = 0; i < JSON_TRIPS; i++) sink += (JSON.parse(JSON.stringify(item)) as { metadata: { name: string } }).metadata.name.length;
  });
  // 4 MiB of numbered copies of the item's JSON, one per line (compresses as backup logs and items do)
  const line = JSON.stringify(item);
  const lines: string[] = [];
  for (let i = 0, bytes = 0; bytes < GZIP_BYTES; i++) {
    lines.push(`${i} ${line}\n`);
    bytes += line.length + 10;
  }
  const text = Buffer.from(lines.join("")).subarray(0, GZIP_BYTES);
  const gzipMs = fastest(() => {
    sink += gzipSync(text, { level: 6 }).length;
  });
  if (sink < 0) throw new Error("unreachable"); // keeps the work from being optimised away
  return { jsonMs, gzipMs };
}

function cpuModel(): string {
  try {
    return /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1]?.trim() ?? cpus()[0]?.model.trim() ?? "unknown CPU";
  } catch {
    return cpus()[0]?.model.trim() ?? "unknown CPU"; // not Linux
  }
}

/** The load average now, as the line prints it; take it when the benchmark starts. */
export function loadAtStart(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
}

/** The text after "- machine: " (runs the speed probe: about half a second). */
export function machineLine(load: string, extra = ""): string {
  const probe = speedProbe();
  return (
    `nproc ${cpus().length}, ${cpuModel()}, node ${process.version}, load average at start ${load}${extra}; ` +
    `speed probe: ${JSON_TRIPS} JSON round trips of a 2 KiB object ${probe.jsonMs.toFixed(0)} ms, gzip of 4 MiB ${probe.gzipMs.toFixed(0)} ms (fastest of ${ROUNDS})`
  );
}

/**
 * The command line of a benchmark section as it was run: `bash scripts/bench.sh <section>` with
 * the VT_BENCH_* settings in effect before it (a profiled or shortened run says so).
 */
export function benchCommand(section: string): string {
  const overrides = Object.entries(process.env)
    .filter(([k]) => k.startsWith("VT_BENCH_"))
    .map(([k, v]) => `${k}=${v ?? ""} `)
    .join("");
  return `${overrides}bash scripts/bench.sh ${section}`;
}
