/** velero backup (alias backups): create | get | describe | logs | delete | download */
import { Command } from "commander";
import type { Factory } from "../factory.js";
import { newBackupCreateCommand } from "./create.js";

export function newBackupCommand(f: Factory): Command {
  return new Command("backup")
    .alias("backups")
    .description("Work with backups")
    .addCommand(newBackupCreateCommand(f, "create"));
}
