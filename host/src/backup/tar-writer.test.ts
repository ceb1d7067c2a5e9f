import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { pack } from "tar-stream";
import { describe, expect, it } from "vitest";
import { itemPath, TarballWriteError, TarballWriter } from "./tar-writer.js";

describe("TarballWriter", () => {
  it("writes a multi-member gzip that gunzips to one tar stream with every entry", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "vt-tar-")), "b.tar.gz");
    const w = new TarballWriter(path);
    await w.writeVersion();
    const payload = Buffer.from(Array.from({ length: 4000 }, (_, i) => String.fromCharCode(33 + ((i * 7919) % 90))).join(""));
    for (let i = 0; i < 1000; i++) await w.writeFile(itemPath("configmaps", "ns", `cm-${i}`), payload);
    await w.close();
    const gz = readFileSync(path);
    let members = 0;
    for (let i = 0; i + 2 < gz.length; i++) if (gz[i] === 0x1f && gz[i + 1] === 0x8b && gz[i + 2] === 0x08 && gz[i + 3] === 0x00) members++;
    expect(members).toBeGreaterThan(1);
    const tar = gunzipSync(gz);
    expect(tar.subarray(0, 16).toString()).toBe("metadata/version");
    expect(tar.includes(Buffer.from("resources/configmaps/namespaces/ns/cm-999.json"))).toBe(true);
    expect(tar.length % 512).toBe(0);
  });

  it("writes the same tar bytes as tar-stream's pack() for short, prefix-split, PAX and non-ASCII names and UTF-8 string content", async () => {
    const mtime = new Date("2026-01-02T03:04:05.678Z");
    const entries: [string, Buffer | string][] = [
      ["metadata/version", Buffer.from("1.1.0\n")],
      [itemPath("configmaps", "ns", "cm"), Buffer.from('{"a":1}')],
      [itemPath("configmaps", "ns", "empty"), Buffer.alloc(0)],
      [itemPath("secrets", "n".repeat(63), "s".repeat(60), "v1-preferredversion"), Buffer.alloc(512, 0x61)],
      [itemPath("widgets.example.io", "ns", "w".repeat(200)), Buffer.alloc(513, 0x62)],
      [itemPath("configmaps", "ns", "ünïcode"), Buffer.from("{}")],
      [`resources/x/${"y".repeat(160)}/z.json`, Buffer.from("{}")],
      [itemPath("configmaps", "ns", "text"), '{"data":{"k":"ünï 😀"}}'],
    ];
    const path = join(mkdtempSync(join(tmpdir(), "vt-tar-")), "b.tar.gz");
    const w = new TarballWriter(path, () => mtime);
    for (const [name, data] of entries) await w.writeFile(name, data);
    await w.close();

    const p = pack();
    const chunks: Buffer[] = [];
    const done = new Promise<void>((resolve, reject) => {
      p.on("data", (c: unknown) => chunks.push(c as Buffer));
      p.on("end", () => resolve());
      p.on("error", reject);
    });
    for (const [name, content] of entries) {
      const data = Buffer.from(content);
      p.entry({ name, size: data.length, mode: 0o755, mtime, type: "file", uid: 0, gid: 0 }, data);
    }
    p.finalize();
    await done;
    expect(gunzipSync(readFileSync(path)).equals(Buffer.concat(chunks))).toBe(true);
  });

  it("append() asks the caller to wait only while 4 gzip members are in flight, and the entries come out in order", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "vt-tar-")), "b.tar.gz");
    const w = new TarballWriter(path);
    const payload = Buffer.alloc(300 * 1024, 0x61);
    const waits: (Promise<void> | undefined)[] = [];
    for (let i = 0; i < 20; i++) {
      const wait = w.append(`f-${i}`, payload);
      waits.push(wait);
      if (wait) await wait;
    }
    await w.close();
    // 300 KiB entries fill a 1 MiB block every ~3 entries: the first blocks go out without waiting.
    expect(waits.slice(0, 4).every((x) => x === undefined)).toBe(true);
    expect(waits.some((x) => x !== undefined)).toBe(true);
    const tar = gunzipSync(readFileSync(path));
    const names = [...tar.toString("latin1").matchAll(/f-\d+/g)].map((m) => m[0]);
    expect(names).toEqual(Array.from({ length: 20 }, (_, i) => `f-${i}`));
  });

  it("a file that cannot be written (disk full) fails with a TarballWriteError naming it and the cause, first error first", async () => {
    const tw = new TarballWriter("/dev/full");
    const error = await (async () => {
      for (let i = 0; i < 2000; i++) {
        const wait = tw.append(`resources/configmaps/namespaces/app/cm-${i}.json`, `${"x".repeat(10_000)}${i}`);
        if (wait) await wait;
      }
      await tw.close();
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TarballWriteError);
    expect((error as Error).message).toBe("cannot write the backup tarball /dev/full: ENOSPC: no space left on device, write (its filesystem is full: free space there, or point TMPDIR at a larger one)");
    await expect(tw.close(), "close() reports the same first error").rejects.toBe(error);
  });

  it("builds Velero's item paths", () => {
    expect(itemPath("pods", "ns", "p")).toBe("resources/pods/namespaces/ns/p.json");
    expect(itemPath("persistentvolumes", undefined, "pv", "v1-preferredversion")).toBe("resources/persistentvolumes/v1-preferredversion/cluster/pv.json");
  });
});
