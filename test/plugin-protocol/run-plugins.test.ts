// `velero run-plugins` is a plugin binary in every respect: cookie, handshake, ListPlugins (with
// the executable as command), health, Shutdown, and the built-in velero.io/filesystem store
// served out of process through the same manager path as any external plugin.
import { spawnSync } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listPlugins } from "@velero-ts/plugin-sdk/host";
import { DefaultPluginManager } from "../../host/src/plugins/default-manager.ts";
import { launchPlugin } from "../../host/src/plugins/plugin-process.ts";
import { PluginRegistry } from "../../host/src/plugins/registry.ts";
import { buildRunPluginsExecutable, captureLogger, tempDir } from "./helpers.ts";

let velero: string;
let dataDir: string;

beforeAll(async () => {
  velero = await buildRunPluginsExecutable();
  dataDir = await tempDir("vt-pp-run-plugins-");
});

afterAll(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe("velero run-plugins", () => {
  it("refuses to run without the magic cookie", () => {
    const env = { ...process.env };
    delete env["VELERO_PLUGIN"];
    const result = spawnSync(velero, ["run-plugins"], { env, encoding: "utf8", timeout: 20_000 });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/not meant to be executed directly/);
  });

  it("lists the built-ins with its own executable path as command, and shuts down cleanly", async () => {
    const proc = await launchPlugin({ command: velero, args: ["run-plugins", "--log-level=info"] }, { logger: captureLogger(), handshakeTimeoutMs: 30_000 });
    try {
      const listed = await listPlugins(proc.connection);
      expect(listed).toContainEqual({ command: velero, kind: "ObjectStore", name: "velero.io/filesystem" });
      expect(new Set(listed.map((p) => p.command))).toEqual(new Set([velero]));
    } finally {
      await proc.stop();
    }
    expect(await proc.exit).toEqual({ code: 0, signal: null });
  });

  it("serves velero.io/filesystem out of process", async () => {
    const registry = new PluginRegistry();
    registry.register([{ kind: "ObjectStore", name: "velero.io/filesystem" }], { source: "external", command: { command: velero, args: ["run-plugins"] } });
    const manager = new DefaultPluginManager({ registry, logger: captureLogger(), handshakeTimeoutMs: 30_000 });
    try {
      // (createBucket: what the server adds when it validates a new location)
      const store = await manager.getObjectStore("filesystem", { path: dataDir, bucket: "velero", prefix: "", createBucket: "true" });
      await store.putObject("velero", "backups/b1/velero-backup.json", Readable.from([Buffer.from('{"kind":"Backup"}')]));
      expect(await readFile(join(dataDir, "velero", "backups", "b1", "velero-backup.json"), "utf8")).toBe('{"kind":"Backup"}');
      expect(await store.listCommonPrefixes("velero", "backups/", "/")).toEqual(["backups/b1/"]);
      expect(await store.createSignedUrl("velero", "backups/b1/velero-backup.json", 1)).toBe(
        `file://${join(dataDir, "velero", "backups", "b1", "velero-backup.json")}`,
      );
      await expect(store.putObject("velero", "../../etc/passwd", Readable.from([Buffer.from("x")]))).rejects.toThrow(/invalid key/);
    } finally {
      await manager.close();
    }
  });
});
