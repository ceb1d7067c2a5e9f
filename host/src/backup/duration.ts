/** Go time.Duration strings ("720h0m0s", "1h30m", "10s", "500ms") in milliseconds, and back. */
const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseGoDuration(text: string): number {
  const s = text.trim();
  if (s === "0") return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  let sign = 1;
  let rest = s;
  if (rest.startsWith("-")) {
    sign = -1;
    rest = rest.slice(1);
  }
  let m: RegExpExecArray | null;
  re.lastIndex = 0;
  while ((m = re.exec(rest))) {
    total += Number(m[1]) * (UNITS[m[2] as string] as number);
    matched = re.lastIndex;
  }
  if (matched === 0 || matched !== rest.length) throw new Error(`invalid duration "${text}"`);
  return sign * total;
}

/** Formats like Go's Duration.String() for whole seconds: "720h0m0s", "5m0s", "30s". */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return "0s";
  let s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}
