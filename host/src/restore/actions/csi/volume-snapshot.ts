/**
 * velero.io/csi-volumesnapshot-restorer: turns a backed-up VolumeSnapshot, taken dynamically from
 * a claim, into a pre-provisioned one bound to the VolumeSnapshotContent the restore recreates:
 * both get the restore-unique name, the snapshot keeps its content on deletion (Retain), its class
 * is dropped so the restore does not depend on it, and the backed-up content is restored first.
 * Skipped when the restore does not restore volumes.
 */
import type { RestoreItemActionInput, RestoreItemActionV2, RestoreItemActionV2Output, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { CSI_KEYS } from "../../../shared/csi.js";
import { asObj, clone, logged, output, selectorFor } from "../common.js";
import { NoOperationsRestoreAction, restoredSnapshotName, restorePVsDisabled, SNAPSHOT_GROUP, VOLUME_GROUP_SNAPSHOT_HANDLE } from "./common.js";

export const CSI_VOLUME_SNAPSHOT_RESTORER = "velero.io/csi-volumesnapshot-restorer";

export class CsiVolumeSnapshotRestoreAction extends NoOperationsRestoreAction implements RestoreItemActionV2 {
  protected readonly actionName = CSI_VOLUME_SNAPSHOT_RESTORER;

  async appliesTo() {
    return selectorFor(["volumesnapshots.snapshot.storage.k8s.io"]);
  }

  execute(input: RestoreItemActionInput): Promise<RestoreItemActionV2Output> {
    return logged("Starting VolumeSnapshotRestoreItemAction", undefined, (log) => {
      const restore = input.restore;
      if (restorePVsDisabled(restore)) {
        log?.info(`Restore ${restore.metadata.namespace ?? ""}/${restore.metadata.name} did not request for PVs to be restored.`);
        return output(input.item, [], true);
      }
      const fromBackup = input.itemFromBackup;
      if (fromBackup.metadata.annotations?.[VOLUME_GROUP_SNAPSHOT_HANDLE]) {
        log?.info(
          { namespace: fromBackup.metadata.namespace ?? "", name: fromBackup.metadata.name },
          "VolumeSnapshot was taken as part of a VolumeGroupSnapshot; velero-ts does not create the stub VolumeGroupSnapshotContent Velero creates for it, restoring the VolumeSnapshot on its own",
        );
      }
      const contentName = boundContentName(fromBackup);
      const newName = restoredSnapshotName(restore.metadata.uid ?? "", fromBackup.metadata.name);
      const vs = clone(input.item);
      const spec = (asObj(vs.spec) ?? (vs.spec = {})) as Record<string, unknown>;
      spec.source = { volumeSnapshotContentName: newName };
      delete spec.volumeSnapshotClassName;
      vs.metadata.name = newName;
      vs.metadata.annotations = { ...vs.metadata.annotations, [CSI_KEYS.vscDeletionPolicy]: "Retain" };
      log?.info("Returning from VolumeSnapshotRestoreItemAction with VolumeSnapshotContent in additionalItems");
      return output(vs, [{ group: SNAPSHOT_GROUP, resource: "volumesnapshotcontents", namespace: "", name: contentName }]);
    });
  }
}

/** The backed-up snapshot's status.boundVolumeSnapshotContentName; a snapshot without one cannot be restored. */
function boundContentName(vs: UnstructuredItem): string {
  const name = asObj(vs.status)?.boundVolumeSnapshotContentName;
  if (typeof name === "string" && name !== "") return name;
  const id = `${vs.metadata.namespace ?? ""}/${vs.metadata.name}`;
  throw new Error(
    `VS ${id} doesn't have bound VSC: the backed-up VolumeSnapshot has no status.boundVolumeSnapshotContentName, so there is no VolumeSnapshotContent to restore it from; it was backed up before its snapshot was bound, restore from a backup taken after the VolumeSnapshot became ready`,
  );
}
