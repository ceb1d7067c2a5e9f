/** A RestoreClock whose sleeps return at once and move time forward: polling loops run instantly. */
import type { RestoreClock } from "../clock.js";

export class InstantClock implements RestoreClock {
  #now: number;
  sleeps = 0;

  constructor(start = Date.UTC(2024, 0, 1)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  async sleep(ms: number): Promise<void> {
    this.sleeps++;
    this.#now += ms;
    await Promise.resolve();
  }
}
