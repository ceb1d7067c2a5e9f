/**
 * Go `time.Duration` strings, as Velero's CRDs and flags carry them ("720h0m0s", "1m", "1.5h",
 * "300ms"). Parsing follows Go's time.ParseDuration grammar exactly (sign, then one or more
 * decimal numbers each with a unit); lenient human formats ("1 hour") are rejected on purpose.
 */

const NS_PER_UNIT: Record<string, number> = {
  ns: 1,
  us: 1e3,
  "\u00b5s": 1e3, // micro sign
  "\u03bcs": 1e3, // Greek mu
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

const COMPONENT = /^(\d*)(?:\.(\d*))?([a-zµμ]+)/;

/** Parses a Go duration string into milliseconds (may be fractional below 1 ms). */
export function parseGoDuration(text: string): number {
  const fail = (): never => {
    throw new Error(`invalid duration "${text}": expected a Go duration such as "720h0m0s", "90m", "1.5h" or "30s"`);
  };
  let rest = text;
  let sign = 1;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    sign = rest.startsWith("-") ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  if (rest === "") fail();
  let totalNs = 0;
  let exactNs = 0n;
  while (rest !== "") {
    const match = COMPONENT.exec(rest);
    if (!match) return fail();
    const [whole, intPart = "", fracPart, unit = ""] = match;
    if (intPart === "" && (fracPart === undefined || fracPart === "")) fail();
    const perUnit = NS_PER_UNIT[unit];
    if (perUnit === undefined) {
      throw new Error(`invalid duration "${text}": unknown unit "${unit}" (use ns, us, ms, s, m or h)`);
    }
    totalNs += Number(`${intPart || "0"}.${fracPart ?? ""}0`) * perUnit;
    exactNs += componentNs(intPart, fracPart, perUnit);
    rest = rest.slice(whole.length);
  }
  if (exactNs > maxNs(sign)) {
    throw new Error(`invalid duration "${text}": longer than Go's time.Duration holds (about 2562047h, 292 years)`);
  }
  return (sign * totalNs) / 1e6;
}

/** Go's time.Duration is an int64 of nanoseconds: ParseDuration refuses more. */
function maxNs(sign: number): bigint {
  return sign < 0 ? 1n << 63n : (1n << 63n) - 1n;
}

/** One component's nanoseconds, exactly for the integer part (the fraction is below one unit). */
function componentNs(intPart: string, fracPart: string | undefined, perUnit: number): bigint {
  const fraction = fracPart ? Math.floor(Number(`0.${fracPart}`) * perUnit) : 0;
  return BigInt(intPart || "0") * BigInt(perUnit) + BigInt(fraction);
}

/** Formats milliseconds the way Go's Duration.String() does ("720h0m0s", "1m30s", "500ms", "0s"). */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return "0s";
  const sign = ms < 0 ? "-" : "";
  const abs = Math.abs(ms);
  if (abs < 1000) return `${sign}${trimFraction(abs)}ms`;
  const hours = Math.floor(abs / 3_600_000);
  const minutes = Math.floor((abs % 3_600_000) / 60_000);
  const seconds = (abs % 60_000) / 1000;
  if (hours > 0) return `${sign}${hours}h${minutes}m${trimFraction(seconds)}s`;
  if (minutes > 0) return `${sign}${minutes}m${trimFraction(seconds)}s`;
  return `${sign}${trimFraction(seconds)}s`;
}

function trimFraction(value: number): string {
  return String(Number(value.toFixed(9)));
}

/**
 * Go's own error text for a string time.ParseDuration rejects ("time: unknown unit \"x\" in
 * duration \"5x\""), or undefined when Go accepts it. Where Velero shows that error verbatim (a
 * Schedule's `@every` validation error), velero-ts shows the same.
 */
export function goDurationError(text: string): string | undefined {
  const scanned = scanGoDuration(text);
  return typeof scanned === "string" ? scanned : undefined;
}

/** A Go duration in nanoseconds, as time.ParseDuration reads it, or undefined when Go refuses it. */
export function goDurationNs(text: string): number | undefined {
  const scanned = scanGoDuration(text);
  return typeof scanned === "string" ? undefined : Number(scanned);
}

/** time.ParseDuration: the signed nanoseconds, or Go's error text. */
function scanGoDuration(text: string): bigint | string {
  const invalid = `time: invalid duration ${goQuote(text)}`;
  let s = text;
  const sign = s.startsWith("-") ? -1 : 1;
  if (s.startsWith("-") || s.startsWith("+")) s = s.slice(1);
  let total = 0n;
  if (s === "0") return 0n;
  if (s === "") return invalid;
  const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";
  while (s !== "") {
    if (!(s[0] === "." || isDigit(s[0]))) return invalid;
    let i = 0;
    while (isDigit(s[i])) i++;
    const pre = i > 0;
    let post = false;
    if (s[i] === ".") {
      i++;
      const start = i;
      while (isDigit(s[i])) i++;
      post = i > start;
    }
    if (!pre && !post) return invalid;
    const number = s.slice(0, i);
    s = s.slice(i);
    let u = 0;
    while (u < s.length && !(s[u] === "." || isDigit(s[u]))) u++;
    if (u === 0) return `time: missing unit in duration ${goQuote(text)}`;
    const unit = s.slice(0, u);
    const perUnit = NS_PER_UNIT[unit];
    if (perUnit === undefined) return `time: unknown unit ${goQuote(unit)} in duration ${goQuote(text)}`;
    const [intPart = "", fracPart] = number.split(".");
    total += componentNs(intPart, fracPart, perUnit);
    if (total > maxNs(sign)) return invalid;
    s = s.slice(u);
  }
  return sign < 0 ? -total : total;
}

/** Go's time.quote: ASCII as is (with `"` and `\` escaped), other bytes as \xNN of their UTF-8. */
function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    if (cp >= 0x80 || cp < 0x20) {
      for (const byte of Buffer.from(ch, "utf8")) out += `\\x${byte.toString(16).padStart(2, "0")}`;
    } else {
      out += ch === '"' || ch === "\\" ? `\\${ch}` : ch;
    }
  }
  return out + '"';
}

/** The duration in ms, or undefined when `text` is not a Go duration. */
export function tryParseGoDuration(text: string): number | undefined {
  try {
    return parseGoDuration(text);
  } catch {
    return undefined;
  }
}
