/** Time as a port, so controllers and queues can be tested with FakeClock (no sleeps). */

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  now(): Date;
  /** Runs fn once after ms; the returned handle cancels it. Real timers are unref'd. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
}

/**
 * The longest delay a Node timer takes: 2^31 - 1 ms (about 24.8 days). Node runs a longer one
 * after 1 ms (with a TimeoutOverflowWarning), so a Schedule next due in a month, or a location
 * validated every 600h, would be requeued in a busy loop.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * setTimeout for any delay: one beyond MAX_TIMER_MS waits in steps of at most that long.
 * Infinity never fires; NaN or a negative delay fires at once. The timer is unref'd unless
 * `keepAlive`.
 */
export function longTimeout(fn: () => void, ms: number, keepAlive = false): TimerHandle {
  let remaining = Number.isNaN(ms) ? 0 : Math.max(0, ms);
  let timer: NodeJS.Timeout;
  const arm = (): void => {
    const step = Math.min(remaining, MAX_TIMER_MS);
    remaining -= step;
    timer = setTimeout(() => (remaining > 0 ? arm() : fn()), step);
    if (!keepAlive) timer.unref();
  };
  arm();
  return { cancel: () => clearTimeout(timer) };
}

export const realClock: Clock = {
  now: () => new Date(),
  setTimeout: (fn, ms) => longTimeout(fn, ms),
};

/** RFC 3339 UTC with second precision, as Kubernetes metav1.Time serialises ("2024-01-02T03:04:05Z"). */
export function toKubeTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}
