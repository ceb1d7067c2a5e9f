/**
 * Velero's CSI keys and the facts its CSI actions share (velero-compat.md 6.2): the feature flag
 * gating them, the annotations they write on claims and snapshots, and the annotations naming
 * the secrets a snapshot class or content needs.
 */
import type { ResourceIdentifier, UnstructuredItem } from "@velero-ts/plugin-sdk";
import type { FeatureFlags } from "./features.js";

export const SNAPSHOT_GROUP = "snapshot.storage.k8s.io";

/** The server feature that turns Velero's CSI actions on (`--features=EnableCSI`). */
export const CSI_FEATURE = "EnableCSI";

/** Every CSI action's name has this in it; without the feature they are skipped (Velero's ShouldSkipAction). */
const CSI_ACTION_NAME_PART = "velero.io/csi-";

/**
 * Velero's ShouldSkipAction: the log line for a CSI action skipped because the feature is off
 * (`resource` is "<group resource>:<namespace>/<name>"), or undefined when the action runs.
 */
export function csiActionSkipped(actionName: string, features: FeatureFlags | undefined, resource: string): string | undefined {
  if (features?.isEnabled(CSI_FEATURE) || !actionName.includes(CSI_ACTION_NAME_PART)) return undefined;
  return `Skip action ${actionName} for resource ${resource}, because the CSI feature is not enabled. Feature setting is ${features?.all().join(",") ?? ""}.`;
}

export const CSI_PVC_BACKUPPER = "velero.io/csi-pvc-backupper";

export const CSI_KEYS = {
  /** Label and annotation on a claim (and label on its VolumeSnapshot): the snapshot's name. */
  volumeSnapshotName: "velero.io/volume-snapshot-name",
  snapshotHandle: "velero.io/csi-volumesnapshot-handle",
  restoreSize: "velero.io/csi-volumesnapshot-restore-size",
  driverName: "velero.io/csi-driver-name",
  vscDeletionPolicy: "velero.io/csi-vsc-deletion-policy",
  /** Label choosing a class for its driver; as a claim annotation, the class to use for it. */
  snapshotClass: "velero.io/csi-volumesnapshot-class",
  /** Kubernetes' default-class annotation on a VolumeSnapshotClass. */
  defaultSnapshotClass: "snapshot.storage.kubernetes.io/is-default-class",
  /** Set by the claim action on a claim whose volume is not CSI; the engine takes it off. */
  skippedNoCsiPv: "backup.velero.io/skipped-no-csi-pv",
  dataUploadName: "velero.io/data-upload-name",
  listSecretName: "csi.storage.k8s.io/snapshotter-list-secret-name",
  listSecretNamespace: "csi.storage.k8s.io/snapshotter-list-secret-namespace",
  secretName: "csi.storage.k8s.io/snapshotter-secret-name",
  secretNamespace: "csi.storage.k8s.io/snapshotter-secret-namespace",
} as const;

/** The backup annotation naming the class for one driver: `velero.io/csi-volumesnapshot-class_<driver>`. */
export function backupSnapshotClassAnnotation(driver: string): string {
  return `${CSI_KEYS.snapshotClass}_${driver.toLowerCase()}`;
}

/** The Secret named by an annotation pair, when both annotations are there (an empty value counts, as in Velero). */
export function secretFromAnnotations(item: UnstructuredItem, nameKey: string, namespaceKey: string): ResourceIdentifier | undefined {
  const annotations = item.metadata.annotations ?? {};
  const name = annotations[nameKey];
  const namespace = annotations[namespaceKey];
  if (name === undefined || namespace === undefined) return undefined;
  return { group: "", resource: "secrets", namespace, name };
}

/** Whether a stored item operation's resource identifier names a VolumeSnapshot (Velero's kuberesource.VolumeSnapshots). */
export function isVolumeSnapshotIdentifier(id: { Group: string; Resource: string }): boolean {
  return id.Group === SNAPSHOT_GROUP && id.Resource === "volumesnapshots";
}
