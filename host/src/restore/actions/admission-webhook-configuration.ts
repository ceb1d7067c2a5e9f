/** velero.io/admission-webhook-configuration: sideEffects other than None/NoneOnDryRun (v1beta1's Unknown, Some) become None. */
import type { RestoreItemAction, RestoreItemActionInput, RestoreItemActionOutput } from "@velero-ts/plugin-sdk";
import { asObj, clone, logged, output, selectorFor } from "./common.js";

export class AdmissionWebhookConfigurationAction implements RestoreItemAction {
  async appliesTo() {
    return selectorFor(["mutatingwebhookconfigurations", "validatingwebhookconfigurations"]);
  }

  execute(input: RestoreItemActionInput): Promise<RestoreItemActionOutput> {
    // (Velero's lines name ChangeStorageClassAction here: its text, kept for those who search logs by it)
    return logged("Executing ChangeStorageClassAction", "Done executing ChangeStorageClassAction", (log) => {
      if (input.item.apiVersion !== "admissionregistration.k8s.io/v1") {
        log?.info(`unable to handle api version: ${String(input.item.apiVersion)}, skip`);
        return output(input.item);
      }
      if (!Array.isArray(input.item.webhooks)) {
        log?.info("webhooks is not set, skip");
        return output(input.item);
      }
      const item = clone(input.item);
      item.webhooks = (item.webhooks as unknown[]).flatMap((w) => {
        const hook = asObj(w);
        if (!hook) return [];
        if (hook.sideEffects !== "None" && hook.sideEffects !== "NoneOnDryRun") {
          log?.info(`reset the invalid sideEffects value '${String(hook.sideEffects ?? "")}' to 'None'`);
          hook.sideEffects = "None";
        }
        return [hook];
      });
      return output(item);
    });
  }
}
