/** velero snapshot-location get [NAMES] */
import { Command } from "commander";
import type { VolumeSnapshotLocation } from "@velero-ts/plugin-sdk";
import { actionFor, addOutputFlags, validateOutputFormat, type Verb } from "../command-kit.js";
import type { Factory } from "../factory.js";
import { fetchObjects, printObjects, type GetFlags } from "../get-kit.js";
import { volumeSnapshotLocationTable } from "../output/printers.js";
import { GVR } from "../resources.js";

class GetVsls implements Verb {
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
    const items = await fetchObjects<VolumeSnapshotLocation>(this.#f, GVR.volumeSnapshotLocations, this.names, this.flags.selector);
    printObjects(this.#f, "VolumeSnapshotLocation", items, this.flags, volumeSnapshotLocationTable);
  }
}

export function newVslGetCommand(f: Factory, use: string): Command {
  const cmd = new Command(use).description("Get snapshot locations").argument("[NAMES...]", "location names");
  cmd.option("-l, --selector <selector>", "Only show items matching this label selector");
  addOutputFlags(cmd, { defaultTable: true, labels: true });
  return cmd.action(actionFor(f, () => new GetVsls(f)));
}
