import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { describe, expect, it } from "vitest";
import { GarbagePacer, paced } from "./memory.js";

describe("GarbagePacer", () => {
  it("collects once per `everyBytes` moved", () => {
    let collections = 0;
    const pacer = new GarbagePacer(100, () => collections++);
    for (let i = 0; i < 25; i++) pacer.add(10);
    expect(collections).toBe(2);
    expect(pacer.collections).toBe(2);
  });
});

describe("paced", () => {
  it("passes the same bytes through and paces collections", async () => {
    let collections = 0;
    const chunks = Array.from({ length: 10 }, (_, i) => Buffer.alloc(1000, i));
    const out = await buffer(paced(Readable.from(chunks), new GarbagePacer(2500, () => collections++)));
    expect(out.equals(Buffer.concat(chunks))).toBe(true);
    expect(collections).toBe(4);
  });

  it("propagates a source error", async () => {
    const source = new Readable({ read() {} });
    const out = paced(source, new GarbagePacer(1, () => undefined));
    const failed = buffer(out).catch((e: unknown) => e);
    source.destroy(new Error("socket hang up"));
    expect(((await failed) as Error).message).toBe("socket hang up");
  });

  it("releases the source when the consumer stops early", async () => {
    const source = new Readable({ read() {} });
    const out = paced(source, new GarbagePacer(1, () => undefined));
    const closed = new Promise((resolve) => source.on("close", resolve));
    out.destroy();
    await closed;
    expect(source.destroyed).toBe(true);
  });
});
