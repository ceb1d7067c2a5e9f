/** velero repo get [NAMES] (also `velero restic repo get`) */
import { Command } from "commander";
import type { BackupRepository } from "@velero-ts/plugin-sdk";
import type { Factory } from "../factory.js";
import { newGetCommand } from "../get-kit.js";
import { backupRepositoryTable } from "../output/printers.js";
import { GVR } from "../resources.js";

export function newRepoGetCommand(f: Factory, use: string): Command {
  return newGetCommand<BackupRepository>(f, use, {
    gvr: GVR.backupRepositories,
    kind: "BackupRepository",
    description: "Get repositories",
    argDescription: "repository names",
    selectorDescription: "Only show items matching this label selector.",
    table: backupRepositoryTable,
  });
}

export function newRepoCommand(f: Factory): Command {
  return new Command("repo").aliases(["repos"]).description("Work with repositories").addCommand(newRepoGetCommand(f, "get"));
}

/** Velero 1.x's `velero restic repo get`, kept for old runbooks. */
export function newResticCommand(f: Factory): Command {
  return new Command("restic").description("Work with restic repositories (alias of 'velero repo')").addCommand(newRepoCommand(f));
}
