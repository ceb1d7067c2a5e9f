import { describe, expect, it } from "vitest";
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import { applyResourceModifiers, parseResourceModifiers, patchValue, validateResourceModifiers, type ResourceModifiers } from "./resource-modifiers.js";
import { applyStrategicMergePatch } from "./strategic-merge-patch.js";

const pod = (): UnstructuredItem => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "web-1", namespace: "app", labels: { tier: "web" } },
  spec: { containers: [{ name: "nginx", image: "nginx:1", env: [{ name: "A", value: "1" }] }, { name: "side", image: "side:1" }], volumes: [{ name: "v", emptyDir: {} }] },
});

const mods = (yaml: string): ResourceModifiers => parseResourceModifiers({ "m.yaml": yaml }, "velero/m");

describe("parseResourceModifiers", () => {
  it("reads Velero's YAML format", () => {
    const m = mods("version: v1\nresourceModifierRules:\n- conditions:\n    groupResource: pods\n    namespaces: [app]\n  patches:\n  - operation: replace\n    path: /spec/x\n    value: \"3\"\n");
    expect(m).toEqual({ version: "v1", resourceModifierRules: [{ conditions: { groupResource: "pods", namespaces: ["app"] }, patches: [{ operation: "replace", path: "/spec/x", from: undefined, value: "3" }] }] });
    expect(validateResourceModifiers(m)).toBeUndefined();
  });

  it.each<{ name: string; data: Record<string, string>; error: RegExp }>([
    { name: "more than one data entry", data: { a: "x", b: "y" }, error: /exactly one data entry, found 2/ },
    { name: "an unknown field", data: { a: "version: v1\nresourceModifierRules:\n- conditions: {groupResource: pods}\n  patchez: []\n" }, error: /unknown field "patchez"/ },
    { name: "broken YAML", data: { a: "version: [v1" }, error: /failed to decode yaml data into resource modifiers/ },
  ])("rejects $name", ({ data, error }) => {
    expect(() => parseResourceModifiers(data, "velero/m")).toThrow(error);
  });

  it.each([
    { yaml: "version: v2\nresourceModifierRules: [{conditions: {groupResource: pods}, patches: [{operation: add, path: /a}]}]", error: "unsupported resource modifier version v2" },
    { yaml: "version: v1\nresourceModifierRules: []", error: "resource modifier rules cannot be empty" },
    { yaml: "version: v1\nresourceModifierRules: [{conditions: {groupResource: ''}}]", error: "groupResource cannot be empty" },
    { yaml: "version: v1\nresourceModifierRules: [{conditions: {groupResource: pods}, patches: [{operation: add, path: /a}], mergePatches: [{patchData: '{}'}]}]", error: "only one of patches, mergePatches, strategicPatches can be specified" },
    { yaml: "version: v1\nresourceModifierRules: [{conditions: {groupResource: pods}, patches: [{operation: add, path: ''}]}]", error: "path cannot be empty" },
  ])("validation: $error", ({ yaml, error }) => {
    expect(validateResourceModifiers(mods(yaml))).toBe(error);
  });
});

describe("patchValue", () => {
  it.each([
    ["premium", "premium"],
    ['"3"', "3"],
    ["3", 3],
    ["true", true],
    ["null", null],
    ['{"a": 1}', { a: 1 }],
    ["[1,2]", [1, 2]],
    ["", ""],
    ["-1.5e3", -1500],
    [".5", 0.5],
    // numbers only as Go's strconv.ParseFloat reads them
    ["0x10", "0x10"],
    ["0b1", "0b1"],
    ["0o17", "0o17"],
    [" 5", " 5"],
  ])("%j -> %j", (text, want) => {
    expect(patchValue(text)).toEqual(want);
  });
});

describe("applyResourceModifiers", () => {
  it("applies JSON patches to items matching every condition", () => {
    const m = mods(
      "version: v1\nresourceModifierRules:\n- conditions:\n    groupResource: pods\n    resourceNameRegex: '^web-'\n    namespaces: [app]\n    labelSelector: {matchLabels: {tier: web}}\n    matches: [{path: /spec/containers/0/image, value: 'nginx:1'}]\n  patches:\n  - {operation: replace, path: /spec/containers/0/image, value: 'nginx:2'}\n  - {operation: add, path: /metadata/labels/patched, value: 'yes'}\n",
    );
    const out = applyResourceModifiers(m, pod(), "pods");
    expect(out.errors).toEqual([]);
    expect((out.item.spec as { containers: { image: string }[] }).containers[0]?.image).toBe("nginx:2");
    expect(out.item.metadata.labels).toEqual({ tier: "web", patched: "yes" });
  });

  it("logs the object each matching rule is applied to, as Velero (a failing patch's error names neither)", () => {
    const m = mods("version: v1\nresourceModifierRules:\n- conditions:\n    groupResource: pods\n  patches:\n  - {operation: replace, path: /data/missing, value: x}\n");
    const lines: string[] = [];
    const out = applyResourceModifiers(m, pod(), "pods", { info: (msg: object | string) => void lines.push(String(msg)) });
    expect(lines).toEqual([`Applying resource modifier patch on ${pod().metadata.namespace}/${pod().metadata.name}`]);
    expect(out.errors).toHaveLength(1);
  });

  it.each([
    { name: "the group resource", cond: "groupResource: deployments.apps" },
    { name: "the name regex", cond: "groupResource: pods\n    resourceNameRegex: '^db'" },
    { name: "the namespaces", cond: "groupResource: pods\n    namespaces: [other]" },
    { name: "the label selector", cond: "groupResource: pods\n    labelSelector: {matchLabels: {tier: db}}" },
    { name: "a match rule", cond: "groupResource: pods\n    matches: [{path: /spec/containers/0/image, value: 'redis'}]" },
  ])("skips items not matching $name", ({ cond }) => {
    const m = mods(`version: v1\nresourceModifierRules:\n- conditions:\n    ${cond}\n  patches:\n  - {operation: add, path: /metadata/labels/patched, value: 'yes'}\n`);
    expect(applyResourceModifiers(m, pod(), "pods").item).toEqual(pod());
  });

  it("matches group resources with globs that stop at dots", () => {
    const m = mods("version: v1\nresourceModifierRules:\n- conditions: {groupResource: '*.apps'}\n  mergePatches: [{patchData: '{\"metadata\": {\"labels\": {\"g\": \"1\"}}}'}]\n");
    const d: UnstructuredItem = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d", namespace: "app" } };
    expect(applyResourceModifiers(m, d, "deployments.apps").item.metadata.labels).toEqual({ g: "1" });
    expect(applyResourceModifiers(m, pod(), "pods").item).toEqual(pod());
  });

  it("reads a condition's label selector strictly: a typo is an error, not a selector matching everything; an invalid one is a per-item error", () => {
    expect(() => parseResourceModifiers({ m: "version: v1\nresourceModifierRules:\n- conditions: {groupResource: pods, labelSelector: {matchLabel: {app: x}}}\n  patches: [{operation: add, path: /metadata/labels/p, value: 'y'}]\n" }, "velero/m")).toThrow(
      /unknown field "matchLabel"/,
    );
    const m = mods("version: v1\nresourceModifierRules:\n- conditions: {groupResource: pods, labelSelector: {matchExpressions: [{key: app, operator: In, values: []}]}}\n  patches: [{operation: add, path: /metadata/labels/p, value: 'y'}]\n");
    const out = applyResourceModifiers(m, pod(), "pods");
    expect(out.item).toEqual(pod());
    expect(out.errors).toEqual(["error in creating label selector values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty"]);
  });

  it("matches resourceNameRegex with Go's regexp syntax (RE2), as Velero: (?i) and (?P<name>) work, a JavaScript-only lookbehind does not", () => {
    const rule = (re: string) => mods(`version: v1\nresourceModifierRules:\n- conditions: {groupResource: pods, resourceNameRegex: '${re}'}\n  patches: [{operation: add, path: /metadata/labels/p, value: 'y'}]\n`);
    for (const re of ["(?i)^WEB", "^(?P<app>web)-\\d+$", "[[:alpha:]]+-1"]) {
      expect(validateResourceModifiers(rule(re)), re).toBeUndefined();
      expect(applyResourceModifiers(rule(re), pod(), "pods").item.metadata.labels, re).toMatchObject({ p: "y" });
    }
    expect(validateResourceModifiers(rule("(?<=x)web"))).toMatch(/^invalid resourceNameRegex "\(\?<=x\)web": /);
  });

  it("reads patchData as Velero does (YAML 1.1 scalars): 0644 is the octal file mode 420, yes is a boolean", () => {
    const m = mods("version: v1\nresourceModifierRules:\n- conditions: {groupResource: pods}\n  mergePatches:\n  - patchData: |\n      spec:\n        defaultMode: 0644\n        enabled: yes\n        name: '0644'\n");
    expect(applyResourceModifiers(m, pod(), "pods").item["spec"]).toMatchObject({ defaultMode: 420, enabled: true, name: "0644" });
  });

  it("reports malformed patchData YAML on one line with its line number (the parser's message draws the source)", () => {
    const m = mods("version: v1\nresourceModifierRules:\n- conditions: {groupResource: pods}\n  mergePatches:\n  - patchData: |\n      metadata:\n        labels: {a: b\n");
    const out = applyResourceModifiers(m, pod(), "pods");
    expect(out.errors).toHaveLength(1);
    expect(out.errors[0]).toBe("error in applying patch patchData: yaml: line 3: Flow map in block collection must be sufficiently indented and end with a }");
    expect(out.item).toEqual(pod());
  });

  it("leaves the item unchanged when a test operation fails", () => {
    const m = mods("version: v1\nresourceModifierRules:\n- conditions: {groupResource: pods}\n  patches:\n  - {operation: test, path: /spec/containers/0/image, value: 'redis'}\n  - {operation: replace, path: /spec/containers/0/image, value: 'x'}\n");
    expect(applyResourceModifiers(m, pod(), "pods")).toEqual({ item: pod(), errors: [] });
  });

  it("reports a failing patch and keeps other rules' changes", () => {
    const m = mods(
      "version: v1\nresourceModifierRules:\n- conditions: {groupResource: pods}\n  patches: [{operation: remove, path: /spec/nothing}]\n- conditions: {groupResource: pods}\n  mergePatches: [{patchData: '{\"metadata\": {\"labels\": {\"tier\": null}}}'}]\n",
    );
    const out = applyResourceModifiers(m, pod(), "pods");
    expect(out.errors).toEqual([expect.stringMatching(/^error in applying patch error in applying JSON Patch/)]);
    expect(out.item.metadata.labels).toEqual({});
  });

  it("applies strategic merge patches keyed by container name", () => {
    const m = mods("version: v1\nresourceModifierRules:\n- conditions: {groupResource: pods}\n  strategicPatches:\n  - patchData: |\n      spec:\n        containers:\n        - name: nginx\n          image: nginx:2\n");
    const containers = (applyResourceModifiers(m, pod(), "pods").item.spec as { containers: { name: string; image: string }[] }).containers;
    expect(containers).toEqual([{ name: "nginx", image: "nginx:2", env: [{ name: "A", value: "1" }] }, { name: "side", image: "side:1" }]);
  });
});

describe("applyStrategicMergePatch", () => {
  it.each([
    { name: "merges list elements by key and appends new ones", patch: { spec: { containers: [{ name: "side", image: "side:2" }, { name: "new", image: "n" }] } }, check: (o: any) => o.spec.containers.map((c: any) => `${c.name}=${c.image}`), want: ["nginx=nginx:1", "side=side:2", "new=n"] },
    { name: "deletes an element with $patch: delete", patch: { spec: { containers: [{ name: "side", $patch: "delete" }] } }, check: (o: any) => o.spec.containers.map((c: any) => c.name), want: ["nginx"] },
    { name: "replaces a list with $patch: replace", patch: { spec: { volumes: [{ name: "w", emptyDir: {} }, { $patch: "replace" }] } }, check: (o: any) => o.spec.volumes, want: [{ name: "w", emptyDir: {} }] },
    { name: "removes a key set to null", patch: { metadata: { labels: { tier: null } } }, check: (o: any) => o.metadata.labels, want: {} },
    { name: "merges env by name inside a container", patch: { spec: { containers: [{ name: "nginx", env: [{ name: "B", value: "2" }] }] } }, check: (o: any) => o.spec.containers[0].env, want: [{ name: "A", value: "1" }, { name: "B", value: "2" }] },
  ])("$name", ({ patch, check, want }) => {
    expect(check(applyStrategicMergePatch(pod() as unknown as Record<string, unknown>, patch))).toEqual(want);
  });

  it("refuses custom resources (no schema), like Kubernetes", () => {
    expect(() => applyStrategicMergePatch({ apiVersion: "example.com/v1", kind: "Widget" }, {})).toThrow(/no kind registered/);
  });
});
