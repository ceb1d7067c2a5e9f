/**
 * v1 -> v2 adapters (Velero's clientmgmt adapters): a v1 action looks like a v2 action that never
 * starts asynchronous operations.
 */
import type { Backup, Restore, UnstructuredItem } from "../api/v1/types.js";
import { VeleroError } from "../contract/errors.js";
import type {
  BackupItemAction,
  BackupItemActionV2,
  BackupItemActionV2Output,
  OperationProgress,
  ResourceSelectorInit,
  RestoreItemAction,
  RestoreItemActionInput,
  RestoreItemActionV2,
  RestoreItemActionV2Output,
} from "../contract/plugins.js";

function notImplemented(what: string, operationId: string): VeleroError {
  return new VeleroError(
    "VELERO_NOT_IMPLEMENTED",
    `${what} for operation "${operationId}" is not implemented: the action is a v1 plugin and never starts asynchronous operations`,
  );
}

export function adaptBackupItemActionV1(action: BackupItemAction): BackupItemActionV2 {
  return {
    appliesTo: (): Promise<ResourceSelectorInit> => action.appliesTo(),
    async execute(item: UnstructuredItem, backup: Backup): Promise<BackupItemActionV2Output> {
      const out = await action.execute(item, backup);
      return { item: out.item, additionalItems: out.additionalItems, operationId: "", postOperationItems: [] };
    },
    progress(operationId: string, _backup: Backup): Promise<OperationProgress> {
      return Promise.reject(notImplemented("BackupItemAction progress", operationId));
    },
    // Velero's adapter (AdaptedV1RestartableBackupItemAction.Cancel) just returns: nothing to cancel.
    cancel(_operationId: string, _backup: Backup): Promise<void> {
      return Promise.resolve();
    },
  };
}

export function adaptRestoreItemActionV1(action: RestoreItemAction): RestoreItemActionV2 {
  return {
    appliesTo: (): Promise<ResourceSelectorInit> => action.appliesTo(),
    async execute(input: RestoreItemActionInput): Promise<RestoreItemActionV2Output> {
      const out = await action.execute(input);
      return {
        item: out.item,
        additionalItems: out.additionalItems,
        skipRestore: out.skipRestore,
        operationId: "",
        waitForAdditionalItems: false,
        additionalItemsReadyTimeoutMs: 0,
      };
    },
    progress(operationId: string, _restore: Restore): Promise<OperationProgress> {
      return Promise.reject(notImplemented("RestoreItemAction progress", operationId));
    },
    // as Velero's AdaptedV1RestartableRestoreItemAction.Cancel: nothing to cancel
    cancel(_operationId: string, _restore: Restore): Promise<void> {
      return Promise.resolve();
    },
    // v1 actions have no additional-items wait: always ready (as Velero's adapter).
    areAdditionalItemsReady: (): Promise<boolean> => Promise.resolve(true),
  };
}
