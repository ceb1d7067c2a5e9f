/** velero plugin (alias plugins): add | remove | get */
import { Command } from "commander";
import type { Factory } from "../factory.js";
import { newPluginAddCommand } from "./add.js";
import { newPluginGetCommand } from "./get.js";
import { newPluginRemoveCommand } from "./remove.js";

export function newPluginCommand(f: Factory): Command {
  return new Command("plugin")
    .alias("plugins")
    .description("Work with plugins")
    .addCommand(newPluginAddCommand(f))
    .addCommand(newPluginRemoveCommand(f))
    .addCommand(newPluginGetCommand(f, "get"));
}
