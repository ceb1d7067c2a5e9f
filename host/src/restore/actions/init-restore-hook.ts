/** velero.io/init-restore-hook: adds the init containers of restore init hooks (annotations or spec) to pods. */
import type { RestoreItemAction, RestoreItemActionInput, RestoreItemActionOutput } from "@velero-ts/plugin-sdk";
import { addInitRestoreHooks } from "../hooks/restore-hooks.js";
import { logged, output, selectorFor } from "./common.js";

export class InitRestoreHookPodAction implements RestoreItemAction {
  async appliesTo() {
    return selectorFor(["pods"]);
  }

  execute(input: RestoreItemActionInput): Promise<RestoreItemActionOutput> {
    return logged("Executing InitRestoreHookPodAction", "Returning from InitRestoreHookPodAction", () => output(addInitRestoreHooks(input.item, input.restore.spec)));
  }
}
