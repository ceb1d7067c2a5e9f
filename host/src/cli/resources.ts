/** The API resources the CLI reads and writes. */
import type { GroupVersionResource } from "../kube/client.js";

const velero = (resource: string): GroupVersionResource => ({ group: "velero.io", version: "v1", resource });

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
  crds: { group: "apiextensions.k8s.io", version: "v1", resource: "customresourcedefinitions" },
  namespaces: { group: "", version: "v1", resource: "namespaces" },
  serviceAccounts: { group: "", version: "v1", resource: "serviceaccounts" },
  secrets: { group: "", version: "v1", resource: "secrets" },
  configMaps: { group: "", version: "v1", resource: "configmaps" },
  pods: { group: "", version: "v1", resource: "pods" },
  clusterRoleBindings: { group: "rbac.authorization.k8s.io", version: "v1", resource: "clusterrolebindings" },
  deployments: { group: "apps", version: "v1", resource: "deployments" },
  daemonSets: { group: "apps", version: "v1", resource: "daemonsets" },
} as const satisfies Record<string, GroupVersionResource>;

export const VELERO_API_VERSION = "velero.io/v1";
