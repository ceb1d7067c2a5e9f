import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { gzipGo, gzipStreamGo, gzipSyncGo, looksIncompressible } from "./gzip.js";

/** The 10 bytes Go's gzip.NewWriter starts every file with (velero's .gz files all do). */
const GO_HEADER = "1f8b08000000000000ff";

describe("gzip with Go's header", () => {
  it("gzipSyncGo, gzipGo and gzipStreamGo write Go's header bytes and still gunzip", async () => {
    const text = "line one\nline two\n".repeat(1000);
    const streamed = await buffer(gzipStreamGo(Readable.from([text.slice(0, 5), text.slice(5)])));
    for (const gz of [gzipSyncGo(text), await gzipGo(Buffer.from(text)), streamed, await buffer(gzipStreamGo(Readable.from([])))]) {
      expect(gz.subarray(0, 10).toString("hex")).toBe(GO_HEADER);
    }
    expect(gunzipSync(streamed).toString()).toBe(text);
  });

  it("gzipStreamGo passes a source error on", async () => {
    const source = new Readable({ read() {} });
    const gz = gzipStreamGo(source);
    setImmediate(() => source.destroy(new Error("boom")));
    await expect(buffer(gz)).rejects.toThrow("boom");
  });

  it("a Huffman-only member keeps Go's header (XFL 0), gunzips, and is as small as a full one on base64 of random bytes", async () => {
    const data = Buffer.from(randomBytes(300_000).toString("base64"));
    const [fast, full] = [await gzipGo(data, { huffmanOnly: true }), await gzipGo(data)];
    expect(fast.subarray(0, 10).toString("hex")).toBe(GO_HEADER);
    expect(gunzipSync(fast).equals(data)).toBe(true);
    expect(fast.length).toBeLessThan(full.length * 1.02);
  });
});

describe("looksIncompressible", () => {
  const json = (n: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => JSON.stringify({ metadata: { name: `cm-${i}`, namespace: "ns" }, data: { key: `value-${i}` } })).join(""));
  it.each([
    { name: "base64 of random bytes (Helm release Secrets)", data: () => Buffer.from(randomBytes(600_000).toString("base64")), want: true },
    { name: "random bytes", data: () => randomBytes(600_000), want: true },
    { name: "ConfigMap JSON", data: () => json(8000), want: false },
    { name: "zeros (tar padding)", data: () => Buffer.alloc(600_000), want: false },
    { name: "a block too small to judge", data: () => randomBytes(100_000), want: false },
    { name: "JSON with a random blob in the middle third only", data: () => Buffer.concat([json(3000), Buffer.from(randomBytes(150_000).toString("base64")), json(3000)]), want: false },
  ])("$name: $want", async ({ data, want }) => {
    expect(await looksIncompressible(data())).toBe(want);
  });
});
