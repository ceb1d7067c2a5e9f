/** velero backup describe [NAMES] [--details] */
import { Command } from "commander";
import type { Backup, DeleteBackupRequest } from "@velero-ts/plugin-sdk";
import { UsageError } from "../../shared/errors.js";
import { actionFor, addBoolFlag, type Verb } from "../command-kit.js";
import type { Factory } from "../factory.js";
import { fetchObjects } from "../get-kit.js";
import { listNamespaced } from "../lookups.js";
import { describeBackup } from "../output/describe-backup.js";
import type { PodVolumeOp } from "../output/describe-common.js";
import { GVR } from "../resources.js";
import { downloadSideFiles } from "../side-files.js";
import { validLabelValue } from "../names.js";

interface Flags {
  selector?: string;
  details?: boolean;
  output?: string;
  insecureSkipTlsVerify?: boolean;
  cacert?: string;
}

class DescribeBackups implements Verb {
  readonly #f: Factory;
  names: string[] = [];
  flags: Flags = {};
  constructor(f: Factory) {
    this.#f = f;
  }
  complete(args: string[], flags: Flags): void {
    this.names = args;
    this.flags = flags;
  }
  validate(): void {
    const o = this.flags.output ?? "plaintext";
    if (o !== "plaintext" && o !== "json") throw new UsageError(`invalid output format '${o}'. valid value are 'plaintext, json'`);
  }
  async run(): Promise<void> {
    const f = this.#f;
    const backups = await fetchObjects<Backup>(f, GVR.backups, this.names, this.flags.selector);
    const files = downloadSideFiles(f);
    let first = true;
    for (const backup of backups) {
      const name = backup.metadata.name ?? "";
      const deleteRequests = await listNamespaced<DeleteBackupRequest>(
        f,
        GVR.deleteBackupRequests,
        `velero.io/backup-name=${validLabelValue(name)},velero.io/backup-uid=${backup.metadata.uid ?? ""}`,
      ).catch(() => []);
      const pvbs = await listNamespaced<PodVolumeOp>(f, GVR.podVolumeBackups, `velero.io/backup-name=${validLabelValue(name)}`).catch(() => []);
      if (backups.length === 1 && this.flags.output === "json") {
        f.out(JSON.stringify({ metadata: backup.metadata, spec: backup.spec, status: backup.status ?? {}, deleteBackupRequests: deleteRequests, podVolumeBackups: pvbs }, null, 4) + "\n");
        continue;
      }
      const text = await describeBackup({ backup, deleteRequests, podVolumeBackups: pvbs, details: this.flags.details === true, files });
      f.out(first ? text : `\n\n${text}`);
      first = false;
    }
  }
}

export function newBackupDescribeCommand(f: Factory, use: string): Command {
  const cmd = new Command(use).description("Describe backups").argument("[NAMES...]", "backup names");
  cmd.option("-l, --selector <selector>", "Only show items matching this label selector.");
  addBoolFlag(cmd, "--details", "Display additional detail in the command output.");
  addBoolFlag(cmd, "--insecure-skip-tls-verify", "If true, the object store's TLS certificate will not be checked for validity. This is insecure and susceptible to man-in-the-middle attacks. Not recommended for production.");
  cmd.option("--cacert <file>", "Path to a certificate bundle to use when verifying TLS connections. If not specified, the CA certificate from the BackupStorageLocation will be used if available.");
  cmd.option("-o, --output <format>", "Output display format. Valid formats are 'plaintext, json'. 'json' only applies to a single backup", "plaintext");
  return cmd.action(actionFor(f, () => new DescribeBackups(f)));
}
