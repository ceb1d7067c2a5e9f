import { describe, expect, it } from "vitest";
import { globToRegExp, IncludesExcludes, validateIncludesExcludes } from "./filters.js";
import { DEFAULT_RESTORE_PRIORITIES, orderedResources, parseRestorePriorities } from "./priorities.js";
import { compareKubeVersions } from "./version-chooser.js";
import { createMergePatch, validLabelValue } from "./metadata.js";
import { ResourceResolver } from "./discovery.js";
import { RestoreFakeKube } from "./testing/restore-fake-kube.js";

describe("IncludesExcludes", () => {
  it.each([
    { inc: [], exc: [], value: "a", want: true },
    { inc: ["*"], exc: ["b"], value: "b", want: false },
    { inc: ["app-*"], exc: [], value: "app-1", want: true },
    { inc: ["app-?"], exc: [], value: "app-12", want: false },
    { inc: ["{a,b}c"], exc: [], value: "bc", want: true },
    { inc: ["[xy]z"], exc: [], value: "yz", want: true },
  ])("$inc / $exc on $value -> $want", ({ inc, exc, value, want }) => {
    expect(new IncludesExcludes(inc, exc).shouldInclude(value)).toBe(want);
  });

  it("globs with a separator do not cross it unless **", () => {
    expect(globToRegExp("*", ".").test("deployments.apps")).toBe(false);
    expect(globToRegExp("**", ".").test("deployments.apps")).toBe(true);
  });

  it("validates lists like Velero", () => {
    expect(validateIncludesExcludes(["*", "a"], ["*", "b"])).toEqual(["includes list must either contain '*' only, or a non-empty list of items", "excludes list cannot contain '*'", "excludes list cannot contain an item in the includes list: *"]);
  });
});

describe("restore priorities", () => {
  it("parses --restore-resource-priorities as Velero's Priorities.Set: only the part given replaces its default", () => {
    const { high, low } = DEFAULT_RESTORE_PRIORITIES;
    expect(parseRestorePriorities("a, b,-,c")).toEqual({ high: ["a", "b"], low: ["c"] });
    expect(parseRestorePriorities("a,b")).toEqual({ high: ["a", "b"], low });
    expect(parseRestorePriorities("a,-")).toEqual({ high: ["a"], low });
    expect(parseRestorePriorities("-,x")).toEqual({ high, low: ["x"] });
    expect(parseRestorePriorities("-")).toEqual({ high, low });
    expect(() => parseRestorePriorities("a,-,b,-,c")).toThrow(/multiple priority separator "-" found/);
  });

  it("orders the high list, then the rest alphabetically, then the low list", () => {
    const order = orderedResources(DEFAULT_RESTORE_PRIORITIES, ["zz.example.com", "clusters.cluster.x-k8s.io", "pods", "aa.example.com"]);
    expect(order.slice(0, 2)).toEqual(["customresourcedefinitions", "namespaces"]);
    expect(order.slice(DEFAULT_RESTORE_PRIORITIES.high.length, DEFAULT_RESTORE_PRIORITIES.high.length + 2)).toEqual(["aa.example.com", "zz.example.com"]);
    expect(order.at(-4)).toBe("clusters.cluster.x-k8s.io");
  });
});

describe("Kubernetes version order", () => {
  it("sorts versions GA > beta > alpha", () => {
    expect(["v1alpha1", "v2", "v1beta2", "v1", "v1beta1"].sort(compareKubeVersions)).toEqual(["v2", "v1", "v1beta2", "v1beta1", "v1alpha1"]);
  });
});

describe("helpers", () => {
  it("shortens long label values like Velero's GetValidName", () => {
    const long = "x".repeat(70);
    expect(validLabelValue(long)).toHaveLength(63);
    expect(validLabelValue(long).slice(0, 57)).toBe("x".repeat(57));
    expect(validLabelValue("short")).toBe("short");
  });

  it("creates RFC 7386 merge patches", () => {
    expect(createMergePatch({ a: 1, b: { c: 2, d: 3 }, e: [1] }, { a: 1, b: { c: 5 }, e: [2], f: "new" })).toEqual({ b: { c: 5, d: null }, e: [2], f: "new" });
    expect(createMergePatch({ a: 1 }, { a: 1 })).toBeUndefined();
  });

  it("resolves short, singular, kind and grouped names through discovery, core first", async () => {
    const r = new ResourceResolver(new RestoreFakeKube());
    expect((await r.resolve("po"))?.groupResource).toBe("pods");
    expect((await r.resolve("deploy"))?.groupResource).toBe("deployments.apps");
    expect((await r.resolve("deployment"))?.groupResource).toBe("deployments.apps");
    expect((await r.resolve("events"))?.groupResource).toBe("events");
    expect((await r.resolve("events.events.k8s.io"))?.groupResource).toBe("events.events.k8s.io");
    expect((await r.resolve("horizontalpodautoscalers"))?.gvr.version).toBe("v2");
    expect(await r.resolve("nonsense")).toBeUndefined();
  });
});
