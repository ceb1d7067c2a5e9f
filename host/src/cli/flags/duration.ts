/**
 * Go time.Duration strings, as Velero's flags and CRDs use them ("720h", "1h30m", "500ms").
 * Values are held as nanoseconds in a number: multiples of a second stay exact far beyond any TTL.
 */
import { goDurationError, goDurationNs } from "../../shared/duration.js";
import { UsageError } from "../../shared/errors.js";

const NS_PER_SECOND = 1e9;

/**
 * Parses a Go duration ("1h30m", "0", "-5s", "1.5h") as time.ParseDuration does (shared/duration's
 * scanner); returns nanoseconds, or undefined when Go refuses it.
 */
export function parseGoDuration(text: string): number | undefined {
  return goDurationNs(text);
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

/**
 * parseDurationFlag for a time limit or lifetime, which must not be negative (Go accepts "-1h", and
 * a TTL of -1h deletes each new backup at the next garbage collection).
 */
export function parseNonNegativeDurationFlag(flag: string, value: string, zeroMeans?: string): number {
  const ns = parseDurationFlag(flag, value);
  if (ns < 0) throw new UsageError(`invalid ${flag} "${value}": it must not be negative${zeroMeans ? ` (0 means ${zeroMeans})` : ""}`);
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
