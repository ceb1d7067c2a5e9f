/** velero.io/pod (ItemBlockAction): a pod is backed up in one block with its PVCs and PriorityClass. */
import type { ItemBlockAction, ResourceIdentifier, ResourceSelector, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { emptyResourceSelector } from "@velero-ts/plugin-sdk";
import { actionLog } from "../../shared/action-log.js";
import { relatedItemsForPod } from "../actions/pod.js";

export class PodItemBlockAction implements ItemBlockAction {
  async appliesTo(): Promise<ResourceSelector> {
    return { ...emptyResourceSelector(), includedResources: ["pods"] };
  }

  async getRelatedItems(item: UnstructuredItem): Promise<ResourceIdentifier[]> {
    const log = actionLog();
    log?.info("Executing pod ItemBlockAction");
    const related = relatedItemsForPod(item, log);
    log?.info("Done executing pod ItemBlockAction");
    return related;
  }
}
