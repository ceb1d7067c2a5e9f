/** velero.io/service-account (ItemBlockAction): a service account with the ClusterRoleBindings naming it and their ClusterRoles. */
import type { ItemBlockAction, ResourceIdentifier, ResourceSelector, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { emptyResourceSelector } from "@velero-ts/plugin-sdk";
import type { KubeClient } from "../../kube/client.js";
import { logged } from "../../shared/action-log.js";
import { ServiceAccountBindings } from "../actions/service-account.js";

export class ServiceAccountItemBlockAction implements ItemBlockAction {
  readonly #bindings: ServiceAccountBindings;

  constructor(kube: KubeClient) {
    this.#bindings = new ServiceAccountBindings(kube);
  }

  async appliesTo(): Promise<ResourceSelector> {
    return { ...emptyResourceSelector(), includedResources: ["serviceaccounts"] };
  }

  getRelatedItems(item: UnstructuredItem): Promise<ResourceIdentifier[]> {
    return logged("Running ServiceAccount ItemBlockAction", "Done running ServiceAccount ItemBlockAction", () => this.#bindings.relatedItems(item));
  }
}
