/** velero restore describe [NAMES] [--details] */
import type { Command } from "commander";
import type { Restore } from "@velero-ts/plugin-sdk";
import { newDescribeCommand } from "../describe-kit.js";
import type { Factory } from "../factory.js";
import { listNamespaced } from "../lookups.js";
import { validLabelValue } from "../names.js";
import type { PodVolumeOp } from "../output/describe-common.js";
import { describeRestore } from "../output/describe-restore.js";
import { GVR } from "../resources.js";

export function newRestoreDescribeCommand(f: Factory, use: string): Command {
  return newDescribeCommand<Restore>(f, use, {
    gvr: GVR.restores,
    description: "Describe restores",
    argDescription: "restore names",
    cacertDescription: "Path to a certificate bundle to use when verifying TLS connections.",
    describe: async (restore, { flags, files }) => {
      const pvrs = await listNamespaced<PodVolumeOp>(f, GVR.podVolumeRestores, `velero.io/restore-name=${validLabelValue(restore.metadata.name ?? "")}`).catch(() => []);
      return describeRestore({ restore, podVolumeRestores: pvrs, details: flags.details === true, files, colors: f.colors() });
    },
  });
}
