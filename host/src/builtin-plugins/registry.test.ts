import { describe, expect, it } from "vitest";
import { builtinRestoreItemActions } from "../restore/actions/index.js";
import { createSilentLogger } from "../shared/logging.js";
import { FakeKubeClient } from "../testing/fake-kube-client.js";
import { createBuiltinPlugins } from "./registry.js";

describe("built-in plugins' order", () => {
  it("lists them as Velero's own binary does (kinds in its order, names sorted): pod restore actions run add-pvc-from-pod, change-image-name, init-restore-hook, pod", () => {
    const builtins = createBuiltinPlugins(createSilentLogger());
    // registered in another order than they run
    for (const a of builtinRestoreItemActions({ kube: new FakeKubeClient(), veleroNamespace: "velero", logger: createSilentLogger() })) builtins.registerRestoreItemAction(a.name, () => a.create());
    const restoreActions = builtins.list().filter((p) => p.kind === "RestoreItemAction").map((p) => p.name);
    expect(restoreActions).toEqual([...restoreActions].sort());
    const forPods = ["velero.io/add-pvc-from-pod", "velero.io/change-image-name", "velero.io/init-restore-hook", "velero.io/pod"];
    expect(restoreActions.filter((n) => forPods.includes(n))).toEqual(forPods);
    const kinds = builtins.list().map((p) => p.kind);
    expect(kinds.indexOf("ObjectStore")).toBeLessThan(kinds.indexOf("RestoreItemAction"));
  });
});
