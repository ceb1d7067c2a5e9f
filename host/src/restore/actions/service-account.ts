/** velero.io/service-account: drops the reference to the legacy auto-created `<sa>-token-*` secret. */
import type { RestoreItemAction, RestoreItemActionInput, RestoreItemActionOutput } from "@velero-ts/plugin-sdk";
import { clone, logged, output, selectorFor } from "./common.js";

export class ServiceAccountAction implements RestoreItemAction {
  async appliesTo() {
    return selectorFor(["serviceaccounts"]);
  }

  execute(input: RestoreItemActionInput): Promise<RestoreItemActionOutput> {
    return logged("Executing ServiceAccountAction", "Done executing ServiceAccountAction", () => this.#execute(input));
  }

  #execute(input: RestoreItemActionInput): RestoreItemActionOutput {
    const sa = clone(input.item);
    const secrets = sa.secrets as { name?: string }[] | undefined;
    if (Array.isArray(secrets)) {
      const prefix = `${sa.metadata.name}-token-`;
      // Like Velero, only the last matching reference is removed.
      for (let i = secrets.length - 1; i >= 0; i--) {
        if ((secrets[i]?.name ?? "").startsWith(prefix)) {
          secrets.splice(i, 1);
          break;
        }
      }
    }
    return output(sa);
  }
}
