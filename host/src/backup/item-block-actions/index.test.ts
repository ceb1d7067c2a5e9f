import { describe, expect, it } from "vitest";
import { GVR } from "../../kube/gvr.js";
import { forBackup, forClusterRoleBinding, forPod, forServiceAccount } from "../../testing/builders.js";
import { FakeKubeClient } from "../../testing/fake-kube-client.js";
import { BUILTIN_ITEM_BLOCK_ACTIONS, createBuiltinItemBlockAction } from "./index.js";

describe("built-in item block actions", () => {
  it("are Velero's, in its registration order, each applying to its resource", async () => {
    const kube = new FakeKubeClient();
    const selectors = await Promise.all(BUILTIN_ITEM_BLOCK_ACTIONS.map((name) => createBuiltinItemBlockAction(name, kube).appliesTo()));
    expect(BUILTIN_ITEM_BLOCK_ACTIONS).toEqual(["velero.io/pvc", "velero.io/pod", "velero.io/service-account"]);
    expect(selectors.map((s) => s.includedResources)).toEqual([["persistentvolumeclaims"], ["pods"], ["serviceaccounts"]]);
    expect(() => createBuiltinItemBlockAction("velero.io/nope", kube)).toThrow(/unknown built-in item block action "velero.io\/nope"/);
  });

  it("velero.io/pod relates the pod's PriorityClass and PVCs", async () => {
    const pod = forPod("app", "web", { pvcs: ["data", "logs"] }).build();
    (pod.spec as { priorityClassName?: string }).priorityClassName = "high";
    expect(await createBuiltinItemBlockAction("velero.io/pod", new FakeKubeClient()).getRelatedItems(pod, forBackup("velero", "b").build())).toEqual([
      { group: "scheduling.k8s.io", resource: "priorityclasses", namespace: "", name: "high" },
      { group: "", resource: "persistentvolumeclaims", namespace: "app", name: "data" },
      { group: "", resource: "persistentvolumeclaims", namespace: "app", name: "logs" },
    ]);
  });

  it("velero.io/service-account relates the ClusterRoleBindings naming the account and their ClusterRoles", async () => {
    const kube = new FakeKubeClient().seed(
      GVR.clusterRoleBindings,
      forClusterRoleBinding("b2", "r2", [{ kind: "ServiceAccount", name: "runner", namespace: "app" }]).build(),
      forClusterRoleBinding("b1", "r1", [{ kind: "ServiceAccount", name: "runner", namespace: "app" }]).build(),
      forClusterRoleBinding("other", "r3", [{ kind: "ServiceAccount", name: "runner", namespace: "elsewhere" }]).build(),
    );
    const related = await createBuiltinItemBlockAction("velero.io/service-account", kube).getRelatedItems(forServiceAccount("app", "runner").build(), forBackup("velero", "b").build());
    const rbac = (resource: string, name: string) => ({ group: "rbac.authorization.k8s.io", resource, namespace: "", name });
    expect(related).toEqual([rbac("clusterrolebindings", "b1"), rbac("clusterrolebindings", "b2"), rbac("clusterroles", "r1"), rbac("clusterroles", "r2")]);
  });
});
