/**
 * The API request rate limit of Velero's --client-qps / --client-burst (client-go's token bucket,
 * flowcontrol.NewTokenBucketRateLimiter): up to `burst` requests at once, then `qps` a second.
 * Each request reserves a token as it asks, so waiting requests go in the order they asked.
 */
export class TokenBucket {
  readonly qps: number;
  readonly burst: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  #tokens: number;
  #last: number;

  constructor(qps: number, burst: number, clock: { now(): number; sleep(ms: number): Promise<void> } = REAL_CLOCK) {
    if (!(qps > 0)) throw new RangeError(`the request rate must be positive, got ${qps}`);
    if (!(burst >= 1)) throw new RangeError(`the request burst must be at least 1, got ${burst}`);
    this.qps = qps;
    this.burst = burst;
    this.#now = () => clock.now();
    this.#sleep = (ms) => clock.sleep(ms);
    this.#tokens = burst;
    this.#last = this.#now();
  }

  /** Resolves when the next request may be sent. */
  async take(): Promise<void> {
    const now = this.#now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) * this.qps) / 1000);
    this.#last = now;
    this.#tokens -= 1;
    if (this.#tokens >= 0) return;
    await this.#sleep((-this.#tokens * 1000) / this.qps);
  }
}

const REAL_CLOCK = {
  now: (): number => performance.now(),
  sleep: (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms)),
};
