import { describe, expect, it } from "vitest";
import { formatGoDuration, goDurationError, parseGoDuration } from "./duration.js";

describe("parseGoDuration", () => {
  it.each([
    { text: "0", ms: 0 },
    { text: "0s", ms: 0 },
    { text: "720h0m0s", ms: 720 * 3_600_000 },
    { text: "1h30m", ms: 5_400_000 },
    { text: "1.5h", ms: 5_400_000 },
    { text: ".5s", ms: 500 },
    { text: "300ms", ms: 300 },
    { text: "1500us", ms: 1.5 },
    { text: "2\u00b5s", ms: 0.002 },
    { text: "-1m", ms: -60_000 },
    { text: "+10s", ms: 10_000 },
    { text: "1m1s1ms", ms: 61_001 },
  ])("parses $text", ({ text, ms }) => {
    expect(parseGoDuration(text)).toBeCloseTo(ms, 9);
  });

  it.each(["", "5", "1 hour", "1d", "h", ".s", "1h 30m", "-"])("rejects %j", (text) => {
    expect(() => parseGoDuration(text)).toThrow(/invalid duration/);
  });

  it("takes what Go's int64 of nanoseconds holds and refuses more (Go's limit)", () => {
    expect(parseGoDuration("2562047h")).toBe(2562047 * 3_600_000);
    expect(parseGoDuration("9223372036854775807ns")).toBeCloseTo(9223372036854.775807, 0);
    expect(parseGoDuration("-9223372036854775808ns")).toBeCloseTo(-9223372036854.775808, 0);
    for (const text of ["100000000h", "2562048h", "9223372036854775808ns", "2562047h47m16.854775808s"]) {
      expect(() => parseGoDuration(text), text).toThrow(/invalid duration .*longer than Go's time.Duration holds/);
    }
  });
});

describe("formatGoDuration", () => {
  it.each([
    { ms: 0, text: "0s" },
    { ms: 720 * 3_600_000, text: "720h0m0s" },
    { ms: 90_000, text: "1m30s" },
    { ms: 1_500, text: "1.5s" },
    { ms: 500, text: "500ms" },
    { ms: 3_600_000, text: "1h0m0s" },
    { ms: -60_000, text: "-1m0s" },
  ])("formats $ms as $text", ({ ms, text }) => {
    expect(formatGoDuration(ms)).toBe(text);
  });
});

describe("goDurationError (Go's time.ParseDuration error text)", () => {
  it.each([
    ["", 'time: invalid duration ""'],
    ["-", 'time: invalid duration "-"'],
    ["5", 'time: missing unit in duration "5"'],
    ["1h5", 'time: missing unit in duration "1h5"'],
    ["5x", 'time: unknown unit "x" in duration "5x"'],
    ["1 hour", 'time: unknown unit " hour" in duration "1 hour"'],
    ["1d", 'time: unknown unit "d" in duration "1d"'],
    ["h", 'time: invalid duration "h"'],
    [".s", 'time: invalid duration ".s"'],
    ["5é", 'time: unknown unit "\\xc3\\xa9" in duration "5\\xc3\\xa9"'],
    ['5"', 'time: unknown unit "\\"" in duration "5\\""'],
    ["100000000h", 'time: invalid duration "100000000h"'],
    ["9223372036854775808ns", 'time: invalid duration "9223372036854775808ns"'],
  ])("%j: %s", (text, error) => {
    expect(goDurationError(text)).toBe(error);
  });

  it.each(["0", "-0", "1h30m", "1.5h", "-2m", "300ms", "1µs", ".5s", "5.s", "2562047h", "-9223372036854775808ns"])("%j is a valid duration", (text) => {
    expect(goDurationError(text)).toBeUndefined();
  });
});
