/**
 * Go time.Duration strings, as Velero's flags and CRDs use them ("720h", "1h30m", "500ms").
 * Values are held as nanoseconds in a number: multiples of a second stay exact far beyond any TTL.
 */
import { goDurationError } from "../../shared/duration.js";
import { UsageError } from "../../shared/errors.js";

const UNIT_NS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  "µs": 1e3,
  "μs": 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

const NS_PER_SECOND = 1e9;

/** The largest time.Duration: 1<<63 - 1 ns. */
const MAX_DURATION_NS = (1n << 63n) - 1n;

/**
 * Parses a Go duration ("1h30m", "0", "-5s", "1.5h") as time.ParseDuration does; returns
 * nanoseconds, or undefined when Go refuses it: spaces, a missing or unknown unit, or a value
 * beyond ±2562047h47m16.854775807s. Fractions are truncated to the nanosecond, as Go's integer
 * arithmetic does ("1.5ns" is 1ns).
 */
export function parseGoDuration(text: string): number | undefined {
  let s = text;
  let negative = false;
  if (s.startsWith("-") || s.startsWith("+")) {
    negative = s.startsWith("-");
    s = s.slice(1);
  }
  if (s === "0") return 0;
  if (s === "") return undefined;
  const part = /^([0-9]*)(?:\.([0-9]*))?(ns|us|µs|μs|ms|s|m|h)/;
  const limit = negative ? MAX_DURATION_NS + 1n : MAX_DURATION_NS;
  let total = 0n;
  while (s.length > 0) {
    const m = part.exec(s);
    if (!m) return undefined;
    const whole = m[1] ?? "";
    const fraction = m[2] ?? "";
    if (whole === "" && fraction === "") return undefined;
    const unit = BigInt(UNIT_NS[m[3] as string] as number);
    let value = whole === "" ? 0n : BigInt(whole);
    if (value > limit / unit) return undefined;
    value *= unit;
    if (fraction !== "") value += (BigInt(fraction) * unit) / 10n ** BigInt(fraction.length);
    total += value;
    if (total > limit) return undefined;
    s = s.slice(m[0].length);
  }
  return Number(negative ? -total : total);
}

/** Parses a duration flag value or throws a usage error naming the flag and an example. */
export function parseDurationFlag(flag: string, value: string): number {
  const ns = parseGoDuration(value);
  if (ns === undefined) {
    const reason = goDurationError(value) ?? `time: invalid duration ${JSON.stringify(value)}`;
    throw new UsageError(`invalid duration "${value}" for ${flag} (${reason}): use a Go duration such as 720h, 90m or 1h30m`);
  }
  return ns;
}

function formatFraction(value: number, digits: number): string {
  // value < 10^digits; renders "1.5" style without trailing zeros, like Go.
  const intPart = Math.floor(value / 10 ** digits);
  let frac = String(value % 10 ** digits).padStart(digits, "0").replace(/0+$/, "");
  return frac === "" ? String(intPart) : `${intPart}.${(frac = frac)}`;
}

/** Formats nanoseconds exactly like Go's time.Duration.String ("720h0m0s", "1.5s", "500ms", "0s"). */
export function formatGoDuration(ns: number): string {
  if (ns === 0) return "0s";
  const neg = ns < 0;
  let u = Math.abs(Math.round(ns));
  let out: string;
  if (u < NS_PER_SECOND) {
    if (u < 1e3) out = `${u}ns`;
    else if (u < 1e6) out = `${formatFraction(u, 3)}µs`;
    else out = `${formatFraction(u, 6)}ms`;
  } else {
    const hours = Math.floor(u / 3600e9);
    u -= hours * 3600e9;
    const minutes = Math.floor(u / 60e9);
    u -= minutes * 60e9;
    const seconds = formatFraction(u, 9);
    if (hours > 0) out = `${hours}h${minutes}m${seconds}s`;
    else if (minutes > 0) out = `${minutes}m${seconds}s`;
    else out = `${seconds}s`;
  }
  return neg ? `-${out}` : out;
}

/** Normalises a CRD duration string ("720h" → "720h0m0s"); absent or invalid values print as Go's zero "0s". */
export function normalizeDuration(value: string | undefined): string {
  if (value === undefined) return "0s";
  const ns = parseGoDuration(value);
  return ns === undefined ? value : formatGoDuration(ns);
}
