import { describe, expect, it } from "vitest";
import { TokenBucket } from "./rate-limit.js";

/** A clock that only moves when a request sleeps (its sleeps are recorded). */
function fakeClock() {
  const c = { t: 0, slept: [] as number[], now: () => c.t, sleep: async (ms: number) => void c.slept.push(ms) };
  return c;
}

describe("TokenBucket (--client-qps, --client-burst)", () => {
  it("lets `burst` requests go at once, then spaces the rest 1/qps apart, in the order they asked", async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(10, 3, clock);
    for (let i = 0; i < 6; i++) await bucket.take();
    // three at once; the 4th waits one token (100 ms), the 5th two, the 6th three (reserved, not yet spent)
    expect(clock.slept).toEqual([100, 200, 300]);
  });

  it("refills at qps up to burst while idle", async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(5, 2, clock);
    await bucket.take();
    await bucket.take();
    clock.t += 10_000; // long idle: back to 2 tokens, no more
    await bucket.take();
    await bucket.take();
    await bucket.take();
    expect(clock.slept).toEqual([200]);
    clock.t += 300; // 1.5 tokens refilled, one of them owed: half a token short
    await bucket.take();
    expect(clock.slept).toEqual([200, 100]);
  });

  it("refuses a rate or burst that cannot work, naming it", () => {
    expect(() => new TokenBucket(0, 10)).toThrow("the request rate must be positive, got 0");
    expect(() => new TokenBucket(10, 0)).toThrow("the request burst must be at least 1, got 0");
  });
});
