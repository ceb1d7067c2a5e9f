/** The verb-first grammar: `velero get backups`, `velero create schedule ...`, etc. (kubectl style). */
import { Command } from "commander";
import { newBackupCreateCommand } from "./backup/create.js";
import { newBackupDeleteCommand } from "./backup/delete.js";
import { newBackupDescribeCommand } from "./backup/describe.js";
import { newBackupGetCommand } from "./backup/get.js";
import { newBslCreateCommand } from "./backup-location/create.js";
import { newBslDeleteCommand } from "./backup-location/delete.js";
import { newBslGetCommand } from "./backup-location/get.js";
import type { Factory } from "./factory.js";
import { newPluginGetCommand } from "./plugin/get.js";
import { newRepoGetCommand } from "./repo/get.js";
import { newRestoreCreateCommand } from "./restore/create.js";
import { newRestoreDeleteCommand } from "./restore/delete.js";
import { newRestoreDescribeCommand } from "./restore/describe.js";
import { newRestoreGetCommand } from "./restore/get.js";
import { newScheduleCreateCommand } from "./schedule/create.js";
import { newScheduleDeleteCommand } from "./schedule/delete.js";
import { newScheduleDescribeCommand } from "./schedule/describe.js";
import { newScheduleGetCommand } from "./schedule/get.js";
import { newVslCreateCommand } from "./snapshot-location/create.js";
import { newVslGetCommand } from "./snapshot-location/get.js";

const withAliases = (cmd: Command, aliases: string[]): Command => cmd.aliases(aliases);

export function newCreateGroup(f: Factory): Command {
  return new Command("create")
    .description("Create velero resources")
    .addCommand(withAliases(newBackupCreateCommand(f, "backup"), ["backups"]))
    .addCommand(withAliases(newScheduleCreateCommand(f, "schedule"), ["schedules"]))
    .addCommand(withAliases(newRestoreCreateCommand(f, "restore"), ["restores"]))
    .addCommand(withAliases(newBslCreateCommand(f, "backup-location"), ["backup-locations", "bsl"]))
    .addCommand(withAliases(newVslCreateCommand(f, "snapshot-location"), ["snapshot-locations", "vsl"]));
}

export function newGetGroup(f: Factory): Command {
  return new Command("get")
    .description("Get velero resources")
    .addCommand(withAliases(newBackupGetCommand(f, "backups"), ["backup"]))
    .addCommand(withAliases(newScheduleGetCommand(f, "schedules"), ["schedule"]))
    .addCommand(withAliases(newRestoreGetCommand(f, "restores"), ["restore"]))
    .addCommand(withAliases(newBslGetCommand(f, "backup-locations"), ["backup-location", "bsl"]))
    .addCommand(withAliases(newVslGetCommand(f, "snapshot-locations"), ["snapshot-location", "vsl"]))
    .addCommand(withAliases(newPluginGetCommand(f, "plugins"), ["plugin"]))
    .addCommand(withAliases(newRepoGetCommand(f, "repos"), ["repo"]));
}

export function newDescribeGroup(f: Factory): Command {
  return new Command("describe")
    .description("Describe velero resources")
    .addCommand(withAliases(newBackupDescribeCommand(f, "backups"), ["backup"]))
    .addCommand(withAliases(newScheduleDescribeCommand(f, "schedules"), ["schedule"]))
    .addCommand(withAliases(newRestoreDescribeCommand(f, "restores"), ["restore"]));
}

export function newDeleteGroup(f: Factory): Command {
  return new Command("delete")
    .description("Delete velero resources")
    .addCommand(withAliases(newBackupDeleteCommand(f, "backup"), ["backups"]))
    .addCommand(withAliases(newBslDeleteCommand(f, "backup-location"), ["backup-locations", "bsl"]))
    .addCommand(withAliases(newRestoreDeleteCommand(f, "restore"), ["restores"]))
    .addCommand(withAliases(newScheduleDeleteCommand(f, "schedule"), ["schedules"]));
}
