/** velero.io/pod: a pod's PVCs (and its PriorityClass) are backed up with it. */
import type { BackupItemAction, BackupItemActionOutput, ResourceIdentifier, ResourceSelector, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { emptyResourceSelector } from "@velero-ts/plugin-sdk";

interface PodSpec {
  priorityClassName?: string;
  volumes?: { persistentVolumeClaim?: { claimName?: string } }[];
}

/** The items a pod depends on: its PriorityClass, then the PVCs of its volumes (also the pod ItemBlockAction's related items). */
export function relatedItemsForPod(pod: UnstructuredItem): ResourceIdentifier[] {
  const spec = (pod.spec ?? {}) as PodSpec;
  const related: ResourceIdentifier[] = [];
  if (spec.priorityClassName) {
    related.push({ group: "scheduling.k8s.io", resource: "priorityclasses", namespace: "", name: spec.priorityClassName });
  }
  for (const v of spec.volumes ?? []) {
    const claim = v.persistentVolumeClaim?.claimName;
    if (claim) related.push({ group: "", resource: "persistentvolumeclaims", namespace: pod.metadata.namespace ?? "", name: claim });
  }
  return related;
}

export class PodBackupAction implements BackupItemAction {
  async appliesTo(): Promise<ResourceSelector> {
    return { ...emptyResourceSelector(), includedResources: ["pods"] };
  }

  async execute(item: UnstructuredItem): Promise<BackupItemActionOutput> {
    return { item, additionalItems: relatedItemsForPod(item) };
  }
}
