// Shared setup of the plugin benchmarks: the fixture plugin (a real SEA plugin executable) behind
// the host's real plugin manager, plus result reporting into bench/RESULTS.md. The host side
// (startFixtureBinary) imports only the host's plugin manager: the fixture build tooling (esbuild)
// lives in plugin-build.ts, so a process that only hosts plugins does not load it.
import { appendFile, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createSilentLogger } from "../host/src/shared/logging.js";
import { DefaultPluginManager } from "../host/src/plugins/default-manager.js";
import type { PluginTransport } from "../host/src/plugins/plugin-process.js";
import { discoverPlugins } from "../host/src/plugins/registry.js";
import { benchCommand, loadAtStart, machineLine } from "./machine.js";

/** The load average when the benchmark started (this module is loaded first). */
const LOAD = loadAtStart();

/** The repository root (this file is bench/plugin-common.ts, or its bundle in bench/tmp/). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), import.meta.url.includes("/bench/tmp/") ? "../.." : "..");

/** Both transports, the one the velero-ts host uses with TypeScript plugins first. */
export const TRANSPORTS: readonly PluginTransport[] = ["vtframes1", "grpc"];

export interface Bench {
  manager: DefaultPluginManager;
  /** The protocol the plugin answered. */
  protocol: string;
  close(): Promise<void>;
}

/** Starts an already built fixture plugin executable behind the real plugin manager. */
export async function startFixtureBinary(fixture: string, transport: PluginTransport): Promise<Bench> {
  const dir = await mkdtemp(join(tmpdir(), "vt-bench-plugins-"));
  await symlink(resolve(fixture), join(dir, "velero-plugin-fixture"));
  const logger = createSilentLogger();
  const registry = await discoverPlugins({ pluginDir: dir, args: [], logger, handshakeTimeoutMs: 60_000, transport });
  const manager = new DefaultPluginManager({ registry, logger, transport });
  // start the process so its negotiated protocol is known
  await manager.get("BackupItemAction", "test.io/bia-v1").then((a) => a.appliesTo());
  const protocol = manager.processes()[0]?.protocol ?? "none";
  if (protocol !== transport) throw new Error(`the fixture plugin answered ${protocol}, expected ${transport}`);
  return {
    manager,
    protocol,
    close: async () => {
      await manager.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Appends a section to bench/RESULTS.md and prints it. */
export async function report(title: string, benchSection: string, lines: string[]): Promise<void> {
  const command = benchCommand(benchSection);
  const section = [`## ${title} — ${new Date().toISOString()}`, "", `- machine: ${machineLine(LOAD)}`, `- command: \`${command}\``, ...lines.map((l) => `- ${l}`), "", ""].join("\n");
  process.stdout.write(section);
  await appendFile(join(ROOT, "bench", "RESULTS.md"), section);
}

export function mibPerSecond(bytes: number, ms: number): number {
  return bytes / (1024 * 1024) / (ms / 1000);
}
