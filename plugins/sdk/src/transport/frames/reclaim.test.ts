import { describe, expect, it } from "vitest";
import { noteReceiveBuffers, receiveReclaims, RECLAIM_EVERY_BYTES } from "./reclaim.js";

const MiB = 1024 * 1024;

describe("noteReceiveBuffers", () => {
  it("asks for one scavenge per RECLAIM_EVERY_BYTES of reported read buffers", () => {
    const before = receiveReclaims();
    for (let n = 0; n < 3 * RECLAIM_EVERY_BYTES; n += 64 * 1024) noteReceiveBuffers(64 * 1024);
    expect(receiveReclaims() - before).toBe(3);
    noteReceiveBuffers(RECLAIM_EVERY_BYTES / 2);
    expect(receiveReclaims() - before).toBe(3);
  });

  it("keeps dead read buffers from piling up: 256 MiB received in 256 KiB buffers never holds 64 MiB", () => {
    let sink = 0;
    let peakArrayBuffers = 0;
    for (let n = 0; n < 256 * MiB; n += 256 * 1024) {
      const buffer = Buffer.allocUnsafe(256 * 1024); // what a socket read allocates; dead once consumed
      buffer[0] = n & 0xff;
      sink += buffer[0] ?? 0;
      noteReceiveBuffers(buffer.length);
      peakArrayBuffers = Math.max(peakArrayBuffers, process.memoryUsage().arrayBuffers);
    }
    expect(sink).toBeGreaterThanOrEqual(0);
    // without the scavenges V8 lets about 64 MiB of dead external memory build up before it collects
    expect(peakArrayBuffers).toBeLessThan(40 * MiB);
  });
});
