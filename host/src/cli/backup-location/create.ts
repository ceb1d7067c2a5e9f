/** velero backup-location create NAME --provider P --bucket B [flags] */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { Command } from "commander";
import type { BackupStorageLocation } from "@velero-ts/plugin-sdk";
import { UsageError } from "../../shared/errors.js";
import { actionFor, addBoolFlag, addOutputFlags, addValueFlag, validateOutputFormat, type Verb } from "../command-kit.js";
import { EXIT_CODES } from "../exit-codes.js";
import type { Factory } from "../factory.js";
import { formatGoDuration, parseDurationFlag } from "../flags/duration.js";
import { parseEnum, parseMapFlag } from "../flags/values.js";
import { listNamespaced } from "../lookups.js";
import { encodeNewObject, type OutputFormat } from "../output/encode.js";
import { backupStorageLocationTable } from "../output/printers.js";
import { renderTable, tableOptions } from "../output/table.js";
import { GVR, VELERO_API_VERSION } from "../resources.js";

export interface BslCreateOptions {
  name: string;
  provider?: string;
  bucket?: string;
  prefix?: string;
  credential?: Record<string, string>;
  default?: boolean;
  backupSyncPeriod?: number;
  validationFrequency?: number;
  config?: Record<string, string>;
  labels?: Record<string, string>;
  cacert?: string;
  accessMode?: string;
  output?: OutputFormat;
}

/** Pure: the BackupStorageLocation to create. `caCert` is the PEM bundle (base64-encoded into the object). */
export function buildBackupStorageLocation(namespace: string, o: BslCreateOptions, caCert?: Buffer): BackupStorageLocation {
  const metadata: BackupStorageLocation["metadata"] = { namespace, name: o.name };
  if (o.labels && Object.keys(o.labels).length) metadata.labels = o.labels;
  const spec: BackupStorageLocation["spec"] = {
    provider: o.provider ?? "",
    objectStorage: { bucket: o.bucket ?? "", ...(o.prefix ? { prefix: o.prefix } : {}), ...(caCert ? { caCert: caCert.toString("base64") } : {}) },
    ...(o.config && Object.keys(o.config).length ? { config: o.config } : {}),
    ...(o.default === true ? { default: true } : {}),
    accessMode: (o.accessMode ?? "ReadWrite") as "ReadWrite" | "ReadOnly",
  };
  if (o.backupSyncPeriod !== undefined) spec.backupSyncPeriod = formatGoDuration(o.backupSyncPeriod);
  if (o.validationFrequency !== undefined) spec.validationFrequency = formatGoDuration(o.validationFrequency);
  const cred = Object.entries(o.credential ?? {})[0];
  if (cred) spec.credential = { name: cred[0], key: cred[1] };
  return { apiVersion: VELERO_API_VERSION, kind: "BackupStorageLocation", metadata, spec };
}

export function readCaCert(f: Factory, file: string | undefined): Buffer | undefined {
  if (!file) return undefined;
  try {
    return readFileSync(resolve(f.deps.cwd, file));
  } catch (err) {
    throw new UsageError(`cannot read --cacert file "${file}": ${(err as Error).message}`);
  }
}

class CreateBsl implements Verb {
  readonly #f: Factory;
  o: BslCreateOptions = { name: "" };
  constructor(f: Factory) {
    this.#f = f;
  }
  complete(args: string[], flags: Record<string, unknown>): void {
    this.o = { ...(flags as Partial<BslCreateOptions>), name: args[0] ?? "" };
    this.o.output = validateOutputFormat(flags.output, "create");
  }
  validate(): void {
    const o = this.o;
    if (!o.provider) throw new UsageError("--provider is required (for example --provider aws)");
    if (!o.bucket) throw new UsageError("--bucket is required");
    if ((o.backupSyncPeriod ?? 0) < 0) throw new UsageError("--backup-sync-period must be non-negative");
    if (Object.keys(o.credential ?? {}).length > 1) throw new UsageError("--credential can only contain 1 key/value pair");
  }
  async run(): Promise<number> {
    const f = this.#f;
    const bsl = buildBackupStorageLocation(f.namespace(), this.o, readCaCert(f, this.o.cacert));
    if (this.o.output === "table") {
      f.out(renderTable(backupStorageLocationTable([bsl]), tableOptions(this.o)));
      return EXIT_CODES.ok;
    }
    if (this.o.output) {
      f.out(encodeNewObject(bsl, this.o.output));
      return EXIT_CODES.ok;
    }
    if (this.o.default) {
      const defaults = (await listNamespaced<BackupStorageLocation>(f, GVR.backupStorageLocations)).filter((l) => l.spec.default);
      if (defaults.length > 0) {
        throw new UsageError(
          `there is already a default backup storage location ("${defaults[0]?.metadata.name}"); unset it first with 'velero backup-location set ${defaults[0]?.metadata.name} --default=false' or do not pass --default`,
        );
      }
    }
    const kube = await f.kube();
    await kube.create(GVR.backupStorageLocations, bsl as never);
    f.out(`Backup storage location "${this.o.name}" configured successfully.\n`);
    return EXIT_CODES.ok;
  }
}

const mapFlag = (flag: string) => (v: string, prev: Record<string, string> | undefined) => parseMapFlag(flag, v, prev);

export function newBslCreateCommand(f: Factory, use: string): Command {
  const cmd = new Command(use).description("Create a backup storage location").argument("<NAME>", "location name");
  cmd.option("--provider <provider>", "Name of the backup storage provider (e.g. aws, azure, gcp).");
  cmd.option("--bucket <bucket>", "Name of the object storage bucket where backups should be stored.");
  addValueFlag(cmd, "--credential <secret=key>", "The credential to be used by this location as a key-value pair, where the key is the Kubernetes Secret name, and the value is the data key name within the Secret. Optional, one value only.", mapFlag("--credential"));
  addBoolFlag(cmd, "--default", "Sets this new location to be the new default backup storage location. Optional.");
  cmd.option("--prefix <prefix>", "Prefix under which all Velero data should be stored within the bucket. Optional.");
  addValueFlag(cmd, "--backup-sync-period <duration>", "How often to ensure all Velero backups in object storage exist as Backup API objects in the cluster. Optional. Set this to `0s` to disable sync. Default: 1 minute.", (v) => parseDurationFlag("--backup-sync-period", v));
  addValueFlag(cmd, "--validation-frequency <duration>", "How often to verify if the backup storage location is valid. Optional. Set this to `0s` to disable sync. Default 1 minute.", (v) => parseDurationFlag("--validation-frequency", v));
  addValueFlag(cmd, "--config <key=value,...>", "Configuration key-value pairs.", mapFlag("--config"));
  addValueFlag(cmd, "--labels <key=value,...>", "Labels to apply to the backup storage location.", mapFlag("--labels"));
  cmd.option("--cacert <file>", "File containing a certificate bundle to use when verifying TLS connections to the object store. Optional.");
  addValueFlag(cmd, "--access-mode <mode>", "Access mode for the backup storage location. Valid values are ReadWrite,ReadOnly", (v) => parseEnum("--access-mode", v, ["ReadWrite", "ReadOnly"]), "ReadWrite");
  addOutputFlags(cmd, { defaultTable: false, labels: true });
  return cmd.action(actionFor(f, () => new CreateBsl(f)));
}
