/** velero.io/admission-webhook-configuration: sideEffects other than None/NoneOnDryRun (v1beta1's Unknown, Some) become None. */
import type { RestoreItemAction, RestoreItemActionInput, RestoreItemActionOutput } from "@velero-ts/plugin-sdk";
import { asObj, clone, output, selectorFor } from "./common.js";

export class AdmissionWebhookConfigurationAction implements RestoreItemAction {
  async appliesTo() {
    return selectorFor(["mutatingwebhookconfigurations", "validatingwebhookconfigurations"]);
  }

  async execute(input: RestoreItemActionInput): Promise<RestoreItemActionOutput> {
    if (input.item.apiVersion !== "admissionregistration.k8s.io/v1" || !Array.isArray(input.item.webhooks)) return output(input.item);
    const item = clone(input.item);
    item.webhooks = (item.webhooks as unknown[]).flatMap((w) => {
      const hook = asObj(w);
      if (!hook) return [];
      if (hook.sideEffects !== "None" && hook.sideEffects !== "NoneOnDryRun") hook.sideEffects = "None";
      return [hook];
    });
    return output(item);
  }
}
