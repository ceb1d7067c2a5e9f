/** velero version [--client-only] [--timeout 5s] */
import { Command } from "commander";
import { actionFor, addBoolFlag, addValueFlag, type Verb } from "./command-kit.js";
import type { Factory } from "./factory.js";
import { parseDurationFlag } from "./flags/duration.js";
import { getServerStatus } from "./server-status.js";

function majorMinor(version: string | undefined): string {
  const m = /^v?(\d+)\.(\d+)/.exec(version ?? "");
  return m ? `${m[1]}.${m[2]}` : "";
}

class Version implements Verb {
  readonly #f: Factory;
  clientOnly = false;
  timeoutNs = 5e9;
  constructor(f: Factory) {
    this.#f = f;
  }
  complete(_args: string[], flags: { clientOnly?: boolean; timeout?: number }): void {
    this.clientOnly = flags.clientOnly === true;
    this.timeoutNs = flags.timeout ?? 5e9;
  }
  validate(): void {}
  async run(): Promise<void> {
    const f = this.#f;
    const v = f.deps.version;
    f.out(`Client:\n\tVersion: ${v.version}\n\tGit commit: ${v.gitCommit}\n`);
    if (this.clientOnly) return;
    try {
      const status = await getServerStatus(f, this.timeoutNs / 1e6);
      const serverVersion = status.status?.serverVersion ?? "";
      f.out(`Server:\n\tVersion: ${serverVersion}\n`);
      const server = majorMinor(serverVersion);
      const client = majorMinor(v.version);
      if (server !== client) {
        const upgrade = client.localeCompare(server, undefined, { numeric: true }) > 0 ? "server" : "client";
        f.out(`# WARNING: the client version does not match the server version. Please update ${upgrade}\n`);
      }
    } catch (err) {
      f.out(`<error getting server version: ${(err as Error).message}>\n`);
    }
  }
}

export function newVersionCommand(f: Factory): Command {
  const cmd = new Command("version").description("Print the velero version and associated image");
  addValueFlag(cmd, "--timeout <duration>", "Maximum time to wait for server version to be reported. Default is 5 seconds.", (v) => parseDurationFlag("--timeout", v));
  addBoolFlag(cmd, "--client-only", "Only get velero client version, not server version");
  return cmd.action(actionFor(f, () => new Version(f)));
}
