/** velero restore delete [NAMES] | --all | --selector */
import { Command } from "commander";
import { actionFor, type Verb } from "../command-kit.js";
import { deleteSelected } from "../delete-kit.js";
import type { Factory } from "../factory.js";
import { GVR } from "../resources.js";
import { bindConfirmFlag, bindSelectFlags, validateSelection, type SelectFlags } from "../select-kit.js";

class DeleteRestores implements Verb {
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
    validateSelection(this.names, this.flags, "restore");
  }
  run(): Promise<number> {
    return deleteSelected(this.#f, this.names, this.flags, {
      gvr: GVR.restores,
      plural: "restores",
      deleted: (name) =>
        `Request to delete restore "${name}" submitted successfully.\nThe restore will be fully deleted after all associated data (restore files in object storage) are removed.\n`,
    });
  }
}

export function newRestoreDeleteCommand(f: Factory, use: string): Command {
  const cmd = new Command(use).description("Delete restores").argument("[NAMES...]", "restore names");
  bindConfirmFlag(cmd);
  bindSelectFlags(cmd, "delete", "restore");
  return cmd.action(actionFor(f, () => new DeleteRestores(f)));
}
