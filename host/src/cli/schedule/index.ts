/** velero schedule (alias schedules): create | get | describe | delete | pause | unpause */
import { Command } from "commander";
import type { Factory } from "../factory.js";
import { newScheduleCreateCommand } from "./create.js";
import { newScheduleDeleteCommand } from "./delete.js";
import { newScheduleDescribeCommand } from "./describe.js";
import { newScheduleGetCommand } from "./get.js";
import { newSchedulePauseCommand, newScheduleUnpauseCommand } from "./pause.js";

export function newScheduleCommand(f: Factory): Command {
  return new Command("schedule")
    .alias("schedules")
    .description("Work with schedules")
    .addCommand(newScheduleCreateCommand(f, "create"))
    .addCommand(newScheduleGetCommand(f, "get"))
    .addCommand(newScheduleDescribeCommand(f, "describe"))
    .addCommand(newScheduleDeleteCommand(f, "delete"))
    .addCommand(newSchedulePauseCommand(f))
    .addCommand(newScheduleUnpauseCommand(f));
}
