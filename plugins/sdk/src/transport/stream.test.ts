import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { rechunk } from "./stream.js";

async function collect(source: Iterable<Buffer | string | Uint8Array>, size: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  async function* gen(): AsyncGenerator<Buffer | string | Uint8Array> {
    yield* source;
  }
  for await (const chunk of rechunk(gen(), size)) out.push(Buffer.from(chunk));
  return out;
}

function bytes(n: number, seed = 0): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i + seed) % 251;
  return b;
}

describe("rechunk", () => {
  it("re-frames any split into chunks of exactly size bytes, the last one shorter", async () => {
    const data = bytes(10_000);
    for (const sizes of [[1], [7, 3, 1000], [4096], [3000, 5000, 1, 1999], [10_000]]) {
      const pieces: Buffer[] = [];
      let offset = 0;
      for (let i = 0; offset < data.length; i++) {
        const n = sizes[i % sizes.length] ?? 1;
        pieces.push(data.subarray(offset, offset + n));
        offset += n;
      }
      const chunks = await collect(pieces, 4096);
      expect(chunks.map((c) => c.length)).toEqual([4096, 4096, 1808]);
      expect(Buffer.concat(chunks).equals(data)).toBe(true);
    }
  });

  it("passes big source chunks on as views and copies pieces it merges", async () => {
    const big = bytes(8292);
    const views: Buffer[] = [];
    for await (const chunk of rechunk(Readable.from([big.subarray(0, 100), big.subarray(100)]), 4096)) views.push(chunk);
    expect(views.map((c) => c.length)).toEqual([4096, 4096, 100]);
    // first chunk merged from two pieces: a copy
    expect(views[0]?.buffer === big.buffer).toBe(false);
    // second chunk lies inside the second source chunk: a view
    expect(views[1]?.buffer).toBe(big.buffer);
    big.fill(0);
    expect(views[0]?.[5]).toBe(5);
    expect(views[2]?.[0]).toBe(8192 % 251);
    expect(views[1]?.[0]).toBe(0);
  });

  it("accepts strings and Uint8Arrays and skips empty chunks", async () => {
    const chunks = await collect(["ab", Buffer.alloc(0), new Uint8Array([99, 100, 101])], 4);
    expect(chunks.map((c) => c.toString("latin1"))).toEqual(["abcd", "e"]);
  });

  it("yields nothing for an empty source", async () => {
    expect(await collect([], 16)).toEqual([]);
  });
});
