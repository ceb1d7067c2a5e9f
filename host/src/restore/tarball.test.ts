import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { readFile, readdir, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { createSilentLogger } from "../shared/logging.js";
import { buildBackupTarball, buildRawTarGz, type RawEntry } from "./testing/backup-tarball.js";
import { BackupTree, isVersionDirectoryEntry } from "./backup-contents.js";
import { BackupContentsError, extractBackupTarball, safeEntryPath, SMALL_ENTRY_BYTES } from "./tarball.js";

const log = createSilentLogger();
/** This file's own temp dir: other test files extract restores in parallel into the system one. */
const TEMP = mkdtempSync(path.join(tmpdir(), "vt-tarball-test-"));
afterAll(() => rmSync(TEMP, { recursive: true, force: true }));

async function extract(buf: Buffer, limits?: { maxEntryBytes?: number; maxTotalBytes?: number; maxEntries?: number }) {
  return extractBackupTarball(Readable.from([buf]), { backupName: "b1", log, limits, tempDir: TEMP });
}

async function leftoverDirs(before: Set<string>): Promise<string[]> {
  return (await readdir(TEMP)).filter((d) => d.startsWith("velero-restore-") && !before.has(d));
}

describe("extractBackupTarball", () => {
  it("extracts a Velero backup into a temporary directory and removes it on dispose", async () => {
    const tgz = await buildBackupTarball([{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c1", namespace: "app" }, data: { a: "1" } }]);
    const out = await extract(tgz);
    const item = JSON.parse(await readFile(path.join(out.dir, "resources/configmaps/namespaces/app/c1.json"), "utf8")) as { data: unknown };
    expect(item.data).toEqual({ a: "1" });
    expect(await readFile(path.join(out.dir, "metadata/version"), "utf8")).toBe("1.1.0\n");
    expect(out.files).toBe(3);
    await out.dispose();
    await expect(stat(out.dir)).rejects.toThrow(/ENOENT/);
  });

  it.each<{ name: string; entries: RawEntry[]; error: RegExp }>([
    { name: "a ../ entry", entries: [{ name: "resources/../../escape.json", content: "{}" }], error: /contains "\.\." and would escape/ },
    { name: "an absolute path", entries: [{ name: "/etc/cron.d/evil", content: "x" }], error: /absolute path/ },
    { name: "a symlink leaving the root", entries: [{ name: "resources/link", type: "symlink", linkname: "../../../etc/passwd" }], error: /symbolic link .* outside/ },
    { name: "an absolute symlink", entries: [{ name: "resources/link", type: "symlink", linkname: "/etc/passwd" }], error: /symbolic link .* outside/ },
    { name: "a hard link leaving the root", entries: [{ name: "resources/hard", type: "link", linkname: "../outside" }], error: /hard link .* outside/ },
  ])("rejects $name and leaves nothing behind", async ({ entries, error }) => {
    const before = new Set(await readdir(TEMP));
    const tgz = await buildRawTarGz([{ name: "metadata/version", content: "1.1.0\n" }, ...entries]);
    const err = await extract(tgz).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackupContentsError);
    expect((err as Error).message).toMatch(error);
    expect(await leftoverDirs(before)).toEqual([]);
  });

  it("writes small entries (gathered in memory) and large ones (streamed) byte for byte, readable by the owner only", async () => {
    const bytes = (n: number, seed: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) % 251));
    const sizes = { empty: 0, small: 3000, edge: SMALL_ENTRY_BYTES, large: SMALL_ENTRY_BYTES + 1 };
    const entries = Object.entries(sizes).map(([name, size], i) => ({ name: `resources/configmaps/namespaces/app/${name}.json`, content: bytes(size, i) }));
    const out = await extract(await buildRawTarGz(entries));
    for (const { name, content } of entries) {
      const file = path.join(out.dir, name);
      expect((await readFile(file)).equals(content), name).toBe(true);
      expect((await stat(file)).mode & 0o777, name).toBe(0o600 & ~process.umask());
    }
    expect(out.files).toBe(4);
    await out.dispose();
  });

  it("ignores links that stay inside the root", async () => {
    const tgz = await buildRawTarGz([
      { name: "resources/pods/namespaces/a/p.json", content: "{}" },
      { name: "resources/pods/namespaces/a/q.json", type: "symlink", linkname: "p.json" },
    ]);
    const out = await extract(tgz);
    expect(await readdir(path.join(out.dir, "resources/pods/namespaces/a"))).toEqual(["p.json"]);
    await out.dispose();
  });

  it("rejects an entry over the size limit with its name", async () => {
    const tgz = await buildRawTarGz([{ name: "resources/big.json", content: Buffer.alloc(2048, 32) }]);
    await expect(extract(tgz, { maxEntryBytes: 1024 })).rejects.toThrow(/"resources\/big.json" is 2048 bytes, over the 1024-byte limit/);
  });

  it("rejects a backup that expands past the total limit", async () => {
    const entries = Array.from({ length: 4 }, (_, i) => ({ name: `resources/f${i}.json`, content: Buffer.alloc(600, 32) }));
    await expect(extract(await buildRawTarGz(entries), { maxTotalBytes: 2000 })).rejects.toThrow(/expands to more than 2000 bytes/);
  });

  it("does not write the entries skipEntry names (the version directories without EnableAPIGroupVersions), but still checks them against the limits", async () => {
    const entries: RawEntry[] = [
      { name: "resources/configmaps/namespaces/a/c.json", content: '{"plain":1}' },
      { name: "resources/configmaps/v1-preferredversion/namespaces/a/c.json", content: '{"copy":1}' },
      { name: "resources/hpas.autoscaling/v2beta2/namespaces/a/h.json", content: '{"copy":2}' },
      // over SMALL_ENTRY_BYTES: drained as a stream
      { name: "resources/configmaps/v1-preferredversion/namespaces/a/big.json", content: Buffer.alloc(SMALL_ENTRY_BYTES + 1, 0x61) },
      { name: "resources/pvs/cluster/p.json", content: '{"plain":2}' },
      { name: "metadata/version", content: "1.1.0\n" },
    ];
    const out = await extractBackupTarball(Readable.from([await buildRawTarGz(entries)]), { backupName: "b1", log, skipEntry: isVersionDirectoryEntry });
    try {
      expect(out.files).toBe(3);
      expect(await readFile(path.join(out.dir, "resources/configmaps/namespaces/a/c.json"), "utf8")).toBe('{"plain":1}');
      expect(await readFile(path.join(out.dir, "resources/pvs/cluster/p.json"), "utf8")).toBe('{"plain":2}');
      await expect(stat(path.join(out.dir, "resources/configmaps/v1-preferredversion"))).rejects.toThrow(/ENOENT/);
      await expect(stat(path.join(out.dir, "resources/hpas.autoscaling/v2beta2"))).rejects.toThrow(/ENOENT/);
    } finally {
      await out.dispose();
    }
    const big = [{ name: "resources/configmaps/namespaces/a/c.json", content: Buffer.alloc(600, 32) }, ...Array.from({ length: 3 }, (_, i) => ({ name: `resources/configmaps/v1-preferredversion/namespaces/a/c${i}.json`, content: Buffer.alloc(600, 32) }))];
    await expect(extractBackupTarball(Readable.from([await buildRawTarGz(big)]), { backupName: "b1", log, limits: { maxTotalBytes: 2000 }, skipEntry: isVersionDirectoryEntry })).rejects.toThrow(/expands to more than 2000 bytes/);
    expect(["resources/x/namespaces/n/a.json", "resources/x/cluster/a.json", "metadata/version", "resources/x.json"].map(isVersionDirectoryEntry)).toEqual([false, false, false, false]);
    expect(["resources/x/v1-preferredversion/namespaces/n/a.json", "./resources/x.g/v2/cluster/a.json"].map(isVersionDirectoryEntry)).toEqual([true, true]);
  });

  it("keeps small entries in memory up to memoryBudgetBytes and writes the rest; a later entry of a name replaces an earlier one either way", async () => {
    const entries: RawEntry[] = [
      { name: "metadata/version", content: "1.1.0\n" },
      { name: "resources/configmaps/namespaces/a/one.json", content: "x".repeat(400) },
      { name: "resources/configmaps/namespaces/a/two.json", content: "y".repeat(400) },
      { name: "resources/configmaps/namespaces/a/big.json", content: Buffer.alloc(SMALL_ENTRY_BYTES + 1, 0x7a) },
      // budget now spent: written to disk
      { name: "resources/configmaps/namespaces/b/three.json", content: "z".repeat(400) },
      // one.json again (in memory before): the later copy (too big for what is left of the budget,
      // where the earlier copy's 400 bytes stay counted: they stay in memory), on disk, is the one
      { name: "resources/configmaps/namespaces/a/one.json", content: "X".repeat(700) },
    ];
    const out = await extractBackupTarball(Readable.from([await buildRawTarGz(entries)]), { backupName: "b1", log, memoryBudgetBytes: 1000 });
    try {
      expect([...out.memory.keys()].sort()).toEqual(["metadata/version", "resources/configmaps/namespaces/a/two.json"]);
      expect(out.memory.get("resources/configmaps/namespaces/a/two.json")?.toString()).toBe("y".repeat(400));
      await expect(stat(path.join(out.dir, "resources/configmaps/namespaces/a/two.json"))).rejects.toThrow(/ENOENT/);
      expect(await readFile(path.join(out.dir, "resources/configmaps/namespaces/a/one.json"), "utf8")).toBe("X".repeat(700));
      expect(await readFile(path.join(out.dir, "resources/configmaps/namespaces/b/three.json"), "utf8")).toBe("z".repeat(400));
      expect((await stat(path.join(out.dir, "resources/configmaps/namespaces/a/big.json"))).size).toBe(SMALL_ENTRY_BYTES + 1);
      expect(out.files).toBe(5);
      // read through a BackupTree, memory and disk look the same
      const tree = new BackupTree(out.dir, out.memory);
      const names = (await tree.list(path.join(out.dir, "resources/configmaps/namespaces/a"))).map((e) => `${e.name}:${e.isFile}`).sort();
      expect(names).toEqual(["big.json:true", "one.json:true", "two.json:true"]);
      expect((await tree.list(path.join(out.dir, "resources/configmaps/namespaces"))).map((e) => `${e.name}:${e.isDirectory}`).sort()).toEqual(["a:true", "b:true"]);
      expect(tree.readText(path.join(out.dir, "resources/configmaps/namespaces/a/two.json"))).toBe("y".repeat(400));
      expect(tree.readText(path.join(out.dir, "resources/configmaps/namespaces/a/one.json"))).toBe("X".repeat(700));
      expect(await tree.exists(path.join(out.dir, "resources/configmaps/namespaces/a/two.json"))).toBe(true);
      expect(await tree.exists(path.join(out.dir, "resources/configmaps/namespaces/b/three.json"))).toBe(true);
      expect(await tree.exists(path.join(out.dir, "resources/configmaps/namespaces/a/none.json"))).toBe(false);
      expect(await tree.list(path.join(out.dir, "resources/secrets"))).toEqual([]);
    } finally {
      await out.dispose();
    }
    // and an entry on disk replaced by a later small one that fits in memory is gone from the disk
    const again = await extractBackupTarball(
      Readable.from([await buildRawTarGz([{ name: "resources/x/cluster/a.json", content: Buffer.alloc(SMALL_ENTRY_BYTES + 1, 1) }, { name: "resources/x/cluster/a.json", content: "small" }])]),
      { backupName: "b1", log, memoryBudgetBytes: 1000 },
    );
    try {
      expect(again.memory.get("resources/x/cluster/a.json")?.toString()).toBe("small");
      await expect(stat(path.join(again.dir, "resources/x/cluster/a.json"))).rejects.toThrow(/ENOENT/);
    } finally {
      await again.dispose();
    }
  });

  it("keeps in-memory entries in memory of their own, not in slabs shared with buffers the server made meanwhile", async () => {
    // A busy server cuts small buffers (request bodies, parser chunks) from Node's shared pool
    // while the tarball streams in; an entry copied into that pool kept its whole slab alive.
    const entries: RawEntry[] = Array.from({ length: 2000 }, (_, i) => ({ name: `resources/configmaps/namespaces/a/c${i}.json`, content: randomBytes(450).toString("base64") }));
    const tgz = await buildRawTarGz(entries);
    const garbage: Buffer[] = [];
    async function* busyServer(): AsyncGenerator<Buffer> {
      for (let at = 0; at < tgz.length; at += 256) {
        garbage.length = 0;
        for (let j = 0; j < 8; j++) garbage.push(Buffer.from(`request body ${at} ${j} `.repeat(12)));
        yield tgz.subarray(at, at + 256);
      }
    }
    const out = await extractBackupTarball(Readable.from(busyServer()), { backupName: "b1", log, memoryBudgetBytes: 64 * 1024 * 1024 });
    try {
      expect(out.memory.size).toBe(2000);
      expect(out.memory.get("resources/configmaps/namespaces/a/c7.json")?.toString()).toBe(entries[7]?.content);
      const kept = [...out.memory.values()].reduce((sum, b) => sum + b.length, 0);
      const held = [...new Set([...out.memory.values()].map((b) => b.buffer))].reduce((sum, ab) => sum + ab.byteLength, 0);
      // what the entries hold is their own size and one partly filled 1 MiB slab at most
      expect(held).toBeLessThanOrEqual(kept + 1024 * 1024);
    } finally {
      await out.dispose();
    }
  });

  it("rejects too many entries", async () => {
    const entries = Array.from({ length: 5 }, (_, i) => ({ name: `resources/f${i}.json`, content: "{}" }));
    await expect(extract(await buildRawTarGz(entries), { maxEntries: 3 })).rejects.toThrow(/more than 3 entries/);
  });

  it("fails clearly on a truncated gzip stream", async () => {
    const tgz = await buildBackupTarball([{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c1", namespace: "app" } }]);
    const before = new Set(await readdir(TEMP));
    const err = await extract(tgz.subarray(0, Math.floor(tgz.length / 2))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackupContentsError);
    expect((err as Error).message).toMatch(/backup tarball of "b1" is truncated or not valid gzip: unexpected end of file/);
    expect(await leftoverDirs(before)).toEqual([]);
  });

  it("fails clearly when the data is not gzip", async () => {
    await expect(extract(Buffer.from("this is not a tarball"))).rejects.toThrow(/not valid gzip: incorrect header check/);
  });

  it("says a gzip that holds no tar archive is corrupt, without node-tar's guess that it needs gunzipping", async () => {
    const err = await extract(gzipSync(Buffer.alloc(2048, 0x41))).catch((e: unknown) => e);
    expect((err as Error).message).toBe('backup tarball of "b1" is truncated or corrupt: Invalid tar header.');
  });

  it("fails clearly on a tar archive cut in the middle of an entry", async () => {
    const tgz = await buildRawTarGz([{ name: "resources/a.json", content: Buffer.alloc(4096, 32) }]);
    const { gunzipSync } = await import("node:zlib");
    const tar = gunzipSync(tgz);
    await expect(extract(gzipSync(tar.subarray(0, 1024)))).rejects.toThrow(/truncated or corrupt/);
  });
});

describe("safeEntryPath", () => {
  it.each(["a/../../b", "../x", "a/..", "C:/windows", "\\\\server\\share", "x\0y"])("rejects %j", (name) => {
    expect(() => safeEntryPath("/tmp/root", name)).toThrow(BackupContentsError);
  });

  it("accepts relative names inside the root", () => {
    expect(safeEntryPath("/tmp/root", "resources/pods/cluster/x.json")).toBe("/tmp/root/resources/pods/cluster/x.json");
  });
});
