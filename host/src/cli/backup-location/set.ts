/** velero backup-location set NAME [--default] [--credential secret=key] [--cacert file] */
import { Command } from "commander";
import type { BackupStorageLocation } from "@velero-ts/plugin-sdk";
import { UsageError } from "../../shared/errors.js";
import { actionFor, addBoolFlag, addValueFlag, argsVerb, type Verb } from "../command-kit.js";
import type { Factory } from "../factory.js";
import { parseMapFlag } from "../flags/values.js";
import { listNamespaced, mustGet } from "../lookups.js";
import { GVR } from "../resources.js";
import { readCaCert } from "./create.js";

interface Flags {
  default?: boolean;
  credential?: Record<string, string>;
  cacert?: string;
}

/** Updates the location's default flag, CA bundle and credential. */
function setBsl(f: Factory): Verb {
  return argsVerb<Flags>({
    validate: (_args, flags) => {
      if (Object.keys(flags.credential ?? {}).length > 1) throw new UsageError("--credential can only contain 1 key/value pair");
    },
    run: async (args, flags) => {
      const name = args[0] ?? "";
      const caCert = readCaCert(f, flags.cacert);
      const location = await mustGet<BackupStorageLocation>(f, GVR.backupStorageLocations, name);
      if (flags.default === true) {
        const defaults = (await listNamespaced<BackupStorageLocation>(f, GVR.backupStorageLocations)).filter((l) => l.spec.default);
        if (defaults.length === 1 && defaults[0]?.metadata.name === name) {
          f.out(`Backup storage location "${name}" is already the default backup storage location.\n`);
          return;
        }
        if (defaults.length > 0) {
          throw new UsageError(
            `there is already a default backup storage location ("${defaults.map((d) => d.metadata.name).join('", "')}"); unset it first with 'velero backup-location set <name> --default=false'`,
          );
        }
      }
      const spec: Record<string, unknown> = {};
      if (flags.default !== undefined) spec.default = flags.default;
      if (caCert) spec.objectStorage = { caCert: caCert.toString("base64") };
      const cred = Object.entries(flags.credential ?? {})[0];
      if (cred) spec.credential = { name: cred[0], key: cred[1] };
      const kube = await f.kube();
      await kube.patch(GVR.backupStorageLocations, location.metadata.name ?? name, f.namespace(), { spec });
      f.out(`Backup storage location "${name}" configured successfully.\n`);
    },
  });
}

export function newBslSetCommand(f: Factory, use: string): Command {
  const cmd = new Command(use).description("Set specific features for a backup storage location").argument("<NAME>", "location name");
  cmd.option("--cacert <file>", "File containing a certificate bundle to use when verifying TLS connections to the object store. Optional.");
  addValueFlag(cmd, "--credential <secret=key>", "Sets the credential to be used by this location as a key-value pair, where the key is the Kubernetes Secret name, and the value is the data key name within the Secret. Optional, one value only.", (v, prev: Record<string, string> | undefined) => parseMapFlag("--credential", v, prev));
  addBoolFlag(cmd, "--default", "Sets this new location to be the new default backup storage location. Optional.");
  return cmd.action(actionFor(f, () => setBsl(f)));
}
