/** velero backup logs BACKUP: streams the gunzipped backup log from object storage. */
import { Command } from "commander";
import type { Backup } from "@velero-ts/plugin-sdk";
import { UsageError } from "../../shared/errors.js";
import { actionFor, addBoolFlag, addValueFlag, type Verb } from "../command-kit.js";
import { download, DownloadNotFoundError } from "../download-request.js";
import type { Factory } from "../factory.js";
import { parseDurationFlag } from "../flags/duration.js";
import { GVR } from "../resources.js";

const LOGS_READY = ["Completed", "PartiallyFailed", "Failed", "WaitingForPluginOperations", "WaitingForPluginOperationsPartiallyFailed"];

class BackupLogs implements Verb {
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
    const backup = (await kube.get(GVR.backups, this.name, f.namespace())) as Backup | undefined;
    if (!backup) throw new UsageError(`backup "${this.name}" does not exist in namespace "${f.namespace()}"; run 'velero backup get' to list backups`);
    if (!LOGS_READY.includes(backup.status?.phase ?? "")) {
      throw new UsageError(
        `logs for backup "${this.name}" are not available until it's finished processing, please wait until the backup has a phase of Completed or Failed and try again`,
      );
    }
    try {
      f.out((await download(f, "BackupLog", this.name, this.timeoutNs / 1e6)).toString("utf8"));
    } catch (err) {
      if (err instanceof DownloadNotFoundError) throw new Error(`no log was stored for backup "${this.name}" in its backup storage location`);
      throw err;
    }
  }
}

export function newBackupLogsCommand(f: Factory): Command {
  const cmd = new Command("logs").description("Get backup logs").argument("<BACKUP>", "backup name");
  addValueFlag(cmd, "--timeout <duration>", "How long to wait to receive logs.", (v) => parseDurationFlag("--timeout", v));
  addBoolFlag(cmd, "--insecure-skip-tls-verify", "If true, the object store's TLS certificate will not be checked for validity. This is insecure and susceptible to man-in-the-middle attacks. Not recommended for production.");
  cmd.option("--cacert <file>", "Path to a certificate bundle to use when verifying TLS connections.");
  return cmd.action(actionFor(f, () => new BackupLogs(f)));
}
