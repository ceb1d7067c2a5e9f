import { describe, expect, it } from "vitest";
import { formatGoDuration, parseDurationFlag, parseGoDuration } from "./duration.js";
import { formatLabelSelector, parseLabelSelector, parseOrLabelSelectors } from "./label-selector.js";
import { parseGoBool, parseMapFlag } from "./values.js";
import { validateSchedule } from "./cron.js";
import { parseGoInt } from "./values.js";

describe("Go durations", () => {
  it.each([
    { text: "720h", ns: 720 * 3600e9, formatted: "720h0m0s" },
    { text: "1h30m", ns: 5400e9, formatted: "1h30m0s" },
    { text: "90m", ns: 5400e9, formatted: "1h30m0s" },
    { text: "10m", ns: 600e9, formatted: "10m0s" },
    { text: "1.5s", ns: 1.5e9, formatted: "1.5s" },
    { text: "500ms", ns: 5e8, formatted: "500ms" },
    { text: "0", ns: 0, formatted: "0s" },
    { text: "2160h0m0s", ns: 2160 * 3600e9, formatted: "2160h0m0s" },
  ])("parses $text and formats it as $formatted", ({ text, ns, formatted }) => {
    expect(parseGoDuration(text)).toBe(ns);
    expect(formatGoDuration(ns)).toBe(formatted);
  });

  it.each(["", "forever", "10", "1d", "h", " 1h", "1h ", ".h", "9999999999h", "2562047h47m16.854775808s", "1hx"])("rejects %j, as time.ParseDuration does", (text) => {
    expect(parseGoDuration(text)).toBeUndefined();
  });

  it("truncates fractions to the nanosecond and takes the largest duration, as Go", () => {
    expect(parseGoDuration("1.5ns")).toBe(1);
    expect(parseGoDuration("0.1s")).toBe(1e8);
    expect(parseGoDuration(".5h")).toBe(1800e9);
    expect(parseGoDuration("-1.5h")).toBe(-5400e9);
    expect(parseGoDuration("2562047h47m16.854775807s")).toBe(Number((1n << 63n) - 1n));
  });
});

describe("label selectors", () => {
  it.each([
    { text: "app=iperf3-server", json: { matchLabels: { app: "iperf3-server" } }, printed: "app=iperf3-server" },
    { text: "backup!=ignore", json: { matchExpressions: [{ key: "backup", operator: "NotIn", values: ["ignore"] }] }, printed: "backup notin (ignore)" },
    // requirements sorted by key, values sorted without repeats (Velero's CLI prints what it parsed so)
    { text: "tier in (web, db, web),!legacy", json: { matchExpressions: [{ key: "legacy", operator: "DoesNotExist" }, { key: "tier", operator: "In", values: ["db", "web"] }] }, printed: "!legacy,tier in (db,web)" },
    { text: "velero.io/schedule-name", json: { matchExpressions: [{ key: "velero.io/schedule-name", operator: "Exists" }] }, printed: "velero.io/schedule-name" },
    { text: "a==b,c=d", json: { matchLabels: { a: "b", c: "d" } }, printed: "a=b,c=d" },
  ])("parses $text the way metav1.ParseToLabelSelector does", ({ text, json, printed }) => {
    const parsed = parseLabelSelector(text);
    expect(parsed).toEqual(json);
    expect(formatLabelSelector(parsed)).toBe(printed);
  });

  it("puts matchLabels before matchExpressions, as the Go struct, whatever the order given", () => {
    expect(Object.keys(parseLabelSelector("x in (b),b=2,a=1"))).toEqual(["matchLabels", "matchExpressions"]);
    expect(Object.keys(parseLabelSelector("x in (b),b=2,a=1").matchLabels ?? {})).toEqual(["a", "b"]);
  });

  it("takes != as NotIn, as the primer's `--selector 'backup!=ignore'` needs (Velero v1.18.1 refuses it)", () => {
    expect(parseLabelSelector("key!=v")).toEqual({ matchExpressions: [{ key: "key", operator: "NotIn", values: ["v"] }] });
    expect(parseOrLabelSelectors("a=b or c!=d")[1]).toEqual({ matchExpressions: [{ key: "c", operator: "NotIn", values: ["d"] }] });
  });

  it.each(["a=b=c", "a in (x", "Bad Key=1", "x>1"])("rejects %j with a usage error naming the selector", (text) => {
    expect(() => parseLabelSelector(text)).toThrow(/invalid label selector/);
  });

  it.each([
    ["an unknown operator", { matchExpressions: [{ key: "app", operator: "Bogus", values: ["a"] }] }],
    ["In without values", { matchExpressions: [{ key: "app", operator: "In", values: [] }] }],
    ["Exists with values", { matchExpressions: [{ key: "app", operator: "Exists", values: ["a"] }] }],
    ["an invalid key", { matchLabels: { "bad key": "x" } }],
    ["an invalid value", { matchLabels: { app: "-x-" } }],
  ])("prints <error> for a stored selector with %s, as metav1.FormatLabelSelector does", (_what, selector) => {
    expect(formatLabelSelector(selector)).toBe("<error>");
  });

  it("prints <none> for a missing selector and splits or-selectors", () => {
    expect(formatLabelSelector(undefined)).toBe("<none>");
    expect(parseOrLabelSelectors("foo=bar or app=nginx")).toEqual([{ matchLabels: { foo: "bar" } }, { matchLabels: { app: "nginx" } }]);
  });
});

describe("map and bool flags", () => {
  it("parses the seed's --backup-location-config (as the shell passes it) and CSV-quoted entries", () => {
    expect(parseMapFlag("--backup-location-config", "region=minio,s3ForcePathStyle=true,s3Url=http://127.0.0.1:9000")).toEqual({
      region: "minio",
      s3ForcePathStyle: "true",
      s3Url: "http://127.0.0.1:9000",
    });
    expect(parseMapFlag("--labels", '"k1=a=b,c=d",k2=v2')).toEqual({ k1: "a=b,c=d", k2: "v2" });
  });

  it("uses ':' for namespace mappings and explains a bad entry", () => {
    expect(parseMapFlag("--namespace-mappings", "a:b,c:d", {}, ":")).toEqual({ a: "b", c: "d" });
    expect(() => parseMapFlag("--namespace-mappings", "a=b", {}, ":")).toThrow('invalid value "a=b" for --namespace-mappings: expected src1:dst1,src2:dst2');
  });

  it("accepts Go's boolean spellings only", () => {
    expect([parseGoBool("true"), parseGoBool("F"), parseGoBool("1"), parseGoBool("yes")]).toEqual([true, false, true, undefined]);
  });
});

describe("schedule validation", () => {
  it.each(["0 1 * * *", "@every 24h", "@daily", "CRON_TZ=Europe/Paris 0 3 * * 1-5"])("accepts %j", (s) => {
    expect(validateSchedule(s)).toBe(s);
  });
  it.each(["0 1 * *", "61 * * * *", "@every forever", "* * * * * *"])("rejects %j with a fix", (s) => {
    expect(() => validateSchedule(s)).toThrow(/invalid --schedule .*use 5 cron fields/);
  });
});

describe("Go integers", () => {
  it("reads what strconv.ParseInt(s, 0, 64) reads", () => {
    expect([parseGoInt("16"), parseGoInt("0x10"), parseGoInt("0o20"), parseGoInt("020"), parseGoInt("0b10000"), parseGoInt("+16"), parseGoInt("-1_6"), parseGoInt("0"), parseGoInt("0x_1_0")]).toEqual([16, 16, 16, 16, 16, 16, -16, 0, 16]);
  });
  it.each(["", " 1", "1.0", "1_", "_1", "1__0", "08", "0x", "ten", "9223372036854775808"])("refuses %j", (text) => {
    expect(parseGoInt(text)).toBeUndefined();
  });
});

describe("map flags (Velero's flag.Map over encoding/csv)", () => {
  it("reads quoted entries holding the delimiter", () => {
    expect(parseMapFlag("--labels", '"a=x,y",b=2')).toEqual({ a: "x,y", b: "2" });
  });
  it.each(['a="x"', '"a"=b', 'k=a"b', '"a:b,c":d,"e'])("refuses %j as encoding/csv does", (text) => {
    expect(() => parseMapFlag("--labels", text)).toThrow(/bare " in non-quoted-field|extraneous or missing " in quoted-field/);
  });
});

describe("duration flag errors", () => {
  it.each([
    ["1d", 'time: unknown unit "d" in duration "1d"'],
    ["10", 'time: missing unit in duration "10"'],
    ["forever", 'time: invalid duration "forever"'],
    [" 1h", 'time: invalid duration " 1h"'],
  ])("%j names Go's reason", (text, reason) => {
    expect(() => parseDurationFlag("--ttl", text)).toThrow(reason);
  });
});
