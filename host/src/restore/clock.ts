/** Time as the restore engine sees it; tests inject a fake that advances instantly. */
export interface RestoreClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: RestoreClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * Polls `check` every `intervalMs` until it returns true or `timeoutMs` passes (checked at least
 * once). Resolves true when the condition was met, false on timeout; a throwing check rejects.
 */
export async function pollUntil(clock: RestoreClock, intervalMs: number, timeoutMs: number, check: () => Promise<boolean>): Promise<boolean> {
  const deadline = clock.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (clock.now() >= deadline) return false;
    await clock.sleep(Math.min(intervalMs, Math.max(0, deadline - clock.now())));
  }
}
