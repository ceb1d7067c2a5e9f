/** velero schedule delete [NAMES] | --all | --selector */
import { Command } from "commander";
import { actionFor, type Verb } from "../command-kit.js";
import { deleteSelected } from "../delete-kit.js";
import type { Factory } from "../factory.js";
import { GVR } from "../resources.js";
import { bindConfirmFlag, bindSelectFlags, validateSelection, type SelectFlags } from "../select-kit.js";

class DeleteSchedules implements Verb {
  readonly #f: Factory;
  names: string[] = [];
  flags: SelectFlags = {};
  constructor(f: Factory) {
    this.#f = f;
  }
  complete(args: string[], flags: SelectFlags): void {
    this.names = args;
    this.flags = flags;
  }
  validate(): void {
    validateSelection(this.names, this.flags, "schedule");
  }
  run(): Promise<number> {
    return deleteSelected(this.#f, this.names, this.flags, {
      gvr: GVR.schedules,
      plural: "schedules",
      deleted: (name) => `Schedule deleted: ${name}\n`,
    });
  }
}

export function newScheduleDeleteCommand(f: Factory, use: string): Command {
  const cmd = new Command(use).description("Delete schedules").argument("[NAMES...]", "schedule names");
  bindConfirmFlag(cmd);
  bindSelectFlags(cmd, "delete", "schedule");
  return cmd.action(actionFor(f, () => new DeleteSchedules(f)));
}
