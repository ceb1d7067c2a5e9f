/** velero.io/service-account (ItemBlockAction): a service account with the ClusterRoleBindings naming it and their ClusterRoles. */
import type { ItemBlockAction, ResourceIdentifier, ResourceSelector, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { emptyResourceSelector } from "@velero-ts/plugin-sdk";
import type { KubeClient } from "../../kube/client.js";
import { actionLog } from "../../shared/action-log.js";
import { ServiceAccountBindings } from "../actions/service-account.js";

export class ServiceAccountItemBlockAction implements ItemBlockAction {
  readonly #bindings: ServiceAccountBindings;

  constructor(kube: KubeClient) {
    this.#bindings = new ServiceAccountBindings(kube);
  }

  async appliesTo(): Promise<ResourceSelector> {
    return { ...emptyResourceSelector(), includedResources: ["serviceaccounts"] };
  }

  async getRelatedItems(item: UnstructuredItem): Promise<ResourceIdentifier[]> {
    const log = actionLog();
    log?.info("Running ServiceAccount ItemBlockAction");
    const related = await this.#bindings.relatedItems(item);
    log?.info("Done running ServiceAccount ItemBlockAction");
    return related;
  }
}
