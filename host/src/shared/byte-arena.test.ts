import { describe, expect, it } from "vitest";
import { ByteArena } from "./byte-arena.ts";

describe("ByteArena", () => {
  it("packs small copies into its own slabs, each copy equal to its source and independent of it", () => {
    const arena = new ByteArena(4096);
    const sources = Array.from({ length: 20 }, (_, i) => Buffer.from(`item-${i}-`.repeat(10)));
    const copies = sources.map((s) => arena.copy(s));
    sources.forEach((s, i) => expect(copies[i]?.equals(s)).toBe(true));
    sources[0]?.fill(0);
    expect(copies[0]?.toString()).toBe("item-0-".repeat(10));
    // 20 copies of ~80 bytes: one 4 KiB slab, none from Node's shared pool
    const slabs = new Set(copies.map((c) => c.buffer));
    expect(slabs.size).toBe(1);
    expect([...slabs][0]?.byteLength).toBe(4096);
    expect(arena.allocatedBytes).toBe(4096);
  });

  it("starts a new slab when a copy does not fit, and gives a copy over an eighth of a slab a buffer of its own", () => {
    const arena = new ByteArena(1024);
    const a = arena.copy(Buffer.alloc(100, 1));
    const big = arena.copy(Buffer.alloc(129, 2));
    expect(big.buffer).not.toBe(a.buffer);
    expect(big.buffer.byteLength).toBe(129);
    // the first slab still takes copies after the big one
    const b = arena.copy(Buffer.alloc(128, 3));
    expect(b.buffer).toBe(a.buffer);
    for (let i = 0; i < 6; i++) arena.copy(Buffer.alloc(128, 4));
    const next = arena.copy(Buffer.alloc(128, 5));
    expect(next.buffer).not.toBe(a.buffer);
    expect(next.equals(Buffer.alloc(128, 5))).toBe(true);
    expect(arena.allocatedBytes).toBe(1024 + 129 + 1024);
  });

  it("copies an empty byte string", () => {
    expect(new ByteArena().copy(new Uint8Array(0)).length).toBe(0);
  });
});
