/** Time as a port, so controllers and queues can be tested with FakeClock (no sleeps). */

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  now(): Date;
  /** Runs fn once after ms; the returned handle cancels it. Real timers are unref'd. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
}

export const realClock: Clock = {
  now: () => new Date(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  },
};

/** RFC 3339 UTC with second precision, as Kubernetes metav1.Time serialises ("2024-01-02T03:04:05Z"). */
export function toKubeTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}
