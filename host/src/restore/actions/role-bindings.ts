/** velero.io/role-bindings and velero.io/cluster-role-bindings: subject namespaces follow the namespace mapping. */
import type { RestoreItemAction, RestoreItemActionInput, RestoreItemActionOutput } from "@velero-ts/plugin-sdk";
import { clone, output, selectorFor } from "./common.js";

class SubjectNamespaceMapping implements RestoreItemAction {
  readonly #resource: string;

  constructor(resource: string) {
    this.#resource = resource;
  }

  async appliesTo() {
    return selectorFor([this.#resource]);
  }

  async execute(input: RestoreItemActionInput): Promise<RestoreItemActionOutput> {
    const mapping = input.restore.spec.namespaceMapping ?? {};
    const binding = clone(input.item);
    if (Object.keys(mapping).length === 0) return output(binding);
    for (const subject of (binding.subjects as { namespace?: string }[] | undefined) ?? []) {
      const mapped = subject.namespace !== undefined ? mapping[subject.namespace] : undefined;
      if (mapped !== undefined) subject.namespace = mapped;
    }
    return output(binding);
  }
}

export class RoleBindingAction extends SubjectNamespaceMapping {
  constructor() {
    super("rolebindings");
  }
}

export class ClusterRoleBindingAction extends SubjectNamespaceMapping {
  constructor() {
    super("clusterrolebindings");
  }
}
