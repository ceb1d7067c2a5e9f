import { describe, expect, it } from "vitest";
import { canonicalQuantity, compareQuantities, isZeroQuantity, parseQuantity } from "./quantity.js";

const cmp = (a: string, b: string): number => compareQuantities(parseQuantity(a), parseQuantity(b));

describe("parseQuantity", () => {
  it.each([
    { name: "plain bytes", a: "1024", b: "1Ki", want: 0 },
    { name: "binary vs decimal", a: "1Gi", b: "1G", want: 1 },
    { name: "fraction", a: "1.5Gi", b: "1536Mi", want: 0 },
    { name: "milli", a: "500m", b: "0.5", want: 0 },
    { name: "exponent", a: "1e3", b: "1k", want: 0 },
    { name: "negative exponent", a: "1E-3", b: "1m", want: 0 },
    { name: "exa", a: "1E", b: "1e18", want: 0 },
    { name: "leading dot", a: ".5", b: "500m", want: 0 },
    { name: "smaller", a: "10", b: "100Gi", want: -1 },
    { name: "signed", a: "-1", b: "0", want: -1 },
  ])("compares $name", ({ a, b, want }) => {
    expect(cmp(a, b)).toBe(want);
  });

  it.each(["", "Gi", ".", "1.5.5", " 1Gi", "1 Gi", "abc"])("refuses %j with the format message", (text) => {
    expect(() => parseQuantity(text)).toThrow("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
  });

  it.each(["1K", "1ki", "1e", "1Gii", "1e99999"])("refuses the suffix of %j", (text) => {
    expect(() => parseQuantity(text)).toThrow("unable to parse quantity's suffix");
  });

  it("knows zero whatever its unit", () => {
    expect(isZeroQuantity(parseQuantity("0Gi"))).toBe(true);
    expect(isZeroQuantity(parseQuantity("0.0"))).toBe(true);
    expect(isZeroQuantity(parseQuantity("1m"))).toBe(false);
  });
});

describe("canonicalQuantity", () => {
  // expected: what Velero v1.18.1's `install --dry-run -o yaml` prints for each (k8s.io/apimachinery)
  it.each([
    ["1000m", "1"],
    ["500m", "500m"],
    ["2000", "2k"],
    ["0.25", "250m"],
    ["1.5", "1500m"],
    ["100000", "100k"],
    ["512Mi", "512Mi"],
    ["128Mi", "128Mi"],
    ["1024Mi", "1Gi"],
    ["1.5Gi", "1536Mi"],
    ["0.3Ki", "307200m"],
    ["1e3", "1e3"],
    ["1E-3", "1E-3"],
    ["+1", "+1"],
    ["3Mi", "3Mi"],
    ["1024Ki", "1Mi"],
    ["01", "01"],
    ["1e-4", "100e-6"],
    ["1.5e3", "1500"],
    ["0", "0"],
    ["0m", "0"],
    ["-1500m", "-1500m"],
    ["1k", "1k"],
    ["1M", "1M"],
  ])("prints %j as %j", (text, want) => {
    expect(canonicalQuantity(text)).toBe(want);
  });

  it("refuses what parseQuantity refuses", () => {
    expect(() => canonicalQuantity("abc")).toThrow("quantities must match");
  });
});
