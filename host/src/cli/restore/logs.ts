/** velero restore logs RESTORE */
import { Command } from "commander";
import type { Restore } from "@velero-ts/plugin-sdk";
import { UsageError } from "../../shared/errors.js";
import { actionFor, addBoolFlag, addValueFlag, type Verb } from "../command-kit.js";
import { download, DownloadNotFoundError } from "../download-request.js";
import type { Factory } from "../factory.js";
import { parseDurationFlag } from "../flags/duration.js";
import { GVR } from "../resources.js";

const LOGS_READY = ["Completed", "Failed", "PartiallyFailed", "WaitingForPluginOperations", "WaitingForPluginOperationsPartiallyFailed"];

class RestoreLogs implements Verb {
  readonly #f: Factory;
  name = "";
  timeoutNs = 60e9;
  constructor(f: Factory) {
    this.#f = f;
  }
  complete(args: string[], flags: { timeout?: number }): void {
    this.name = args[0] ?? "";
    this.timeoutNs = flags.timeout ?? 60e9;
  }
  validate(): void {}
  async run(): Promise<void> {
    const f = this.#f;
    const kube = await f.kube();
    const restore = (await kube.get(GVR.restores, this.name, f.namespace())) as Restore | undefined;
    if (!restore) throw new UsageError(`Restore "${this.name}" does not exist in namespace "${f.namespace()}"; run 'velero restore get' to list restores`);
    if (!LOGS_READY.includes(restore.status?.phase ?? "")) {
      throw new UsageError(
        `Logs for restore "${this.name}" are not available until it's finished processing. Please wait until the restore has a phase of Completed or Failed and try again.`,
      );
    }
    try {
      f.out((await download(f, "RestoreLog", this.name, this.timeoutNs / 1e6)).toString("utf8"));
    } catch (err) {
      if (err instanceof DownloadNotFoundError) throw new Error(`no log was stored for restore "${this.name}" in its backup storage location`);
      throw err;
    }
  }
}

export function newRestoreLogsCommand(f: Factory): Command {
  const cmd = new Command("logs").description("Get restore logs").argument("<RESTORE>", "restore name");
  addValueFlag(cmd, "--timeout <duration>", "How long to wait to receive logs.", (v) => parseDurationFlag("--timeout", v));
  addBoolFlag(cmd, "--insecure-skip-tls-verify", "If true, the object store's TLS certificate will not be checked for validity. This is insecure and susceptible to man-in-the-middle attacks. Not recommended for production.");
  cmd.option("--cacert <file>", "Path to a certificate bundle to use when verifying TLS connections. If not specified, the CA certificate from the BackupStorageLocation will be used if available.");
  return cmd.action(actionFor(f, () => new RestoreLogs(f)));
}
