/** velero backup describe [NAMES] [--details] */
import type { Command } from "commander";
import type { Backup, DeleteBackupRequest } from "@velero-ts/plugin-sdk";
import { UsageError } from "../../shared/errors.js";
import { newDescribeCommand, type DescribeFlags } from "../describe-kit.js";
import type { Factory } from "../factory.js";
import { listNamespaced } from "../lookups.js";
import { describeBackup } from "../output/describe-backup.js";
import { describeBackupStructured } from "../output/describe-backup-structured.js";
import type { PodVolumeOp } from "../output/describe-common.js";
import { GVR } from "../resources.js";
import { validLabelValue } from "../names.js";

interface Flags extends DescribeFlags {
  output?: string;
}

export function newBackupDescribeCommand(f: Factory, use: string): Command {
  return newDescribeCommand<Backup, Flags>(f, use, {
    gvr: GVR.backups,
    description: "Describe backups",
    argDescription: "backup names",
    cacertDescription:
      "Path to a certificate bundle to use when verifying TLS connections. If not specified, the CA certificate from the BackupStorageLocation will be used if available.",
    addFlags: (cmd) => cmd.option("-o, --output <format>", "Output display format. Valid formats are 'plaintext, json'. 'json' only applies to a single backup", "plaintext"),
    validate: (flags) => {
      const o = flags.output ?? "plaintext";
      if (o !== "plaintext" && o !== "json") throw new UsageError(`invalid output format '${o}'. valid value are 'plaintext, json'`);
    },
    describe: async (backup, { flags, count, files }) => {
      const name = backup.metadata.name ?? "";
      const deleteRequests = await listNamespaced<DeleteBackupRequest>(
        f,
        GVR.deleteBackupRequests,
        `velero.io/backup-name=${validLabelValue(name)},velero.io/backup-uid=${backup.metadata.uid ?? ""}`,
      ).catch(() => []);
      const pvbs = await listNamespaced<PodVolumeOp>(f, GVR.podVolumeBackups, `velero.io/backup-name=${validLabelValue(name)}`).catch(() => []);
      if (count === 1 && flags.output === "json") {
        // Velero's structured describer, not the object (`-o json` of `backup get` prints that)
        f.out(await describeBackupStructured({ backup, deleteRequests, podVolumeBackups: pvbs, details: flags.details === true, files }));
        return undefined;
      }
      return describeBackup({ backup, deleteRequests, podVolumeBackups: pvbs, details: flags.details === true, files, colors: f.colors() });
    },
  });
}
