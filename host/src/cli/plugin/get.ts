/** velero plugin get: the server's plugin list via a ServerStatusRequest. */
import { Command } from "commander";
import { actionFor, addValueFlag, validateOutputFormat, type Verb } from "../command-kit.js";
import type { Factory } from "../factory.js";
import { parseDurationFlag } from "../flags/duration.js";
import { encodeObject } from "../output/encode.js";
import { pluginTable } from "../output/printers.js";
import { renderTable } from "../output/table.js";
import { getServerStatus } from "../server-status.js";

class GetPlugins implements Verb {
  readonly #f: Factory;
  timeoutNs = 5e9;
  output: "table" | "json" | "yaml" = "table";
  constructor(f: Factory) {
    this.#f = f;
  }
  complete(_args: string[], flags: { timeout?: number; output?: string }): void {
    this.timeoutNs = flags.timeout ?? 5e9;
    this.output = validateOutputFormat(flags.output ?? "table", "get") ?? "table";
  }
  validate(): void {}
  async run(): Promise<void> {
    const f = this.#f;
    let status;
    try {
      status = await getServerStatus(f, this.timeoutNs / 1e6);
    } catch (err) {
      f.out(`<error getting plugin information: ${(err as Error).message}>\n`);
      return;
    }
    if (this.output === "table") f.out(renderTable(pluginTable(status.status?.plugins ?? [])));
    else f.out(encodeObject(status, this.output));
  }
}

export function newPluginGetCommand(f: Factory, use: string): Command {
  const cmd = new Command(use).description("Get information for all plugins on the velero server");
  addValueFlag(cmd, "--timeout <duration>", "Maximum time to wait for plugin information to be reported. Default is 5 seconds.", (v) => parseDurationFlag("--timeout", v));
  cmd.option("-o, --output <format>", "Output display format. Valid formats are 'table', 'json', and 'yaml'.", "table");
  return cmd.action(actionFor(f, () => new GetPlugins(f)));
}
