/**
 * velero.io/csi-pvc-restorer: points a claim backed up with a CSI snapshot at the VolumeSnapshot
 * the restore recreates (its dataSource), so the new volume is provisioned from the snapshot, and
 * restores that VolumeSnapshot first. A claim that already exists is left alone; with restorePVs
 * false the claim loses its volume and data source and is provisioned empty. velero-ts has no data
 * mover: a claim whose data Velero's data mover uploaded fails with an error saying so.
 */
import type { Backup, Restore, RestoreItemActionInput, RestoreItemActionV2, RestoreItemActionV2Output, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { getErrorMessage } from "@velero-ts/plugin-sdk";
import { GVR } from "../../../kube/gvr.js";
import type { Logger } from "../../../shared/logging.js";
import { CSI_KEYS } from "../../../shared/csi.js";
import { asObj, clone, logged, output, selectorFor, type BuiltinActionDeps } from "../common.js";
import { invalidOperation, NoOperationsRestoreAction, restoredSnapshotName, restorePVsDisabled, SNAPSHOT_GROUP } from "./common.js";

export const CSI_PVC_RESTORER = "velero.io/csi-pvc-restorer";

interface PvcSpec {
  volumeName?: string;
  dataSource?: unknown;
  dataSourceRef?: unknown;
}

export class CsiPvcRestoreAction extends NoOperationsRestoreAction implements RestoreItemActionV2 {
  protected readonly actionName = CSI_PVC_RESTORER;
  readonly #deps: BuiltinActionDeps;

  constructor(deps: BuiltinActionDeps) {
    super();
    this.#deps = deps;
  }

  async appliesTo() {
    return selectorFor(["persistentvolumeclaims"]);
  }

  execute(input: RestoreItemActionInput): Promise<RestoreItemActionV2Output> {
    return logged("Starting PVCRestoreItemAction for PVC", undefined, async (actionLog) => {
      const pvc = clone(input.item);
      const log = actionLog?.child({ namespace: pvc.metadata.namespace ?? "", name: pvc.metadata.name, restore: `${input.restore.metadata.namespace ?? ""}/${input.restore.metadata.name}` });
      if (await this.#existsInTarget(pvc, input.restore)) {
        log?.warn("PVC already exists. Skip restore this PVC.");
        return output(input.item);
      }
      if (restorePVsDisabled(input.restore)) {
        log?.info("Restore did not request for PVs to be restored from snapshot");
        const spec = specOf(pvc);
        delete spec.volumeName;
        delete spec.dataSource;
        delete spec.dataSourceRef;
        log?.info("Returning from PVCRestoreItemAction for PVC");
        return output(pvc);
      }
      const backup = await this.#backupOf(input.restore);
      if (backup.spec.snapshotMoveData === true) return refuseDataMover(input, log);
      return restoreFromSnapshot(pvc, input, log);
    });
  }

  /** Velero's action cancels the DataDownload of an operation; velero-ts starts none, so every ID is unknown. */
  override cancel(operationId: string, _restore: Restore): Promise<void> {
    return Promise.reject(invalidOperation(this.actionName, operationId));
  }

  /** Velero's isResourceExist: a claim of that name in the target namespace; an error reading it counts as none. */
  async #existsInTarget(pvc: UnstructuredItem, restore: Restore): Promise<boolean> {
    const namespace = pvc.metadata.namespace ?? "";
    const target = restore.spec.namespaceMapping?.[namespace] ?? namespace;
    try {
      return (await this.#deps.kube.get(GVR.persistentVolumeClaims, pvc.metadata.name, target)) !== undefined;
    } catch {
      return false;
    }
  }

  async #backupOf(restore: Restore): Promise<Backup> {
    const name = restore.spec.backupName ?? "";
    const namespace = restore.metadata.namespace ?? "";
    let backup;
    try {
      backup = await this.#deps.kube.get(GVR.backups, name, namespace);
    } catch (err) {
      throw new Error(`fail to get backup for restore: ${getErrorMessage(err)}`, { cause: err });
    }
    if (!backup) throw new Error(`fail to get backup for restore: backup "${namespace}/${name}" not found; the restore's backup must exist in Velero's namespace (run "velero backup get" to list backups)`);
    return backup as unknown as Backup;
  }
}

/** Velero's data-mover branch, which velero-ts cannot run: a claim with a DataUpload fails; one without is kept as it is. */
function refuseDataMover(input: RestoreItemActionInput, log: Logger | undefined): RestoreItemActionV2Output {
  const dataUpload = input.itemFromBackup.metadata.annotations?.[CSI_KEYS.dataUploadName];
  if (dataUpload === undefined) {
    log?.warn("PVC doesn't have a DataUpload for data mover. Return.");
    return output(input.item);
  }
  const pvc = `${input.itemFromBackup.metadata.namespace ?? ""}/${input.itemFromBackup.metadata.name}`;
  throw new Error(
    `cannot restore PVC ${pvc}: its data was moved by Velero's data mover (DataUpload "${dataUpload}"), and velero-ts has no data mover (node agent), so data moved by Velero's data mover cannot be restored by velero-ts; restore this backup with Velero, or back up without --snapshot-move-data`,
  );
}

/** The CSI branch: the claim's data source becomes the VolumeSnapshot this restore recreates. */
function restoreFromSnapshot(pvc: UnstructuredItem, input: RestoreItemActionInput, log: Logger | undefined): RestoreItemActionV2Output {
  const vsName = input.itemFromBackup.metadata.annotations?.[CSI_KEYS.volumeSnapshotName];
  if (vsName === undefined) {
    log?.info("Skipping PVCRestoreItemAction for PVC, PVC does not have a CSI VolumeSnapshot.");
    return output(input.item);
  }
  const newName = restoredSnapshotName(input.restore.metadata.uid ?? "", vsName);
  log?.debug(`Setting PVC source to VolumeSnapshot new name: ${newName}`);
  const spec = specOf(pvc);
  delete spec.volumeName;
  spec.dataSource = { apiGroup: SNAPSHOT_GROUP, kind: "VolumeSnapshot", name: newName };
  delete spec.dataSourceRef;
  log?.info("Returning from PVCRestoreItemAction for PVC");
  return output(pvc, [{ group: SNAPSHOT_GROUP, resource: "volumesnapshots", namespace: pvc.metadata.namespace ?? "", name: vsName }]);
}

function specOf(pvc: UnstructuredItem): PvcSpec {
  const spec = asObj(pvc.spec);
  if (spec) return spec as PvcSpec;
  const created: PvcSpec = {};
  pvc.spec = created;
  return created;
}
