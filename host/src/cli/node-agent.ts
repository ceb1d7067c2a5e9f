/**
 * velero node-agent server: what the node-agent DaemonSet `velero install --use-node-agent` (or
 * `--use-restic`) writes runs in every pod. velero-ts has no node agent (no file-system backup or
 * data movement), so the command takes Velero's node-agent flags, says once what it does not do,
 * and waits to be stopped: the DaemonSet's pods stay healthy instead of crash-looping on an
 * unknown command, and `velero install --wait` finishes.
 */
import { Command } from "commander";
import { actionFor, addValueFlag, type Verb } from "./command-kit.js";
import type { Factory } from "./factory.js";
import { parseDurationFlag } from "./flags/duration.js";
import { parseLogFlags } from "./flags/values.js";

export interface NodeAgentOptions {
  logLevel: string;
  logFormat: "text" | "json";
}

/** Runs until SIGTERM or SIGINT (default-deps.ts); tests record the options instead. */
export type RunNodeAgent = (options: NodeAgentOptions) => Promise<void>;

/** The one line the node agent logs, as Velero's text or JSON log line. */
export function nodeAgentNotice(format: "text" | "json", now: Date): string {
  const msg =
    "velero-ts has no node agent: file-system backup (kopia/restic) and data movement are not implemented; " +
    "this process only keeps the node-agent DaemonSet running (pod volumes chosen for file-system backup fail their pods' items)";
  const time = now.toISOString().replace(/\.\d{3}Z$/, "Z");
  return format === "json" ? `${JSON.stringify({ level: "warning", msg, time })}\n` : `time="${time}" level=warning msg="${msg}"\n`;
}

class NodeAgentServer implements Verb {
  readonly #run: RunNodeAgent;
  options: NodeAgentOptions = { logLevel: "info", logFormat: "text" };
  constructor(run: RunNodeAgent) {
    this.#run = run;
  }
  complete(_args: string[], flags: { logLevel?: string; logFormat?: string }): void {
    this.options = parseLogFlags(flags.logLevel ?? "info", flags.logFormat ?? "text");
  }
  validate(): void {}
  async run(): Promise<void> {
    await this.#run(this.options);
  }
}

export function newNodeAgentCommand(f: Factory, run: RunNodeAgent): Command {
  const group = new Command("node-agent").description("Work with node-agent").summary("Work with node-agent");
  const cmd = new Command("server").description("Run the velero node-agent server (velero-ts: it has no node agent; the command keeps the node-agent DaemonSet running)");
  cmd.option("--log-level <level>", "The level at which to log. Valid values are panic, fatal, error, warning, info, debug, trace.", "info");
  cmd.option("--log-format <format>", "The format for log output. Valid values are text, json.", "text");
  const duration = (flag: string) => (v: string) => parseDurationFlag(flag, v);
  addValueFlag(cmd, "--resource-timeout <duration>", "How long to wait for resource processes which are not covered by other specific timeout parameters. Default is 10 minutes.", duration("--resource-timeout"));
  addValueFlag(cmd, "--data-mover-prepare-timeout <duration>", "How long to wait for preparing a DataUpload/DataDownload. Default is 30 minutes.", duration("--data-mover-prepare-timeout"));
  cmd.option("--metrics-address <address>", "The address to expose prometheus metrics");
  cmd.option("--node-agent-configmap <name>", "The name of ConfigMap containing node-agent configurations.");
  cmd.option("--backup-repository-configmap <name>", "The name of ConfigMap containing backup repository configurations.");
  cmd.action(actionFor(f, () => new NodeAgentServer(run)));
  group.addCommand(cmd, { hidden: true });
  return group;
}
