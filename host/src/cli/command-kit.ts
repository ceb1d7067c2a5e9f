/**
 * Helpers that give commander commands Velero's (pflag's) flag behaviour: Go-style booleans that
 * accept `--flag`, `--flag=true|false` and tri-state "unset", value flags with typed parsers, the
 * shared -o/--output flags, and the Options lifecycle complete() → validate() → run().
 */
import { Command, Option } from "commander";
import { UsageError } from "../shared/errors.js";
import type { Factory } from "./factory.js";
import type { OutputFormat } from "./output/encode.js";

/** A verb's options object, Velero style. run() returns the exit code (default 0). */
export interface Verb {
  complete(args: string[], flags: Record<string, unknown>, cmd: Command): void | Promise<void>;
  validate(): void | Promise<void>;
  run(): Promise<number | void>;
}

/** Wires a verb into a command: builds a fresh options object per invocation. */
export function actionFor(f: Factory, create: () => Verb): (...args: unknown[]) => Promise<void> {
  return async (...actionArgs: unknown[]) => {
    const cmd = actionArgs[actionArgs.length - 1] as Command;
    const verb = create();
    await verb.complete(cmd.args, cmd.opts(), cmd);
    await verb.validate();
    const code = await verb.run();
    if (typeof code === "number") f.exitCode = code;
  };
}

/**
 * A verb whose options are just the positional args and the parsed flags: complete() keeps them,
 * validate() and run() are given as functions of them.
 */
export function argsVerb<F>(body: {
  validate?(args: string[], flags: F): void;
  run(args: string[], flags: F): Promise<number | void>;
}): Verb {
  let args: string[] = [];
  let flags = {} as F;
  return {
    complete(a: string[], fl: Record<string, unknown>): void {
      args = a;
      flags = fl as F;
    },
    validate(): void {
      body.validate?.(args, flags);
    },
    run(): Promise<number | void> {
      return body.run(args, flags);
    },
  };
}

/**
 * A Go-style boolean flag: `--x`, `--x=true`, `--x=false` (rewritten by argv.ts into `--x` /
 * `--no-x`). Unset stays undefined, which serves Velero's OptionalBool flags too.
 */
export function addBoolFlag(cmd: Command, flags: string, description: string, defaultValue?: boolean): Command {
  const opt = new Option(flags, description);
  if (defaultValue !== undefined) opt.default(defaultValue);
  cmd.addOption(opt);
  // "--no-secret" style flags are commander negations already (attribute `secret` = false).
  if (!opt.negate) cmd.addOption(new Option(`--no-${(opt.long as string).slice(2)}`).hideHelp());
  return cmd;
}

/** A value flag whose parser may throw UsageError. */
export function addValueFlag<T>(
  cmd: Command,
  flags: string,
  description: string,
  parse: (value: string, previous: T) => T,
  defaultValue?: T,
): Command {
  const opt = new Option(flags, description).argParser((value: string, previous: T) => parse(value, previous));
  if (defaultValue !== undefined) opt.default(defaultValue);
  cmd.addOption(opt);
  return cmd;
}

export interface OutputFlagOptions {
  /** `get` commands default to table; create commands default to "" (submit). */
  defaultTable: boolean;
  labels: boolean;
}

export function addOutputFlags(cmd: Command, options: OutputFlagOptions): Command {
  const desc =
    "Output display format. For create commands, display the object but do not send it to the server. Valid formats are 'table', 'json', and 'yaml'. 'table' is not valid for the install command.";
  const opt = new Option("-o, --output <format>", desc);
  if (options.defaultTable) opt.default("table");
  cmd.addOption(opt);
  if (options.labels) {
    cmd.addOption(
      new Option(
        "-L, --label-columns <labels>",
        "Accepts a comma separated list of labels that are going to be presented as columns. Names are case-sensitive. You can also use multiple flag options like -L label1 -L label2...",
      ).argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]),
    );
    addBoolFlag(cmd, "--show-labels", "Show labels in the last column");
  }
  return cmd;
}

/** Velero's output.ValidateFlags. `install` rejects 'table'. */
export function validateOutputFormat(format: unknown, commandName: string): OutputFormat | undefined {
  if (format === undefined || format === "") return undefined;
  if (format === "json" || format === "yaml") return format;
  if (format === "table") {
    if (commandName === "install") throw new UsageError("'table' format is not supported with 'install' command; use -o yaml or -o json");
    return "table";
  }
  throw new UsageError(`invalid output format "${String(format)}" - valid values are 'table', 'json', and 'yaml'`);
}

/** The full command path, e.g. "velero backup create". */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}
