/** velero.io/pod: a pod's PVCs (and its PriorityClass) are backed up with it. */
import type { BackupItemAction, BackupItemActionOutput, ResourceIdentifier, ResourceSelector, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { emptyResourceSelector } from "@velero-ts/plugin-sdk";

interface PodSpec {
  priorityClassName?: string;
  volumes?: { persistentVolumeClaim?: { claimName?: string } }[];
}

export class PodBackupAction implements BackupItemAction {
  async appliesTo(): Promise<ResourceSelector> {
    return { ...emptyResourceSelector(), includedResources: ["pods"] };
  }

  async execute(item: UnstructuredItem): Promise<BackupItemActionOutput> {
    const spec = (item.spec ?? {}) as PodSpec;
    const additionalItems: ResourceIdentifier[] = [];
    if (spec.priorityClassName) {
      additionalItems.push({ group: "scheduling.k8s.io", resource: "priorityclasses", namespace: "", name: spec.priorityClassName });
    }
    for (const v of spec.volumes ?? []) {
      const claim = v.persistentVolumeClaim?.claimName;
      if (claim) additionalItems.push({ group: "", resource: "persistentvolumeclaims", namespace: item.metadata.namespace ?? "", name: claim });
    }
    return { item, additionalItems };
  }
}
