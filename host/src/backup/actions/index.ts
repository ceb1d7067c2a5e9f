/** Velero's built-in backup item actions, by plugin name (registered by builtin-plugins). */
import type { BackupItemAction } from "@velero-ts/plugin-sdk";
import type { KubeClient } from "../../kube/client.js";
import { PodBackupAction } from "./pod.js";
import { PvcBackupAction } from "./pv.js";
import { RemapCrdVersionAction } from "./remap-crd-version.js";
import { ServiceAccountBackupAction } from "./service-account.js";

export const BUILTIN_BACKUP_ITEM_ACTIONS = ["velero.io/pv", "velero.io/pod", "velero.io/service-account", "velero.io/crd-remap-version"] as const;

/** Not registered with EnableAPIGroupVersions (every version of a CRD is backed up then), as in Velero. */
export const CRD_REMAP_VERSION_ACTION = "velero.io/crd-remap-version";

export function createBuiltinBackupItemAction(name: string, kube: KubeClient): BackupItemAction {
  switch (name) {
    case "velero.io/pv":
      return new PvcBackupAction();
    case "velero.io/pod":
      return new PodBackupAction();
    case "velero.io/service-account":
      return new ServiceAccountBackupAction(kube);
    case "velero.io/crd-remap-version":
      return new RemapCrdVersionAction(kube);
    default:
      throw new Error(`unknown built-in backup item action "${name}"`);
  }
}
