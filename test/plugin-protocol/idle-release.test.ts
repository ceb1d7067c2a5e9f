// A long-lived plugin manager and the configs of object stores: each config gets its own process
// (a process holds one config per plugin), and one that nothing has used for idleReleaseMs is
// stopped, keeping the executable's most recently used process. A released config used again
// gets a new process, initialised with it. And the log lines of the manager's own calls (not a
// backup's or restore's) stay out of an operation's log. Real fixture plugin processes; a fake
// clock decides idleness.
import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ObjectStore } from "@velero-ts/plugin-sdk";
import { DefaultPluginManager } from "../../host/src/plugins/default-manager.ts";
import { discoverPlugins } from "../../host/src/plugins/registry.ts";
import { buildFixturePlugin, captureLogger, installLink, tempDir, type LogRecord } from "./helpers.ts";

const IDLE_MS = 10 * 60_000;
let pluginDir: string;
let markerDir: string;
let dataA: string;
let dataB: string;
let manager: DefaultPluginManager;
const clock = { ms: 1_000_000 };
const records: LogRecord[] = [];

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks).toString();
}

beforeAll(async () => {
  const fixture = await buildFixturePlugin();
  pluginDir = await tempDir("vt-idle-dir-");
  markerDir = await tempDir("vt-idle-markers-");
  dataA = await tempDir("vt-idle-a-");
  dataB = await tempDir("vt-idle-b-");
  await installLink(pluginDir, fixture, "velero-plugin-fixture");
  const logger = captureLogger(records);
  const registry = await discoverPlugins({ pluginDir, args: [], logger, handshakeTimeoutMs: 20_000 });
  manager = new DefaultPluginManager({ registry, logger, env: { VT_FIXTURE_MARKER_DIR: markerDir }, idleReleaseMs: IDLE_MS, now: () => clock.ms });
});

afterAll(async () => {
  await manager?.close();
  for (const dir of [pluginDir, markerDir, dataA, dataB]) if (dir) await rm(dir, { recursive: true, force: true });
});

describe("plugin processes of configs nothing uses any more", () => {
  let a: ObjectStore;
  let b: ObjectStore;

  it("stops the idle process of an old config after idleReleaseMs, keeping the executable's most recently used one", async () => {
    a = await manager.getObjectStore("test.io/store", { path: dataA, bucket: "a" });
    await a.putObject("a", "k", Readable.from([Buffer.from("from a")]));
    clock.ms += 60_000;
    // the location's config changed (or another location): a second process
    b = await manager.getObjectStore("test.io/store", { path: dataB, bucket: "b" });
    await b.putObject("b", "k", Readable.from([Buffer.from("from b")]));
    expect(manager.processes().filter((p) => p.pid !== undefined)).toHaveLength(2);
    const [pidA, pidB] = manager.processes().map((p) => p.pid);

    // not yet idle long enough
    clock.ms += IDLE_MS - 60_000 - 1;
    expect(await manager.releaseIdleProcesses()).toBe(0);
    // a has been idle for IDLE_MS; b, used a minute later, is the one kept
    clock.ms += 1;
    expect(await manager.releaseIdleProcesses()).toBe(1);
    expect(manager.processes().map((p) => p.pid)).toEqual([undefined, pidB]);
    expect(records.some((r) => r.message === "stopped a plugin process nothing has used for a while")).toBe(true);
    // the kept one is never released, however long it idles: the executable keeps a process
    clock.ms += 10 * IDLE_MS;
    expect(await manager.releaseIdleProcesses()).toBe(0);
    expect(pidA).not.toBe(pidB);
  });

  it("starts the released config's process again when it is used, initialised with its config", async () => {
    expect(await readAll(await a.getObject("a", "k"))).toBe("from a");
    const running = manager.processes();
    expect(running.every((p) => p.pid !== undefined)).toBe(true);
    expect(running[0]?.starts).toBe(2);
    // the new process was initialised with a's config (the fixture records each Init by pid)
    const inits = await Promise.all(
      (await readdir(markerDir)).filter((n) => n.startsWith(`init-${running[0]?.pid}-`)).map(async (n) => JSON.parse(await readFile(join(markerDir, n), "utf8")) as Record<string, string>),
    );
    expect(inits).toEqual([expect.objectContaining({ path: dataA, bucket: "a" })]);
  });

  it("does not stop a process while a stream it returned is still being read", async () => {
    const body = await b.getObject("b", "k");
    clock.ms += 2 * IDLE_MS;
    // b's stream is open: b is busy and kept; a, idle, goes
    expect(await manager.releaseIdleProcesses()).toBe(1);
    expect(manager.processes().map((p) => p.pid !== undefined)).toEqual([false, true]);
    expect(await readAll(body)).toBe("from b");
  });
});

describe("plugin log lines of the manager's own calls", () => {
  it("go to the server log, not to a backup whose call on the same process just ended (its log, its error counts)", async () => {
    const backupRecords: LogRecord[] = [];
    const view = manager.withLog(captureLogger(backupRecords));
    const initialised = (rs: LogRecord[]) => rs.filter((r) => r.message === "fixture store initialised" && r.fields["bucket"] === "routing").length;
    const config = { path: dataA, bucket: "routing" };
    await view.getObjectStore("test.io/store", config);
    await waitFor(() => initialised(backupRecords) === 1);
    const serverBefore = initialised(records);
    // within the backup's grace period: the manager's own call (a location's validation)
    await manager.getObjectStore("test.io/store", config);
    await waitFor(() => initialised(records) > serverBefore);
    await new Promise((r) => setTimeout(r, 300));
    expect(initialised(backupRecords)).toBe(1);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}
