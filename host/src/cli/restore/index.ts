/** velero restore (alias restores): create | get | describe | logs | delete */
import { Command } from "commander";
import type { Factory } from "../factory.js";
import { newRestoreCreateCommand } from "./create.js";
import { newRestoreDeleteCommand } from "./delete.js";
import { newRestoreDescribeCommand } from "./describe.js";
import { newRestoreGetCommand } from "./get.js";
import { newRestoreLogsCommand } from "./logs.js";

export function newRestoreCommand(f: Factory): Command {
  return new Command("restore")
    .alias("restores")
    .description("Work with restores")
    .addCommand(newRestoreCreateCommand(f, "create"))
    .addCommand(newRestoreGetCommand(f, "get"))
    .addCommand(newRestoreDescribeCommand(f, "describe"))
    .addCommand(newRestoreLogsCommand(f))
    .addCommand(newRestoreDeleteCommand(f, "delete"));
}
