/** velero snapshot-location create NAME --provider P [--config k=v] [--credential secret=key] */
import { Command } from "commander";
import type { VolumeSnapshotLocation } from "@velero-ts/plugin-sdk";
import { UsageError } from "../../shared/errors.js";
import { actionFor, addOutputFlags, addValueFlag, validateOutputFormat, type Verb } from "../command-kit.js";
import { EXIT_CODES } from "../exit-codes.js";
import type { Factory } from "../factory.js";
import { parseMapFlag } from "../flags/values.js";
import { encodeNewObject, type OutputFormat } from "../output/encode.js";
import { volumeSnapshotLocationTable } from "../output/printers.js";
import { renderTable, tableOptions } from "../output/table.js";
import { GVR, VELERO_API_VERSION } from "../resources.js";

export interface VslCreateOptions {
  name: string;
  provider?: string;
  config?: Record<string, string>;
  labels?: Record<string, string>;
  credential?: Record<string, string>;
  output?: OutputFormat;
}

export function buildVolumeSnapshotLocation(namespace: string, o: VslCreateOptions): VolumeSnapshotLocation {
  const metadata: VolumeSnapshotLocation["metadata"] = { namespace, name: o.name };
  if (o.labels && Object.keys(o.labels).length) metadata.labels = o.labels;
  const spec: VolumeSnapshotLocation["spec"] = { provider: o.provider ?? "" };
  if (o.config && Object.keys(o.config).length) spec.config = o.config;
  const cred = Object.entries(o.credential ?? {})[0];
  if (cred) spec.credential = { name: cred[0], key: cred[1] };
  return { apiVersion: VELERO_API_VERSION, kind: "VolumeSnapshotLocation", metadata, spec };
}

export const mapFlag = (flag: string) => (v: string, prev: Record<string, string> | undefined) => parseMapFlag(flag, v, prev);

class CreateVsl implements Verb {
  readonly #f: Factory;
  o: VslCreateOptions = { name: "" };
  constructor(f: Factory) {
    this.#f = f;
  }
  complete(args: string[], flags: Record<string, unknown>): void {
    this.o = { ...(flags as Partial<VslCreateOptions>), name: args[0] ?? "" };
    this.o.output = validateOutputFormat(flags.output, "create");
  }
  validate(): void {
    if (!this.o.provider) throw new UsageError("--provider is required (for example --provider aws)");
    if (Object.keys(this.o.credential ?? {}).length > 1) throw new UsageError("--credential can only contain 1 key/value pair");
  }
  async run(): Promise<number> {
    const f = this.#f;
    const vsl = buildVolumeSnapshotLocation(f.namespace(), this.o);
    if (this.o.output === "table") {
      f.out(renderTable(volumeSnapshotLocationTable([vsl]), tableOptions(this.o)));
      return EXIT_CODES.ok;
    }
    if (this.o.output) {
      f.out(encodeNewObject(vsl, this.o.output));
      return EXIT_CODES.ok;
    }
    await (await f.kube()).create(GVR.volumeSnapshotLocations, vsl as never);
    f.out(`Snapshot volume location "${this.o.name}" configured successfully.\n`);
    return EXIT_CODES.ok;
  }
}

export function newVslCreateCommand(f: Factory, use: string): Command {
  const cmd = new Command(use).description("Create a volume snapshot location").argument("<NAME>", "location name");
  cmd.option("--provider <provider>", "Name of the volume snapshot provider (e.g. aws, azure, gcp).");
  addValueFlag(cmd, "--config <key=value,...>", "Configuration key-value pairs.", mapFlag("--config"));
  addValueFlag(cmd, "--labels <key=value,...>", "Labels to apply to the volume snapshot location.", mapFlag("--labels"));
  addValueFlag(cmd, "--credential <secret=key>", "The credential to be used by this location as a key-value pair, where the key is the Kubernetes Secret name, and the value is the data key name within the Secret. Optional, one value only.", mapFlag("--credential"));
  addOutputFlags(cmd, { defaultTable: false, labels: true });
  return cmd.action(actionFor(f, () => new CreateVsl(f)));
}
