/** velero.io/service-account: ClusterRoleBindings naming the service account, and their ClusterRoles. */
import type { BackupItemAction, BackupItemActionOutput, ResourceIdentifier, ResourceSelector, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { emptyResourceSelector } from "@velero-ts/plugin-sdk";
import type { KubeClient } from "../../kube/client.js";
import { GVR } from "../../kube/gvr.js";

interface ClusterRoleBinding {
  metadata: { name: string };
  roleRef?: { name?: string };
  subjects?: { kind?: string; name?: string; namespace?: string }[];
}

export class ServiceAccountBackupAction implements BackupItemAction {
  readonly #kube: KubeClient;
  #bindings: Promise<ClusterRoleBinding[]> | undefined;

  constructor(kube: KubeClient) {
    this.#kube = kube;
  }

  async appliesTo(): Promise<ResourceSelector> {
    return { ...emptyResourceSelector(), includedResources: ["serviceaccounts"] };
  }

  async execute(item: UnstructuredItem): Promise<BackupItemActionOutput> {
    // One LIST per action instance (Velero lists once when the action is created).
    this.#bindings ??= this.#kube.list(GVR.clusterRoleBindings).then((l) => l.items as unknown as ClusterRoleBinding[]);
    const ns = item.metadata.namespace ?? "";
    const name = item.metadata.name;
    const bindings = new Set<string>();
    const roles = new Set<string>();
    for (const crb of await this.#bindings) {
      const match = (crb.subjects ?? []).some((s) => s.kind === "ServiceAccount" && s.namespace === ns && s.name === name);
      if (match) {
        bindings.add(crb.metadata.name);
        if (crb.roleRef?.name) roles.add(crb.roleRef.name);
      }
    }
    const additionalItems: ResourceIdentifier[] = [
      ...[...bindings].sort().map((n) => ({ group: "rbac.authorization.k8s.io", resource: "clusterrolebindings", namespace: "", name: n })),
      ...[...roles].sort().map((n) => ({ group: "rbac.authorization.k8s.io", resource: "clusterroles", namespace: "", name: n })),
    ];
    return { item, additionalItems };
  }
}
