/** velero snapshot-location get [NAMES] */
import type { Command } from "commander";
import type { VolumeSnapshotLocation } from "@velero-ts/plugin-sdk";
import type { Factory } from "../factory.js";
import { newGetCommand } from "../get-kit.js";
import { volumeSnapshotLocationTable } from "../output/printers.js";
import { GVR } from "../resources.js";

export function newVslGetCommand(f: Factory, use: string): Command {
  return newGetCommand<VolumeSnapshotLocation>(f, use, {
    gvr: GVR.volumeSnapshotLocations,
    kind: "VolumeSnapshotLocation",
    description: "Get snapshot locations",
    argDescription: "location names",
    selectorDescription: "Only show items matching this label selector",
    table: volumeSnapshotLocationTable,
  });
}
