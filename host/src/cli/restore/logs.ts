/** velero restore logs RESTORE */
import type { Command } from "commander";
import type { Factory } from "../factory.js";
import { newLogsCommand } from "../logs-kit.js";
import { GVR } from "../resources.js";

export function newRestoreLogsCommand(f: Factory): Command {
  return newLogsCommand(f, {
    gvr: GVR.restores,
    target: "RestoreLog",
    description: "Get restore logs",
    argName: "<RESTORE>",
    argDescription: "restore name",
    cacertDescription:
      "Path to a certificate bundle to use when verifying TLS connections. If not specified, the CA certificate from the BackupStorageLocation will be used if available.",
    notFound: (name, ns) => `Restore "${name}" does not exist in namespace "${ns}"; run 'velero restore get' to list restores`,
    notReady: (name) =>
      `Logs for restore "${name}" are not available until it's finished processing. Please wait until the restore has a phase of Completed or Failed and try again.`,
    noLogStored: (name) => `no log was stored for restore "${name}" in its backup storage location`,
  });
}
