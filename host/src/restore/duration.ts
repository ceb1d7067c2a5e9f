/** Go time.Duration strings ("1h30m", "30s", "500ms", "720h0m0s") as milliseconds. */
const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseGoDuration(text: string): number {
  const s = text.trim();
  if (s === "0") return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  const body = s.startsWith("-") || s.startsWith("+") ? s.slice(1) : s;
  for (let m = re.exec(body); m; m = re.exec(body)) {
    total += Number(m[1]) * (UNITS[m[2] as string] as number);
    matched = re.lastIndex;
  }
  if (body === "" || matched !== body.length) throw new Error(`invalid duration "${text}"`);
  return s.startsWith("-") ? -total : total;
}
