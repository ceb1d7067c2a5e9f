/** velero backup-location get [NAMES] [--default] */
import type { Command } from "commander";
import type { BackupStorageLocation } from "@velero-ts/plugin-sdk";
import { addBoolFlag } from "../command-kit.js";
import type { Factory } from "../factory.js";
import { newGetCommand, type GetFlags } from "../get-kit.js";
import { backupStorageLocationTable } from "../output/printers.js";
import { GVR } from "../resources.js";

export function newBslGetCommand(f: Factory, use: string): Command {
  return newGetCommand<BackupStorageLocation, GetFlags & { default?: boolean }>(f, use, {
    gvr: GVR.backupStorageLocations,
    kind: "BackupStorageLocation",
    description: "Get backup storage locations",
    argDescription: "location names",
    selectorDescription: "Only show items matching this label selector.",
    table: backupStorageLocationTable,
    addFlags: (cmd) => addBoolFlag(cmd, "--default", "Displays the current default backup storage location."),
    filter: (locations, flags) => (flags.default ? locations.filter((l) => l.spec.default) : locations),
  });
}
