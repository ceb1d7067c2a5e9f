/** velero backup download NAME: saves the backup tarball (<name>-data.tar.gz). */
import { Command } from "commander";
import { createWriteStream, existsSync, rmSync } from "node:fs";
import { pipeline } from "node:stream/promises";
import { resolve } from "node:path";
import { UsageError } from "../../shared/errors.js";
import { actionFor, addBoolFlag, addValueFlag, argsVerb, type Verb } from "../command-kit.js";
import { downloadStream } from "../download-request.js";
import type { Factory } from "../factory.js";
import { parseDurationFlag } from "../flags/duration.js";
import { mustGet } from "../lookups.js";
import { GVR } from "../resources.js";

interface Flags {
  output?: string;
  force?: boolean;
  timeout?: number;
  cacert?: string;
  insecureSkipTlsVerify?: boolean;
}

/** Where the tarball goes: -o, or <NAME>-data.tar.gz in the working directory. */
function outputPath(f: Factory, name: string, flags: Flags): string {
  return resolve(f.deps.cwd, flags.output ?? `${name}-data.tar.gz`);
}

function downloadBackup(f: Factory): Verb {
  return argsVerb<Flags>({
    validate: (args, flags) => {
      const path = outputPath(f, args[0] ?? "", flags);
      if (!flags.force && existsSync(path)) {
        throw new UsageError(`file ${path} already exists; pass --force to overwrite it or -o to choose another path`);
      }
    },
    run: async (args, flags) => {
      const name = args[0] ?? "";
      const path = outputPath(f, name, flags);
      f.downloadFlags = { cacert: flags.cacert, insecureSkipTlsVerify: flags.insecureSkipTlsVerify };
      await mustGet(f, GVR.backups, name);
      const body = await downloadStream(f, "BackupContents", name, (flags.timeout ?? 60e9) / 1e6);
      // written as it arrives (a tarball can be hundreds of MiB); a partial file is removed, as Velero does
      try {
        await pipeline(body, createWriteStream(path, { mode: 0o600 }));
      } catch (err) {
        rmSync(path, { force: true });
        throw err;
      }
      // the path as given (or the default <NAME>-data.tar.gz), as Velero prints its file's name
      f.out(`Backup ${name} has been successfully downloaded to ${flags.output ?? `${name}-data.tar.gz`}\n`);
    },
  });
}

export function newBackupDownloadCommand(f: Factory): Command {
  const cmd = new Command("download")
    .summary("Download all Kubernetes manifests for a backup")
    .description("Download all Kubernetes manifests for a backup. Contents of persistent volume snapshots are not included.")
    .argument("<NAME>", "backup name");
  cmd.option("-o, --output <file>", "Path to output file. Defaults to <NAME>-data.tar.gz in the current directory.");
  addBoolFlag(cmd, "--force", "Forces the download and will overwrite file if it exists already.");
  addValueFlag(cmd, "--timeout <duration>", "Maximum time to wait to process download request.", (v) => parseDurationFlag("--timeout", v));
  addBoolFlag(cmd, "--insecure-skip-tls-verify", "If true, the object store's TLS certificate will not be checked for validity. This is insecure and susceptible to man-in-the-middle attacks. Not recommended for production.");
  cmd.option("--cacert <file>", "Path to a certificate bundle to use when verifying TLS connections. If not specified, the CA certificate from the BackupStorageLocation will be used if available.");
  return cmd.action(actionFor(f, () => downloadBackup(f)));
}
