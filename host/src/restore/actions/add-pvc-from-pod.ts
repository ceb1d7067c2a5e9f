/** velero.io/add-pvc-from-pod: a pod's PVCs are restored first, as additional items. */
import type { RestoreItemAction, RestoreItemActionInput, RestoreItemActionOutput } from "@velero-ts/plugin-sdk";
import { asObj, logged, output, selectorFor, type Obj } from "./common.js";

export class AddPvcFromPodAction implements RestoreItemAction {
  async appliesTo() {
    return selectorFor(["pods"]);
  }

  execute(input: RestoreItemActionInput): Promise<RestoreItemActionOutput> {
    return logged("Executing AddPVCFromPodAction", undefined, (log) => {
      const volumes = (asObj(input.item.spec)?.volumes as Obj[] | undefined) ?? [];
      const namespace = input.item.metadata.namespace ?? "";
      const additional = volumes.flatMap((v) => {
        const claim = asObj(v.persistentVolumeClaim)?.claimName;
        if (typeof claim !== "string") return [];
        log?.info(`Adding PVC ${namespace}/${claim} as an additional item to restore`);
        return [{ group: "", resource: "persistentvolumeclaims", namespace, name: claim }];
      });
      return output(input.item, additional);
    });
  }
}
