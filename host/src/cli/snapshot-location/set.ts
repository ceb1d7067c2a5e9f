/** velero snapshot-location set NAME --credential secret=key */
import { Command } from "commander";
import { UsageError } from "../../shared/errors.js";
import { actionFor, addValueFlag, type Verb } from "../command-kit.js";
import type { Factory } from "../factory.js";
import { mustGet } from "../lookups.js";
import { GVR } from "../resources.js";
import { mapFlag } from "./create.js";

class SetVsl implements Verb {
  readonly #f: Factory;
  name = "";
  credential: Record<string, string> = {};
  constructor(f: Factory) {
    this.#f = f;
  }
  complete(args: string[], flags: { credential?: Record<string, string> }): void {
    this.name = args[0] ?? "";
    this.credential = flags.credential ?? {};
  }
  validate(): void {
    if (Object.keys(this.credential).length > 1) throw new UsageError("--credential can only contain 1 key/value pair");
  }
  async run(): Promise<void> {
    const f = this.#f;
    await mustGet(f, GVR.volumeSnapshotLocations, this.name);
    const cred = Object.entries(this.credential)[0];
    if (cred) await (await f.kube()).patch(GVR.volumeSnapshotLocations, this.name, f.namespace(), { spec: { credential: { name: cred[0], key: cred[1] } } });
    f.out(`Volume snapshot location "${this.name}" configured successfully.\n`);
  }
}

export function newVslSetCommand(f: Factory, use: string): Command {
  const cmd = new Command(use).description("Set specific features for a snapshot location").argument("<NAME>", "location name");
  addValueFlag(cmd, "--credential <secret=key>", "Sets the credential to be used by this location as a key-value pair, where the key is the Kubernetes Secret name, and the value is the data key name within the Secret. Optional, one value only.", mapFlag("--credential"));
  return cmd.action(actionFor(f, () => new SetVsl(f)));
}
