// Shared setup of the plugin benchmarks: the fixture plugin (a real SEA plugin executable) behind
// the host's real plugin manager, plus result reporting into bench/RESULTS.md.
import { appendFile, readFile, rm } from "node:fs/promises";
import { cpus } from "node:os";
import { join } from "node:path";
import { createSilentLogger } from "../host/src/shared/logging.js";
import { DefaultPluginManager } from "../host/src/plugins/default-manager.js";
import { discoverPlugins } from "../host/src/plugins/registry.js";
import { buildFixturePlugin, installLink, ROOT, tempDir } from "../test/plugin-protocol/helpers.js";

export interface Bench {
  manager: DefaultPluginManager;
  close(): Promise<void>;
}

export async function startFixture(): Promise<Bench> {
  return startFixtureBinary(await buildFixturePlugin());
}

/** The fixture plugin executable (built, or reused when up to date). */
export { buildFixturePlugin };

/** Starts an already built fixture plugin executable behind the real plugin manager. */
export async function startFixtureBinary(fixture: string): Promise<Bench> {
  const dir = await tempDir("vt-bench-plugins-");
  await installLink(dir, fixture, "velero-plugin-fixture");
  const logger = createSilentLogger();
  const registry = await discoverPlugins({ pluginDir: dir, args: [], logger, handshakeTimeoutMs: 60_000 });
  const manager = new DefaultPluginManager({ registry, logger });
  return {
    manager,
    close: async () => {
      await manager.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function machine(): Promise<string> {
  let model = cpus()[0]?.model ?? "unknown cpu";
  try {
    const info = await readFile("/proc/cpuinfo", "utf8");
    model = /^model name\s*:\s*(.+)$/m.exec(info)?.[1] ?? model;
  } catch {
    // not Linux
  }
  const load = (await readFile("/proc/loadavg", "utf8").catch(() => "?")).split(" ").slice(0, 3).join(" ");
  return `nproc ${cpus().length}, ${model}, node ${process.version}, load average at start ${load}`;
}

/** Appends a section to bench/RESULTS.md and prints it. */
export async function report(title: string, command: string, lines: string[]): Promise<void> {
  const overrides = Object.entries(process.env)
    .filter(([k]) => k.startsWith("VT_BENCH_"))
    .map(([k, v]) => `${k}=${v ?? ""} `)
    .join("");
  command = overrides + command;
  const section = [`## ${title} — ${new Date().toISOString()}`, "", `- machine: ${await machine()}`, `- command: \`${command}\``, ...lines.map((l) => `- ${l}`), "", ""].join("\n");
  process.stdout.write(section);
  await appendFile(join(ROOT, "bench", "RESULTS.md"), section);
}

export function mibPerSecond(bytes: number, ms: number): number {
  return bytes / (1024 * 1024) / (ms / 1000);
}

/** Samples RSS every 10 ms while fn runs; returns the peak. */
export async function peakRss<T>(fn: () => Promise<T>): Promise<{ result: T; peak: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  try {
    const result = await fn();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, peak };
  } finally {
    clearInterval(timer);
  }
}
