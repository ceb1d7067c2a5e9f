// Shared setup for the plugin protocol suites: builds the fixture plugin and `run-plugins` into
// single executables (incremental; scripts/build-plugins.ts), and captures host log records.
import { Readable } from "node:stream";
import { chmod, copyFile, mkdtemp, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildSeaExecutable, ROOT } from "../../scripts/build-plugins.ts";
import { captureLogger, type LogRecord } from "../helpers/capture-logger.ts";

export { captureLogger, type LogRecord };

export { ROOT };
export const FIXTURES = join(ROOT, "test", "fixtures", "plugins");
const OUT = join(ROOT, "dist", "test-plugins");

/** Builds (or reuses) the fixture plugin executable; returns its path. */
export async function buildFixturePlugin(): Promise<string> {
  const output = join(OUT, "velero-plugin-fixture");
  await buildSeaExecutable({ name: "velero-plugin-fixture", entry: join(FIXTURES, "fixture-plugin.ts"), output }, { log: () => {} });
  return output;
}

/** Builds (or reuses) the plugin real Velero runs in velero-compat/ts-plugins-under-velero.test.ts. */
export async function buildUnderVeleroPlugin(): Promise<string> {
  const output = join(OUT, "velero-plugin-under-velero");
  await buildSeaExecutable({ name: "velero-plugin-under-velero", entry: join(FIXTURES, "under-velero-plugin.ts"), output }, { log: () => {} });
  return output;
}

/** Builds (or reuses) an executable whose whole job is `runPlugins()` (velero run-plugins). */
export async function buildRunPluginsExecutable(): Promise<string> {
  const output = join(OUT, "velero-run-plugins");
  await buildSeaExecutable({ name: "velero-run-plugins", entry: join(FIXTURES, "run-plugins-entry.ts"), output }, { log: () => {} });
  return output;
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Copies a shell fixture into dir under name, executable. */
export async function installScript(dir: string, fixture: string, name: string): Promise<string> {
  const path = join(dir, name);
  await copyFile(join(FIXTURES, fixture), path);
  await chmod(path, 0o755);
  return path;
}

/** Links an executable into dir under name. */
export async function installLink(dir: string, target: string, name: string): Promise<string> {
  const path = join(dir, name);
  await symlink(resolve(target), path);
  return path;
}

/** A plugin executable (shell wrapper around raw-lister.ts) that lists exactly `listing`. */
export async function installRawLister(dir: string, name: string, listing: { kind: string; name: string }[]): Promise<string> {
  const path = join(dir, name);
  const json = JSON.stringify(listing).replaceAll("'", "'\\''");
  await writeFile(path, `#!/bin/sh\nexec "${process.execPath}" "${join(FIXTURES, "raw-lister.ts")}" '${json}' "$@"\n`, { mode: 0o755 });
  return path;
}

/** Samples process memory every few ms while `fn` runs; returns the peak growth over the start. */
export async function measureMemory<T>(fn: () => Promise<T>): Promise<{ result: T; rssGrowth: number; arrayBuffersGrowth: number }> {
  globalThis.gc?.();
  const start = process.memoryUsage();
  let peakRss = start.rss;
  let peakAb = start.arrayBuffers;
  const timer = setInterval(() => {
    const now = process.memoryUsage();
    peakRss = Math.max(peakRss, now.rss);
    peakAb = Math.max(peakAb, now.arrayBuffers);
  }, 5);
  try {
    const result = await fn();
    return { result, rssGrowth: peakRss - start.rss, arrayBuffersGrowth: peakAb - start.arrayBuffers };
  } finally {
    clearInterval(timer);
  }
}

/** An upload body that sends `total` bytes, then fails ("source broke after <n> bytes"). */
export function failingSource(total: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) {
        this.destroy(new Error(`source broke after ${sent} bytes`));
        return;
      }
      const n = Math.min(64 * 1024, total - sent);
      sent += n;
      this.push(Buffer.alloc(n, 7));
    },
  });
}
