/**
 * velero.io/csi-volumesnapshotclass-restorer: restores a VolumeSnapshotClass as it is, after the
 * snapshot-lister Secret its annotations name. Skipped when the restore does not restore volumes.
 */
import type { RestoreItemActionInput, RestoreItemActionV2, RestoreItemActionV2Output } from "@velero-ts/plugin-sdk";
import { CSI_KEYS } from "../../../shared/csi.js";
import { logged, output, selectorFor } from "../common.js";
import { NoOperationsRestoreAction, restorePVsDisabled, secretFromAnnotations } from "./common.js";

export const CSI_VOLUME_SNAPSHOT_CLASS_RESTORER = "velero.io/csi-volumesnapshotclass-restorer";

export class CsiVolumeSnapshotClassRestoreAction extends NoOperationsRestoreAction implements RestoreItemActionV2 {
  protected readonly actionName = CSI_VOLUME_SNAPSHOT_CLASS_RESTORER;

  async appliesTo() {
    return selectorFor(["volumesnapshotclasses.snapshot.storage.k8s.io"]);
  }

  execute(input: RestoreItemActionInput): Promise<RestoreItemActionV2Output> {
    return logged("Starting VolumeSnapshotClassRestoreItemAction", undefined, (log) => {
      const restore = input.restore;
      if (restorePVsDisabled(restore)) {
        log?.info(`Restore did not request for PVs to be restored ${restore.metadata.namespace ?? ""}/${restore.metadata.name}`);
        return output(input.item, [], true);
      }
      const secret = secretFromAnnotations(input.item, CSI_KEYS.listSecretName, CSI_KEYS.listSecretNamespace);
      const additional = secret ? [secret] : [];
      log?.info(`Returning from VolumeSnapshotClassRestoreItemAction with ${additional.length} additionalItems`);
      return output(input.item, additional);
    });
  }
}
