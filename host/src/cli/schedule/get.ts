/** velero schedule get [NAMES] */
import type { Command } from "commander";
import type { Schedule } from "@velero-ts/plugin-sdk";
import type { Factory } from "../factory.js";
import { newGetCommand } from "../get-kit.js";
import { scheduleTable } from "../output/printers.js";
import { GVR } from "../resources.js";

export function newScheduleGetCommand(f: Factory, use: string): Command {
  return newGetCommand<Schedule>(f, use, {
    gvr: GVR.schedules,
    kind: "Schedule",
    description: "Get schedules",
    argDescription: "schedule names",
    selectorDescription: "Only show items matching this label selector.",
    table: (items) => scheduleTable(items, f.deps.now()),
  });
}
