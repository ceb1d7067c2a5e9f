/**
 * The restore engine's API for the restore controller and the composition root.
 *
 * - `KubernetesRestorer` (`Restorer`): `restore(RestoreRequest) → RestoreOutcome` runs one restore.
 * - Validation helpers for the controller: `NON_RESTORABLE_RESOURCES`, `validateIncludesExcludes`,
 *   `validateInitContainer`, `parseResourceModifiers` + `validateResourceModifiers`.
 * - `RestoreLogFile`: the per-restore log uploaded as `restore-<r>-logs.gz`.
 * - `builtinRestoreItemActions(deps)`: Velero's built-in RestoreItemActions, for the plugin
 *   registry (with `asRestoreItemActionV2` to use them directly as v2 actions).
 * - `parseRestorePriorities` / `DEFAULT_RESTORE_PRIORITIES`: `--restore-resource-priorities`.
 */
export { KubernetesRestorer, isCrdReady, type KubernetesRestorerOptions, type Restorer } from "./restorer.js";
export {
  NON_RESTORABLE_RESOURCES,
  buildResourceList,
  type BackupVolumeInfo,
  type HookSummary,
  type ItemRestoreAction,
  type RestoreOperation,
  type RestoreOutcome,
  type RestoreProgress,
  type RestoreRequest,
  type RestoreVolumeInfo,
} from "./request.js";
export { RestoreResultSet } from "./results.js";
export { validateIncludesExcludes } from "./filters.js";
export { validateInitContainer } from "./hooks/restore-hooks.js";
export { parseResourceModifiers, validateResourceModifiers, applyResourceModifiers, type ResourceModifiers } from "./resource-modifiers.js";
export { RestoreLogFile } from "./restore-log.js";
export { BackupContentsError, type ExtractLimits } from "./tarball.js";
export { DEFAULT_RESTORE_PRIORITIES, parseRestorePriorities, type RestorePriorities } from "./priorities.js";
export { builtinRestoreItemActions, asRestoreItemActionV2, type BuiltinActionDeps, type BuiltinRestoreItemAction } from "./actions/index.js";
export type { RestoreClock } from "./clock.js";
export type { VolumeSnapshotterGetter } from "./pv-restorer.js";
