/** velero.io/job: drops the controller-uid selector and template labels so the Job controller sets new ones. */
import type { RestoreItemAction, RestoreItemActionInput, RestoreItemActionOutput } from "@velero-ts/plugin-sdk";
import { asObj, clone, output, selectorFor } from "./common.js";

const CONTROLLER_UID_LABELS = ["batch.kubernetes.io/controller-uid", "controller-uid"];

export class JobAction implements RestoreItemAction {
  async appliesTo() {
    return selectorFor(["jobs"]);
  }

  async execute(input: RestoreItemActionInput): Promise<RestoreItemActionOutput> {
    const job = clone(input.item);
    const spec = asObj(job.spec);
    const matchLabels = asObj(asObj(spec?.selector)?.matchLabels);
    const templateLabels = asObj(asObj(asObj(spec?.template)?.metadata)?.labels);
    for (const label of CONTROLLER_UID_LABELS) {
      if (matchLabels) delete matchLabels[label];
      if (templateLabels) delete templateLabels[label];
    }
    return output(job);
  }
}
