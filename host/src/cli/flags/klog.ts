/**
 * klog's flags, which Velero's binary takes as global flags of every command (`-v 2`,
 * `--logtostderr=false`...): accepted, their values checked as Go's flag package would, and not
 * acted on (velero-ts logs through its own logger).
 */
import { Option, type Command } from "commander";
import { checkGoFlagValue } from "./values.js";

const KLOG_FLAGS: Readonly<Record<string, "bool" | "int" | "uint" | "string">> = {
  add_dir_header: "bool",
  alsologtostderr: "bool",
  log_backtrace_at: "string",
  log_dir: "string",
  log_file: "string",
  log_file_max_size: "uint",
  logtostderr: "bool",
  one_output: "bool",
  skip_headers: "bool",
  skip_log_headers: "bool",
  stderrthreshold: "string",
  v: "int",
  vmodule: "string",
};

/** Adds klog's flags to the root command, hidden from help. */
export function addKlogFlags(program: Command): void {
  for (const [name, kind] of Object.entries(KLOG_FLAGS)) {
    if (kind === "bool") {
      program.addOption(new Option(`--${name}`).hideHelp());
      program.addOption(new Option(`--no-${name}`).hideHelp());
      continue;
    }
    // klog's -v is also taken with one dash, as Go's flag package takes every flag
    const flags = name === "v" ? "-v, --v <level>" : `--${name} <value>`;
    program.addOption(
      new Option(flags).hideHelp().argParser((value: string) => checkGoFlagValue(`--${name}`, kind, value)),
    );
  }
}
