import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it, onTestFinished } from "vitest";
import { itemPath, TarballWriteError, TarballWriter } from "./tar-writer.js";

describe("TarballWriter", () => {
  it("writes a multi-member gzip that gunzips to one tar stream with every entry", async () => {
    const scratch = mkdtempSync(join(tmpdir(), "vt-tar-"));
    onTestFinished(() => rmSync(scratch, { recursive: true, force: true }));
    const path = join(scratch, "b.tar.gz");
    const w = new TarballWriter(path);
    await w.writeVersion();
    const payload = Buffer.from(Array.from({ length: 4000 }, (_, i) => String.fromCharCode(33 + ((i * 7919) % 90))).join(""));
    for (let i = 0; i < 1000; i++) await w.writeFile(itemPath("configmaps", "ns", `cm-${i}`), payload);
    await w.close();
    const gz = readFileSync(path);
    // Each gzip member starts with Go's header bytes, and each gunzips on its own.
    const starts: number[] = [];
    for (let i = gz.indexOf(GO_GZIP_HEADER); i !== -1; i = gz.indexOf(GO_GZIP_HEADER, i + 1)) starts.push(i);
    expect(starts[0]).toBe(0);
    expect(starts.length).toBeGreaterThan(1);
    const members = starts.map((s, k) => gunzipSync(gz.subarray(s, starts[k + 1] ?? gz.length)));
    expect(Buffer.concat(members).equals(gunzipSync(gz))).toBe(true);
    const tar = gunzipSync(gz);
    expect(tar.subarray(0, 16).toString()).toBe("metadata/version");
    expect(tar.includes(Buffer.from("resources/configmaps/namespaces/ns/cm-999.json"))).toBe(true);
    expect(tar.length % 512).toBe(0);
  });

  it("Huffman-codes the members whose content is incompressible (base64 of random bytes, as in Helm release Secrets), and only those", async () => {
    const scratch = mkdtempSync(join(tmpdir(), "vt-tar-"));
    onTestFinished(() => rmSync(scratch, { recursive: true, force: true }));
    const write = async (name: string, contents: string[]): Promise<{ huffmanOnly: number; members: number; gz: Buffer }> => {
      const path = join(scratch, name);
      const w = new TarballWriter(path);
      for (const [i, c] of contents.entries()) await w.writeFile(itemPath("secrets", "ns", `o-${i}`), c);
      await w.close();
      const gz = readFileSync(path);
      let members = 0;
      // every member keeps Go's header bytes (XFL 0, although zlib writes 4 for a Huffman-only one)
      for (let i = gz.indexOf(GO_GZIP_HEADER); i !== -1; i = gz.indexOf(GO_GZIP_HEADER, i + 1)) members++;
      const tar = gunzipSync(gz);
      for (const i of [0, contents.length - 1]) expect(tar.includes(Buffer.from(contents[i] as string)), `entry ${i}`).toBe(true);
      return { huffmanOnly: w.huffmanOnlyMembers, members, gz };
    };
    // 48 Secrets of 256 KiB: 12 MiB, three to a 1 MiB block
    const secrets = Array.from({ length: 48 }, (_, i) => JSON.stringify({ kind: "Secret", metadata: { name: `s-${i}` }, data: { release: randomBytes(192 * 1024).toString("base64") } }));
    const random = await write("secrets.tar.gz", secrets);
    expect(random.members).toBe(16);
    expect(random.huffmanOnly).toBe(16);
    // as small as full compression would make it: base64 is 6 bits a character
    expect(random.gz.length).toBeLessThan(12 * 1024 * 1024 * 0.77);
    // ~20 MiB of ConfigMap JSON: every member fully compressed
    const json = JSON.stringify({ kind: "ConfigMap", data: Object.fromEntries(Array.from({ length: 200 }, (_, k) => [`key-${k}`, `value-${k % 7}`])) });
    const configMaps = await write("configmaps.tar.gz", Array.from({ length: 4000 }, () => json));
    expect(configMaps.members).toBeGreaterThan(15);
    expect(configMaps.huffmanOnly).toBe(0);
    expect(configMaps.gz.length).toBeLessThan(1024 * 1024);
  });

  it("writes the tar bytes Go's archive/tar writes for Velero: ustar fields, prefix splits, PAX headers, non-ASCII names, rounded mtimes, the end of archive", async () => {
    const times = [
      "2026-01-02T03:04:05.678Z",
      "2026-01-02T03:04:05.400Z",
      "2026-01-02T03:04:05.500Z",
      "2026-01-02T03:04:05Z",
      "2026-01-02T03:04:05.999Z",
      ...Array<string>(GOLDEN_ENTRIES.length - 5).fill("2026-01-02T03:04:05Z"),
    ].map((t) => new Date(t));
    let call = 0;
    const scratch = mkdtempSync(join(tmpdir(), "vt-tar-"));
    onTestFinished(() => rmSync(scratch, { recursive: true, force: true }));
    const path = join(scratch, "b.tar.gz");
    const w = new TarballWriter(path, () => times[call++] as Date);
    for (const [name, data] of GOLDEN_ENTRIES) await w.writeFile(name, data);
    await w.close();
    expect(call).toBe(GOLDEN_ENTRIES.length);
    const ours = readFileSync(path);
    const go = Buffer.from(GO_GOLDEN_TAR_GZ, "base64");
    const [ourTar, goTar] = [gunzipSync(ours), gunzipSync(go)];
    // On a mismatch, the first differing 512-byte block (a header, or data) says what differs.
    const firstDiff = Array.from({ length: Math.max(ourTar.length, goTar.length) / 512 }, (_, i) => i).find((i) => !ourTar.subarray(i * 512, i * 512 + 512).equals(goTar.subarray(i * 512, i * 512 + 512)));
    expect(firstDiff === undefined ? undefined : { block: firstDiff, ours: ourTar.subarray(firstDiff * 512, firstDiff * 512 + 512).toString("latin1"), go: goTar.subarray(firstDiff * 512, firstDiff * 512 + 512).toString("latin1") }).toBeUndefined();
    expect(ourTar.length).toBe(goTar.length);
    expect(ours.subarray(0, 10).toString("hex")).toBe(go.subarray(0, 10).toString("hex"));
    expect(go.subarray(0, 10).toString("hex")).toBe("1f8b08000000000000ff");
  });

  it("keeps a given mtime (a finalized tarball's copied entries)", async () => {
    const scratch = mkdtempSync(join(tmpdir(), "vt-tar-"));
    onTestFinished(() => rmSync(scratch, { recursive: true, force: true }));
    const path = join(scratch, "b.tar.gz");
    const w = new TarballWriter(path, () => new Date("2030-01-01T00:00:00Z"));
    await w.writeFile("metadata/version", "1.1.0\n", new Date("2026-01-02T03:04:05Z"));
    await w.close();
    const header = gunzipSync(readFileSync(path)).subarray(0, 512);
    expect(header.subarray(136, 148).toString("latin1")).toBe(`${(Date.parse("2026-01-02T03:04:05Z") / 1000).toString(8)}\u0000`);
  });

  it("append() asks the caller to wait only while 4 gzip members are in flight, and the entries come out in order", async () => {
    const scratch = mkdtempSync(join(tmpdir(), "vt-tar-"));
    onTestFinished(() => rmSync(scratch, { recursive: true, force: true }));
    const path = join(scratch, "b.tar.gz");
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

  it("appendCopies() writes the same tar bytes as one append() per name: UTF-8 text, PAX names, an empty file, a block boundary", async () => {
    const mtime = new Date("2026-01-02T03:04:05Z");
    const long = `resources/configmaps/namespaces/${"n".repeat(60)}/${"c".repeat(120)}.json`;
    const cases: [string[], string][] = [
      [["resources/configmaps/namespaces/a/é.json", "resources/configmaps/v1-preferredversion/namespaces/a/é.json"], '{"data":{"k":"ünïcödé ✓ 𝄞"}}'],
      [[long, "short.json"], "x".repeat(511)],
      [["empty-1", "empty-2"], ""],
      // 600 KiB twice does not fit what is left of the first 1 MiB block: both go to the next
      [["big-1", "big-2", "big-3"], "y".repeat(600 * 1024)],
      [["one"], "z".repeat(513)],
    ];
    const write = async (copies: boolean): Promise<Buffer> => {
      const scratch = mkdtempSync(join(tmpdir(), "vt-tar-"));
    onTestFinished(() => rmSync(scratch, { recursive: true, force: true }));
    const path = join(scratch, "b.tar.gz");
      const w = new TarballWriter(path, () => mtime);
      for (const [names, content] of cases) {
        if (copies) await w.appendCopies(names, content);
        else for (const name of names) await w.append(name, Buffer.from(content));
      }
      await w.close();
      return gunzipSync(readFileSync(path));
    };
    const [viaCopies, oneByOne] = await Promise.all([write(true), write(false)]);
    expect(viaCopies.length).toBe(oneByOne.length);
    expect(viaCopies.equals(oneByOne)).toBe(true);
    expect(viaCopies.includes(Buffer.from("ünïcödé ✓ 𝄞"))).toBe(true);
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

/** What Go's gzip.NewWriter writes first: deflate, no flags, no mtime, XFL 0, OS 255 (unknown). */
const GO_GZIP_HEADER = Buffer.from("1f8b08000000000000ff", "hex");

const r = (c: string, n: number): string => c.repeat(n);
/** Entries of the golden tarball below: names for every header case (see the comment there). */
const GOLDEN_ENTRIES: [string, string][] = [
  ["metadata/version", "1.1.0\n"],
  [itemPath("configmaps", "ns", "cm"), '{"a":1}'],
  [itemPath("configmaps", "ns", "empty"), ""],
  // over 100 bytes: split at the last '/' that fits (Go's splitUSTARPath), not the first
  [itemPath("secrets", r("n", 63), r("s", 60), "v1-preferredversion"), r("a", 512)],
  [itemPath("deployments.apps", r("d", 40), r("e", 50)), "{}"],
  // no split fits: PAX
  [itemPath("widgets.example.io", "ns", r("w", 200)), r("b", 513)],
  // not ASCII: PAX, and the headers' names without the non-ASCII characters
  [itemPath("configmaps", "ns", "ünïcode"), "{}"],
  [`resources/x/${r("y", 160)}/z.json`, "{}"],
  // UTF-8 content
  [itemPath("configmaps", "ns", "text"), '{"data":{"k":"ünï 😀"}}'],
  // exactly 100 bytes: no NUL after the name
  [`${r("a", 95)}.json`, "x"],
  // cut at 100 bytes where the 100th is '/': the name field ends before it
  [`resources/${r("p", 89)}/${r("q", 120)}.json`, "{}"],
  [`résources/${r("c", 90)}.json`, "{}"],
  [itemPath("gadgets.example.io", undefined, r("g", 253)), "{}"],
];

/**
 * base64 of the .tar.gz Go 1.26's archive/tar and compress/gzip (unchanged since Go 1.25, Velero
 * v1.18.1's toolchain, in what they write here) made of GOLDEN_ENTRIES, written as Velero does:
 * gzip.NewWriter(out), tar.NewWriter(gz), for each entry tw.WriteHeader(&tar.Header{Name, Size,
 * Typeflag: tar.TypeReg, Mode: 0755, ModTime}) then tw.Write(data), then tw.Close(), gz.Close().
 * ModTime: 03:04:05.678, .400, .500, .000, .999, then .000 (2026-01-02 UTC); Go rounds to the second.
 * Made with a scratch `go run` program (not kept in the repository).
 */
const GO_GOLDEN_TAR_GZ =
  "H4sIAAAAAAAA/+ybT3LTTBDFtf5O4dL+k3r+KqSKPUuuMEgTY4hkoVESB1eqOAY71qy4ALtciCNQuEKMJoTxxNYosvq3cVU2kdP95r3uUUrdqk" +
  "K1Kr3UjVksq6gHAAAyITafAGB/AoCMiCBUSEYllxEQyrmIZtDHw9hcmFY1Eez9u+wvNxJIQhL4b+inQIai0WZ50eTapPmyOlvMS1WbtFKlNrX6" +
  "9dPKpHmZvDP7nAxu/Wd/6F9EQDLOJeo/BOtYxafkZujHQAZiB/3rsm6v9zkC3PqHrv9TIFmG+g+B2YNde8JRf9Ktv4hA8IzDyOu/FZbReaNbk1" +
  "6S/+tGn+mm0cVd2u4obT+e+NgKmTTaG38ncJ//tHv+c8IJOxr9F7o+X16XumpNouquvRY7cpjv+hfWGP0mzbZNrxbFXLcm0StV1uc6WSytHPha" +
  "rV5pVejGJJBeefCI7u/1z4F2siAwKiWNZqsQf4BD6X+kUHEyq1X79qVHI/jU/jmzcbKJ775ClN2d/0k3/zOesbHn/5HwBpk2QzcgMig77P86ua" +
  "/Kl4XvCOjKf5BZ+Y8SApj/gvAw/j3aB7ffq9tv9+WfeG46Fnao+1Mk38Fv/yM2+39GMf+FAPc/02ar/1V63RMu/6eZsPY/ggiJ/h8CcvLCDgD9" +
  "NcKhSD9iBDkQofTv5f9MMjn2+5+RgP4/bXbI/61etXu9AejUP2N2/gfM/2FYx4VqVXy6jt/Hp/FmxJ/9+PL5U3yDB8MU6Pn1ks254fZ/+/6HUo" +
  "r3P0EIMmMhz5at/9d94dz/M8Gs+Z9xxnH+DwFlwp7/e2uE9MNA4LbgUULp32/+55Jz9P8Q4Pw/bZrf8u/c8ucHxeX/RHLL/wnhDP0/BITIO/+/" +
  "/Xq/CeoNNOLnRhOg6P7+T8Xo//9jJKD/T5tt/p+rB+9/5+cXptVNNxvMvXH5P5fE9n/O0P+DwODB/P+PRvCv/RFxlOElRNn9/Z8RgfN/END/EQ" +
  "RBpsnPAAAA///n/q6IAFAAAA==";
