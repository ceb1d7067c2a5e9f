/** velero backup-location get [NAMES] [--default] */
import { Command } from "commander";
import type { BackupStorageLocation } from "@velero-ts/plugin-sdk";
import { actionFor, addBoolFlag, addOutputFlags, validateOutputFormat, type Verb } from "../command-kit.js";
import type { Factory } from "../factory.js";
import { fetchObjects, printObjects, type GetFlags } from "../get-kit.js";
import { backupStorageLocationTable } from "../output/printers.js";
import { GVR } from "../resources.js";

class GetBsls implements Verb {
  readonly #f: Factory;
  names: string[] = [];
  flags: GetFlags & { default?: boolean } = {};
  constructor(f: Factory) {
    this.#f = f;
  }
  complete(args: string[], flags: GetFlags & { default?: boolean }): void {
    this.names = args;
    this.flags = flags;
  }
  validate(): void {
    validateOutputFormat(this.flags.output, "get");
  }
  async run(): Promise<void> {
    let locations = await fetchObjects<BackupStorageLocation>(this.#f, GVR.backupStorageLocations, this.names, this.flags.selector);
    if (this.flags.default) locations = locations.filter((l) => l.spec.default);
    printObjects(this.#f, "BackupStorageLocation", locations, this.flags, backupStorageLocationTable);
  }
}

export function newBslGetCommand(f: Factory, use: string): Command {
  const cmd = new Command(use).description("Get backup storage locations").argument("[NAMES...]", "location names");
  addBoolFlag(cmd, "--default", "Displays the current default backup storage location.");
  cmd.option("-l, --selector <selector>", "Only show items matching this label selector.");
  addOutputFlags(cmd, { defaultTable: true, labels: true });
  return cmd.action(actionFor(f, () => new GetBsls(f)));
}
