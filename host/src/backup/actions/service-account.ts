/** velero.io/service-account: ClusterRoleBindings naming the service account, and their ClusterRoles. */
import type { BackupItemAction, BackupItemActionOutput, ResourceIdentifier, ResourceSelector, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { emptyResourceSelector } from "@velero-ts/plugin-sdk";
import type { KubeClient } from "../../kube/client.js";
import { GVR } from "../../kube/gvr.js";
import { actionLog, logged } from "../../shared/action-log.js";

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
  #bySubject: Promise<Map<string, SubjectEntry>> | undefined;

  constructor(kube: KubeClient) {
    this.#kube = kube;
  }

  /** The bindings (sorted), then their roles (sorted), of a ServiceAccount item, logged as Velero's RelatedItemsForServiceAccount. */
  async relatedItems(serviceAccount: UnstructuredItem): Promise<ResourceIdentifier[]> {
    this.#bySubject ??= this.#kube.list(GVR.clusterRoleBindings).then((l) => indexBySubject(l.items as unknown as ClusterRoleBinding[]));
    const { namespace = "", name } = serviceAccount.metadata;
    const found = (await this.#bySubject).get(`${namespace}/${name}`);
    const bindings = found?.bindings ?? new Set<string>();
    const roles = found?.roles ?? new Set<string>();
    const log = actionLog();
    for (const [binding, role] of found?.pairs ?? []) {
      log?.info(`Adding clusterrole ${role} and clusterrolebinding ${binding} to relatedItems since serviceaccount ${namespace}/${name} is a subject`);
    }
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

  execute(item: UnstructuredItem): Promise<BackupItemActionOutput> {
    return logged("Running ServiceAccountAction", "Done running ServiceAccountAction", async () => ({ item, additionalItems: await this.#bindings.relatedItems(item) }));
  }
}

interface SubjectEntry {
  bindings: Set<string>;
  roles: Set<string>;
  /** (binding, role) in list order, each binding once: what is logged. */
  pairs: [string, string][];
}

function indexBySubject(crbs: ClusterRoleBinding[]): Map<string, SubjectEntry> {
  const index = new Map<string, SubjectEntry>();
  for (const crb of crbs) {
    for (const s of crb.subjects ?? []) {
      if (s.kind !== "ServiceAccount" || s.namespace === undefined || s.name === undefined) continue;
      const key = `${s.namespace}/${s.name}`;
      let entry = index.get(key);
      if (!entry) index.set(key, (entry = { bindings: new Set(), roles: new Set(), pairs: [] }));
      if (!entry.bindings.has(crb.metadata.name)) entry.pairs.push([crb.metadata.name, crb.roleRef?.name ?? ""]);
      entry.bindings.add(crb.metadata.name);
      if (crb.roleRef?.name) entry.roles.add(crb.roleRef.name);
    }
  }
  return index;
}
