import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { gzipGo, gzipStreamGo, gzipSyncGo } from "./gzip.js";

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
});
