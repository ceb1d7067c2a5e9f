/** velero restore describe [NAMES] [--details] */
import { Command } from "commander";
import type { Restore } from "@velero-ts/plugin-sdk";
import { actionFor, addBoolFlag, type Verb } from "../command-kit.js";
import type { Factory } from "../factory.js";
import { fetchObjects } from "../get-kit.js";
import { listNamespaced } from "../lookups.js";
import { validLabelValue } from "../names.js";
import type { PodVolumeOp } from "../output/describe-common.js";
import { describeRestore } from "../output/describe-restore.js";
import { GVR } from "../resources.js";
import { downloadSideFiles } from "../side-files.js";

interface Flags {
  selector?: string;
  details?: boolean;
}

class DescribeRestores implements Verb {
  readonly #f: Factory;
  names: string[] = [];
  flags: Flags = {};
  constructor(f: Factory) {
    this.#f = f;
  }
  complete(args: string[], flags: Flags): void {
    this.names = args;
    this.flags = flags;
  }
  validate(): void {}
  async run(): Promise<void> {
    const f = this.#f;
    const restores = await fetchObjects<Restore>(f, GVR.restores, this.names, this.flags.selector);
    const files = downloadSideFiles(f);
    let first = true;
    for (const restore of restores) {
      const pvrs = await listNamespaced<PodVolumeOp>(f, GVR.podVolumeRestores, `velero.io/restore-name=${validLabelValue(restore.metadata.name ?? "")}`).catch(() => []);
      const text = await describeRestore({ restore, podVolumeRestores: pvrs, details: this.flags.details === true, files });
      f.out(first ? text : `\n\n${text}`);
      first = false;
    }
  }
}

export function newRestoreDescribeCommand(f: Factory, use: string): Command {
  const cmd = new Command(use).description("Describe restores").argument("[NAMES...]", "restore names");
  cmd.option("-l, --selector <selector>", "Only show items matching this label selector.");
  addBoolFlag(cmd, "--details", "Display additional detail in the command output.");
  addBoolFlag(cmd, "--insecure-skip-tls-verify", "If true, the object store's TLS certificate will not be checked for validity. This is insecure and susceptible to man-in-the-middle attacks. Not recommended for production.");
  cmd.option("--cacert <file>", "Path to a certificate bundle to use when verifying TLS connections.");
  return cmd.action(actionFor(f, () => new DescribeRestores(f)));
}
