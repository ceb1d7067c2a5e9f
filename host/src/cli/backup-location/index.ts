/** velero backup-location (aliases backup-locations, bsl): create | delete | get | set */
import { Command } from "commander";
import type { Factory } from "../factory.js";
import { newBslCreateCommand } from "./create.js";
import { newBslDeleteCommand } from "./delete.js";
import { newBslGetCommand } from "./get.js";
import { newBslSetCommand } from "./set.js";

export function newBackupLocationCommand(f: Factory): Command {
  return new Command("backup-location")
    .aliases(["backup-locations", "bsl"])
    .description("Work with backup storage locations")
    .addCommand(newBslCreateCommand(f, "create"))
    .addCommand(newBslDeleteCommand(f, "delete"))
    .addCommand(newBslGetCommand(f, "get"))
    .addCommand(newBslSetCommand(f, "set"));
}
