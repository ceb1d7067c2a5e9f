/** `velero backup describe` in Velero's layout (pkg/cmd/util/output/backup_describer.go). */
import type { Backup, BackupSpec, DeleteBackupRequest } from "@velero-ts/plugin-sdk";
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

export interface BackupDescribeInput {
  backup: Backup;
  deleteRequests: DeleteBackupRequest[];
  podVolumeBackups: PodVolumeOp[];
  details: boolean;
  files: SideFiles;
  /** Default: no colours. */
  colors?: Colors;
}

export interface BackupVolumeInfo {
  pvcName?: string;
  pvcNamespace?: string;
  pvName?: string;
  backupMethod?: string;
  snapshotDataMoved?: boolean;
  preserveLocalSnapshot?: boolean;
  result?: string;
  csiSnapshotInfo?: { snapshotHandle?: string; size?: number; driver?: string; vscName?: string; operationID?: string };
  snapshotDataMovementInfo?: { dataMover?: string; uploaderType?: string; operationID?: string; size?: number; incrementalSize?: number };
  nativeSnapshotInfo?: { snapshotHandle?: string; volumeType?: string; volumeAZ?: string; iops?: string };
}

/** Velero's BackupSpec section; also used (indented) by the schedule describer. */
export function describeBackupSpec(d: Describer, spec: BackupSpec): void {
  d.printf("Namespaces:\n");
  d.printf(`\tIncluded:\t${joinOr(spec.includedNamespaces, "*")}\n`);
  d.printf(`\tExcluded:\t${joinOr(spec.excludedNamespaces, EMPTY_DISPLAY)}\n`);
  d.println();
  d.printf("Resources:\n");
  // Velero's collections.UseOldResourceFilters: the old layout only when an old filter is set
  const old = !!spec.includedResources?.length || !!spec.excludedResources?.length || (spec.includeClusterResources !== undefined && spec.includeClusterResources !== null);
  if (old) {
    d.printf(`\tIncluded:\t${joinOr(spec.includedResources, "*")}\n`);
    d.printf(`\tExcluded:\t${joinOr(spec.excludedResources, EMPTY_DISPLAY)}\n`);
    d.printf(`\tCluster-scoped:\t${boolPointerString(spec.includeClusterResources, "excluded", "included", "auto")}\n`);
  } else {
    d.printf(`\tIncluded cluster-scoped:\t${joinOr(spec.includedClusterScopedResources, EMPTY_DISPLAY)}\n`);
    d.printf(`\tExcluded cluster-scoped:\t${joinOr(spec.excludedClusterScopedResources, EMPTY_DISPLAY)}\n`);
    d.printf(`\tIncluded namespace-scoped:\t${joinOr(spec.includedNamespaceScopedResources, "*")}\n`);
    d.printf(`\tExcluded namespace-scoped:\t${joinOr(spec.excludedNamespaceScopedResources, EMPTY_DISPLAY)}\n`);
  }
  d.println();
  d.printf(`Label selector:\t${spec.labelSelector ? formatLabelSelector(spec.labelSelector) : EMPTY_DISPLAY}\n`);
  d.println();
  const or = spec.orLabelSelectors?.length ? spec.orLabelSelectors.map((s) => formatLabelSelector(s)).join(" or ") : EMPTY_DISPLAY;
  d.printf(`Or label selector:\t${or}\n`);
  d.println();
  d.printf(`Storage Location:\t${spec.storageLocation ?? ""}\n`);
  d.println();
  d.printf(`Velero-Native Snapshot PVs:\t${boolPointerString(spec.snapshotVolumes, "false", "true", "auto")}\n`);
  if (spec.defaultVolumesToFsBackup !== undefined) {
    d.printf(`File System Backup (Default):\t${boolPointerString(spec.defaultVolumesToFsBackup, "false", "true", "")}\n`);
  }
  d.printf(`Snapshot Move Data:\t${boolPointerString(spec.snapshotMoveData, "false", "true", "auto")}\n`);
  d.printf(`Data Mover:\t${spec.datamover || "velero"}\n`);
  d.println();
  d.printf(`TTL:\t${normalizeDuration(spec.ttl)}\n`);
  d.println();
  d.printf(`CSISnapshotTimeout:\t${normalizeDuration(spec.csiSnapshotTimeout)}\n`);
  d.printf(`ItemOperationTimeout:\t${normalizeDuration(spec.itemOperationTimeout)}\n`);
  d.println();
  describeHooks(d, spec);
  if (spec.orderedResources) {
    d.println();
    d.printf("OrderedResources:\n");
    for (const [key, value] of Object.entries(spec.orderedResources)) d.printf(`\t${key}: ${value}\n`);
  }
}

function describeHooks(d: Describer, spec: BackupSpec): void {
  const resources = spec.hooks?.resources ?? [];
  if (resources.length === 0) {
    d.printf(`Hooks:\t${EMPTY_DISPLAY}\n`);
    return;
  }
  d.printf("Hooks:\n");
  d.printf("\tResources:\n");
  for (const hook of resources) {
    d.printf(`\t\t${hook.name}:\n`);
    d.printf("\t\t\tNamespaces:\n");
    d.printf(`\t\t\t\tIncluded:\t${joinOr(hook.includedNamespaces, "*")}\n`);
    d.printf(`\t\t\t\tExcluded:\t${joinOr(hook.excludedNamespaces, EMPTY_DISPLAY)}\n`);
    d.println();
    d.printf("\t\t\tResources:\n");
    d.printf(`\t\t\t\tIncluded:\t${joinOr(hook.includedResources, "*")}\n`);
    d.printf(`\t\t\t\tExcluded:\t${joinOr(hook.excludedResources, EMPTY_DISPLAY)}\n`);
    d.println();
    d.printf(`\t\t\tLabel selector:\t${hook.labelSelector ? formatLabelSelector(hook.labelSelector) : EMPTY_DISPLAY}\n`);
    for (const [title, list] of [["Pre", hook.pre], ["Post", hook.post]] as const) {
      for (const h of list ?? []) {
        d.println();
        d.printf(`\t\t\t${title} Exec Hook:\n`);
        d.printf(`\t\t\t\tContainer:\t${h.exec.container ?? ""}\n`);
        d.printf(`\t\t\t\tCommand:\t${h.exec.command.join(" ")}\n`);
        d.printf(`\t\t\t\tOn Error:\t${h.exec.onError ?? ""}\n`);
        d.printf(`\t\t\t\tTimeout:\t${normalizeDuration(h.exec.timeout)}\n`);
      }
    }
  }
}

async function describeResourceListSection(d: Describer, input: BackupDescribeInput): Promise<void> {
  try {
    const list = await input.files.json<Record<string, string[] | null> | null>("BackupResourceList", input.backup.metadata.name ?? "");
    describeResourceList(d, list ?? {});
  } catch (err) {
    if (isMissing(err)) d.println("Resource List:\t<backup resource list not found>");
    else d.printf(`Resource List:\t<error getting backup resource list: ${errorText(err)}>\n`);
  }
}

export async function legacyVolumeInfos(input: BackupDescribeInput): Promise<{ native: BackupVolumeInfo[]; csi: BackupVolumeInfo[] }> {
  const s = input.backup.status ?? {};
  const native: BackupVolumeInfo[] = [];
  if ((s.volumeSnapshotsAttempted ?? 0) > 0) {
    const snaps = await input.files.json<
      { spec: { persistentVolumeName?: string; volumeType?: string; volumeAZ?: string; volumeIOPS?: number }; status?: { providerSnapshotID?: string } }[] | null
    >("BackupVolumeSnapshots", input.backup.metadata.name ?? "");
    for (const snap of snaps ?? []) {
      native.push({
        pvName: snap.spec.persistentVolumeName,
        nativeSnapshotInfo: {
          snapshotHandle: snap.status?.providerSnapshotID,
          volumeType: snap.spec.volumeType,
          volumeAZ: snap.spec.volumeAZ,
          iops: snap.spec.volumeIOPS !== undefined ? String(snap.spec.volumeIOPS) : undefined,
        },
      });
    }
  }
  return { native, csi: [] };
}

function describeNativeSnapshots(d: Describer, details: boolean, infos: BackupVolumeInfo[]): void {
  if (infos.length === 0) {
    d.printf("\tVelero-Native Snapshots: <none included>\n");
    return;
  }
  d.println("\tVelero-Native Snapshots:");
  for (const info of infos) {
    if (!details) {
      d.printf(`\t\t${info.pvName ?? ""}: specify --details for more information\n`);
      continue;
    }
    d.printf(`\t\t${info.pvName ?? ""}:\n`);
    d.printf(`\t\t\tSnapshot ID:\t${info.nativeSnapshotInfo?.snapshotHandle ?? ""}\n`);
    d.printf(`\t\t\tType:\t${info.nativeSnapshotInfo?.volumeType ?? ""}\n`);
    d.printf(`\t\t\tAvailability Zone:\t${info.nativeSnapshotInfo?.volumeAZ ?? ""}\n`);
    d.printf(`\t\t\tIOPS:\t${info.nativeSnapshotInfo?.iops ?? ""}\n`);
    d.printf(`\t\t\tResult:\t${info.result ?? ""}\n`);
  }
}

function describeCsiSnapshots(d: Describer, details: boolean, infos: BackupVolumeInfo[], legacy: boolean): void {
  if (infos.length === 0) {
    d.printf(`\tCSI Snapshots: <none included${legacy ? " or not detectable" : ""}>\n`);
    return;
  }
  d.println("\tCSI Snapshots:");
  for (const info of infos) {
    d.printf(`\t\t${info.pvcNamespace ?? ""}/${info.pvcName ?? ""}:\n`);
    if (info.preserveLocalSnapshot) {
      if (details) {
        const c = info.csiSnapshotInfo ?? {};
        d.printf("\t\t\tSnapshot:\n");
        if (!info.snapshotDataMoved && c.operationID) d.printf(`\t\t\t\tOperation ID: ${c.operationID}\n`);
        d.printf(`\t\t\t\tSnapshot Content Name: ${c.vscName ?? ""}\n`);
        d.printf(`\t\t\t\tStorage Snapshot ID: ${c.snapshotHandle ?? ""}\n`);
        d.printf(`\t\t\t\tSnapshot Size (bytes): ${c.size ?? 0}\n`);
        d.printf(`\t\t\t\tCSI Driver: ${c.driver ?? ""}\n`);
        d.printf(`\t\t\t\tResult: ${info.result ?? ""}\n`);
      } else {
        d.printf("\t\t\tSnapshot: included, specify --details for more information\n");
      }
    }
    if (info.snapshotDataMoved) {
      if (details) {
        const m = info.snapshotDataMovementInfo ?? {};
        d.printf("\t\t\tData Movement:\n");
        d.printf(`\t\t\t\tOperation ID: ${m.operationID ?? ""}\n`);
        d.printf(`\t\t\t\tData Mover: ${m.dataMover || "velero"}\n`);
        d.printf(`\t\t\t\tUploader Type: ${m.uploaderType ?? ""}\n`);
        d.printf(`\t\t\t\tMoved data Size (bytes): ${m.size ?? 0}\n`);
        if ((m.incrementalSize ?? 0) > 0) d.printf(`\t\t\t\tIncremental data Size (bytes): ${m.incrementalSize}\n`);
        d.printf(`\t\t\t\tResult: ${info.result ?? ""}\n`);
      } else {
        d.printf("\t\t\tData Movement: included, specify --details for more information\n");
      }
    }
  }
}

function describePodVolumeBackups(d: Describer, details: boolean, pvbs: PodVolumeOp[]): void {
  if (pvbs.length === 0) {
    d.printf("\tPod Volume Backups: <none included>\n");
    return;
  }
  const uploader = pvbs[0]?.spec.uploaderType ?? "";
  d.printf(details ? `\tPod Volume Backups - ${uploader}:\n` : `\tPod Volume Backups - ${uploader} (specify --details for more information):\n`);
  describePodVolumePhases(d, pvbs, details, ["Completed", "Failed", "Canceled", "In Progress", "Canceling", "Prepared", "Accepted", "New"], "\t\t");
}

async function describeVolumes(d: Describer, input: BackupDescribeInput): Promise<void> {
  d.println("Backup Volumes:");
  let native: BackupVolumeInfo[] = [];
  let csi: BackupVolumeInfo[] = [];
  let legacy = false;
  try {
    const infos = (await input.files.json<BackupVolumeInfo[] | null>("BackupVolumeInfos", input.backup.metadata.name ?? "")) ?? [];
    native = infos.filter((i) => i.backupMethod === "NativeSnapshot");
    csi = infos.filter((i) => i.backupMethod === "CSISnapshot");
  } catch (err) {
    if (!isMissing(err)) {
      d.printf(`\t<error getting backup volume info: ${errorText(err)}>\n`);
      return;
    }
    try {
      ({ native, csi } = await legacyVolumeInfos(input));
      legacy = true;
    } catch (legacyErr) {
      d.printf(`\t<error concluding native snapshot info: ${errorText(legacyErr)}>\n`);
      return;
    }
  }
  describeNativeSnapshots(d, input.details, native);
  d.println();
  describeCsiSnapshots(d, input.details, csi, legacy);
  d.println();
  describePodVolumeBackups(d, input.details, input.podVolumeBackups);
}

function describeDeleteRequests(d: Describer, requests: DeleteBackupRequest[]): void {
  const failed = requests.filter((r) => r.status?.phase === "Processed" && (r.status.errors?.length ?? 0) > 0).length;
  d.printf(`Deletion Attempts${failed > 0 ? ` (${failed} failed)` : ""}`);
  d.println(":");
  requests.forEach((req, i) => {
    if (i > 0) d.println();
    d.printf(`\t${formatGoTime(req.metadata.creationTimestamp)}: ${req.status?.phase ?? ""}\n`);
    if ((req.status?.errors?.length ?? 0) > 0) {
      d.printf("\tErrors:\n");
      for (const e of req.status?.errors ?? []) d.printf(`\t\t${e}\n`);
    }
  });
}

async function describeStatus(d: Describer, input: BackupDescribeInput): Promise<void> {
  const s = input.backup.status ?? {};
  d.printf(`Backup Format Version:\t${s.formatVersion ?? ""}\n`);
  d.println();
  d.printf(`Started:\t${s.startTimestamp ? formatGoTime(s.startTimestamp) : "<n/a>"}\n`);
  d.printf(`Completed:\t${s.completionTimestamp ? formatGoTime(s.completionTimestamp) : "<n/a>"}\n`);
  d.println();
  d.printf(`Expiration:\t${formatGoTime(s.expiration)}\n`);
  d.println();
  if (s.progress) {
    if (s.phase === "InProgress") {
      d.printf(`Estimated total items to be backed up:\t${s.progress.totalItems ?? 0}\n`);
      d.printf(`Items backed up so far:\t${s.progress.itemsBackedUp ?? 0}\n`);
    } else {
      d.printf(`Total items to be backed up:\t${s.progress.totalItems ?? 0}\n`);
      d.printf(`Items backed up:\t${s.progress.itemsBackedUp ?? 0}\n`);
    }
    d.println();
  }
  await describeItemOperations(
    d,
    input.files,
    "Backup",
    input.backup.metadata.name ?? "",
    { attempted: s.backupItemOperationsAttempted, completed: s.backupItemOperationsCompleted, failed: s.backupItemOperationsFailed },
    input.details,
  );
  if (input.details) {
    await describeResourceListSection(d, input);
    d.println();
  }
  await describeVolumes(d, input);
  if (s.hookStatus) {
    d.println();
    d.printf(`HooksAttempted:\t${s.hookStatus.hooksAttempted ?? 0}\n`);
    d.printf(`HooksFailed:\t${s.hookStatus.hooksFailed ?? 0}\n`);
  }
}

export async function describeBackup(input: BackupDescribeInput): Promise<string> {
  const { backup } = input;
  const d = new Describer(input.colors);
  d.describeMetadata(backup.metadata);
  d.println();
  const phase = backup.status?.phase || "New";
  const logsNote =
    phase === "Failed" || phase === "PartiallyFailed" ? ` (run \`velero backup logs ${backup.metadata.name}\` for more information)` : "";
  const phaseText = phase === "FailedValidation" || phase === "PartiallyFailed" || phase === "Failed" ? d.colors.red(phase) : phase === "Completed" ? d.colors.green(phase) : phase;
  d.printf(`Phase:\t${phaseText}${logsNote}\n`);
  if (phase === "Queued") d.printf(`Queue position:\t${backup.status?.queuePosition ?? 0}\n`);
  if (backup.spec.resourcePolicy) {
    d.println();
    d.printf("Resource policies:\n");
    d.printf(`\tType:\t${backup.spec.resourcePolicy.kind}\n`);
    d.printf(`\tName:\t${backup.spec.resourcePolicy.name}\n`);
  }
  if ((backup.spec.uploaderConfig?.parallelFilesUpload ?? 0) > 0) {
    d.println();
    d.printf("Uploader config:\n");
    d.printf(`\tParallel files upload:\t${backup.spec.uploaderConfig?.parallelFilesUpload}\n`);
  }
  const validationErrors = backup.status?.validationErrors ?? [];
  if (validationErrors.length > 0) {
    d.println();
    d.printf("Validation errors:");
    for (const ve of validationErrors) d.printf(`\t${d.colors.red(ve)}\n`);
  }
  d.println();
  const status = input.backup.status;
  await describeStoredResults(d, input.files, "Backup", input.backup.metadata.name ?? "", { errors: status?.errors ?? 0, warnings: status?.warnings ?? 0 }, true);
  d.println();
  describeBackupSpec(d, backup.spec);
  d.println();
  await describeStatus(d, input);
  if (input.deleteRequests.length > 0) {
    d.println();
    describeDeleteRequests(d, input.deleteRequests);
  }
  return d.render();
}
