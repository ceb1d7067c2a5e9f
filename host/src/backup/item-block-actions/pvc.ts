/**
 * velero.io/pvc (ItemBlockAction): a bound PVC is backed up in one block with its PV, every running
 * pod of its namespace that mounts it (so pods sharing a volume get their hooks around the same
 * block), and the other PVCs of its volume group (the label named by
 * spec.volumeGroupSnapshotLabelKey, same value).
 */
import type { Backup, ItemBlockAction, ResourceIdentifier, ResourceSelector, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { emptyResourceSelector } from "@velero-ts/plugin-sdk";
import type { KubeClient } from "../../kube/client.js";
import { GVR } from "../../kube/gvr.js";
import { logged } from "../../shared/action-log.js";

interface PodFields {
  spec?: { nodeName?: string; volumes?: { persistentVolumeClaim?: { claimName?: string } }[] };
  status?: { phase?: string };
}

export class PvcItemBlockAction implements ItemBlockAction {
  readonly #kube: KubeClient;
  /** Per namespace: claim name → names of the running pods mounting it (one pod LIST per namespace and instance). */
  readonly #mounts = new Map<string, Promise<Map<string, string[]>>>();

  constructor(kube: KubeClient) {
    this.#kube = kube;
  }

  async appliesTo(): Promise<ResourceSelector> {
    return { ...emptyResourceSelector(), includedResources: ["persistentvolumeclaims"] };
  }

  getRelatedItems(item: UnstructuredItem, backup: Backup): Promise<ResourceIdentifier[]> {
    return logged("Executing PVC ItemBlockAction", "Done executing PVC ItemBlockAction", async (log) => {
      const volumeName = (item.spec as { volumeName?: string } | undefined)?.volumeName;
      const phase = (item.status as { phase?: string } | undefined)?.phase;
      if (phase !== "Bound" || !volumeName) return [];
      const namespace = item.metadata.namespace ?? "";
      const related: ResourceIdentifier[] = [{ group: "", resource: "persistentvolumes", namespace: "", name: volumeName }];
      for (const pod of (await this.#mountsIn(namespace)).get(item.metadata.name) ?? []) {
        log?.info(`Adding related Pod ${pod} to PVC ${item.metadata.name}`);
        related.push({ group: "", resource: "pods", namespace, name: pod });
      }
      for (const claim of await this.#groupedClaims(item, backup)) {
        log?.info(`Adding grouped PVC ${claim.name} (group ${item.metadata.labels?.[backup.spec.volumeGroupSnapshotLabelKey ?? ""] ?? ""}) to relatedItems for PVC ${item.metadata.name}`);
        related.push(claim);
      }
      return related;
    });
  }

  #mountsIn(namespace: string): Promise<Map<string, string[]>> {
    let mounts = this.#mounts.get(namespace);
    if (!mounts) {
      mounts = this.#kube.list(GVR.pods, { namespace }).then((l) => indexMounts(l.items as unknown as (PodFields & UnstructuredItem)[]));
      // A failed LIST is not cached: the next PVC of the namespace tries again.
      mounts.catch(() => this.#mounts.delete(namespace));
      this.#mounts.set(namespace, mounts);
    }
    return mounts;
  }

  async #groupedClaims(pvc: UnstructuredItem, backup: Backup): Promise<ResourceIdentifier[]> {
    const key = backup.spec.volumeGroupSnapshotLabelKey;
    const group = key ? pvc.metadata.labels?.[key] : undefined;
    if (!key || !group) return [];
    const namespace = pvc.metadata.namespace ?? "";
    const { items } = await this.#kube.list(GVR.persistentVolumeClaims, { namespace, labelSelector: `${key}=${group}` });
    return items
      .filter((c) => c.metadata.name !== pvc.metadata.name)
      .map((c) => ({ group: "", resource: "persistentvolumeclaims", namespace, name: c.metadata.name }));
  }
}

/** Velero's "running" test: scheduled on a node, phase Running, not being deleted. */
function isRunning(pod: PodFields & UnstructuredItem): boolean {
  return Boolean(pod.spec?.nodeName) && pod.status?.phase === "Running" && !pod.metadata.deletionTimestamp;
}

function indexMounts(pods: (PodFields & UnstructuredItem)[]): Map<string, string[]> {
  const mounts = new Map<string, string[]>();
  for (const pod of pods) {
    if (!isRunning(pod)) continue;
    for (const v of pod.spec?.volumes ?? []) {
      const claim = v.persistentVolumeClaim?.claimName;
      if (!claim) continue;
      const list = mounts.get(claim) ?? [];
      list.push(pod.metadata.name);
      mounts.set(claim, list);
    }
  }
  return mounts;
}
