// A plugin directory full of broken executables next to one good plugin: each bad one is
// excluded with a clear error naming it and what went wrong, within the handshake timeout, and
// the good plugin keeps working.
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DefaultPluginManager } from "../../host/src/plugins/default-manager.ts";
import { discoverPlugins, type PluginRegistry } from "../../host/src/plugins/registry.ts";
import { buildFixturePlugin, captureLogger, installLink, installRawLister, installScript, tempDir, type LogRecord } from "./helpers.ts";

// generous: the test machine is shared with long builds (load average far above the core count)
const HANDSHAKE_TIMEOUT_MS = 10_000;
let dir: string;
let dataDir: string;
let registry: PluginRegistry;
let discoveryMs: number;
const records: LogRecord[] = [];

beforeAll(async () => {
  const fixture = await buildFixturePlugin();
  dir = await tempDir("vt-pp-bad-");
  dataDir = await tempDir("vt-pp-bad-data-");
  // Sorted order matters for duplicates: the first registration wins.
  await installLink(dir, fixture, "velero-plugin-fixture");
  await installScript(dir, "not-a-plugin.sh", "backup-helper");
  await installScript(dir, "exits-at-once.sh", "velero-plugin-exits");
  await installScript(dir, "prints-garbage.sh", "velero-plugin-garbage");
  await installScript(dir, "never-handshakes.sh", "velero-plugin-silent");
  await installScript(dir, "hangs-with-child.sh", "velero-plugin-silent-with-child");
  await installRawLister(dir, "velero-plugin-zz-duplicate", [{ kind: "ObjectStore", name: "test.io/store" }]);
  await installRawLister(dir, "velero-plugin-invalid-name", [{ kind: "ObjectStore", name: "Not_A_Valid/name" }]);
  await installRawLister(dir, "velero-plugin-lists-lister", [{ kind: "PluginLister", name: "test.io/lister" }]);
  await installRawLister(dir, "velero-plugin-dup-builtin", [{ kind: "ObjectStore", name: "velero.io/filesystem" }]);
  await writeFile(join(dir, "README.txt"), "not executable\n", { mode: 0o644 });
  const started = performance.now();
  registry = await discoverPlugins({
    pluginDir: dir,
    builtins: [{ kind: "ObjectStore", name: "velero.io/filesystem" }],
    args: ["--log-level=info"],
    logger: captureLogger(records),
    handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS,
  });
  discoveryMs = performance.now() - started;
});

afterAll(async () => {
  for (const d of [dir, dataDir]) if (d) await rm(d, { recursive: true, force: true });
});

const problem = (name: string): string | undefined => registry.problems().find((p) => p.executable === join(dir, name))?.reason;

describe("bad plugins in the plugin dir", () => {
  it.each([
    { file: "backup-helper", reason: /exited with code 0 before printing its handshake line; its stderr ends with: "usage: backup-helper/ },
    { file: "velero-plugin-exits", reason: /exited with code 3 before printing its handshake line; its stderr ends with: "fatal: cannot read configuration"/ },
    { file: "velero-plugin-garbage", reason: /invalid plugin handshake "Hello! I am definitely a plugin.": expected "CORE\|APP\|NETWORK\|ADDRESS\|grpc\|"/ },
    { file: "velero-plugin-silent", reason: /printed no handshake line on stdout within 10000 ms/ },
    { file: "velero-plugin-silent-with-child", reason: /printed no handshake line on stdout within 10000 ms/ },
    { file: "velero-plugin-zz-duplicate", reason: /ObjectStore "test.io\/store" is already registered by ".*velero-plugin-fixture"/ },
    { file: "velero-plugin-invalid-name", reason: /invalid ObjectStore name: plugin name "Not_A_Valid\/name"/ },
    { file: "velero-plugin-lists-lister", reason: /kind "PluginLister", which plugins must not list/ },
    { file: "velero-plugin-dup-builtin", reason: /ObjectStore "velero.io\/filesystem" is already registered by a built-in plugin/ },
  ])("excludes $file with a clear reason", ({ file, reason }) => {
    expect(problem(file)).toMatch(reason);
    const logged = records.find((r) => r.level === "error" && r.fields["cmd"] === join(dir, file));
    expect(logged?.message).toContain(`plugin executable "${join(dir, file)}" is excluded`);
  });

  it("names a plugin it is still waiting for (one slow to answer holds up the server's start)", () => {
    const waiting = records.filter((r) => r.level === "warn" && /has not printed its handshake line yet; waiting for it up to 10s/.test(r.message ?? ""));
    expect(waiting.map((r) => r.fields["cmd"]).sort()).toEqual([join(dir, "velero-plugin-silent"), join(dir, "velero-plugin-silent-with-child")]);
  });

  it("skips the non-executable file with a warning and reports nothing else", () => {
    expect(registry.problems()).toHaveLength(9);
    expect(records.some((r) => r.level === "warn" && r.fields["path"] === join(dir, "README.txt"))).toBe(true);
  });

  it("finishes discovery within the handshake timeout (plus start-up slack)", () => {
    expect(discoveryMs).toBeLessThan(2 * HANDSHAKE_TIMEOUT_MS);
  });

  it("keeps serving the good plugins", async () => {
    expect(registry.list().map((p) => `${p.kind}/${p.name}`)).toEqual([
      "ObjectStore/velero.io/filesystem",
      "BackupItemAction/test.io/bia-v1",
      "BackupItemActionV2/test.io/bia-v2",
      "VolumeSnapshotter/test.io/snapshotter",
      "ObjectStore/test.io/store",
      "RestoreItemAction/test.io/ria-v1",
      "RestoreItemActionV2/test.io/ria-async",
      "RestoreItemActionV2/test.io/ria-v2",
      "DeleteItemAction/test.io/dia",
      "ItemBlockAction/test.io/iba",
      "ItemBlockAction/test.io/iba-peer",
    ]);
    const manager = new DefaultPluginManager({ registry, logger: captureLogger() });
    try {
      const store = await manager.getObjectStore("test.io/store", { path: dataDir, bucket: "b" });
      await store.putObject("b", "k", Readable.from([Buffer.from("v")]));
      expect(await store.objectExists("b", "k")).toBe(true);
    } finally {
      await manager.close();
    }
  });

  it("leaves no child process running after discovery and close", async () => {
    expect(await childProcesses()).toEqual([]);
  });

  it("leaves nothing a plugin started running either (its process group is killed with it)", async () => {
    expect(await processesRunning(/^sleep 301[78]$/)).toEqual([]);
  });
});

/** Live (non-zombie) processes of this machine whose command line matches, as "pid command line". */
async function processesRunning(commandLine: RegExp): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = (await readFile(`/proc/${entry}/cmdline`, "utf8")).split("\0").filter(Boolean).join(" ");
      const stat = await readFile(`/proc/${entry}/stat`, "utf8");
      if (commandLine.test(cmd) && stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z") out.push(`${entry} ${cmd}`);
    } catch {
      // the process ended while being read
    }
  }
  return out;
}

/** Live (non-zombie) child processes of this test process, as "pid comm". */
async function childProcesses(): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = await readFile(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue;
    }
    // pid (comm) state ppid ...; comm may contain spaces, so split after the last ")"
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // esbuild's service process belongs to the fixture build, not to the plugin host
    if (Number(ppid) === process.pid && state !== "Z" && comm !== "esbuild") out.push(`${entry} ${comm}`);
  }
  return out;
}
