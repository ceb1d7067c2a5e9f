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
    rest = rest.slice(whole.length);
  }
  return (sign * totalNs) / 1e6;
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
