/** The shape `backup describe` and `restore describe` share: named objects or a filtered list, described one after another. */
import { Command } from "commander";
import type { GroupVersionResource } from "../kube/client.js";
import { actionFor, addBoolFlag, argsVerb } from "./command-kit.js";
import type { Factory } from "./factory.js";
import { fetchObjects } from "./get-kit.js";
import type { SideFiles } from "./output/describe-common.js";
import { downloadSideFiles } from "./side-files.js";

export interface DescribeFlags {
  selector?: string;
  details?: boolean;
  cacert?: string;
  insecureSkipTlsVerify?: boolean;
}

/** What differs between the `describe` commands. */
export interface DescribeCommandSpec<T, F extends DescribeFlags> {
  gvr: GroupVersionResource;
  description: string;
  argDescription: string;
  cacertDescription: string;
  /** Flags added after --cacert (e.g. backup's -o). */
  addFlags?(cmd: Command): void;
  validate?(flags: F): void;
  /** The text for one object; undefined when it printed something else itself (backup's -o json). */
  describe(item: T, context: { flags: F; count: number; files: SideFiles }): Promise<string | undefined>;
}

/** `<resource> describe [NAMES...]` with --selector, --details and the object-store TLS flags; texts are separated by a blank line pair. */
export function newDescribeCommand<T, F extends DescribeFlags = DescribeFlags>(f: Factory, use: string, spec: DescribeCommandSpec<T, F>): Command {
  const cmd = new Command(use).description(spec.description).argument("[NAMES...]", spec.argDescription);
  cmd.option("-l, --selector <selector>", "Only show items matching this label selector.");
  addBoolFlag(cmd, "--details", "Display additional detail in the command output.");
  addBoolFlag(cmd, "--insecure-skip-tls-verify", "If true, the object store's TLS certificate will not be checked for validity. This is insecure and susceptible to man-in-the-middle attacks. Not recommended for production.");
  cmd.option("--cacert <file>", spec.cacertDescription);
  spec.addFlags?.(cmd);
  return cmd.action(
    actionFor(f, () =>
      argsVerb<F>({
        validate: (_names, flags) => spec.validate?.(flags),
        run: async (names, flags) => {
          f.downloadFlags = { cacert: flags.cacert, insecureSkipTlsVerify: flags.insecureSkipTlsVerify };
          const items = await fetchObjects<T>(f, spec.gvr, names, flags.selector);
          const files = downloadSideFiles(f);
          let first = true;
          for (const item of items) {
            const text = await spec.describe(item, { flags, count: items.length, files });
            if (text === undefined) continue;
            f.out(first ? text : `\n\n${text}`);
            first = false;
          }
        },
      }),
    ),
  );
}
