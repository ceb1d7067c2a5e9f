/**
 * What backup and restore item operations share: the operation timeout, and what a
 * BackupItemAction v2 or RestoreItemAction v2 reports through Progress, written into the
 * operation's status as Velero's item operation files hold it (pkg/itemoperation: every status
 * field omitempty, so zero counts and empty texts are left out; unset times are not made up).
 */
import type { OperationProgress } from "@velero-ts/plugin-sdk";
import { toKubeTime } from "../shared/clock.js";
import { parseGoDuration } from "../shared/duration.js";

/** Velero's default spec.itemOperationTimeout (backups and restores). */
export const DEFAULT_ITEM_OPERATION_TIMEOUT = "4h0m0s";

/**
 * A spec.itemOperationTimeout in ms; unset, zero or unparsable: the default. A negative one is
 * kept, as Velero (which defaults only a zero timeout) keeps it: every operation times out at its
 * first check.
 */
export function operationTimeoutMs(text: string | undefined): number {
  const fallback = parseGoDuration(DEFAULT_ITEM_OPERATION_TIMEOUT);
  try {
    const ms = parseGoDuration(text || DEFAULT_ITEM_OPERATION_TIMEOUT);
    return ms !== 0 ? ms : fallback;
  } catch {
    return fallback;
  }
}

export interface OperationProgressStatus {
  nCompleted?: number;
  nTotal?: number;
  operationUnits?: string;
  description?: string;
  started?: string;
  updated?: string;
}

/**
 * Updates `status` in place from `p`, as Velero copies every reported field, an emptied count or
 * text included (left out then, omitempty); a time the plugin left unset keeps its earlier value.
 */
export function applyOperationProgress(status: OperationProgressStatus, p: OperationProgress): void {
  delete status.nCompleted;
  delete status.nTotal;
  delete status.operationUnits;
  delete status.description;
  Object.assign(status, {
    ...(p.nCompleted ? { nCompleted: p.nCompleted } : {}),
    ...(p.nTotal ? { nTotal: p.nTotal } : {}),
    ...(p.operationUnits ? { operationUnits: p.operationUnits } : {}),
    ...(p.description ? { description: p.description } : {}),
    ...(p.started && p.started.getTime() > 0 ? { started: toKubeTime(p.started) } : {}),
    ...(p.updated && p.updated.getTime() > 0 ? { updated: toKubeTime(p.updated) } : {}),
  });
}
