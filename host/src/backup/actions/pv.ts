/** velero.io/pv: a bound PVC's PersistentVolume is backed up with it. */
import type { BackupItemAction, BackupItemActionOutput, ResourceSelector, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { emptyResourceSelector } from "@velero-ts/plugin-sdk";

export class PvcBackupAction implements BackupItemAction {
  async appliesTo(): Promise<ResourceSelector> {
    return { ...emptyResourceSelector(), includedResources: ["persistentvolumeclaims"] };
  }

  async execute(item: UnstructuredItem): Promise<BackupItemActionOutput> {
    const volumeName = (item.spec as { volumeName?: string } | undefined)?.volumeName;
    const phase = (item.status as { phase?: string } | undefined)?.phase;
    // Pending or Lost claims have no (usable) volume yet.
    if (!volumeName || phase === "Pending" || phase === "Lost") return { item, additionalItems: [] };
    return { item, additionalItems: [{ group: "", resource: "persistentvolumes", namespace: "", name: volumeName }] };
  }
}
