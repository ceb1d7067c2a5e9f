/** Velero's built-in item block actions, by plugin name, in Velero's registration order (registered by the server). */
import type { ItemBlockAction } from "@velero-ts/plugin-sdk";
import type { KubeClient } from "../../kube/client.js";
import { PodItemBlockAction } from "./pod.js";
import { PvcItemBlockAction } from "./pvc.js";
import { ServiceAccountItemBlockAction } from "./service-account.js";

export const BUILTIN_ITEM_BLOCK_ACTIONS = ["velero.io/pvc", "velero.io/pod", "velero.io/service-account"] as const;

export function createBuiltinItemBlockAction(name: string, kube: KubeClient): ItemBlockAction {
  switch (name) {
    case "velero.io/pvc":
      return new PvcItemBlockAction(kube);
    case "velero.io/pod":
      return new PodItemBlockAction();
    case "velero.io/service-account":
      return new ServiceAccountItemBlockAction(kube);
    default:
      throw new Error(`unknown built-in item block action "${name}"`);
  }
}
