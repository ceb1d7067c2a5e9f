/** velero schedule describe [NAMES] */
import { Command } from "commander";
import type { Schedule } from "@velero-ts/plugin-sdk";
import { actionFor, type Verb } from "../command-kit.js";
import type { Factory } from "../factory.js";
import { fetchObjects } from "../get-kit.js";
import { describeSchedule } from "../output/describe-schedule.js";
import { GVR } from "../resources.js";

class DescribeSchedules implements Verb {
  readonly #f: Factory;
  names: string[] = [];
  selector: string | undefined;
  constructor(f: Factory) {
    this.#f = f;
  }
  complete(args: string[], flags: { selector?: string }): void {
    this.names = args;
    this.selector = flags.selector;
  }
  validate(): void {}
  async run(): Promise<void> {
    const schedules = await fetchObjects<Schedule>(this.#f, GVR.schedules, this.names, this.selector);
    this.#f.out(schedules.map((s) => describeSchedule(s, this.#f.colors())).join("\n\n"));
  }
}

export function newScheduleDescribeCommand(f: Factory, use: string): Command {
  const cmd = new Command(use).description("Describe schedules").argument("[NAMES...]", "schedule names");
  cmd.option("-l, --selector <selector>", "Only show items matching this label selector.");
  return cmd.action(actionFor(f, () => new DescribeSchedules(f)));
}
