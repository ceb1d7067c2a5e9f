/** velero backup logs BACKUP: streams the gunzipped backup log from object storage. */
import type { Command } from "commander";
import type { Factory } from "../factory.js";
import { newLogsCommand } from "../logs-kit.js";
import { GVR } from "../resources.js";

export function newBackupLogsCommand(f: Factory): Command {
  return newLogsCommand(f, {
    gvr: GVR.backups,
    target: "BackupLog",
    description: "Get backup logs",
    argName: "<BACKUP>",
    argDescription: "backup name",
    cacertDescription: "Path to a certificate bundle to use when verifying TLS connections.",
    notFound: (name, ns) => `backup "${name}" does not exist in namespace "${ns}"; run 'velero backup get' to list backups`,
    notReady: (name) =>
      `logs for backup "${name}" are not available until it's finished processing, please wait until the backup has a phase of Completed or Failed and try again`,
    noLogStored: (name) => `no log was stored for backup "${name}" in its backup storage location`,
  });
}
