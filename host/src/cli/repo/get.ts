/** velero repo get [NAMES] (also `velero restic repo get`) */
import { Command } from "commander";
import type { BackupRepository } from "@velero-ts/plugin-sdk";
import { actionFor, addOutputFlags, validateOutputFormat, type Verb } from "../command-kit.js";
import type { Factory } from "../factory.js";
import { fetchObjects, printObjects, type GetFlags } from "../get-kit.js";
import { backupRepositoryTable } from "../output/printers.js";
import { GVR } from "../resources.js";

class GetRepos implements Verb {
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
    const repos = await fetchObjects<BackupRepository>(this.#f, GVR.backupRepositories, this.names, this.flags.selector);
    printObjects(this.#f, "BackupRepository", repos, this.flags, backupRepositoryTable);
  }
}

export function newRepoGetCommand(f: Factory, use: string): Command {
  const cmd = new Command(use).description("Get repositories").argument("[NAMES...]", "repository names");
  cmd.option("-l, --selector <selector>", "Only show items matching this label selector.");
  addOutputFlags(cmd, { defaultTable: true, labels: true });
  return cmd.action(actionFor(f, () => new GetRepos(f)));
}

export function newRepoCommand(f: Factory): Command {
  return new Command("repo").aliases(["repos"]).description("Work with repositories").addCommand(newRepoGetCommand(f, "get"));
}

/** Velero 1.x's `velero restic repo get`, kept for old runbooks. */
export function newResticCommand(f: Factory): Command {
  return new Command("restic").description("Work with restic repositories (alias of 'velero repo')").addCommand(newRepoCommand(f));
}
