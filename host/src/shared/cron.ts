/**
 * Schedule expressions with the semantics of robfig/cron's ParseStandard, which Velero uses for
 * Schedule.spec.schedule:
 *   - 5 fields: minute hour day-of-month month day-of-week (`?` = `*`, names JAN-DEC / SUN-SAT,
 *     ranges, lists, steps, `N/step` = `N-max/step`); day-of-month and day-of-week are OR-ed
 *     unless either is `*`;
 *   - descriptors @yearly @annually @monthly @weekly @daily @midnight @hourly and
 *     `@every <Go duration>` (rounded down to whole seconds, at least 1s; zero or negative refused,
 *     where robfig runs it every second);
 *   - an optional `CRON_TZ=<IANA zone>` or `TZ=<IANA zone>` prefix.
 * Field syntax is validated here (so the accepted language is robfig's, not croner's larger one);
 * croner computes the fire times from the normalised pattern.
 */
import { Cron } from "croner";
import { goDurationError, parseGoDuration } from "./duration.js";

export interface CronSchedule {
  /** The next fire time strictly after `after`, or undefined when the expression never fires again. */
  next(after: Date): Date | undefined;
}

export type CronParseResult = { ok: true; schedule: CronSchedule } | { ok: false; error: string };

/** The zone used when the expression has no CRON_TZ= prefix (Velero's server runs in UTC). */
export const DEFAULT_CRON_TIMEZONE = "UTC";

const DESCRIPTORS: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

interface FieldBounds {
  name: string;
  min: number;
  max: number;
  names?: Record<string, number>;
}

const MONTH_NAMES = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };
const DOW_NAMES = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

const FIELDS: FieldBounds[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTH_NAMES },
  { name: "day of week", min: 0, max: 6, names: DOW_NAMES },
];

/** Parses a schedule expression; a bad expression is a value ({ok: false, error}), not a throw. */
export function parseCronSchedule(spec: string, defaultTimezone: string = DEFAULT_CRON_TIMEZONE): CronParseResult {
  try {
    return { ok: true, schedule: parse(spec, defaultTimezone) };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

function parse(spec: string, defaultTimezone: string): CronSchedule {
  let rest = spec.trim();
  if (rest === "") throw new Error("empty spec string");
  let timezone = defaultTimezone;
  if (rest.startsWith("TZ=") || rest.startsWith("CRON_TZ=")) {
    const space = rest.search(/\s/);
    if (space < 0) throw new Error(`missing cron expression after the time zone in "${spec}"`);
    timezone = rest.slice(rest.indexOf("=") + 1, space);
    assertTimezone(timezone);
    rest = rest.slice(space).trim();
  }
  if (rest.startsWith("@every ")) return everySchedule(rest.slice("@every ".length).trim());
  if (rest.startsWith("@")) {
    const expanded = DESCRIPTORS[rest];
    if (expanded === undefined) throw new Error(`unrecognized descriptor: ${rest}`);
    rest = expanded;
  }
  return cronSchedule(rest, timezone);
}

function assertTimezone(zone: string): void {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
  } catch {
    throw new Error(`provided bad location ${zone}: unknown time zone ${zone}`);
  }
}

function everySchedule(durationText: string): CronSchedule {
  let ms: number;
  try {
    ms = parseGoDuration(durationText);
  } catch (err) {
    // Velero shows robfig/cron's error, which wraps Go's time.ParseDuration error.
    throw new Error(`failed to parse duration @every ${durationText}: ${goDurationError(durationText) ?? (err as Error).message}`);
  }
  // robfig (and so Velero) runs a zero or negative interval every second, a backup storm from a
  // typo: refused here (a deliberate difference, in the README).
  if (ms <= 0) throw new Error(`@every needs a positive interval, got ${durationText}: a zero or negative one would back up without pause`);
  // robfig's Every(): below one second becomes one second; sub-second parts are dropped.
  const delayMs = Math.max(1000, Math.floor(ms / 1000) * 1000);
  return {
    next(after: Date): Date {
      const wholeSecond = Math.floor(after.getTime() / 1000) * 1000;
      return new Date(wholeSecond + delayMs);
    },
  };
}

function cronSchedule(expression: string, timezone: string): CronSchedule {
  const fields = expression.split(/\s+/);
  if (fields.length !== FIELDS.length) {
    throw new Error(`expected exactly 5 fields, found ${fields.length}: [${fields.join(" ")}]`);
  }
  const normalised = fields.map((field, i) => normaliseField(field, FIELDS[i] as FieldBounds));
  const cron = new Cron(normalised.join(" "), { paused: true, timezone, mode: "5-part" });
  return {
    next(after: Date): Date | undefined {
      return cron.nextRun(after) ?? undefined;
    },
  };
}

/** Validates one field like robfig's getField and returns it as "*" or an explicit list of values. */
function normaliseField(field: string, bounds: FieldBounds): string {
  const values = new Set<number>();
  let star = false;
  // robfig splits with strings.FieldsFunc: empty items ("5," or ",5") are ignored
  for (const expr of field.split(",").filter((e) => e !== "")) {
    const range = parseRange(expr, bounds);
    star ||= range.star;
    for (let v = range.start; v <= range.end; v += range.step) values.add(v);
  }
  // A starred field stays "*": day-of-month/day-of-week matching depends on it (AND vs OR).
  if (star) return "*";
  return [...values].sort((a, b) => a - b).join(",");
}

function parseRange(expr: string, bounds: FieldBounds): { start: number; end: number; step: number; star: boolean } {
  const rangeAndStep = expr.split("/");
  const lowAndHigh = (rangeAndStep[0] ?? "").split("-");
  const single = lowAndHigh.length === 1;
  let start: number;
  let end: number;
  let star = false;
  if (lowAndHigh[0] === "*" || lowAndHigh[0] === "?") {
    start = bounds.min;
    end = bounds.max;
    star = true;
  } else {
    start = parseIntOrName(lowAndHigh[0] ?? "", bounds);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = parseIntOrName(lowAndHigh[1] ?? "", bounds);
    else throw new Error(`too many hyphens: ${expr}`);
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    step = parseNonNegativeInt(rangeAndStep[1] ?? "");
    if (single) end = bounds.max;
    if (step > 1) star = false;
  } else if (rangeAndStep.length > 2) {
    throw new Error(`too many slashes: ${expr}`);
  }
  if (start < bounds.min) throw new Error(`beginning of range (${start}) below minimum (${bounds.min}): ${expr}`);
  if (end > bounds.max) throw new Error(`end of range (${end}) above maximum (${bounds.max}): ${expr}`);
  if (start > end) throw new Error(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new Error(`step of range should be a positive number: ${expr}`);
  return { start, end, step, star };
}

function parseIntOrName(text: string, bounds: FieldBounds): number {
  const named = bounds.names?.[text.toLowerCase()];
  if (named !== undefined) return named;
  return parseNonNegativeInt(text);
}

function parseNonNegativeInt(text: string): number {
  // robfig's mustParseInt wraps Go's strconv.Atoi error (64-bit int)
  if (!/^[+-]?\d+$/.test(text)) throw new Error(`failed to parse int from ${text}: strconv.Atoi: parsing ${JSON.stringify(text)}: invalid syntax`);
  const big = BigInt(text);
  if (big > 9223372036854775807n || big < -9223372036854775808n) throw new Error(`failed to parse int from ${text}: strconv.Atoi: parsing ${JSON.stringify(text)}: value out of range`);
  const value = Number(text);
  if (value < 0) throw new Error(`negative number (${value}) not allowed: ${text}`);
  return value;
}
