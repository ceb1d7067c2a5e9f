/**
 * `velero backup describe NAME -o json`: Velero's structured describer
 * (pkg/cmd/util/output/backup_structured_describer.go), a document of its own, not the Backup
 * object: `phase`, `spec.TTL`, `status.started`, `status.backupVolumes`... Encoded as Velero's
 * StructuredDescriber encodes it: map keys sorted, no HTML escaping, four-space indent, newline.
 */
import type { Backup, BackupSpec, DeleteBackupRequest } from "@velero-ts/plugin-sdk";
import { normalizeDuration } from "../flags/duration.js";
import { formatLabelSelector } from "../flags/label-selector.js";
import { boolPointerString, EMPTY_DISPLAY, joinOr } from "./describer.js";
import { errorText, groupByPhase, isMissing, volumesByPod, type PodVolumeOp, type Result } from "./describe-common.js";
import { legacyVolumeInfos, type BackupDescribeInput, type BackupVolumeInfo } from "./describe-backup.js";
import { formatGoTime } from "./format.js";
import { compareUtf8 } from "../../shared/utf8-order.js";

type Doc = Record<string, unknown>;


/** Go's json.Encoder with SetEscapeHTML(false) and SetIndent("", "    ") over a map[string]any. */
export function encodeStructured(doc: Doc): string {
  const sorted = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sorted);
    if (v !== null && typeof v === "object") {
      return Object.fromEntries(
        Object.keys(v)
          .sort(compareUtf8)
          .map((k) => [k, sorted((v as Doc)[k])]),
      );
    }
    return v === undefined ? null : v;
  };
  // Go escapes U+2028 and U+2029 even without HTML escaping
  return JSON.stringify(sorted(doc), null, 4).replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029") + "\n";
}

function describeSpec(spec: BackupSpec): Doc {
  const out: Doc = {
    namespaces: { included: joinOr(spec.includedNamespaces, "*"), excluded: joinOr(spec.excludedNamespaces, EMPTY_DISPLAY) },
    resources: {
      included: joinOr(spec.includedResources, "*"),
      excluded: joinOr(spec.excludedResources, EMPTY_DISPLAY),
      clusterScoped: boolPointerString(spec.includeClusterResources ?? undefined, "excluded", "included", "auto"),
    },
    labelSelector: spec.labelSelector ? formatLabelSelector(spec.labelSelector) : EMPTY_DISPLAY,
    storageLocation: spec.storageLocation ?? "",
    veleroNativeSnapshotPVs: boolPointerString(spec.snapshotVolumes ?? undefined, "false", "true", "auto"),
    veleroSnapshotMoveData: boolPointerString(spec.snapshotMoveData ?? undefined, "false", "true", "auto"),
    dataMover: spec.datamover ? spec.datamover : EMPTY_DISPLAY,
    TTL: normalizeDuration(spec.ttl),
    CSISnapshotTimeout: normalizeDuration(spec.csiSnapshotTimeout),
  };
  const hooks = spec.hooks?.resources ?? [];
  if (hooks.length > 0) {
    const resources: Doc = {};
    for (const hook of hooks) {
      const exec = (list: typeof hook.pre) =>
        (list ?? [])
          .filter((h) => h.exec)
          .map((h) => ({ container: h.exec.container ?? "", command: h.exec.command.join(" "), "onError:": h.exec.onError ?? "", timeout: normalizeDuration(h.exec.timeout) }));
      resources[hook.name] = {
        namespaces: { included: joinOr(hook.includedNamespaces, "*"), excluded: joinOr(hook.excludedNamespaces, EMPTY_DISPLAY) },
        resources: { included: joinOr(hook.includedResources, "*"), excluded: joinOr(hook.excludedResources, EMPTY_DISPLAY) },
        labelSelector: hook.labelSelector ? formatLabelSelector(hook.labelSelector) : EMPTY_DISPLAY,
        preExecHook: exec(hook.pre),
        postExecHook: exec(hook.post),
      };
    }
    out["hooks"] = { resources };
  }
  if (spec.orderedResources) out["orderedResources"] = spec.orderedResources;
  return out;
}

/** errors/warnings: the stored results (Velero's describeResultInSF), or the bare counts when none were stored. */
async function describeResults(input: BackupDescribeInput, doc: Doc): Promise<void> {
  const s = input.backup.status ?? {};
  const errorCount = s.errors ?? 0;
  const warningCount = s.warnings ?? 0;
  if (errorCount === 0 && warningCount === 0) return;
  const errors: Doc = {};
  const warnings: Doc = {};
  doc["errors"] = errors;
  doc["warnings"] = warnings;
  let results: { errors?: Result; warnings?: Result } | null;
  try {
    results = await input.files.json<{ errors?: Result; warnings?: Result } | null>("BackupResults", input.backup.metadata.name ?? "");
  } catch (err) {
    if (isMissing(err)) {
      errors["count"] = errorCount;
      warnings["count"] = warningCount;
      return;
    }
    // (Velero puts a Go error value here, which its encoder writes as {})
    errors["errorGettingErrors"] = {};
    warnings["errorGettingWarnings"] = {};
    return;
  }
  const fill = (m: Doc, r: Result | undefined): void => {
    m["velero"] = r?.velero?.length ? r.velero : [];
    m["cluster"] = r?.cluster?.length ? r.cluster : [];
    m["namespace"] = r?.namespaces && Object.keys(r.namespaces).length > 0 ? r.namespaces : [];
  };
  if (warningCount > 0) fill(warnings, results?.warnings);
  if (errorCount > 0) fill(errors, results?.errors);
}

async function describeVolumes(input: BackupDescribeInput): Promise<Doc> {
  const volumes: Doc = {};
  const name = input.backup.metadata.name ?? "";
  let native: BackupVolumeInfo[] = [];
  let csi: BackupVolumeInfo[] = [];
  let legacy = false;
  try {
    const infos = (await input.files.json<BackupVolumeInfo[] | null>("BackupVolumeInfos", name)) ?? [];
    native = infos.filter((i) => i.backupMethod === "NativeSnapshot");
    csi = infos.filter((i) => i.backupMethod === "CSISnapshot");
  } catch (err) {
    if (!isMissing(err)) {
      volumes["errorGetBackupVolumeInfo"] = `error getting backup volume info: ${errorText(err)}`;
      return volumes;
    }
    legacy = true;
    try {
      ({ native, csi } = await legacyVolumeInfos(input));
    } catch (legacyErr) {
      volumes["errorConcludeNativeSnapshot"] = `error concluding native snapshot info: ${errorText(legacyErr)}`;
      return volumes;
    }
  }
  if (native.length === 0) volumes["nativeSnapshots"] = "<none included>";
  else {
    const details: Doc = {};
    for (const info of native) {
      details[info.pvName ?? ""] = input.details
        ? {
            snapshotID: info.nativeSnapshotInfo?.snapshotHandle ?? "",
            type: info.nativeSnapshotInfo?.volumeType ?? "",
            availabilityZone: info.nativeSnapshotInfo?.volumeAZ ?? "",
            IOPS: info.nativeSnapshotInfo?.iops ?? "",
            result: info.result ?? "",
          }
        : "specify --details for more information";
    }
    volumes["nativeSnapshots"] = details;
  }
  if (csi.length === 0) volumes["csiSnapshots"] = legacy ? "<none included or not detectable>" : "<none included>";
  else {
    const details: Doc = {};
    for (const info of csi) {
      const detail: Doc = {};
      if (info.preserveLocalSnapshot) {
        const c = info.csiSnapshotInfo ?? {};
        detail["snapshot"] = input.details
          ? {
              ...(info.snapshotDataMoved ? {} : { operationID: c.operationID ?? "" }),
              snapshotContentName: c.vscName ?? "",
              storageSnapshotID: c.snapshotHandle ?? "",
              "snapshotSize(bytes)": c.size ?? 0,
              csiDriver: c.driver ?? "",
              result: info.result ?? "",
            }
          : "included, specify --details for more information";
      }
      if (info.snapshotDataMoved) {
        const m = info.snapshotDataMovementInfo ?? {};
        detail["dataMovement"] = input.details
          ? {
              operationID: m.operationID ?? "",
              dataMover: m.dataMover || "velero",
              uploaderType: m.uploaderType ?? "",
              result: info.result ?? "",
              ...((m.size ?? 0) > 0 || (m.incrementalSize ?? 0) > 0 ? { size: m.size ?? 0, incrementalSize: m.incrementalSize ?? 0 } : {}),
            }
          : "included, specify --details for more information";
      }
      details[`${info.pvcNamespace ?? ""}/${info.pvcName ?? ""}`] = detail;
    }
    volumes["csiSnapshots"] = details;
  }
  volumes["podVolumeBackups"] = describePodVolumeBackups(input.podVolumeBackups, input.details);
  return volumes;
}

function describePodVolumeBackups(pvbs: PodVolumeOp[], details: boolean): unknown {
  if (pvbs.length === 0) return "<none included>";
  const byPhase = groupByPhase(pvbs);
  const phases: Doc = {};
  for (const phase of ["Completed", "Failed", "Canceled", "In Progress", "Canceling", "Prepared", "Accepted", "New"]) {
    const list = byPhase.get(phase) ?? [];
    if (list.length === 0) continue;
    phases[phase] = details ? volumesByPod(list, phase).map((g) => ({ [g.label]: g.volumes.join(", ") })) : list.length;
  }
  // ("uploderType": Velero's spelling)
  return { uploderType: pvbs[0]?.spec.uploaderType ?? "", podVolumeBackupsDetails: phases };
}

async function describeStatus(input: BackupDescribeInput): Promise<Doc> {
  const s = input.backup.status ?? {};
  const status: Doc = {
    backupFormatVersion: s.formatVersion ?? "",
    started: s.startTimestamp ? formatGoTime(s.startTimestamp) : "<n/a>",
    completed: s.completionTimestamp ? formatGoTime(s.completionTimestamp) : "<n/a>",
    expiration: formatGoTime(s.expiration),
  };
  if (s.progress) {
    if (s.phase === "InProgress") {
      status["estimatedTotalItemsToBeBackedUp"] = s.progress.totalItems ?? 0;
      status["itemsBackedUpSoFar"] = s.progress.itemsBackedUp ?? 0;
    } else {
      status["totalItemsToBeBackedUp"] = s.progress.totalItems ?? 0;
      status["itemsBackedUp"] = s.progress.itemsBackedUp ?? 0;
    }
  }
  if (input.details) {
    try {
      status["resourceList"] = (await input.files.json<Record<string, string[]> | null>("BackupResourceList", input.backup.metadata.name ?? "")) ?? null;
    } catch (err) {
      status["errorGettingResourceList"] = isMissing(err) ? "<backup resource list not found>" : `<error getting backup resource list: ${errorText(err)}>`;
    }
  }
  status["backupVolumes"] = await describeVolumes(input);
  if (s.hookStatus) {
    status["hooksAttempted"] = s.hookStatus.hooksAttempted ?? 0;
    status["hooksFailed"] = s.hookStatus.hooksFailed ?? 0;
  }
  return status;
}

function describeDeleteRequests(requests: DeleteBackupRequest[]): Doc {
  const failed = requests.filter((r) => r.status?.phase === "Processed" && (r.status.errors?.length ?? 0) > 0).length;
  return {
    ...(failed > 0 ? { failed } : {}),
    deleteBackupRequests: requests.map((r) => ({
      creationTimestamp: formatGoTime(r.metadata.creationTimestamp),
      phase: r.status?.phase ?? "",
      ...((r.status?.errors?.length ?? 0) > 0 ? { errors: r.status?.errors } : {}),
    })),
  };
}

/** The structured description of one backup (Velero's DescribeBackupInSF). */
export async function describeBackupStructured(input: BackupDescribeInput): Promise<string> {
  const b: Backup = input.backup;
  const doc: Doc = {
    metadata: { name: b.metadata.name ?? "", namespace: b.metadata.namespace ?? "", labels: b.metadata.labels ?? null, annotations: b.metadata.annotations ?? null },
    phase: b.status?.phase ?? "",
  };
  if (b.spec.resourcePolicy) doc["resourcePolicies"] = { type: b.spec.resourcePolicy.kind, name: b.spec.resourcePolicy.name };
  if ((b.status?.validationErrors?.length ?? 0) > 0) doc["validationErrors"] = b.status?.validationErrors;
  await describeResults(input, doc);
  doc["spec"] = describeSpec(b.spec);
  doc["status"] = await describeStatus(input);
  if (input.deleteRequests.length > 0) doc["deletionAttempts"] = describeDeleteRequests(input.deleteRequests);
  return encodeStructured(doc);
}
