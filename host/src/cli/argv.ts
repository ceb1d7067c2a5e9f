/**
 * pflag lets boolean flags take a value only as `--flag=value`; commander cannot express that
 * without eating the next positional argument. So before parsing, `--flag=true|false` for every
 * boolean flag of the program is rewritten to `--flag` / `--no-flag`.
 */
import type { Command } from "commander";
import { UsageError } from "../shared/errors.js";
import { parseGoBool } from "./flags/values.js";

function booleanFlags(program: Command): Set<string> {
  const names = new Set<string>();
  const visit = (cmd: Command): void => {
    for (const opt of cmd.options) {
      if (opt.isBoolean() && !opt.negate && opt.long) names.add(opt.long.slice(2));
    }
    cmd.commands.forEach(visit);
  };
  visit(program);
  return names;
}

export function normalizeArgv(program: Command, argv: string[]): string[] {
  const bools = booleanFlags(program);
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    if (token === "--") {
      out.push(...argv.slice(i));
      break;
    }
    const m = /^--([A-Za-z0-9][-A-Za-z0-9]*)=(.*)$/s.exec(token);
    if (!m || !bools.has(m[1] as string)) {
      out.push(token);
      continue;
    }
    const value = parseGoBool(m[2] as string);
    if (value === undefined) {
      throw new UsageError(`invalid argument "${m[2]}" for "--${m[1]}" flag: use --${m[1]}=true or --${m[1]}=false`);
    }
    out.push(value ? `--${m[1]}` : `--no-${m[1]}`);
  }
  return out;
}
