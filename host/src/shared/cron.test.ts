import { describe, expect, it } from "vitest";
import { parseCronSchedule } from "./cron.js";

// Saturday 2024-03-09 10:07:30.500 UTC.
const AT = new Date("2024-03-09T10:07:30.500Z");

function nextTwo(spec: string, from: Date = AT): [string | undefined, string | undefined] {
  const parsed = parseCronSchedule(spec);
  if (!parsed.ok) throw new Error(`unexpected parse failure of "${spec}": ${parsed.error}`);
  const first = parsed.schedule.next(from);
  const second = first && parsed.schedule.next(first);
  return [first?.toISOString(), second?.toISOString()];
}

describe("parseCronSchedule", () => {
  it.each([
    { name: "step over minutes", spec: "*/15 * * * *", want: ["2024-03-09T10:15:00.000Z", "2024-03-09T10:30:00.000Z"] },
    { name: "*/1 behaves like *", spec: "*/1 * * * *", want: ["2024-03-09T10:08:00.000Z", "2024-03-09T10:09:00.000Z"] },
    { name: "N/step means N-max/step", spec: "5/20 * * * *", want: ["2024-03-09T10:25:00.000Z", "2024-03-09T10:45:00.000Z"] },
    { name: "day of month and day of week are OR-ed", spec: "0 0 13 * 5", want: ["2024-03-13T00:00:00.000Z", "2024-03-15T00:00:00.000Z"] },
    { name: "a stepped day of month is not a star (OR)", spec: "0 0 */10 * 0", want: ["2024-03-10T00:00:00.000Z", "2024-03-11T00:00:00.000Z"] },
    { name: "starred day of month ANDs with day of week", spec: "0 0 * * 5", want: ["2024-03-15T00:00:00.000Z", "2024-03-22T00:00:00.000Z"] },
    { name: "? is a star", spec: "0 0 ? * 5", want: ["2024-03-15T00:00:00.000Z", "2024-03-22T00:00:00.000Z"] },
    { name: "day of month only", spec: "0 0 13 * *", want: ["2024-03-13T00:00:00.000Z", "2024-04-13T00:00:00.000Z"] },
    { name: "month and weekday names", spec: "0 0 * jan-MAR Mon-fri", want: ["2024-03-11T00:00:00.000Z", "2024-03-12T00:00:00.000Z"] },
    { name: "@daily", spec: "@daily", want: ["2024-03-10T00:00:00.000Z", "2024-03-11T00:00:00.000Z"] },
    { name: "@midnight", spec: "@midnight", want: ["2024-03-10T00:00:00.000Z", "2024-03-11T00:00:00.000Z"] },
    { name: "@hourly", spec: "@hourly", want: ["2024-03-09T11:00:00.000Z", "2024-03-09T12:00:00.000Z"] },
    { name: "@weekly (Sunday)", spec: "@weekly", want: ["2024-03-10T00:00:00.000Z", "2024-03-17T00:00:00.000Z"] },
    { name: "@monthly", spec: "@monthly", want: ["2024-04-01T00:00:00.000Z", "2024-05-01T00:00:00.000Z"] },
    { name: "@yearly", spec: "@yearly", want: ["2025-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z"] },
    { name: "@annually", spec: "@annually", want: ["2025-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z"] },
    { name: "@every 5s from the whole second", spec: "@every 5s", want: ["2024-03-09T10:07:35.000Z", "2024-03-09T10:07:40.000Z"] },
    { name: "@every with a compound duration", spec: "@every 1h30m", want: ["2024-03-09T11:37:30.000Z", "2024-03-09T13:07:30.000Z"] },
    { name: "@every below a second becomes a second", spec: "@every 300ms", want: ["2024-03-09T10:07:31.000Z", "2024-03-09T10:07:32.000Z"] },
    { name: "@every drops sub-second parts", spec: "@every 2.7s", want: ["2024-03-09T10:07:32.000Z", "2024-03-09T10:07:34.000Z"] },
    { name: "CRON_TZ prefix", spec: "CRON_TZ=Asia/Tokyo 0 6 * * ?", want: ["2024-03-09T21:00:00.000Z", "2024-03-10T21:00:00.000Z"] },
    { name: "TZ prefix", spec: "TZ=America/New_York 30 14 * * *", want: ["2024-03-09T19:30:00.000Z", "2024-03-10T18:30:00.000Z"] },
    { name: "CRON_TZ with a descriptor", spec: "CRON_TZ=Europe/Berlin @daily", want: ["2024-03-09T23:00:00.000Z", "2024-03-10T23:00:00.000Z"] },
    { name: "extra whitespace between fields", spec: "  0\t0  * *   5 ", want: ["2024-03-15T00:00:00.000Z", "2024-03-22T00:00:00.000Z"] },
    { name: "empty list items are ignored, as robfig's FieldsFunc does", spec: "5, * * * *", want: ["2024-03-09T11:05:00.000Z", "2024-03-09T12:05:00.000Z"] },
    { name: "a leading comma too", spec: ",10,40 * * * *", want: ["2024-03-09T10:10:00.000Z", "2024-03-09T10:40:00.000Z"] },
  ])("$name", ({ spec, want }) => {
    expect(nextTwo(spec)).toEqual(want);
  });

  it("returns no next time for a date that never exists", () => {
    expect(nextTwo("0 0 30 2 *")).toEqual([undefined, undefined]);
  });

  it("fires strictly after the given time when that time matches", () => {
    expect(nextTwo("*/15 * * * *", new Date("2024-03-09T10:15:00.000Z"))[0]).toBe("2024-03-09T10:30:00.000Z");
  });

  it.each([
    { name: "empty", spec: "", error: "empty spec string" },
    { name: "four fields", spec: "* * * *", error: "expected exactly 5 fields, found 4: [* * * *]" },
    { name: "six fields (seconds are not standard)", spec: "0 * * * * *", error: "expected exactly 5 fields, found 6: [0 * * * * *]" },
    { name: "day of week 7", spec: "0 0 * * 7", error: "end of range (7) above maximum (6): 7" },
    { name: "minute 60", spec: "60 * * * *", error: "end of range (60) above maximum (59): 60" },
    { name: "day of month 0", spec: "0 0 0 * *", error: "beginning of range (0) below minimum (1): 0" },
    { name: "reversed range", spec: "0 5-2 * * *", error: "beginning of range (5) beyond end of range (2): 5-2" },
    { name: "zero step", spec: "*/0 * * * *", error: "step of range should be a positive number: */0" },
    { name: "Quartz L is not standard", spec: "0 0 L * *", error: 'failed to parse int from L: strconv.Atoi: parsing "L": invalid syntax' },
    { name: "Quartz # is not standard", spec: "0 0 * * 5#2", error: 'failed to parse int from 5#2: strconv.Atoi: parsing "5#2": invalid syntax' },
    { name: "too many hyphens", spec: "1-2-3 * * * *", error: "too many hyphens: 1-2-3" },
    { name: "a number beyond Go's int", spec: "0 0 99999999999999999999 * *", error: 'failed to parse int from 99999999999999999999: strconv.Atoi: parsing "99999999999999999999": value out of range' },
    { name: "too many slashes", spec: "*/2/3 * * * *", error: "too many slashes: */2/3" },
    { name: "a month name in the hour field", spec: "0 jan * * *", error: 'failed to parse int from jan: strconv.Atoi: parsing "jan": invalid syntax' },
    { name: "unknown descriptor", spec: "@fortnightly", error: "unrecognized descriptor: @fortnightly" },
    { name: "bad @every duration", spec: "@every 5x", error: 'failed to parse duration @every 5x: time: unknown unit "x" in duration "5x"' },
    { name: "@every without a unit", spec: "@every 5", error: 'failed to parse duration @every 5: time: missing unit in duration "5"' },
    { name: "@every with no number", spec: "@every h", error: 'failed to parse duration @every h: time: invalid duration "h"' },
    { name: "@every 0s (robfig: every second)", spec: "@every 0s", error: "@every needs a positive interval, got 0s: a zero or negative one would back up without pause" },
    { name: "@every with a negative duration", spec: "@every -5m", error: "@every needs a positive interval, got -5m: a zero or negative one would back up without pause" },
    { name: "unknown time zone", spec: "CRON_TZ=Nowhere/Land 0 * * * *", error: "provided bad location Nowhere/Land: unknown time zone Nowhere/Land" },
    { name: "time zone without expression", spec: "CRON_TZ=UTC", error: 'missing cron expression after the time zone in "CRON_TZ=UTC"' },
  ])("rejects $name", ({ spec, error }) => {
    expect(parseCronSchedule(spec)).toEqual({ ok: false, error });
  });
});
