/** velero backup-location delete [NAMES] | --all | --selector (also deletes the Backup and BackupRepository CRs of that location) */
import { Command } from "commander";
import type { BackupStorageLocation } from "@velero-ts/plugin-sdk";
import { actionFor, type Verb } from "../command-kit.js";
import { getConfirmation } from "../confirm.js";
import { EXIT_CODES } from "../exit-codes.js";
import type { Factory } from "../factory.js";
import { listNamespaced, mustGet } from "../lookups.js";
import { GVR } from "../resources.js";
import { bindConfirmFlag, bindSelectFlags, selectorQuery, validateSelection, type SelectFlags } from "../select-kit.js";

class DeleteBsls implements Verb {
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
    validateSelection(this.names, this.flags, "backup-location");
  }
  async run(): Promise<number> {
    const f = this.#f;
    if (!this.flags.confirm && !(await getConfirmation(f))) return EXIT_CODES.ok;
    const locations: BackupStorageLocation[] = [];
    if (this.names.length > 0) for (const n of this.names) locations.push(await mustGet<BackupStorageLocation>(f, GVR.backupStorageLocations, n));
    else locations.push(...(await listNamespaced<BackupStorageLocation>(f, GVR.backupStorageLocations, selectorQuery(this.flags))));
    if (locations.length === 0) {
      f.out("No backup-locations found\n");
      return EXIT_CODES.ok;
    }
    const kube = await f.kube();
    const ns = f.namespace();
    for (const location of locations) {
      const name = location.metadata.name ?? "";
      await kube.delete(GVR.backupStorageLocations, name, ns);
      f.out(`Backup storage location "${name}" deleted successfully.\n`);
      for (const backup of await listNamespaced(f, GVR.backups, `velero.io/storage-location=${name}`)) {
        await kube.delete(GVR.backups, backup.metadata.name, ns);
        f.out(`Backup associated with deleted BSL(s) "${backup.metadata.name}" deleted successfully.\n`);
      }
      const repos = await listNamespaced(f, GVR.backupRepositories, `velero.io/storage-location=${name}`).catch(() => []);
      for (const repo of repos) {
        await kube.delete(GVR.backupRepositories, repo.metadata.name, ns);
        f.out(`Backup repository associated with deleted BSL(s) "${repo.metadata.name}" deleted successfully.\n`);
      }
    }
    return EXIT_CODES.ok;
  }
}

export function newBslDeleteCommand(f: Factory, use: string): Command {
  const cmd = new Command(use).description("Delete backup storage locations").argument("[NAMES...]", "location names");
  bindConfirmFlag(cmd);
  bindSelectFlags(cmd, "delete", "backup-location");
  return cmd.action(actionFor(f, () => new DeleteBsls(f)));
}
