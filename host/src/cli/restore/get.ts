/** velero restore get [NAMES] */
import type { Command } from "commander";
import type { Restore } from "@velero-ts/plugin-sdk";
import type { Factory } from "../factory.js";
import { newGetCommand } from "../get-kit.js";
import { restoreTable } from "../output/printers.js";
import { GVR } from "../resources.js";

export function newRestoreGetCommand(f: Factory, use: string): Command {
  return newGetCommand<Restore>(f, use, {
    gvr: GVR.restores,
    kind: "Restore",
    description: "Get restores",
    argDescription: "restore names",
    selectorDescription: "Only show items matching this label selector",
    table: restoreTable,
  });
}
