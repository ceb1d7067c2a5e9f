/**
 * velero.io/secret: legacy service-account token secrets are skipped when a ServiceAccount of
 * the namespace owns them by name (Kubernetes recreates them); other token secrets lose their
 * token, ca.crt and SA uid so the token controller fills them in again.
 */
import type { RestoreItemAction, RestoreItemActionInput, RestoreItemActionOutput } from "@velero-ts/plugin-sdk";
import { GVR } from "../../kube/gvr.js";
import { asObj, clone, logged, output, selectorFor, type BuiltinActionDeps } from "./common.js";

export class SecretAction implements RestoreItemAction {
  readonly #deps: BuiltinActionDeps;

  constructor(deps: BuiltinActionDeps) {
    this.#deps = deps;
  }

  async appliesTo() {
    return selectorFor(["secrets"]);
  }

  execute(input: RestoreItemActionInput): Promise<RestoreItemActionOutput> {
    return logged("Executing SecretAction", "Done executing SecretAction", () => this.#execute(input));
  }

  async #execute(input: RestoreItemActionInput): Promise<RestoreItemActionOutput> {
    if (input.item.type !== "kubernetes.io/service-account-token") return output(input.item);
    const { items } = await this.#deps.kube.list(GVR.serviceAccounts, { namespace: input.item.metadata.namespace });
    if (items.some((sa) => input.item.metadata.name.startsWith(`${sa.metadata.name}-token-`))) return output(input.item, [], true);
    const secret = clone(input.item);
    if (secret.metadata.annotations) delete secret.metadata.annotations["kubernetes.io/service-account.uid"];
    const data = asObj(secret.data);
    if (data) {
      delete data.token;
      delete data["ca.crt"];
    }
    return output(secret);
  }
}
