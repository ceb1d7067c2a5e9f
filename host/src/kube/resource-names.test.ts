import { describe, expect, it } from "vitest";
import type { ApiResource } from "./client.js";
import { resourcesNamed } from "./resource-names.js";

const r = (group: string, resource: string, kind: string, extra: Partial<ApiResource> = {}): ApiResource => ({
  group,
  version: "v1",
  resource,
  kind,
  namespaced: true,
  verbs: ["list", "create", "get", "delete"],
  shortNames: [],
  preferred: true,
  ...extra,
});

const all = [
  r("", "pods", "Pod", { shortNames: ["po"], singularName: "pod" }),
  r("apps", "deployments", "Deployment", { shortNames: ["deploy"] }),
  r("autoscaling", "horizontalpodautoscalers", "HorizontalPodAutoscaler", { shortNames: ["hpa"] }),
  r("pj.example.io", "gadgets", "Gadget", { shortNames: ["gd"], singularName: "gizmo" }),
];
const names = (name: string) => resourcesNamed(all, name).map((x) => `${x.resource}${x.group ? `.${x.group}` : ""}`);

describe("resourcesNamed (Velero's discovery helper: client-go's shortcut expander and RESTMapper)", () => {
  it.each<[string, string[]]>([
    ["pods", ["pods"]],
    ["pod", ["pods"]],
    ["Pods", ["pods"]],
    ["po", ["pods"]],
    ["deploy", ["deployments.apps"]],
    ["Deployment", ["deployments.apps"]],
    ["deployments.apps", ["deployments.apps"]],
    ["gizmo", ["gadgets.pj.example.io"]],
    ["Gizmo", ["gadgets.pj.example.io"]],
    ["gd", ["gadgets.pj.example.io"]],
    ["hpa.autoscal", ["horizontalpodautoscalers.autoscaling"]],
  ])("%s names %j", (name, expected) => {
    expect(names(name)).toEqual(expected);
  });

  it.each([
    ["GADGET", "the kind is not a name when a CRD chose another singular"],
    ["gadget", "the same"],
    ["Deployments.Apps", "groups are matched as written"],
    ["deployments.app", "a group prefix works for short names only"],
    ["GD", "short names are matched as written"],
  ])("%s names nothing (%s)", (name) => {
    expect(names(name)).toEqual([]);
  });
});
