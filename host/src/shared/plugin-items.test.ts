import { describe, expect, it } from "vitest";
import { returnedItemProblem } from "./plugin-items.js";

describe("returnedItemProblem", () => {
  it.each<[unknown, string | undefined]>([
    [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", namespace: "app" } }, undefined],
    [{ apiVersion: "v1", kind: "Namespace", metadata: { name: "app" } }, undefined],
    [{ kind: "ConfigMap" }, "an item without metadata"],
    [{ apiVersion: "v1", kind: "ConfigMap", metadata: {} }, "an item without metadata.name"],
    [{ metadata: { name: "c" } }, "an item without apiVersion, kind"],
    [{ apiVersion: "v1", kind: "", metadata: { name: "c" } }, "an item without kind"],
    [null, "no Kubernetes object (got null)"],
    [[], "no Kubernetes object (got an array)"],
    ["x", "no Kubernetes object (got string)"],
  ])("%j → %s", (item, problem) => {
    expect(returnedItemProblem(item)).toBe(problem);
  });
});
