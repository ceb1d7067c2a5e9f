/** Velero's built-in backup item actions, by plugin name (registered by builtin-plugins). */
import type { BackupItemAction } from "@velero-ts/plugin-sdk";
import type { KubeClient } from "../../kube/client.js";
import { PodBackupAction } from "./pod.js";
import { PvcBackupAction } from "./pv.js";
import { ServiceAccountBackupAction } from "./service-account.js";

export const BUILTIN_BACKUP_ITEM_ACTIONS = ["velero.io/pv", "velero.io/pod", "velero.io/service-account"] as const;

export function createBuiltinBackupItemAction(name: string, kube: KubeClient): BackupItemAction {
  switch (name) {
    case "velero.io/pv":
      return new PvcBackupAction();
    case "velero.io/pod":
      return new PodBackupAction();
    case "velero.io/service-account":
      return new ServiceAccountBackupAction(kube);
    default:
      throw new Error(`unknown built-in backup item action "${name}"`);
  }
}
