/** velero restore create [RESTORE_NAME] --from-backup BACKUP | --from-schedule SCHEDULE */
import { Command } from "commander";
import type { V1LabelSelector } from "@kubernetes/client-node";
import type { Backup, Restore, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { UsageError } from "../../shared/errors.js";
import { timestampSuffixLocal } from "../names.js";
import { actionFor, addBoolFlag, addOutputFlags, addValueFlag, validateOutputFormat, type Verb } from "../command-kit.js";
import { exitCodeForPhase, EXIT_CODES } from "../exit-codes.js";
import type { Factory } from "../factory.js";
import { formatGoDuration, parseDurationFlag } from "../flags/duration.js";
import { parseLabelSelector, parseOrLabelSelectors } from "../flags/label-selector.js";
import { parseIntFlag, parseMapFlag, parseStringArray } from "../flags/values.js";
import { listNamespaced, mustGet } from "../lookups.js";
import { encodeNewObject, type OutputFormat } from "../output/encode.js";
import { restoreTable } from "../output/printers.js";
import { renderTable, tableOptions } from "../output/table.js";
import { GVR, VELERO_API_VERSION } from "../resources.js";
import { waitForCompletion } from "../wait.js";

export interface RestoreCreateOptions {
  name: string;
  fromBackup?: string;
  fromSchedule?: string;
  includeNamespaces: string[];
  excludeNamespaces?: string[];
  includeResources?: string[];
  excludeResources?: string[];
  statusIncludeResources?: string[];
  statusExcludeResources?: string[];
  namespaceMappings?: Record<string, string>;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  existingResourcePolicy?: string;
  selector?: V1LabelSelector;
  orSelector?: V1LabelSelector[];
  itemOperationTimeout?: number;
  restoreVolumes?: boolean;
  preserveNodeports?: boolean;
  includeClusterResources?: boolean;
  allowPartiallyFailed?: boolean;
  wait?: boolean;
  resourceModifierConfigmap?: string;
  writeSparseFiles?: boolean;
  parallelFilesDownload?: number;
  output?: OutputFormat;
}

/** Pure: the Restore `velero restore create` submits (Velero's CreateOptions.Run). */
export function buildRestore(namespace: string, o: RestoreCreateOptions): Restore {
  const metadata: Restore["metadata"] = { namespace, name: o.name };
  if (o.labels && Object.keys(o.labels).length) metadata.labels = o.labels;
  if (o.annotations && Object.keys(o.annotations).length) metadata.annotations = o.annotations;
  const spec: Restore["spec"] = {};
  if (o.fromBackup) spec.backupName = o.fromBackup;
  if (o.fromSchedule) spec.scheduleName = o.fromSchedule;
  spec.includedNamespaces = o.includeNamespaces;
  if (o.excludeNamespaces?.length) spec.excludedNamespaces = o.excludeNamespaces;
  if (o.includeResources?.length) spec.includedResources = o.includeResources;
  if (o.excludeResources?.length) spec.excludedResources = o.excludeResources;
  if (o.namespaceMappings && Object.keys(o.namespaceMappings).length) spec.namespaceMapping = o.namespaceMappings;
  if (o.selector) spec.labelSelector = o.selector;
  if (o.orSelector) spec.orLabelSelectors = o.orSelector;
  if (o.restoreVolumes !== undefined) spec.restorePVs = o.restoreVolumes;
  if (o.statusIncludeResources?.length) {
    spec.restoreStatus = { includedResources: o.statusIncludeResources, ...(o.statusExcludeResources?.length ? { excludedResources: o.statusExcludeResources } : {}) };
  }
  if (o.preserveNodeports !== undefined) spec.preserveNodePorts = o.preserveNodeports;
  if (o.includeClusterResources !== undefined) spec.includeClusterResources = o.includeClusterResources;
  // `hooks: {}` as Velero's typed RestoreSpec carries it (a struct: omitempty does not drop it), in its place
  (spec as Record<string, unknown>)["hooks"] = {};
  if (o.existingResourcePolicy) spec.existingResourcePolicy = o.existingResourcePolicy as "none" | "update";
  spec.itemOperationTimeout = formatGoDuration(o.itemOperationTimeout ?? 0);
  if (o.resourceModifierConfigmap) spec.resourceModifier = { apiGroup: "", kind: "configmap", name: o.resourceModifierConfigmap };
  spec.uploaderConfig = {
    ...(o.writeSparseFiles !== undefined ? { writeSparseFiles: o.writeSparseFiles } : {}),
    ...(o.parallelFilesDownload ? { parallelFilesDownload: o.parallelFilesDownload } : {}),
  };
  return { apiVersion: VELERO_API_VERSION, kind: "Restore", metadata, spec };
}

/** The most recent backup (by start time) in one of the allowed phases. */
export function mostRecentBackup(backups: Backup[], phases: string[]): Backup | undefined {
  return [...backups]
    .sort((a, b) => (b.status?.startTimestamp ?? "").localeCompare(a.status?.startTimestamp ?? ""))
    .find((b) => phases.includes(b.status?.phase ?? ""));
}

export function restoreProgress(obj: UnstructuredItem): { done: number; total: number } {
  const p = (obj.status as Restore["status"])?.progress;
  return { done: p?.itemsRestored ?? 0, total: p?.totalItems ?? 0 };
}

class CreateRestore implements Verb {
  readonly #f: Factory;
  /** The schedule's backups, listed once by validate (--from-schedule). */
  #scheduleBackups: Backup[] = [];
  o: RestoreCreateOptions = { name: "", includeNamespaces: ["*"] };
  constructor(f: Factory) {
    this.#f = f;
  }
  complete(args: string[], flags: Record<string, unknown>): void {
    const o = { ...(flags as Partial<RestoreCreateOptions>), includeNamespaces: (flags.includeNamespaces as string[]) ?? ["*"], name: args[0] ?? "" };
    if (!o.name) o.name = `${o.fromSchedule || o.fromBackup || ""}-${timestampSuffixLocal(this.#f.deps.now())}`;
    o.output = validateOutputFormat(flags.output, "create");
    this.o = o;
  }
  async validate(): Promise<void> {
    const o = this.o;
    if ((o.fromBackup && o.fromSchedule) || (!o.fromBackup && !o.fromSchedule)) {
      throw new UsageError("either a backup or schedule must be specified, but not both: pass --from-backup NAME or --from-schedule NAME");
    }
    if (o.selector && o.orSelector) throw new UsageError("either a 'selector' or an 'or-selector' can be specified, but not both");
    if (o.existingResourcePolicy && !["none", "update"].includes(o.existingResourcePolicy)) {
      throw new UsageError(`existing-resource-policy has invalid value "${o.existingResourcePolicy}", it accepts only none, update as value`);
    }
    if ((o.parallelFilesDownload ?? 0) < 0) throw new UsageError("parallel-files-download cannot be negative");
    // as in Velero, the backup (or a backup of the schedule) must exist even when only printing with -o
    if (o.fromBackup) await mustGet(this.#f, GVR.backups, o.fromBackup);
    if (o.fromSchedule) {
      const backups = await listNamespaced<Backup>(this.#f, GVR.backups, `velero.io/schedule-name=${o.fromSchedule}`);
      this.#scheduleBackups = backups;
      if (backups.length === 0) throw new UsageError(`No backups found for the schedule ${o.fromSchedule}; run 'velero backup get -l velero.io/schedule-name=${o.fromSchedule}'`);
    }
  }
  async run(): Promise<number> {
    const f = this.#f;
    const o = this.o;
    // (with -o too: Velero prints the restore of the backup it chose)
    if (o.fromSchedule && o.allowPartiallyFailed) {
      const chosen = mostRecentBackup(this.#scheduleBackups, ["Completed", "PartiallyFailed"]);
      if (chosen) {
        o.fromBackup = chosen.metadata.name;
        o.fromSchedule = undefined;
      }
    }
    const restore = buildRestore(f.namespace(), o);
    if (o.output === "table") {
      f.out(renderTable(restoreTable([restore]), tableOptions(o)));
      return EXIT_CODES.ok;
    }
    if (o.output) {
      f.out(encodeNewObject(restore, o.output));
      return EXIT_CODES.ok;
    }
    const kube = await f.kube();
    await kube.create(GVR.restores, restore as never);
    f.out(`Restore request "${o.name}" submitted successfully.\n`);
    if (!o.wait) {
      f.out(`Run \`velero restore describe ${o.name}\` or \`velero restore logs ${o.name}\` for more details.\n`);
      return EXIT_CODES.ok;
    }
    f.out("Waiting for restore to complete. You may safely press ctrl-c to stop waiting - your restore will continue in the background.\n");
    const final = await waitForCompletion(f, { noun: "restore", gvr: GVR.restores, namespace: f.namespace(), name: o.name, progress: restoreProgress });
    return final ? exitCodeForPhase((final.status as { phase?: string } | undefined)?.phase) : EXIT_CODES.failure;
  }
}

const list = (v: string): string[] => parseStringArray(v);

export function newRestoreCreateCommand(f: Factory, use: string): Command {
  const cmd = new Command(use)
    .description("Create a restore")
    .argument("[RESTORE_NAME]", "restore name (default <backup or schedule>-<timestamp>)")
    .addHelpText(
      "after",
      `
Examples:
  # Create a restore named "restore-1" from backup "backup-1".
  velero restore create restore-1 --from-backup backup-1

  # Create a restore with a default name ("backup-1-<timestamp>") from backup "backup-1".
  velero restore create --from-backup backup-1

  # Create a restore from the latest successful backup triggered by schedule "schedule-1".
  velero restore create --from-schedule schedule-1

  # Create a restore from the latest successful OR partially-failed backup triggered by schedule "schedule-1".
  velero restore create --from-schedule schedule-1 --allow-partially-failed

  # Create a restore for only persistentvolumeclaims and persistentvolumes within a backup.
  velero restore create --from-backup backup-2 --include-resources persistentvolumeclaims,persistentvolumes`,
    );
  cmd.option("--from-backup <backup>", "Backup to restore from");
  cmd.option("--from-schedule <schedule>", "Schedule to restore from");
  addValueFlag(cmd, "--include-namespaces <namespaces>", "Namespaces to include in the restore (use '*' for all namespaces)", list, ["*"]);
  addValueFlag(cmd, "--exclude-namespaces <namespaces>", "Namespaces to exclude from the restore.", list);
  addValueFlag(cmd, "--namespace-mappings <src:dst,...>", "Namespace mappings from name in the backup to desired restored name in the form src1:dst1,src2:dst2,...", (v, prev: Record<string, string> | undefined) => parseMapFlag("--namespace-mappings", v, prev, ":"));
  addValueFlag(cmd, "--labels <key=value,...>", "Labels to apply to the restore.", (v, prev: Record<string, string> | undefined) => parseMapFlag("--labels", v, prev));
  addValueFlag(cmd, "--annotations <key=value,...>", "Annotations to apply to the restore.", (v, prev: Record<string, string> | undefined) => parseMapFlag("--annotations", v, prev));
  addValueFlag(cmd, "--include-resources <resources>", "Resources to include in the restore, formatted as resource.group, such as storageclasses.storage.k8s.io (use '*' for all resources).", list);
  addValueFlag(cmd, "--exclude-resources <resources>", "Resources to exclude from the restore, formatted as resource.group, such as storageclasses.storage.k8s.io.", list);
  cmd.option("--existing-resource-policy <policy>", "Restore Policy to be used during the restore workflow, can be - none or update");
  addValueFlag(cmd, "--status-include-resources <resources>", "Resources to include in the restore status, formatted as resource.group, such as storageclasses.storage.k8s.io.", list);
  addValueFlag(cmd, "--status-exclude-resources <resources>", "Resources to exclude from the restore status, formatted as resource.group, such as storageclasses.storage.k8s.io.", list);
  addValueFlag(cmd, "-l, --selector <selector>", "Only restore resources matching this label selector.", (v) => parseLabelSelector(v));
  addValueFlag(cmd, "--or-selector <selectors>", "Restore resources matching at least one of the label selector from the list. Label selectors should be separated by ' or '. For example, foo=bar or app=nginx", (v) => parseOrLabelSelectors(v));
  addValueFlag(cmd, "--item-operation-timeout <duration>", "How long to wait for async plugin operations before timeout.", (v) => parseDurationFlag("--item-operation-timeout", v));
  addBoolFlag(cmd, "--restore-volumes", "Whether to restore volumes from snapshots.");
  addBoolFlag(cmd, "--preserve-nodeports", "Whether to preserve nodeports of Services when restoring.");
  addBoolFlag(cmd, "--include-cluster-resources", "Include cluster-scoped resources in the restore.");
  addBoolFlag(cmd, "--allow-partially-failed", "If using --from-schedule, whether to consider PartiallyFailed backups when looking for the most recent one. This flag has no effect if not using --from-schedule.");
  addBoolFlag(cmd, "-w, --wait", "Wait for the operation to complete.");
  cmd.option("--resource-modifier-configmap <name>", "Reference to the resource modifier configmap that restore will use");
  addBoolFlag(cmd, "--write-sparse-files", "Whether to write sparse files during restoring volumes");
  addValueFlag(cmd, "--parallel-files-download <n>", "The number of restore operations to run in parallel. If set to 0, the default parallelism will be the number of CPUs for the node that node agent pod is running.", (v) => parseIntFlag("--parallel-files-download", v));
  addOutputFlags(cmd, { defaultTable: false, labels: true });
  return cmd.action(actionFor(f, () => new CreateRestore(f)));
}
