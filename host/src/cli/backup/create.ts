/** velero backup create NAME [flags] */
import { Command } from "commander";
import type { Backup, Schedule, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { UsageError } from "../../shared/errors.js";
import { fieldPieces, joinPieces, logrusLine } from "../../shared/logrus-format.js";
import { backupFromSchedule, scheduleLabelsNote } from "../../shared/schedule-backup.js";
import { sortedByKey } from "../flags/values.js";
import { actionFor, addBoolFlag, addOutputFlags, validateOutputFormat, type Verb } from "../command-kit.js";
import { exitCodeForPhase, EXIT_CODES } from "../exit-codes.js";
import type { Factory } from "../factory.js";
import { mustGet } from "../lookups.js";
import { encodeNewObject, type OutputFormat } from "../output/encode.js";
import { backupTable } from "../output/printers.js";
import { renderTable, tableOptions } from "../output/table.js";
import { GVR, VELERO_API_VERSION } from "../resources.js";
import { waitForCompletion } from "../wait.js";
import {
  bindBackupTemplateFlags,
  buildBackupSpec,
  validateNamespaceFilters,
  validateResourceFilters,
  type BackupTemplateOptions,
} from "./template-flags.js";

export interface BackupCreateOptions extends BackupTemplateOptions {
  name: string;
  fromSchedule?: string;
  wait?: boolean;
  output?: OutputFormat;
}

/** Pure: the Backup object `velero backup create` submits. */
export function buildBackup(namespace: string, o: BackupCreateOptions): Backup {
  const metadata: Backup["metadata"] = { namespace, name: o.name };
  if (o.labels && Object.keys(o.labels).length > 0) metadata.labels = o.labels;
  if (o.annotations && Object.keys(o.annotations).length > 0) metadata.annotations = o.annotations;
  return { apiVersion: VELERO_API_VERSION, kind: "Backup", metadata, spec: buildBackupSpec(o) };
}

export function backupProgress(obj: UnstructuredItem): { done: number; total: number } {
  const p = (obj.status as Backup["status"])?.progress;
  return { done: p?.itemsBackedUp ?? 0, total: p?.totalItems ?? 0 };
}

class CreateBackup implements Verb {
  readonly #f: Factory;
  o: BackupCreateOptions = { name: "", includeNamespaces: ["*"] };
  #fromScheduleSet = false;

  constructor(f: Factory) {
    this.#f = f;
  }

  complete(args: string[], flags: Record<string, unknown>, cmd: Command): void {
    this.o = { ...(flags as Partial<BackupCreateOptions>), includeNamespaces: (flags.includeNamespaces as string[]) ?? ["*"], name: args[0] ?? "" };
    this.#fromScheduleSet = cmd.getOptionValueSource("fromSchedule") === "cli";
    this.o.output = validateOutputFormat(flags.output, "create");
  }

  validate(): void {
    const o = this.o;
    validateResourceFilters(o);
    if (this.#fromScheduleSet) {
      o.fromSchedule = (o.fromSchedule ?? "").trim();
      if (o.fromSchedule === "") throw new UsageError("flag must have a non-empty value: --from-schedule");
    }
    if (!o.fromSchedule && !o.name) {
      throw new UsageError("a backup name is required, unless you are creating based on a schedule; usage: velero backup create NAME [flags]");
    }
    validateNamespaceFilters(o.includeNamespaces, o.excludeNamespaces ?? []);
    // with --from-schedule the filters are not used (Velero ignores them, and says so)
    if (o.orderedResources && !this.#fromScheduleSet) buildBackupSpec(o);
  }

  async run(): Promise<number> {
    const f = this.#f;
    const o = this.o;
    const ns = f.namespace();
    let backup: Backup;
    if (o.fromSchedule) {
      const schedule = await mustGet<Schedule>(f, GVR.schedules, o.fromSchedule);
      backup = backupFromSchedule(schedule, f.deps.now(), o.name || undefined);
      // Velero's FromSchedule logs which labels it used (to stdout when the template sets labels,
      // which breaks -o json there; to stderr here either way)
      const note = scheduleLabelsNote(schedule, backup);
      f.err(logrusLine(f.deps.now(), "info", note.message, joinPieces(fieldPieces(note.fields))));
      // --labels and --annotations apply on top of the schedule's, as Velero's create does
      if (o.labels && Object.keys(o.labels).length > 0) backup.metadata.labels = sortedByKey({ ...backup.metadata.labels, ...o.labels });
      if (o.annotations && Object.keys(o.annotations).length > 0) backup.metadata.annotations = sortedByKey({ ...backup.metadata.annotations, ...o.annotations });
    } else {
      backup = buildBackup(ns, o);
    }
    // as Velero's Validate, before anything is printed or created
    if (o.storageLocation) await mustGet(f, GVR.backupStorageLocations, o.storageLocation);
    for (const vsl of o.volumeSnapshotLocations ?? []) await mustGet(f, GVR.volumeSnapshotLocations, vsl);
    if (o.output === "table") {
      f.out(renderTable(backupTable([backup], f.deps.now()), tableOptions(o)));
      return EXIT_CODES.ok;
    }
    if (o.output) {
      f.out(encodeNewObject(backup, o.output));
      return EXIT_CODES.ok;
    }
    if (o.fromSchedule) f.out("Creating backup from schedule, all other filters are ignored.\n");
    const kube = await f.kube();
    await kube.create(GVR.backups, backup as never);
    const name = backup.metadata.name ?? "";
    f.out(`Backup request "${name}" submitted successfully.\n`);
    if (!o.wait) {
      f.out(`Run \`velero backup describe ${name}\` or \`velero backup logs ${name}\` for more details.\n`);
      return EXIT_CODES.ok;
    }
    f.out("Waiting for backup to complete. You may safely press ctrl-c to stop waiting - your backup will continue in the background.\n");
    const final = await waitForCompletion(f, { noun: "backup", gvr: GVR.backups, namespace: ns, name, progress: backupProgress });
    return final ? exitCodeForPhase((final.status as { phase?: string } | undefined)?.phase) : EXIT_CODES.failure;
  }
}

export function newBackupCreateCommand(f: Factory, use: string): Command {
  const cmd = new Command(use)
    .summary("Create a backup")
    .description("Create a backup")
    .argument("[NAME]", "backup name")
    .addHelpText(
      "after",
      `
Examples:
  # Create a backup containing all resources.
  velero backup create backup1

  # Create a backup including only the nginx namespace.
  velero backup create nginx-backup --include-namespaces nginx

  # Create a backup excluding the velero and default namespaces.
  velero backup create backup2 --exclude-namespaces velero,default

  # Create a backup based on a schedule named daily-backup.
  velero backup create --from-schedule daily-backup

  # View the YAML for a backup that doesn't snapshot volumes, without sending it to the server.
  velero backup create backup3 --snapshot-volumes=false -o yaml

  # Wait for a backup to complete before returning from the command.
  velero backup create backup4 --wait`,
    );
  bindBackupTemplateFlags(cmd, "backup");
  addBoolFlag(cmd, "-w, --wait", "Wait for the operation to complete.");
  cmd.option("--from-schedule <schedule>", "Create a backup from the template of an existing schedule. Cannot be used with any other filters. Backup name is optional if used.");
  addOutputFlags(cmd, { defaultTable: false, labels: true });
  return cmd.action(actionFor(f, () => new CreateBackup(f)));
}
