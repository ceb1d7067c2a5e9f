/** velero backup delete [NAMES] | --all | --selector: submits DeleteBackupRequests. */
import type { Command } from "commander";
import type { Backup, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { getConfirmation } from "../confirm.js";
import { newDeleteCommand, selectForDelete } from "../delete-kit.js";
import type { Factory } from "../factory.js";
import { isAlreadyExists } from "../kube-errors.js";
import { validLabelValue } from "../names.js";
import { GVR, VELERO_API_VERSION } from "../resources.js";
import type { SelectFlags } from "../select-kit.js";
import { EXIT_CODES } from "../exit-codes.js";

/** Pure: the DeleteBackupRequest for a backup (generateName "<backup>-"). */
export function buildDeleteBackupRequest(namespace: string, backup: Backup): UnstructuredItem {
  const name = backup.metadata.name ?? "";
  return {
    apiVersion: VELERO_API_VERSION,
    kind: "DeleteBackupRequest",
    metadata: {
      namespace,
      name: "",
      generateName: `${name}-`,
      labels: { "velero.io/backup-name": validLabelValue(name), "velero.io/backup-uid": backup.metadata.uid ?? "" },
    },
    spec: { backupName: name },
  };
}

/** Submits one DeleteBackupRequest per selected backup. */
async function deleteBackups(f: Factory, names: string[], flags: SelectFlags): Promise<number> {
  if (!flags.confirm && !(await getConfirmation(f))) return EXIT_CODES.ok;
  const { items: backups, errors } = await selectForDelete<Backup>(f, GVR.backups, names, flags);
  // as Velero: when none of the named backups exists, that is all it says (exit 0)
  if (backups.length === 0) {
    f.out("No backups found\n");
    return EXIT_CODES.ok;
  }
  const kube = await f.kube();
  for (const backup of backups) {
    const request = buildDeleteBackupRequest(f.namespace(), backup);
    try {
      await createWithGeneratedName(kube, request);
    } catch (err) {
      errors.push((err as Error).message);
      continue;
    }
    f.out(
      `Request to delete backup "${backup.metadata.name}" submitted successfully.\nThe backup will be fully deleted after all associated data (disk snapshots, backup files, restores) are removed.\n`,
    );
  }
  if (errors.length > 0) throw new Error(errors.length === 1 ? errors[0] : `[${errors.join(", ")}]`);
  return EXIT_CODES.ok;
}

/** client.CreateRetryGenerateName: retries when the generated name collides. */
async function createWithGeneratedName(kube: Awaited<ReturnType<Factory["kube"]>>, obj: UnstructuredItem): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      const { name: _unused, ...metadata } = obj.metadata;
      await kube.create(GVR.deleteBackupRequests, { ...obj, metadata } as never);
      return;
    } catch (err) {
      if (!isAlreadyExists(err) || attempt >= 4) throw err;
    }
  }
}

export function newBackupDeleteCommand(f: Factory, use: string): Command {
  return newDeleteCommand(f, use, {
    singular: "backup",
    description: "Delete backups",
    argDescription: "backup names",
    helpAfter: `
Examples:
  # Delete a backup named "backup-1".
  velero backup delete backup-1

  # Delete a backup named "backup-1" without prompting for confirmation.
  velero backup delete backup-1 --confirm

  # Delete backups named "backup-1" and "backup-2".
  velero backup delete backup-1 backup-2

  # Delete all backups triggered by schedule "schedule-1".
  velero backup delete --selector velero.io/schedule-name=schedule-1

  # Delete all backups.
  velero backup delete --all`,
    run: (names, flags) => deleteBackups(f, names, flags),
  });
}
