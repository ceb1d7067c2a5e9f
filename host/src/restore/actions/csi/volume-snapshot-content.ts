/**
 * velero.io/csi-volumesnapshotcontent-restorer: turns a backed-up VolumeSnapshotContent into a
 * pre-provisioned one for the snapshot handle it recorded, named and pointing at the restored
 * VolumeSnapshot (same restore-unique name, mapped namespace), kept on deletion (Retain), with the
 * cluster's VolumeSnapshotClass for its driver (drivers that need credentials find them there).
 * Restores the snapshotter Secret its annotations name first. Skipped when the restore does not
 * restore volumes.
 */
import type { RestoreItemActionInput, RestoreItemActionV2, RestoreItemActionV2Output, ResourceIdentifier, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { getErrorMessage } from "@velero-ts/plugin-sdk";
import { GVR } from "../../../kube/gvr.js";
import { CSI_KEYS } from "../../../shared/csi.js";
import type { Logger } from "../../../shared/logging.js";
import { asObj, clone, logged, output, selectorFor, type BuiltinActionDeps, type Obj } from "../common.js";
import { NoOperationsRestoreAction, restoredSnapshotName, restorePVsDisabled, secretFromAnnotations } from "./common.js";

export const CSI_VOLUME_SNAPSHOT_CONTENT_RESTORER = "velero.io/csi-volumesnapshotcontent-restorer";

export class CsiVolumeSnapshotContentRestoreAction extends NoOperationsRestoreAction implements RestoreItemActionV2 {
  protected readonly actionName = CSI_VOLUME_SNAPSHOT_CONTENT_RESTORER;
  readonly #deps: BuiltinActionDeps;

  constructor(deps: BuiltinActionDeps) {
    super();
    this.#deps = deps;
  }

  async appliesTo() {
    return selectorFor(["volumesnapshotcontents.snapshot.storage.k8s.io"]);
  }

  execute(input: RestoreItemActionInput): Promise<RestoreItemActionV2Output> {
    return logged("Starting VolumeSnapshotContentRestoreItemAction", undefined, async (log) => {
      const restore = input.restore;
      if (restorePVsDisabled(restore)) {
        log?.info(`Restore did not request for PVs to be restored ${restore.metadata.namespace ?? ""}/${restore.metadata.name}`);
        return output(input.item, [], true);
      }
      const vsc = clone(input.item);
      const spec = (asObj(vsc.spec) ?? (vsc.spec = {})) as Obj;
      const ref = (asObj(spec.volumeSnapshotRef) ?? (spec.volumeSnapshotRef = {})) as Obj;
      const mapped = typeof ref.namespace === "string" ? restore.spec.namespaceMapping?.[ref.namespace] : undefined;
      if (mapped !== undefined) ref.namespace = mapped;
      const backedUpRef = asObj(asObj(input.itemFromBackup.spec)?.volumeSnapshotRef);
      const newName = restoredSnapshotName(restore.metadata.uid ?? "", typeof backedUpRef?.name === "string" ? backedUpRef.name : "");
      vsc.metadata.name = newName;
      ref.name = newName;
      delete ref.resourceVersion;
      delete ref.uid;
      spec.deletionPolicy = "Retain";
      spec.source = { snapshotHandle: snapshotHandleOf(input.itemFromBackup, newName) };
      delete spec.volumeSnapshotClassName;
      const className = await this.#classForDriver(spec.driver, newName, log);
      if (className !== undefined) spec.volumeSnapshotClassName = className;
      const additional: ResourceIdentifier[] = [];
      const secret = secretFromAnnotations(vsc, CSI_KEYS.secretName, CSI_KEYS.secretNamespace);
      if (secret) additional.push(secret);
      log?.info(`Returning from VolumeSnapshotContentRestoreItemAction with ${additional.length} additionalItems`);
      return output(vsc, additional);
    });
  }

  /**
   * The first VolumeSnapshotClass in the cluster for the content's driver (the backed-up class may
   * not exist here). A failed list is logged and leaves the content without a class, as in Velero.
   */
  async #classForDriver(driver: unknown, vscName: string, log: Logger | undefined): Promise<string | undefined> {
    let classes: UnstructuredItem[];
    try {
      classes = (await this.#deps.kube.list(GVR.volumeSnapshotClasses)).items;
    } catch (err) {
      log?.warn(`Failed to list VolumeSnapshotClasses: ${getErrorMessage(err)}`);
      return undefined;
    }
    const match = classes.find((c) => c.driver === driver);
    if (match) log?.info(`Set VolumeSnapshotClassName to ${match.metadata.name} for VSC ${vscName} based on driver match`);
    return match?.metadata.name;
  }
}

/** The backed-up content's status.snapshotHandle: the storage snapshot the restored content points at. */
function snapshotHandleOf(fromBackup: UnstructuredItem, newName: string): string {
  const handle = asObj(fromBackup.status)?.snapshotHandle;
  if (typeof handle === "string") return handle;
  throw new Error(
    `fail to get snapshot handle from VSC ${newName} status: the backed-up VolumeSnapshotContent "${fromBackup.metadata.name}" has no status.snapshotHandle, so there is no storage snapshot to restore from; it was backed up before its snapshot was taken, restore from a backup taken after the VolumeSnapshot became ready`,
  );
}
