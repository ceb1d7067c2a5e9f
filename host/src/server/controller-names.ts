/** The controller names `velero server --disable-controllers` takes (Velero v1.18.1's DisableableControllers). */
export const DISABLEABLE_CONTROLLERS = [
  "backup-queue",
  "backup",
  "backup-operations",
  "backup-deletion",
  "backup-finalizer",
  "backup-sync",
  "download-request",
  "gc",
  "backup-repo",
  "restore",
  "restore-operations",
  "schedule",
  "server-status-request",
  "restore-finalizer",
] as const;

/** What --restore-only leaves out (Velero v1.18.1 server.go). */
export const RESTORE_ONLY_DISABLED = ["backup", "backup-deletion", "backup-finalizer", "backup-operations", "gc", "schedule"] as const;
