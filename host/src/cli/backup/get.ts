/** velero backup get [NAMES] */
import { Command } from "commander";
import type { Backup } from "@velero-ts/plugin-sdk";
import { actionFor, addOutputFlags, validateOutputFormat, type Verb } from "../command-kit.js";
import type { Factory } from "../factory.js";
import { fetchObjects, printObjects, type GetFlags } from "../get-kit.js";
import { backupTable } from "../output/printers.js";
import { GVR } from "../resources.js";

class GetBackups implements Verb {
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
    const backups = await fetchObjects<Backup>(this.#f, GVR.backups, this.names, this.flags.selector);
    printObjects(this.#f, "Backup", backups, this.flags, (items) => backupTable(items, this.#f.deps.now()));
  }
}

export function newBackupGetCommand(f: Factory, use: string): Command {
  const cmd = new Command(use).description("Get backups").argument("[NAMES...]", "backup names");
  cmd.option("-l, --selector <selector>", "Only show items matching this label selector");
  addOutputFlags(cmd, { defaultTable: true, labels: true });
  return cmd.action(actionFor(f, () => new GetBackups(f)));
}
