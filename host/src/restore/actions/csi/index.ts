/**
 * Velero's built-in CSI restore item actions, in Velero's registration order. They run only with
 * the EnableCSI feature (every name has "velero.io/csi-" in it). The composition root registers
 * them with `builtinCsiRestoreItemActions(deps)`.
 */
import type { RestoreItemActionV2 } from "@velero-ts/plugin-sdk";
import type { BuiltinActionDeps } from "../common.js";
import { CsiPvcRestoreAction, CSI_PVC_RESTORER } from "./pvc.js";
import { CsiVolumeSnapshotClassRestoreAction, CSI_VOLUME_SNAPSHOT_CLASS_RESTORER } from "./volume-snapshot-class.js";
import { CsiVolumeSnapshotContentRestoreAction, CSI_VOLUME_SNAPSHOT_CONTENT_RESTORER } from "./volume-snapshot-content.js";
import { CsiVolumeSnapshotRestoreAction, CSI_VOLUME_SNAPSHOT_RESTORER } from "./volume-snapshot.js";

export { restoredSnapshotName } from "./common.js";

export const CSI_RESTORE_ITEM_ACTIONS = {
  pvc: CSI_PVC_RESTORER,
  volumeSnapshot: CSI_VOLUME_SNAPSHOT_RESTORER,
  volumeSnapshotContent: CSI_VOLUME_SNAPSHOT_CONTENT_RESTORER,
  volumeSnapshotClass: CSI_VOLUME_SNAPSHOT_CLASS_RESTORER,
} as const;

export interface BuiltinCsiRestoreItemAction {
  name: string;
  create(): RestoreItemActionV2;
}

export function builtinCsiRestoreItemActions(deps: BuiltinActionDeps): BuiltinCsiRestoreItemAction[] {
  const entries: [string, () => RestoreItemActionV2][] = [
    [CSI_PVC_RESTORER, () => new CsiPvcRestoreAction(deps)],
    [CSI_VOLUME_SNAPSHOT_RESTORER, () => new CsiVolumeSnapshotRestoreAction()],
    [CSI_VOLUME_SNAPSHOT_CONTENT_RESTORER, () => new CsiVolumeSnapshotContentRestoreAction(deps)],
    [CSI_VOLUME_SNAPSHOT_CLASS_RESTORER, () => new CsiVolumeSnapshotClassRestoreAction()],
  ];
  return entries.map(([name, create]) => ({ name, create }));
}
