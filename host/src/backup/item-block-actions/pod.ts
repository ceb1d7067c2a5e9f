/** velero.io/pod (ItemBlockAction): a pod is backed up in one block with its PVCs and PriorityClass. */
import type { ItemBlockAction, ResourceIdentifier, ResourceSelector, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { emptyResourceSelector } from "@velero-ts/plugin-sdk";
import { logged } from "../../shared/action-log.js";
import { relatedItemsForPod } from "../actions/pod.js";

export class PodItemBlockAction implements ItemBlockAction {
  async appliesTo(): Promise<ResourceSelector> {
    return { ...emptyResourceSelector(), includedResources: ["pods"] };
  }

  getRelatedItems(item: UnstructuredItem): Promise<ResourceIdentifier[]> {
    return logged("Executing pod ItemBlockAction", "Done executing pod ItemBlockAction", (log) => relatedItemsForPod(item, log));
  }
}
