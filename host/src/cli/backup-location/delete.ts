/** velero backup-location delete [NAMES] | --all | --selector (also deletes the Backup and BackupRepository CRs of that location) */
import type { Command } from "commander";
import type { BackupStorageLocation } from "@velero-ts/plugin-sdk";
import { getConfirmation } from "../confirm.js";
import { newDeleteCommand } from "../delete-kit.js";
import { EXIT_CODES } from "../exit-codes.js";
import type { Factory } from "../factory.js";
import { fetchObjects } from "../get-kit.js";
import { listNamespaced } from "../lookups.js";
import { GVR } from "../resources.js";
import { selectorQuery } from "../select-kit.js";

export function newBslDeleteCommand(f: Factory, use: string): Command {
  return newDeleteCommand(f, use, {
    singular: "backup-location",
    description: "Delete backup storage locations",
    argDescription: "location names",
    run: async (names, flags) => {
      if (!flags.confirm && !(await getConfirmation(f))) return EXIT_CODES.ok;
      const locations = await fetchObjects<BackupStorageLocation>(f, GVR.backupStorageLocations, names, selectorQuery(flags));
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
    },
  });
}
