import { describe, expect, it } from "vitest";
import { IncludesExcludes, NamespaceFilter } from "./filters.js";

describe("IncludesExcludes", () => {
  it("matches plain names exactly and every glob form globMatch knows (* ? [..] {a,b})", () => {
    const ie = new IncludesExcludes(["app", "web-*", "db-?", "cache-[ab]", "{x,y}-svc"], ["web-secret"]);
    for (const yes of ["app", "web-1", "db-1", "cache-a", "x-svc", "y-svc"]) expect(ie.shouldInclude(yes), yes).toBe(true);
    for (const no of ["ap", "apps", "web-secret", "db-12", "cache-c", "z-svc"]) expect(ie.shouldInclude(no), no).toBe(false);
  });

  it("answers for thousands of plain names (a namespace list built by a script)", () => {
    const includes = Array.from({ length: 20_000 }, (_, i) => `ns-${i}`);
    const excludes = Array.from({ length: 5_000 }, (_, i) => `ns-${i * 4}`);
    const filter = new NamespaceFilter([], includes, excludes);
    const listed = filter.namespacesToList();
    expect(listed).toHaveLength(15_000);
    expect(listed).not.toContain("ns-0");
    expect(listed).toContain("ns-1");
    expect(filter.namespacesToList()).toBe(listed); // computed once per backup
    expect(includes.filter((ns) => filter.shouldInclude(ns))).toHaveLength(15_000);
  });
});

describe("NamespaceFilter.includeEverything (Velero's IncludeEverything: cluster-scoped resources come along when includeClusterResources is unset)", () => {
  const active = ["app", "default", "kube-system"];
  it.each<[string, string[], string[], boolean]>([
    ["nothing named", [], [], true],
    ['only "*"', ["*"], [], true],
    ["every namespace by name", ["kube-system", "app", "default"], [], true],
    ["a glob matching every namespace", ["?*"], [], true],
    ["a glob matching no namespace (Velero's expanded empty list)", ["zz-*"], [], true],
    ["some namespaces", ["app"], [], false],
    ["every namespace but with an exclude", ["*"], ["kube-system"], false],
  ])("%s → %s", (_what, includes, excludes, expected) => {
    expect(new NamespaceFilter(active, includes, excludes).includeEverything()).toBe(expected);
  });
});
