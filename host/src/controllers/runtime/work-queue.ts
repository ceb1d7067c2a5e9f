/**
 * A keyed work queue with client-go semantics: a key is queued at most once, never handed to two
 * workers at once (re-adds while processing are deferred until done()), delayed adds, and
 * per-key exponential backoff for failures.
 */
import type { Clock, TimerHandle } from "../../shared/clock.js";

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 5 * 60_000 };

/** The wait before retry number `failures` + 1: baseMs doubling per failure, at most maxMs. */
export function backoffDelay(failures: number, backoff: BackoffOptions): number {
  return Math.min(backoff.maxMs, backoff.baseMs * 2 ** failures);
}

export class WorkQueue<K = string> {
  readonly #clock: Clock;
  readonly #backoff: BackoffOptions;
  readonly #queue: K[] = [];
  readonly #dirty = new Set<K>();
  readonly #processing = new Set<K>();
  readonly #failures = new Map<K, number>();
  readonly #delayed = new Map<K, { at: number; timer: TimerHandle }>();
  #waiters: ((key: K | undefined) => void)[] = [];
  #shuttingDown = false;

  constructor(clock: Clock, backoff: BackoffOptions = DEFAULT_BACKOFF) {
    this.#clock = clock;
    this.#backoff = backoff;
  }

  get length(): number {
    return this.#queue.length;
  }

  get processingCount(): number {
    return this.#processing.size;
  }

  isShuttingDown(): boolean {
    return this.#shuttingDown;
  }

  add(key: K): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    if (this.#processing.has(key)) return;
    const waiter = this.#waiters.shift();
    if (waiter) {
      this.#dirty.delete(key);
      this.#processing.add(key);
      waiter(key);
      return;
    }
    this.#queue.push(key);
  }

  /** Adds the key after ms; an earlier pending delayed add wins over a later one. */
  addAfter(key: K, ms: number): void {
    if (this.#shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = this.#clock.now().getTime() + ms;
    const existing = this.#delayed.get(key);
    if (existing && existing.at <= at) return;
    existing?.timer.cancel();
    const timer = this.#clock.setTimeout(() => {
      this.#delayed.delete(key);
      this.add(key);
    }, ms);
    this.#delayed.set(key, { at, timer });
  }

  /** Requeues with exponential backoff; returns the delay used. */
  addRateLimited(key: K): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    const delay = backoffDelay(failures, this.#backoff);
    this.addAfter(key, delay);
    return delay;
  }

  /** Clears the backoff history of a key (after a success). */
  forget(key: K): void {
    this.#failures.delete(key);
  }

  failures(key: K): number {
    return this.#failures.get(key) ?? 0;
  }

  /** Resolves with the next key (marked processing), or undefined after shutdown. */
  get(): Promise<K | undefined> {
    if (this.#queue.length > 0) {
      const key = this.#queue.shift() as K;
      this.#dirty.delete(key);
      this.#processing.add(key);
      return Promise.resolve(key);
    }
    if (this.#shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Marks a key finished; if it was re-added meanwhile it goes back in the queue. */
  done(key: K): void {
    this.#processing.delete(key);
    if (this.#dirty.has(key)) {
      this.#dirty.delete(key);
      this.add(key);
    }
  }

  shutdown(): void {
    this.#shuttingDown = true;
    for (const d of this.#delayed.values()) d.timer.cancel();
    this.#delayed.clear();
    for (const w of this.#waiters) w(undefined);
    this.#waiters = [];
  }
}
