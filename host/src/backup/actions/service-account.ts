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

/**
 * The ClusterRoleBindings naming a service account as a subject, and their ClusterRoles: listed once
 * per instance (Velero lists them once when the action is created), indexed by subject. Shared by
 * the service-account BackupItemAction and ItemBlockAction.
 */
export class ServiceAccountBindings {
  readonly #kube: KubeClient;
  /** Per service account ("namespace/name"): the bindings naming it and their roles. */
  #bySubject: Promise<Map<string, { bindings: Set<string>; roles: Set<string> }>> | undefined;

  constructor(kube: KubeClient) {
    this.#kube = kube;
  }

  /** The bindings (sorted), then their roles (sorted), of a ServiceAccount item. */
  async relatedItems(serviceAccount: UnstructuredItem): Promise<ResourceIdentifier[]> {
    this.#bySubject ??= this.#kube.list(GVR.clusterRoleBindings).then((l) => indexBySubject(l.items as unknown as ClusterRoleBinding[]));
    const found = (await this.#bySubject).get(`${serviceAccount.metadata.namespace ?? ""}/${serviceAccount.metadata.name}`);
    const bindings = found?.bindings ?? new Set<string>();
    const roles = found?.roles ?? new Set<string>();
    return [
      ...[...bindings].sort().map((n) => ({ group: "rbac.authorization.k8s.io", resource: "clusterrolebindings", namespace: "", name: n })),
      ...[...roles].sort().map((n) => ({ group: "rbac.authorization.k8s.io", resource: "clusterroles", namespace: "", name: n })),
    ];
  }
}

export class ServiceAccountBackupAction implements BackupItemAction {
  readonly #bindings: ServiceAccountBindings;

  constructor(kube: KubeClient) {
    this.#bindings = new ServiceAccountBindings(kube);
  }

  async appliesTo(): Promise<ResourceSelector> {
    return { ...emptyResourceSelector(), includedResources: ["serviceaccounts"] };
  }

  async execute(item: UnstructuredItem): Promise<BackupItemActionOutput> {
    return { item, additionalItems: await this.#bindings.relatedItems(item) };
  }
}

function indexBySubject(crbs: ClusterRoleBinding[]): Map<string, { bindings: Set<string>; roles: Set<string> }> {
  const index = new Map<string, { bindings: Set<string>; roles: Set<string> }>();
  for (const crb of crbs) {
    for (const s of crb.subjects ?? []) {
      if (s.kind !== "ServiceAccount" || s.namespace === undefined || s.name === undefined) continue;
      const key = `${s.namespace}/${s.name}`;
      let entry = index.get(key);
      if (!entry) index.set(key, (entry = { bindings: new Set(), roles: new Set() }));
      entry.bindings.add(crb.metadata.name);
      if (crb.roleRef?.name) entry.roles.add(crb.roleRef.name);
    }
  }
  return index;
}
