/** velero backup delete [NAMES] | --all | --selector: submits DeleteBackupRequests. */
import { Command } from "commander";
import type { Backup, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { actionFor, type Verb } from "../command-kit.js";
import { getConfirmation } from "../confirm.js";
import type { Factory } from "../factory.js";
import { isAlreadyExists } from "../kube-errors.js";
import { mustGet, listNamespaced } from "../lookups.js";
import { validLabelValue } from "../names.js";
import { GVR, VELERO_API_VERSION } from "../resources.js";
import { bindConfirmFlag, bindSelectFlags, selectorQuery, validateSelection, type SelectFlags } from "../select-kit.js";
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

class DeleteBackups implements Verb {
  readonly #f: Factory;
  names: string[] = [];
  flags: SelectFlags = {};
  constructor(f: Factory) {
    this.#f = f;
  }
  complete(args: string[], flags: SelectFlags): void {
    this.names = args;
    this.flags = flags;
  }
  validate(): void {
    validateSelection(this.names, this.flags, "backup");
  }
  async run(): Promise<number> {
    const f = this.#f;
    if (!this.flags.confirm && !(await getConfirmation(f))) return EXIT_CODES.ok;
    const errors: string[] = [];
    const backups: Backup[] = [];
    if (this.names.length > 0) {
      for (const name of this.names) {
        try {
          backups.push(await mustGet<Backup>(f, GVR.backups, name));
        } catch (err) {
          errors.push((err as Error).message);
        }
      }
    } else {
      backups.push(...(await listNamespaced<Backup>(f, GVR.backups, selectorQuery(this.flags))));
    }
    if (backups.length === 0 && errors.length === 0) {
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
  const cmd = new Command(use)
    .description("Delete backups")
    .argument("[NAMES...]", "backup names")
    .addHelpText(
      "after",
      `
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
    );
  bindConfirmFlag(cmd);
  bindSelectFlags(cmd, "delete", "backup");
  return cmd.action(actionFor(f, () => new DeleteBackups(f)));
}
