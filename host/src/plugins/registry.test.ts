import { mkdtemp, mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger, createSilentLogger } from "../shared/logging.js";
import { parseListing, pluginArgs, PluginRegistry, scanPluginDir } from "./registry.js";

describe("parseListing", () => {
  it.each([
    { name: "empty listing", listed: [], want: "it lists no plugins" },
    { name: "PluginLister kind", listed: [{ kind: "PluginLister", name: "a.io/x" }], want: /kind "PluginLister"/ },
    { name: "unknown kind", listed: [{ kind: "Frobber", name: "a.io/x" }], want: /unknown kind "Frobber"/ },
    { name: "name without slash", listed: [{ kind: "ObjectStore", name: "nope" }], want: /invalid ObjectStore name/ },
    { name: "uppercase prefix", listed: [{ kind: "ObjectStore", name: "A.io/x" }], want: /DNS-1123/ },
  ])("rejects $name", ({ listed, want }) => {
    const result = parseListing(listed);
    expect(typeof result).toBe("string");
    expect(result).toMatch(want);
  });

  it("accepts valid kinds and names", () => {
    expect(parseListing([{ kind: "ObjectStore", name: "example.io/store" }])).toEqual([{ kind: "ObjectStore", name: "example.io/store" }]);
  });
});

describe("PluginRegistry", () => {
  it("rejects a duplicate (kind, name) naming the earlier owner, and registers nothing of that listing", () => {
    const registry = new PluginRegistry();
    expect(registry.register([{ kind: "ObjectStore", name: "velero.io/filesystem" }], { source: "builtin" })).toBeUndefined();
    const reason = registry.register(
      [
        { kind: "BackupItemAction", name: "x.io/a" },
        { kind: "ObjectStore", name: "velero.io/filesystem" },
      ],
      { source: "external", command: { command: "/p/x", args: [] } },
    );
    expect(reason).toMatch(/ObjectStore "velero.io\/filesystem" is already registered by a built-in plugin/);
    expect(registry.find("BackupItemAction", "x.io/a")).toBeUndefined();
  });

  it("allows the same name under different kinds", () => {
    const registry = new PluginRegistry();
    const cmd = { source: "external" as const, command: { command: "/p/aws", args: [] } };
    expect(
      registry.register(
        [
          { kind: "ObjectStore", name: "velero.io/aws" },
          { kind: "VolumeSnapshotter", name: "velero.io/aws" },
        ],
        cmd,
      ),
    ).toBeUndefined();
    expect(registry.list()).toEqual([
      { kind: "ObjectStore", name: "velero.io/aws", command: "/p/aws" },
      { kind: "VolumeSnapshotter", name: "velero.io/aws", command: "/p/aws" },
    ]);
  });

  it("rejects a listing that repeats itself", () => {
    const registry = new PluginRegistry();
    const ids = [
      { kind: "ObjectStore" as const, name: "x.io/a" },
      { kind: "ObjectStore" as const, name: "x.io/a" },
    ];
    expect(registry.register(ids, { source: "builtin" })).toMatch(/twice/);
  });
});

describe("scanPluginDir", () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("finds executables recursively in sorted order and skips the rest", async () => {
    dir = await mkdtemp(join(tmpdir(), "vt-scan-"));
    await mkdir(join(dir, "sub"));
    await writeFile(join(dir, "b-plugin"), "", { mode: 0o755 });
    await writeFile(join(dir, "a-plugin"), "", { mode: 0o700 });
    await writeFile(join(dir, "libfoo.so"), "", { mode: 0o644 });
    await writeFile(join(dir, "sub", "c-plugin"), "", { mode: 0o711 });
    expect(await scanPluginDir(dir, createSilentLogger())).toEqual([join(dir, "a-plugin"), join(dir, "b-plugin"), join(dir, "sub", "c-plugin")]);
  });

  it("scans each directory once: a symlink loop or a second link to a directory finds nothing twice, with a warning", async () => {
    dir = await mkdtemp(join(tmpdir(), "vt-scan-"));
    await mkdir(join(dir, "sub"));
    await writeFile(join(dir, "sub", "c-plugin"), "", { mode: 0o755 });
    await symlink(".", join(dir, "loop"));
    await symlink("sub", join(dir, "also-sub"));
    const lines: string[] = [];
    const logger = createLogger({ format: "json", destination: { write: (line: string) => lines.push(line) } as unknown as NodeJS.WritableStream });
    // "also-sub" sorts first, so it is the path the plugin is found under
    expect(await scanPluginDir(dir, logger)).toEqual([join(dir, "also-sub", "c-plugin")]);
    const warnings = lines.map((l) => JSON.parse(l) as { level: string; msg: string; path?: string }).filter((r) => r.level === "warn");
    expect(warnings.map((w) => w.path)).toEqual([join(dir, "loop"), join(dir, "sub")]);
    expect(warnings[0]?.msg).toMatch(/already scanned \(a symlink loop or a second link to one directory\)/);
  });

  it("treats a missing directory as empty, and says so in a warning naming it", async () => {
    const lines: string[] = [];
    const logger = createLogger({ format: "json", destination: { write: (line: string) => lines.push(line) } as unknown as NodeJS.WritableStream });
    expect(await scanPluginDir("/nonexistent/vt-plugins", logger)).toEqual([]);
    const warning = lines.map((l) => JSON.parse(l) as { level: string; msg: string; pluginDir?: string }).find((r) => r.level === "warning" || r.level === "warn");
    expect(warning?.pluginDir).toBe("/nonexistent/vt-plugins");
    expect(warning?.msg).toMatch(/plugin directory "\/nonexistent\/vt-plugins" does not exist: only the built-in plugins are available/);
  });
});

describe("pluginArgs", () => {
  it("passes only flags Go plugins parse, with logrus level names", () => {
    expect(pluginArgs({ logLevel: "warn", logFormat: "json", features: ["EnableCSI"] })).toEqual([
      "--log-level=warning",
      "--log-format=json",
      "--features=EnableCSI",
    ]);
  });

  it("drops a level Go plugins would reject", () => {
    expect(pluginArgs({ logLevel: "verbose" })).toEqual([]);
  });
});
