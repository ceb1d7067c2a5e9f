/**
 * velero.io/pvc: strips the binding, provisioner, selected-node and Velero snapshot annotations
 * so the claim binds afresh, and restores the PV it was bound to (per the backed-up status) as an
 * additional item first.
 */
import type { RestoreItemAction, RestoreItemActionInput, RestoreItemActionOutput } from "@velero-ts/plugin-sdk";
import { asObj, clone, logged, output, selectorFor } from "./common.js";

export const PVC_ANNOTATIONS_REMOVED = [
  "pv.kubernetes.io/bind-completed",
  "pv.kubernetes.io/bound-by-controller",
  "volume.kubernetes.io/storage-provisioner",
  "volume.beta.kubernetes.io/storage-provisioner",
  "volume.kubernetes.io/selected-node",
  "velero.io/volume-snapshot-name",
  "velero.io/data-upload-name",
];

export class PvcAction implements RestoreItemAction {
  async appliesTo() {
    return selectorFor(["persistentvolumeclaims"]);
  }

  execute(input: RestoreItemActionInput): Promise<RestoreItemActionOutput> {
    return logged("Executing PVCAction", "Done executing PVCAction", (actionLog) => {
      const pvc = clone(input.item);
      const log = actionLog?.child({ kind: pvc.kind, namespace: pvc.metadata.namespace ?? "", name: pvc.metadata.name });
      const annotations = pvc.metadata.annotations;
      if (annotations) for (const a of PVC_ANNOTATIONS_REMOVED) delete annotations[a];
      const phase = asObj(input.itemFromBackup.status)?.phase;
      const volumeName = asObj(input.itemFromBackup.spec)?.volumeName;
      if (phase !== "Bound" || typeof volumeName !== "string" || volumeName === "") {
        log?.info("PVC is not bound or its volume name is empty");
        return output(pvc);
      }
      log?.info(`Adding PV ${volumeName} as an additional item to restore`);
      return output(pvc, [{ group: "", resource: "persistentvolumes", namespace: "", name: volumeName }]);
    });
  }
}
