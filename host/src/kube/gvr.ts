/** GroupVersionResources the host uses, and helpers to format them. */
import type { GroupVersionResource } from "./client.js";

const velero = (resource: string, version = "v1"): GroupVersionResource => ({ group: "velero.io", version, resource });
const core = (resource: string): GroupVersionResource => ({ group: "", version: "v1", resource });

export const GVR = {
  backups: velero("backups"),
  restores: velero("restores"),
  schedules: velero("schedules"),
  backupStorageLocations: velero("backupstoragelocations"),
  volumeSnapshotLocations: velero("volumesnapshotlocations"),
  downloadRequests: velero("downloadrequests"),
  deleteBackupRequests: velero("deletebackuprequests"),
  serverStatusRequests: velero("serverstatusrequests"),
  podVolumeBackups: velero("podvolumebackups"),
  podVolumeRestores: velero("podvolumerestores"),
  backupRepositories: velero("backuprepositories"),
  dataUploads: velero("datauploads", "v2alpha1"),
  dataDownloads: velero("datadownloads", "v2alpha1"),
  namespaces: core("namespaces"),
  pods: core("pods"),
  secrets: core("secrets"),
  configMaps: core("configmaps"),
  persistentVolumes: core("persistentvolumes"),
  persistentVolumeClaims: core("persistentvolumeclaims"),
  serviceAccounts: core("serviceaccounts"),
  clusterRoleBindings: { group: "rbac.authorization.k8s.io", version: "v1", resource: "clusterrolebindings" },
  clusterRoles: { group: "rbac.authorization.k8s.io", version: "v1", resource: "clusterroles" },
  customResourceDefinitions: { group: "apiextensions.k8s.io", version: "v1", resource: "customresourcedefinitions" },
  storageClasses: { group: "storage.k8s.io", version: "v1", resource: "storageclasses" },
  volumeSnapshots: { group: "snapshot.storage.k8s.io", version: "v1", resource: "volumesnapshots" },
  volumeSnapshotContents: { group: "snapshot.storage.k8s.io", version: "v1", resource: "volumesnapshotcontents" },
  volumeSnapshotClasses: { group: "snapshot.storage.k8s.io", version: "v1", resource: "volumesnapshotclasses" },
} as const satisfies Record<string, GroupVersionResource>;

/** "deployments.apps", or "pods" for the core group (Velero's GroupResource string). */
export function groupResourceString(group: string, resource: string): string {
  return group === "" ? resource : `${resource}.${group}`;
}

/** "apps/v1", or "v1" for the core group. */
export function groupVersionString(group: string, version: string): string {
  return group === "" ? version : `${group}/${version}`;
}

/** Splits an apiVersion ("apps/v1", "v1") into group and version. */
export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? { group: "", version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** Parses "resource.group" (Velero's schema.ParseGroupResource): text before the first dot is the resource. */
export function parseGroupResource(text: string): { group: string; resource: string } {
  const dot = text.indexOf(".");
  return dot < 0 ? { group: "", resource: text } : { resource: text.slice(0, dot), group: text.slice(dot + 1) };
}
