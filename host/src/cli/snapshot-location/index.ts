/** velero snapshot-location (aliases snapshot-locations, vsl): create | get | set */
import { Command } from "commander";
import type { Factory } from "../factory.js";
import { newVslCreateCommand } from "./create.js";
import { newVslGetCommand } from "./get.js";
import { newVslSetCommand } from "./set.js";

export function newSnapshotLocationCommand(f: Factory): Command {
  return new Command("snapshot-location")
    .aliases(["snapshot-locations", "vsl"])
    .description("Work with snapshot locations")
    .addCommand(newVslCreateCommand(f, "create"))
    .addCommand(newVslGetCommand(f, "get"))
    .addCommand(newVslSetCommand(f, "set"));
}
