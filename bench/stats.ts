/** Statistics the benchmarks share. */

/** The median (the mean of the two middle values for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Samples a resident set size every `everyMs` while fn runs (by default this process's, in bytes;
 * `read` may read another process's, in its own unit); returns the peak.
 */
export async function peakRss<T>(fn: () => Promise<T>, read: () => number = () => process.memoryUsage().rss, everyMs = 10): Promise<{ result: T; peak: number }> {
  let peak = read();
  const timer = setInterval(() => {
    peak = Math.max(peak, read());
  }, everyMs);
  try {
    const result = await fn();
    peak = Math.max(peak, read());
    return { result, peak };
  } finally {
    clearInterval(timer);
  }
}
