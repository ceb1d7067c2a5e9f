/** velero backup get [NAMES] */
import type { Command } from "commander";
import type { Backup } from "@velero-ts/plugin-sdk";
import type { Factory } from "../factory.js";
import { newGetCommand } from "../get-kit.js";
import { backupTable } from "../output/printers.js";
import { GVR } from "../resources.js";

export function newBackupGetCommand(f: Factory, use: string): Command {
  return newGetCommand<Backup>(f, use, {
    gvr: GVR.backups,
    kind: "Backup",
    description: "Get backups",
    argDescription: "backup names",
    selectorDescription: "Only show items matching this label selector",
    table: (items) => backupTable(items, f.deps.now()),
  });
}
