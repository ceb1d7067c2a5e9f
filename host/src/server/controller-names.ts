import type { Logger } from "../shared/logging.js";

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

/** Velero controllers this server runs as part of another, and what disabling them does here. */
const MERGED_CONTROLLERS: Readonly<Record<string, string>> = {
  "backup-queue": "no effect: the backup controller queues backups itself here (disable backup to stop taking backups)",
  "backup-finalizer": "no effect: backups are finalized by the backup controller, and those with plugin operations by backup-operations (disable that to leave them waiting)",
  "backup-repo": "no effect: this server has no backup repository controller (no file-system backup)",
  "restore-finalizer": "restores with plugin operations are followed and finalized by one controller here, so restore-operations stops too",
};

/**
 * The controllers not to run: --disable-controllers (names checked) and --restore-only's, each
 * logged as Velero logs it, with a warning for the names whose controller is one with another here.
 */
export function disabledControllers(options: { disableControllers?: readonly string[]; restoreOnly?: boolean }, log: Logger): Set<string> {
  const disabled = new Set<string>();
  for (const name of options.disableControllers ?? []) {
    if (!(DISABLEABLE_CONTROLLERS as readonly string[]).includes(name)) {
      throw new Error(`Invalid value for --disable-controllers flag provided: ${name}. Valid values are: ${DISABLEABLE_CONTROLLERS.join(",")}`);
    }
    disabled.add(name);
  }
  if (options.restoreOnly) {
    log.info("Restore only mode - not starting the backup, schedule, delete-backup, or GC controllers");
    for (const name of RESTORE_ONLY_DISABLED) disabled.add(name);
  }
  for (const name of disabled) log.info(`Disabling controller: ${name}`);
  // Velero's controllers that are one with another here: say what disabling them does.
  for (const name of options.disableControllers ?? []) {
    const note = MERGED_CONTROLLERS[name];
    if (note) log.warn(`--disable-controllers ${name}: ${note}`);
  }
  return disabled;
}

