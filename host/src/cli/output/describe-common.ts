/** Pieces shared by the backup and restore describers. */
import type { DownloadTargetKind } from "@velero-ts/plugin-sdk";
import { DownloadNotFoundError } from "../download-request.js";
import type { Describer } from "./describer.js";
import { formatGoTime } from "./format.js";

/** Fetches gzip-JSON side files; rejects with DownloadNotFoundError when the file is absent. */
export interface SideFiles {
  json<T>(kind: DownloadTargetKind, name: string): Promise<T>;
}

export function isMissing(err: unknown): boolean {
  return err instanceof DownloadNotFoundError;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export interface Result {
  velero?: string[] | null;
  cluster?: string[] | null;
  namespaces?: Record<string, string[] | null> | null;
}

export function describeResult(d: Describer, name: string, result: Result | undefined): void {
  d.printf(`${name}:\n`);
  d.describeSlice(1, "Velero", result?.velero ?? undefined);
  d.describeSlice(1, "Cluster", result?.cluster ?? undefined);
  const namespaces = Object.entries(result?.namespaces ?? {});
  if (namespaces.length === 0) {
    d.printf("\tNamespaces: <none>\n");
    return;
  }
  d.printf("\tNamespaces:\n");
  for (const [ns, messages] of namespaces) d.describeSlice(2, ns, messages ?? undefined);
}

export function describeResourceList(d: Describer, list: Record<string, string[] | null>): void {
  d.println("Resource List:");
  for (const gvk of Object.keys(list).sort()) {
    d.printf(`\t${gvk}:\n\t\t- ${(list[gvk] ?? []).join("\n\t\t- ")}\n`);
  }
}

interface ResourceIdentifier {
  Group?: string;
  Resource?: string;
  Namespace?: string;
  Name?: string;
}

export interface ItemOperation {
  spec: {
    backupItemAction?: string;
    restoreItemAction?: string;
    operationID?: string;
    resourceIdentifier?: ResourceIdentifier;
    postOperationItems?: ResourceIdentifier[] | null;
  };
  status?: {
    phase?: string;
    error?: string;
    nCompleted?: number;
    nTotal?: number;
    operationUnits?: string;
    description?: string;
    created?: string;
    started?: string;
    updated?: string;
  };
}

function groupResource(id: ResourceIdentifier | undefined): string {
  if (!id) return "";
  return id.Group ? `${id.Resource}.${id.Group}` : (id.Resource ?? "");
}

export function describeItemOperation(d: Describer, op: ItemOperation, kind: "Backup" | "Restore"): void {
  const id = op.spec.resourceIdentifier;
  d.printf(`\tOperation for ${groupResource(id)} ${id?.Namespace ?? ""}/${id?.Name ?? ""}:\n`);
  d.printf(`\t\t${kind} Item Action Plugin:\t${(kind === "Backup" ? op.spec.backupItemAction : op.spec.restoreItemAction) ?? ""}\n`);
  d.printf(`\t\tOperation ID:\t${op.spec.operationID ?? ""}\n`);
  const post = op.spec.postOperationItems ?? [];
  if (kind === "Backup" && post.length > 0) {
    d.printf("\t\tItems to Update:\n");
    for (const item of post) d.printf(`\t\t\t${groupResource(item)} ${item.Namespace ?? ""}/${item.Name ?? ""}\n`);
  }
  const s = op.status ?? {};
  d.printf(`\t\tPhase:\t${s.phase ?? ""}\n`);
  if (s.error) d.printf(`\t\tOperation Error:\t${s.error}\n`);
  if ((s.nTotal ?? 0) > 0 || (s.nCompleted ?? 0) > 0) {
    d.printf(`\t\tProgress:\t${s.nCompleted ?? 0} of ${s.nTotal ?? 0} complete (${s.operationUnits ?? ""})\n`);
  }
  if (s.description) d.printf(`\t\tProgress description:\t${s.description}\n`);
  if (s.created) d.printf(`\t\tCreated:\t${formatGoTime(s.created)}\n`);
  if (s.started) d.printf(`\t\tStarted:\t${formatGoTime(s.started)}\n`);
  if (s.updated) d.printf(`\t\tUpdated:\t${formatGoTime(s.updated)}\n`);
}

/** A pod volume backup/restore as the describers need it. */
export interface PodVolumeOp {
  spec: { pod?: { namespace?: string; name?: string }; volume?: string; uploaderType?: string };
  status?: { phase?: string; progress?: { totalBytes?: number; bytesDone?: number }; incrementalBytes?: number };
}

const PHASE_GROUP: Record<string, string> = { InProgress: "In Progress", "": "New" };

export function groupByPhase(ops: PodVolumeOp[]): Map<string, PodVolumeOp[]> {
  const out = new Map<string, PodVolumeOp[]>();
  for (const op of ops) {
    const phase = op.status?.phase ?? "";
    const group = PHASE_GROUP[phase] ?? phase;
    out.set(group, [...(out.get(group) ?? []), op]);
  }
  return out;
}

export function volumesByPod(ops: PodVolumeOp[], phase: string): { label: string; volumes: string[] }[] {
  const groups = new Map<string, string[]>();
  for (const op of ops) {
    const key = `${op.spec.pod?.namespace ?? ""}/${op.spec.pod?.name ?? ""}`;
    let volume = op.spec.volume ?? "";
    const total = op.status?.progress?.totalBytes ?? 0;
    const done = op.status?.progress?.bytesDone ?? 0;
    const incremental = op.status?.incrementalBytes ?? 0;
    if (phase === "In Progress" && total !== 0) volume = `${volume} (${((done / total) * 100).toFixed(2)}%)`;
    else if (phase === "Completed" && incremental > 0) volume = `${volume} (size: ${total}, incremental size: ${incremental})`;
    else if (phase === "Completed" && total > 0) volume = `${volume} (size: ${total})`;
    groups.set(key, [...(groups.get(key) ?? []), volume]);
  }
  return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([label, volumes]) => ({ label, volumes: volumes.sort() }));
}

/**
 * The per-phase lines of a pod volume backup/restore section: a count per phase, or with details
 * the volumes of each pod, phases in the given order, each line starting with `indent`.
 */
export function describePodVolumePhases(d: Describer, ops: PodVolumeOp[], details: boolean, phases: readonly string[], indent: string): void {
  const byPhase = groupByPhase(ops);
  for (const phase of phases) {
    const list = byPhase.get(phase) ?? [];
    if (list.length === 0) continue;
    if (!details) {
      d.printf(`${indent}${phase}:\t${list.length}\n`);
      continue;
    }
    d.printf(`${indent}${phase}:\n`);
    for (const group of volumesByPod(list, phase)) d.printf(`${indent}\t${group.label}: ${group.volumes.join(", ")}\n`);
  }
}

/** The Warnings and Errors sections from the stored <Kind>Results file (only when the status counts any). */
export async function describeStoredResults(
  d: Describer,
  files: SideFiles,
  kind: "Backup" | "Restore",
  name: string,
  counts: { errors: number; warnings: number },
  /** Print the bare counts when no results file was stored (backup describe does, restore describe does not). */
  countsWhenMissing: boolean,
): Promise<void> {
  const { errors, warnings } = counts;
  if (errors === 0 && warnings === 0) return;
  let results: { errors?: Result; warnings?: Result };
  try {
    results = await files.json(`${kind}Results`, name);
  } catch (err) {
    if (countsWhenMissing && isMissing(err)) {
      d.printf(`Errors:\t${errors}\n`);
      d.printf(`Warnings:\t${warnings}\n`);
    } else {
      d.printf(`Warnings:\t<error getting warnings: ${errorText(err)}>\n\nErrors:\t<error getting errors: ${errorText(err)}>\n`);
    }
    return;
  }
  if (warnings > 0) {
    d.println();
    describeResult(d, "Warnings", results.warnings);
  }
  if (errors > 0) {
    d.println();
    describeResult(d, "Errors", results.errors);
  }
}

/** The "<Kind> Item Operations" section: counts, or with --details the stored operations. */
export async function describeItemOperations(
  d: Describer,
  files: SideFiles,
  kind: "Backup" | "Restore",
  name: string,
  counts: { attempted?: number; completed?: number; failed?: number },
  details: boolean,
): Promise<void> {
  if ((counts.attempted ?? 0) <= 0) return;
  if (!details) {
    d.printf(
      `${kind} Item Operations:\t${counts.completed ?? 0} of ${counts.attempted ?? 0} completed successfully, ${counts.failed ?? 0} failed (specify --details for more information)\n`,
    );
    return;
  }
  let ops: ItemOperation[] | null;
  try {
    ops = await files.json(`${kind}ItemOperations`, name);
  } catch (err) {
    d.printf(`${kind} Item Operations:\t<error getting operation info: ${errorText(err)}>\n`);
    return;
  }
  d.printf(`${kind} Item Operations:\n`);
  for (const op of ops ?? []) describeItemOperation(d, op, kind);
}
