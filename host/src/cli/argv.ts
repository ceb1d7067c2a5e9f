/**
 * pflag lets boolean flags take a value only as `--flag=value`; commander cannot express that
 * without eating the next positional argument. So before parsing, `--flag=true|false` for every
 * boolean flag of the program is rewritten to `--flag` / `--no-flag`.
 */
import type { Command } from "commander";
import { UsageError } from "../shared/errors.js";
import { parseGoBool } from "./flags/values.js";

function booleanFlags(program: Command): { plain: Set<string>; negations: Set<string> } {
  const plain = new Set<string>();
  const all = new Set<string>();
  const visit = (cmd: Command): void => {
    for (const opt of cmd.options) {
      if (!opt.long) continue;
      if (opt.negate) all.add(opt.long.slice(2));
      else if (opt.isBoolean()) plain.add(opt.long.slice(2));
    }
    cmd.commands.forEach(visit);
  };
  visit(program);
  // Negations that are only the hidden partner of a plain flag are not user-facing flags.
  const negations = new Set([...all].filter((n) => !plain.has(n.slice(3))));
  return { plain, negations };
}

/** Short flags (`-l`) that take a value, in any command of the program. */
function shortValueFlags(program: Command): Set<string> {
  const out = new Set<string>();
  const visit = (cmd: Command): void => {
    for (const opt of cmd.options) if (opt.short && (opt.required || opt.optional)) out.add(opt.short.slice(1));
    cmd.commands.forEach(visit);
  };
  visit(program);
  return out;
}

/**
 * Velero's optionalBool flags (`--snapshot-volumes`...): an empty value (`--snapshot-volumes=`)
 * sets them back to unset, whatever came before.
 */
const OPTIONAL_BOOLS = new Set([
  "allow-partially-failed",
  "default",
  "default-volumes-to-fs-backup",
  "include-cluster-resources",
  "preserve-nodeports",
  "restore-volumes",
  "snapshot-move-data",
  "snapshot-volumes",
  "write-sparse-files",
]);

export function normalizeArgv(program: Command, argv: string[]): string[] {
  const bools = booleanFlags(program);
  const shorts = shortValueFlags(program);
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    if (token === "--") {
      out.push(...argv.slice(i));
      break;
    }
    // pflag reads `-l=app=web` as `-l app=web`; commander would take "=app=web" as the value
    const short = /^-([A-Za-z])=(.*)$/s.exec(token);
    if (short && shorts.has(short[1] as string)) {
      out.push(`-${short[1]}`, short[2] as string);
      continue;
    }
    const m = /^--([A-Za-z0-9][-_A-Za-z0-9]*)=(.*)$/s.exec(token);
    const name = m?.[1] as string;
    if (!m || (!bools.plain.has(name) && !bools.negations.has(name))) {
      out.push(token);
      continue;
    }
    if (m[2] === "" && OPTIONAL_BOOLS.has(name)) {
      for (let j = out.length - 1; j >= 0; j--) if (out[j] === `--${name}` || out[j] === `--no-${name}`) out.splice(j, 1);
      continue;
    }
    const value = parseGoBool(m[2] as string);
    if (value === undefined) {
      throw new UsageError(`invalid argument "${m[2]}" for "--${name}" flag: use --${name}=true or --${name}=false`);
    }
    if (bools.negations.has(name)) {
      // --no-secret=true is --no-secret; --no-secret=false is the default, so the token goes.
      if (value) out.push(`--${name}`);
      continue;
    }
    out.push(value ? `--${name}` : `--no-${name}`);
  }
  return out;
}
