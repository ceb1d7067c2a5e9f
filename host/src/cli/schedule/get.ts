/** velero schedule get [NAMES] */
import { Command } from "commander";
import type { Schedule } from "@velero-ts/plugin-sdk";
import { actionFor, addOutputFlags, validateOutputFormat, type Verb } from "../command-kit.js";
import type { Factory } from "../factory.js";
import { fetchObjects, printObjects, type GetFlags } from "../get-kit.js";
import { scheduleTable } from "../output/printers.js";
import { GVR } from "../resources.js";

class GetSchedules implements Verb {
  readonly #f: Factory;
  names: string[] = [];
  flags: GetFlags = {};
  constructor(f: Factory) {
    this.#f = f;
  }
  complete(args: string[], flags: GetFlags): void {
    this.names = args;
    this.flags = flags;
  }
  validate(): void {
    validateOutputFormat(this.flags.output, "get");
  }
  async run(): Promise<void> {
    const schedules = await fetchObjects<Schedule>(this.#f, GVR.schedules, this.names, this.flags.selector);
    printObjects(this.#f, "Schedule", schedules, this.flags, (items) => scheduleTable(items, this.#f.deps.now()));
  }
}

export function newScheduleGetCommand(f: Factory, use: string): Command {
  const cmd = new Command(use).description("Get schedules").argument("[NAMES...]", "schedule names");
  cmd.option("-l, --selector <selector>", "Only show items matching this label selector.");
  addOutputFlags(cmd, { defaultTable: true, labels: true });
  return cmd.action(actionFor(f, () => new GetSchedules(f)));
}
