/** `velero restore describe` in Velero's layout (pkg/cmd/util/output/restore_describer.go). */
import type { Restore } from "@velero-ts/plugin-sdk";
import { normalizeDuration } from "../flags/duration.js";
import { formatLabelSelector } from "../flags/label-selector.js";
import type { Colors } from "./colors.js";
import { boolPointerString, Describer, EMPTY_DISPLAY, joinOr } from "./describer.js";
import {
  describeItemOperations,
  describePodVolumePhases,
  describeResourceList,
  describeStoredResults,
  errorText,
  isMissing,
  type PodVolumeOp,
  type SideFiles,
} from "./describe-common.js";
import { formatGoTime } from "./format.js";

export interface RestoreDescribeInput {
  restore: Restore;
  podVolumeRestores: PodVolumeOp[];
  details: boolean;
  files: SideFiles;
  /** Default: no colours. */
  colors?: Colors;
}

interface RestoreVolumeInfo {
  pvcName?: string;
  pvcNamespace?: string;
  restoreMethod?: string;
  snapshotDataMoved?: boolean;
  csiSnapshotInfo?: { vscName?: string; snapshotHandle?: string; driver?: string };
  snapshotDataMovementInfo?: { operationID?: string; dataMover?: string; uploaderType?: string };
}

function describePodVolumeRestores(d: Describer, ops: PodVolumeOp[], details: boolean): void {
  const uploader = ops[0]?.spec.uploaderType ?? "";
  d.printf(details ? `${uploader} Restores:\n` : `${uploader} Restores (specify --details for more information):\n`);
  describePodVolumePhases(d, ops, details, ["Completed", "Canceled", "Failed", "In Progress", "Prepared", "Accepted", "New"], "\t");
}

function describeCsiRestores(d: Describer, infos: RestoreVolumeInfo[], details: boolean): void {
  d.println();
  const csi = infos.filter((i) => i.restoreMethod === "CSISnapshot");
  const plain = csi.filter((i) => !i.snapshotDataMoved);
  const moved = csi.filter((i) => i.snapshotDataMoved);
  if (csi.length === 0) {
    d.printf("CSI Snapshot Restores: <none included>\n");
    return;
  }
  d.printf("CSI Snapshot Restores:\n");
  for (const info of plain) {
    d.printf(`\t${info.pvcNamespace ?? ""}/${info.pvcName ?? ""}:\n`);
    if (details) {
      d.printf("\t\tSnapshot:\n");
      d.printf(`\t\t\tSnapshot Content Name: ${info.csiSnapshotInfo?.vscName ?? ""}\n`);
      d.printf(`\t\t\tStorage Snapshot ID: ${info.csiSnapshotInfo?.snapshotHandle ?? ""}\n`);
      d.printf(`\t\t\tCSI Driver: ${info.csiSnapshotInfo?.driver ?? ""}\n`);
    } else {
      d.printf("\t\tSnapshot: specify --details for more information\n");
    }
  }
  for (const info of moved) {
    d.printf(`\t${info.pvcNamespace ?? ""}/${info.pvcName ?? ""}:\n`);
    if (details) {
      d.printf("\t\tData Movement:\n");
      d.printf(`\t\t\tOperation ID: ${info.snapshotDataMovementInfo?.operationID ?? ""}\n`);
      d.printf(`\t\t\tData Mover: ${info.snapshotDataMovementInfo?.dataMover ?? ""}\n`);
      d.printf(`\t\t\tUploader Type: ${info.snapshotDataMovementInfo?.uploaderType ?? ""}\n`);
    } else {
      d.printf("\t\tData Movement: specify --details for more information\n");
    }
  }
}

function describeSpec(d: Describer, restore: Restore): void {
  const spec = restore.spec;
  d.printf(`Backup:\t${spec.backupName ?? ""}\n`);
  d.println();
  d.printf("Namespaces:\n");
  const included = spec.includedNamespaces ?? [];
  const all = included.length === 0 || (included.length === 1 && included[0] === "*");
  d.printf(`\tIncluded:\t${all ? "all namespaces found in the backup" : included.join(", ")}\n`);
  d.printf(`\tExcluded:\t${joinOr(spec.excludedNamespaces, EMPTY_DISPLAY)}\n`);
  d.println();
  d.printf("Resources:\n");
  d.printf(`\tIncluded:\t${joinOr(spec.includedResources, "*")}\n`);
  d.printf(`\tExcluded:\t${joinOr(spec.excludedResources, EMPTY_DISPLAY)}\n`);
  d.printf(`\tCluster-scoped:\t${boolPointerString(spec.includeClusterResources, "excluded", "included", "auto")}\n`);
  d.println();
  d.describeMap("Namespace mappings", spec.namespaceMapping);
  d.println();
  d.printf(`Label selector:\t${spec.labelSelector ? formatLabelSelector(spec.labelSelector) : EMPTY_DISPLAY}\n`);
  d.println();
  const or = spec.orLabelSelectors?.length ? spec.orLabelSelectors.map((s) => formatLabelSelector(s)).join(" or ") : EMPTY_DISPLAY;
  d.printf(`Or label selector:\t${or}\n`);
  d.println();
  d.printf(`Restore PVs:\t${boolPointerString(spec.restorePVs, "false", "true", "auto")}\n`);
}

export async function describeRestore(input: RestoreDescribeInput): Promise<string> {
  const { restore } = input;
  const name = restore.metadata.name ?? "";
  const d = new Describer(input.colors);
  d.describeMetadata(restore.metadata);
  d.println();
  const phase = restore.status?.phase || "New";
  const deleting = restore.metadata.deletionTimestamp ? " (Deleting)" : "";
  const note = phase === "Failed" || phase === "PartiallyFailed" ? ` (run 'velero restore logs ${name}' for more information)` : "";
  const phaseText = phase === "Completed" ? d.colors.green(phase) : phase === "FailedValidation" || phase === "PartiallyFailed" || phase === "Failed" ? d.colors.red(phase) : phase;
  d.printf(`Phase:\t${phaseText}${deleting}${note}\n`);
  const progress = restore.status?.progress;
  if (progress) {
    if (phase === "InProgress") {
      d.printf(`Estimated total items to be restored:\t${progress.totalItems ?? 0}\n`);
      d.printf(`Items restored so far:\t${progress.itemsRestored ?? 0}\n`);
    } else {
      d.printf(`Total items to be restored:\t${progress.totalItems ?? 0}\n`);
      d.printf(`Items restored:\t${progress.itemsRestored ?? 0}\n`);
    }
  }
  d.println();
  d.printf(`Started:\t${restore.status?.startTimestamp ? formatGoTime(restore.status.startTimestamp) : "<n/a>"}\n`);
  d.printf(`Completed:\t${restore.status?.completionTimestamp ? formatGoTime(restore.status.completionTimestamp) : "<n/a>"}\n`);
  const validationErrors = restore.status?.validationErrors ?? [];
  if (validationErrors.length > 0) {
    d.println();
    d.printf("Validation errors:");
    for (const ve of validationErrors) d.printf(`\t${d.colors.red(ve)}\n`);
  }
  await describeStoredResults(d, input.files, "Restore", name, { errors: restore.status?.errors ?? 0, warnings: restore.status?.warnings ?? 0 }, false);
  d.println();
  describeSpec(d, restore);
  if (input.podVolumeRestores.length > 0) {
    d.println();
    describePodVolumeRestores(d, input.podVolumeRestores, input.details);
  }
  try {
    const infos = await input.files.json<RestoreVolumeInfo[] | null>("RestoreVolumeInfo", name);
    describeCsiRestores(d, infos ?? [], input.details);
  } catch (err) {
    if (!isMissing(err)) d.printf(`\t<error getting restore volume info: ${errorText(err)}>\n`);
  }
  d.println();
  d.printf(`Existing Resource Policy: \t${restore.spec.existingResourcePolicy || EMPTY_DISPLAY}\n`);
  d.printf(`ItemOperationTimeout:\t${normalizeDuration(restore.spec.itemOperationTimeout)}\n`);
  d.println();
  d.printf(`Preserve Service NodePorts:\t${boolPointerString(restore.spec.preserveNodePorts, "false", "true", "auto")}\n`);
  if (restore.spec.resourceModifier) {
    d.println();
    d.printf("Resource modifier:\n");
    d.printf(`\tType:\t${restore.spec.resourceModifier.kind}\n`);
    d.printf(`\tName:\t${restore.spec.resourceModifier.name}\n`);
  }
  const uploader = restore.spec.uploaderConfig;
  if (uploader) {
    d.println();
    d.printf("Uploader config:\n");
    if (uploader.writeSparseFiles === true) d.printf("\tWrite Sparse Files:\ttrue\n");
    if ((uploader.parallelFilesDownload ?? 0) > 0) d.printf(`\tParallel Restore:\t${uploader.parallelFilesDownload}\n`);
  }
  d.println();
  const status = restore.status ?? {};
  await describeItemOperations(
    d,
    input.files,
    "Restore",
    name,
    { attempted: status.restoreItemOperationsAttempted, completed: status.restoreItemOperationsCompleted, failed: status.restoreItemOperationsFailed },
    input.details,
  );
  const hooks = restore.status?.hookStatus;
  if (hooks) {
    d.println();
    d.printf(`HooksAttempted: \t${hooks.hooksAttempted ?? 0}\n`);
    d.printf(`HooksFailed: \t${hooks.hooksFailed ?? 0}\n`);
  }
  if (input.details) {
    d.println();
    try {
      const list = await input.files.json<Record<string, string[] | null> | null>("RestoreResourceList", name);
      describeResourceList(d, list ?? {});
    } catch (err) {
      if (isMissing(err)) d.println("Resource List:\t<restore resource list not found>");
      else d.printf(`Resource List:\t<error getting restore resource list: ${errorText(err)}>\n`);
    }
  }
  return d.render();
}
