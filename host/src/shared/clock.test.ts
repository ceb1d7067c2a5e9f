import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { longTimeout, MAX_TIMER_MS, realClock } from "./clock.js";

const DAY = 24 * 3_600_000;

describe("longTimeout", () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it("waits the whole delay when it is beyond a Node timer's 2^31 - 1 ms", () => {
    const fn = vi.fn();
    longTimeout(fn, 36 * DAY);
    vi.advanceTimersByTime(1_000);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(36 * DAY - 1_000 - 1);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it("the clock's timers, which the work queue's addAfter uses, wait as long (a Schedule due in a month)", () => {
    const fn = vi.fn();
    realClock.setTimeout(fn, MAX_TIMER_MS + 5);
    vi.advanceTimersByTime(MAX_TIMER_MS);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(5);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it("cancels in any step; Infinity never fires; NaN and negative delays fire at once", () => {
    const cancelled = vi.fn();
    const handle = longTimeout(cancelled, 2 * MAX_TIMER_MS);
    vi.advanceTimersByTime(MAX_TIMER_MS + 10);
    handle.cancel();
    vi.advanceTimersByTime(2 * MAX_TIMER_MS);
    expect(cancelled).not.toHaveBeenCalled();

    const never = vi.fn();
    longTimeout(never, Infinity);
    vi.advanceTimersByTime(3 * MAX_TIMER_MS);
    expect(never).not.toHaveBeenCalled();

    const nan = vi.fn();
    const negative = vi.fn();
    longTimeout(nan, Number.NaN);
    longTimeout(negative, -5);
    vi.advanceTimersByTime(0);
    expect(nan).toHaveBeenCalledTimes(1);
    expect(negative).toHaveBeenCalledTimes(1);
  });
});
