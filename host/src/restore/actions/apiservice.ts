/** velero.io/apiservice: APIServices managed by kube-aggregator's autoregister are not restored. */
import type { RestoreItemAction, RestoreItemActionInput, RestoreItemActionOutput } from "@velero-ts/plugin-sdk";
import { logged, output, selectorFor } from "./common.js";

export const AUTO_REGISTER_MANAGED_LABEL = "kube-aggregator.kubernetes.io/automanaged";

export class ApiServiceAction implements RestoreItemAction {
  async appliesTo() {
    return selectorFor(["apiservices"], AUTO_REGISTER_MANAGED_LABEL);
  }

  execute(input: RestoreItemActionInput): Promise<RestoreItemActionOutput> {
    return logged("Executing APIServiceAction", "Done executing APIServiceAction", (log) => {
      log?.info("Skipping restore of APIService as it is managed by Kubernetes");
      return output(input.item, [], true);
    });
  }
}
