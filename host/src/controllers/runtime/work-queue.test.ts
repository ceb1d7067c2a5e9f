import { describe, expect, it } from "vitest";
import { FakeClock } from "../../testing/fake-clock.js";
import { WorkQueue } from "./work-queue.js";

describe("WorkQueue", () => {
  it("deduplicates keys that are queued twice", async () => {
    const q = new WorkQueue(new FakeClock());
    q.add("a");
    q.add("a");
    q.add("b");
    expect(q.length).toBe(2);
    expect(await q.get()).toBe("a");
    expect(await q.get()).toBe("b");
  });

  it("never hands a key to two workers at once and requeues it after done when re-added", async () => {
    const q = new WorkQueue(new FakeClock());
    q.add("a");
    const first = await q.get();
    q.add("a");
    expect(q.length).toBe(0);
    q.done(first as string);
    expect(q.length).toBe(1);
    expect(await q.get()).toBe("a");
  });

  it("backs off exponentially per key and forget resets the history", () => {
    const clock = new FakeClock();
    const q = new WorkQueue(clock, { baseMs: 100, maxMs: 1000 });
    expect([q.addRateLimited("a"), q.addRateLimited("a"), q.addRateLimited("a"), q.addRateLimited("a"), q.addRateLimited("a")]).toEqual([
      100, 200, 400, 800, 1000,
    ]);
    q.forget("a");
    expect(q.addRateLimited("a")).toBe(100);
  });

  it("adds delayed keys only when the clock reaches them", async () => {
    const clock = new FakeClock();
    const q = new WorkQueue(clock);
    q.addAfter("a", 1000);
    clock.advance(999);
    expect(q.length).toBe(0);
    clock.advance(1);
    expect(q.length).toBe(1);
  });

  it("wakes a waiting worker on add and returns undefined after shutdown", async () => {
    const q = new WorkQueue(new FakeClock());
    const waiting = q.get();
    q.add("x");
    expect(await waiting).toBe("x");
    const second = q.get();
    q.shutdown();
    expect(await second).toBeUndefined();
  });
});
