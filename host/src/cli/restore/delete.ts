/** velero restore delete [NAMES] | --all | --selector */
import type { Command } from "commander";
import { deleteSelected, newDeleteCommand } from "../delete-kit.js";
import type { Factory } from "../factory.js";
import { GVR } from "../resources.js";

export function newRestoreDeleteCommand(f: Factory, use: string): Command {
  return newDeleteCommand(f, use, {
    singular: "restore",
    description: "Delete restores",
    argDescription: "restore names",
    run: (names, flags) =>
      deleteSelected(f, names, flags, {
        gvr: GVR.restores,
        plural: "restores",
        missingFailsAll: true,
        deleted: (name) =>
          `Request to delete restore "${name}" submitted successfully.\nThe restore will be fully deleted after all associated data (restore files in object storage) are removed.\n`,
      }),
  });
}
