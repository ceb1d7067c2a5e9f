/** Velero's SelectOptions/DeleteOptions: exactly one of NAMES, --all or --selector. */
import type { Command } from "commander";
import { UsageError } from "../shared/errors.js";
import { addBoolFlag, addValueFlag } from "./command-kit.js";
import { parseLabelSelector, selectorToQuery } from "./flags/label-selector.js";
import type { V1LabelSelector } from "@kubernetes/client-node";

export interface SelectFlags {
  all?: boolean;
  selector?: V1LabelSelector;
  confirm?: boolean;
}

const title = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

export function bindSelectFlags(cmd: Command, verb: string, singular: string): void {
  addBoolFlag(cmd, "--all", `${title(verb)} all ${singular}s`);
  addValueFlag(cmd, "-l, --selector <selector>", `${title(verb)} all ${singular}s matching this label selector.`, (v) => parseLabelSelector(v));
}

export function bindConfirmFlag(cmd: Command, description = "Confirm deletion"): void {
  addBoolFlag(cmd, "--confirm", description);
}

export function validateSelection(names: string[], flags: SelectFlags, singular: string): void {
  const chosen = [names.length > 0, flags.all === true, flags.selector !== undefined].filter(Boolean).length;
  if (chosen !== 1) {
    throw new UsageError(`you must specify exactly one of: specific ${singular} name(s), the --all flag, or the --selector flag`);
  }
}

export function selectorQuery(flags: SelectFlags): string | undefined {
  return flags.selector ? selectorToQuery(flags.selector) : undefined;
}

