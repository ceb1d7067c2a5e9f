/** velero backup (alias backups): create | get | describe | logs | delete | download */
import { Command } from "commander";
import type { Factory } from "../factory.js";
import { newBackupCreateCommand } from "./create.js";
import { newBackupDeleteCommand } from "./delete.js";
import { newBackupDescribeCommand } from "./describe.js";
import { newBackupDownloadCommand } from "./download.js";
import { newBackupGetCommand } from "./get.js";
import { newBackupLogsCommand } from "./logs.js";

export function newBackupCommand(f: Factory): Command {
  return new Command("backup")
    .alias("backups")
    .description("Work with backups")
    .addCommand(newBackupCreateCommand(f, "create"))
    .addCommand(newBackupGetCommand(f, "get"))
    .addCommand(newBackupLogsCommand(f))
    .addCommand(newBackupDescribeCommand(f, "describe"))
    .addCommand(newBackupDownloadCommand(f))
    .addCommand(newBackupDeleteCommand(f, "delete"));
}
