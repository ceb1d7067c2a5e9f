/** The shape every `delete` command shares: NAMES | --all | --selector, --confirm, then delete each CR. */
import { Command } from "commander";
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import type { GroupVersionResource } from "../kube/client.js";
import { actionFor, argsVerb } from "./command-kit.js";
import { getConfirmation } from "./confirm.js";
import { EXIT_CODES } from "./exit-codes.js";
import type { Factory } from "./factory.js";
import { listNamespaced, mustGet } from "./lookups.js";
import { bindConfirmFlag, bindSelectFlags, selectorQuery, validateSelection, type SelectFlags } from "./select-kit.js";

export interface DeleteSpec {
  gvr: GroupVersionResource;
  plural: string;
  deleted(name: string): string;
  /**
   * A missing name fails the command before anything is deleted (Velero's `restore delete`).
   * Otherwise, as Velero's `schedule delete`: the names that exist are deleted, the missing ones
   * are the command's error at the end, and when none exists it says "No <plural> found" (exit 0).
   */
  missingFailsAll?: boolean;
}

export async function deleteSelected(f: Factory, names: string[], flags: SelectFlags, spec: DeleteSpec): Promise<number> {
  if (!flags.confirm && !(await getConfirmation(f))) return EXIT_CODES.ok;
  const { items, errors } = await selectForDelete<UnstructuredItem>(f, spec.gvr, names, flags);
  if (errors.length > 0 && spec.missingFailsAll) throw new Error(errors.join("; "));
  if (items.length === 0) {
    f.out(`No ${spec.plural} found\n`);
    return EXIT_CODES.ok;
  }
  const kube = await f.kube();
  for (const item of items) {
    try {
      await kube.delete(spec.gvr, item.metadata.name, f.namespace());
      f.out(spec.deleted(item.metadata.name));
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  if (errors.length > 0) throw new Error(errors.join("; "));
  return EXIT_CODES.ok;
}

/** The named objects (a missing one is an error message, not a throw) or those matching --all/--selector. */
export async function selectForDelete<T>(
  f: Factory,
  gvr: GroupVersionResource,
  names: string[],
  flags: SelectFlags,
): Promise<{ items: T[]; errors: string[] }> {
  const errors: string[] = [];
  const items: T[] = [];
  if (names.length > 0) {
    for (const name of names) {
      try {
        items.push(await mustGet<T>(f, gvr, name));
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
  } else {
    items.push(...(await listNamespaced<T>(f, gvr, selectorQuery(flags))));
  }
  return { items, errors };
}

/** What differs between the `delete` commands. */
export interface DeleteCommandSpec {
  /** e.g. "backup-location": names the --all/--selector flags and the selection error. */
  singular: string;
  description: string;
  argDescription: string;
  /** Help text after the flags (examples). */
  helpAfter?: string;
  run(names: string[], flags: SelectFlags): Promise<number>;
}

/** `<resource> delete [NAMES...] | --all | --selector` with --confirm. */
export function newDeleteCommand(f: Factory, use: string, spec: DeleteCommandSpec): Command {
  const cmd = new Command(use).description(spec.description).argument("[NAMES...]", spec.argDescription);
  if (spec.helpAfter !== undefined) cmd.addHelpText("after", spec.helpAfter);
  bindConfirmFlag(cmd);
  bindSelectFlags(cmd, "delete", spec.singular);
  return cmd.action(
    actionFor(f, () =>
      argsVerb<SelectFlags>({
        validate: (names, flags) => validateSelection(names, flags, spec.singular),
        run: (names, flags) => spec.run(names, flags),
      }),
    ),
  );
}
