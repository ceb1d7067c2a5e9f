/** Velero's label and annotation keys. */
export const LABELS = {
  backupName: "velero.io/backup-name",
  backupUid: "velero.io/backup-uid",
  restoreName: "velero.io/restore-name",
  restoreUid: "velero.io/restore-uid",
  scheduleName: "velero.io/schedule-name",
  storageLocation: "velero.io/storage-location",
  excludeFromBackup: "velero.io/exclude-from-backup",
  pluginConfig: "velero.io/plugin-config",
  csiVolumeSnapshotClass: "velero.io/csi-volumesnapshot-class",
  volumeGroup: "velero.io/volume-group",
} as const;

export const ANNOTATIONS = {
  skipFromBackup: "velero.io/skip-from-backup",
  mustIncludeAdditionalItems: "backup.velero.io/must-include-additional-items",
  backupVolumes: "backup.velero.io/backup-volumes",
  backupVolumesExcludes: "backup.velero.io/backup-volumes-excludes",
  sourceClusterGitVersion: "velero.io/source-cluster-k8s-gitversion",
  sourceClusterMajorVersion: "velero.io/source-cluster-k8s-major-version",
  sourceClusterMinorVersion: "velero.io/source-cluster-k8s-minor-version",
  resourceTimeout: "velero.io/resource-timeout",
} as const;

/** The backup tarball format version (metadata/version and status.formatVersion). */
export const BACKUP_FORMAT_VERSION = "1.1.0";

/**
 * Velero's GetValidName: label values longer than 63 characters become the first 57 characters
 * plus the first 6 hex digits of their SHA-256.
 */
export const MAX_LABEL_VALUE_LENGTH = 63;
