/**
 * What Velero's CSI restore item actions share: the name a restore gives each restored
 * VolumeSnapshot and VolumeSnapshotContent, the restorePVs switch, and the v2 methods of actions that start no asynchronous operation.
 */
import { createHash } from "node:crypto";
import { ValidationError, type OperationProgress, type ResourceIdentifier, type Restore } from "@velero-ts/plugin-sdk";

export { SNAPSHOT_GROUP, secretFromAnnotations } from "../../../shared/csi.js";

/** Set on a VolumeSnapshot taken as part of a VolumeGroupSnapshot. */
export const VOLUME_GROUP_SNAPSHOT_HANDLE = "velero.io/csi-volumegroupsnapshot-handle";

/**
 * Velero's GenerateSha256FromRestoreUIDAndVsName: hex(sha256(restoreUID + "/" + vsName)). The
 * VolumeSnapshot and its VolumeSnapshotContent get the same name, unique to the restore, so that
 * restoring one backup twice does not collide and each action finds the other's object.
 */
export function restoredSnapshotName(restoreUid: string, volumeSnapshotName: string): string {
  return createHash("sha256").update(`${restoreUid}/${volumeSnapshotName}`).digest("hex");
}

/** restore.spec.restorePVs set to false (unset means true). */
export function restorePVsDisabled(restore: Restore): boolean {
  return restore.spec.restorePVs === false;
}

/** The error for an operation ID an action never returned. */
export function invalidOperation(action: string, operationId: string): ValidationError {
  return new ValidationError(`operation ID ${JSON.stringify(operationId)} is invalid: ${action} starts no asynchronous operations`);
}

/** The v2 methods of a CSI restore action that never returns an operation ID. */
export abstract class NoOperationsRestoreAction {
  protected abstract readonly actionName: string;

  progress(operationId: string, _restore: Restore): Promise<OperationProgress> {
    return Promise.reject(invalidOperation(this.actionName, operationId));
  }

  async cancel(_operationId: string, _restore: Restore): Promise<void> {}

  async areAdditionalItemsReady(_additionalItems: ResourceIdentifier[], _restore: Restore): Promise<boolean> {
    return true;
  }
}
