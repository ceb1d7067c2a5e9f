/** velero schedule delete [NAMES] | --all | --selector */
import type { Command } from "commander";
import { deleteSelected, newDeleteCommand } from "../delete-kit.js";
import type { Factory } from "../factory.js";
import { GVR } from "../resources.js";

export function newScheduleDeleteCommand(f: Factory, use: string): Command {
  return newDeleteCommand(f, use, {
    singular: "schedule",
    description: "Delete schedules",
    argDescription: "schedule names",
    run: (names, flags) =>
      deleteSelected(f, names, flags, {
        gvr: GVR.schedules,
        plural: "schedules",
        deleted: (name) => `Schedule deleted: ${name}\n`,
      }),
  });
}
