/**
 * The one place that turns an error into a one-line message and an exit code:
 * 0 help/version, 1 failure, 2 usage or validation. Stacks are printed only with --debug.
 */
import { CommanderError } from "commander";
import { isVeleroError } from "@velero-ts/plugin-sdk";
import type { OutputStream } from "./deps.js";
import { EXIT_CODES } from "./exit-codes.js";
import { httpStatus, isUnreachable } from "./kube-errors.js";
import { API_SERVER_UNREACHABLE } from "../shared/errors.js";

/** A commander parse error, tagged with the command it happened in. */
export class CommandLineError extends Error {
  readonly commander: CommanderError;
  readonly commandPath: string;
  constructor(commander: CommanderError, commandPath: string) {
    super(commander.message, { cause: commander });
    this.name = "CommandLineError";
    this.commander = commander;
    this.commandPath = commandPath;
  }
}

const USAGE_CODES = new Set([
  "VELERO_USAGE",
  "VELERO_VALIDATION",
]);

function commanderMessage(err: CommandLineError): { message: string; code: number } {
  const c = err.commander;
  if (c.code === "commander.helpDisplayed" || c.code === "commander.help" || c.code === "commander.version") {
    return { message: "", code: EXIT_CODES.ok };
  }
  const text = c.message.replace(/^error: /, "").replace(/\n/g, " ").trim();
  const hint = `see '${err.commandPath} --help'`;
  if (c.code === "commander.excessArguments") {
    // cobra's words (MaximumNArgs for the create commands whose name is optional, ExactArgs
    // otherwise), and the two usual causes: a list given with spaces, a boolean flag given its value apart
    const m = /Expected (\d+) arguments? but got (\d+)/.exec(c.message);
    const optional = /(?:^| )(?:backup create|restore create|create backup|create restore)$/.test(err.commandPath);
    const counts = m ? `accepts ${optional ? "at most " : ""}${m[1]} arg(s), received ${m[2]}` : text;
    return {
      message: `${counts} for '${err.commandPath}' (a list flag takes one comma-separated value, e.g. --include-namespaces a,b; a true/false flag takes its value after '=', e.g. --snapshot-volumes=false); ${hint}`,
      code: EXIT_CODES.usage,
    };
  }
  if (c.code === "commander.unknownCommand") {
    return { message: `${text}; run '${err.commandPath} --help' for the list of commands`, code: EXIT_CODES.usage };
  }
  return { message: `${text.replace(/ option /, " flag ")} for '${err.commandPath}'; ${hint}`, code: EXIT_CODES.usage };
}

function clusterMessage(err: unknown, message: string): string | undefined {
  if (isUnreachable(err)) {
    // (velero server's own error already says it, with the hint)
    if (message.startsWith(API_SERVER_UNREACHABLE)) return message;
    return `${API_SERVER_UNREACHABLE} (${message}); check --kubeconfig/--kubecontext or $KUBECONFIG and that the cluster is running`;
  }
  const status = httpStatus(err);
  if (status === 401 || status === 403) {
    return `the Kubernetes API server refused the request (${message}); check the credentials and RBAC of the kubeconfig user`;
  }
  return undefined;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export interface HandleErrorOptions {
  debug?: boolean;
}

/** Prints the error to stderr and returns the process exit code. */
export function handleError(err: unknown, stderr: OutputStream, options: HandleErrorOptions = {}): number {
  if (err instanceof CommandLineError) {
    const { message, code } = commanderMessage(err);
    if (message) stderr.write(`An error occurred: ${message}\n`);
    return code;
  }
  const message = messageOf(err);
  const code = isVeleroError(err) && USAGE_CODES.has(err.code) ? EXIT_CODES.usage : EXIT_CODES.failure;
  stderr.write(`An error occurred: ${clusterMessage(err, message) ?? message}\n`);
  if (options.debug && err instanceof Error && err.stack) stderr.write(`${err.stack}\n`);
  return code;
}
