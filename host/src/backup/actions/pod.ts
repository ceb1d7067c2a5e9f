/** velero.io/pod: a pod's PVCs (and its PriorityClass) are backed up with it. */
import type { BackupItemAction, BackupItemActionOutput, ResourceIdentifier, ResourceSelector, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { emptyResourceSelector } from "@velero-ts/plugin-sdk";
import type { Logger } from "../../shared/logging.js";
import { logged } from "../../shared/action-log.js";

interface PodSpec {
  priorityClassName?: string;
  volumes?: { persistentVolumeClaim?: { claimName?: string } }[];
}

/**
 * The items a pod depends on: its PriorityClass, then the PVCs of its volumes (also the pod
 * ItemBlockAction's related items), logged as Velero's RelatedItemsForPod logs them.
 */
export function relatedItemsForPod(pod: UnstructuredItem, log?: Logger): ResourceIdentifier[] {
  const spec = (pod.spec ?? {}) as PodSpec;
  const related: ResourceIdentifier[] = [];
  if (spec.priorityClassName) {
    log?.info(`Adding priorityclass ${spec.priorityClassName} to additionalItems`);
    related.push({ group: "scheduling.k8s.io", resource: "priorityclasses", namespace: "", name: spec.priorityClassName });
  }
  if (!spec.volumes?.length) log?.info("pod has no volumes");
  for (const v of spec.volumes ?? []) {
    const claim = v.persistentVolumeClaim?.claimName;
    if (!claim) continue;
    log?.info(`Adding pvc ${claim} to additionalItems`);
    related.push({ group: "", resource: "persistentvolumeclaims", namespace: pod.metadata.namespace ?? "", name: claim });
  }
  return related;
}

export class PodBackupAction implements BackupItemAction {
  async appliesTo(): Promise<ResourceSelector> {
    return { ...emptyResourceSelector(), includedResources: ["pods"] };
  }

  execute(item: UnstructuredItem): Promise<BackupItemActionOutput> {
    return logged("Executing podAction", "Done executing podAction", (log) => ({ item, additionalItems: relatedItemsForPod(item, log) }));
  }
}
