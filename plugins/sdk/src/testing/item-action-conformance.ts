/**
 * Conformance suites for backup and restore item actions (vitest): the response rules a Velero
 * host relies on. For a v2 action (one with `progress`), every operation `execute` starts for a
 * sample item is also asked for its progress and then cancelled.
 *
 * ```ts
 * describeBackupItemActionConformance("MyAction", async () => ({
 *   action: new MyAction(), backup: aBackup, items: [aPod, aPvc],
 * }));
 * ```
 */
import { it } from "vitest";
import type { Backup, Restore, UnstructuredItem } from "../api/v1/types.js";
import type { BackupItemAction, BackupItemActionV2, BackupItemActionV2Output, RestoreItemAction, RestoreItemActionV2 } from "../contract/plugins.js";
import {
  attempt,
  describeTargetSuite,
  expectBoolean,
  expectOptionalBoolean,
  expectIdentifiers,
  expectJsonItem,
  expectOperationId,
  expectOperationProgress,
  expectSamples,
  expectSelector,
  itemLabel,
} from "./action-checks.js";

export interface BackupItemActionConformanceTarget {
  action: BackupItemAction | BackupItemActionV2;
  backup: Backup;
  /** Items the action applies to. */
  items: UnstructuredItem[];
  /** Called once after the suite (e.g. to close a startTestPluginServer). */
  cleanup?: () => Promise<void>;
}

export interface RestoreItemActionConformanceTarget {
  action: RestoreItemAction | RestoreItemActionV2;
  restore: Restore;
  /** Items the action applies to (used as both item and itemFromBackup). */
  items: UnstructuredItem[];
  /** Called once after the suite (e.g. to close a startTestPluginServer). */
  cleanup?: () => Promise<void>;
}

function isBackupItemActionV2(action: BackupItemAction | BackupItemActionV2): action is BackupItemActionV2 {
  return typeof (action as Partial<BackupItemActionV2>).progress === "function";
}

function isRestoreItemActionV2(action: RestoreItemAction | RestoreItemActionV2): action is RestoreItemActionV2 {
  return typeof (action as Partial<RestoreItemActionV2>).progress === "function";
}

/** @internal The body of each test of the BackupItemAction suite (exported for the SDK's own tests). */
export const backupItemActionChecks = {
  async appliesTo({ action, items }: BackupItemActionConformanceTarget): Promise<void> {
    expectSelector(await attempt("appliesTo()", () => action.appliesTo()), "appliesTo()", items);
  },

  async execute({ action, backup, items }: BackupItemActionConformanceTarget): Promise<void> {
    expectSamples(items);
    for (const item of items) {
      const call = `execute(${itemLabel(item)})`;
      const out = await attempt(call, () => action.execute(structuredClone(item), structuredClone(backup)));
      expectJsonItem(out?.item, call);
      expectIdentifiers(out.additionalItems, `${call}.additionalItems`, { optional: true });
      if ("postOperationItems" in out) expectIdentifiers((out as BackupItemActionV2Output).postOperationItems, `${call}.postOperationItems`, { optional: true });
    }
  },

  /** Returns how many operations were checked (0 for a v1 action or when none was started). */
  async operations({ action, backup, items }: BackupItemActionConformanceTarget): Promise<number> {
    if (!isBackupItemActionV2(action)) return 0;
    expectSamples(items);
    let checked = 0;
    for (const item of items) {
      const call = `execute(${itemLabel(item)})`;
      const out = await attempt(call, () => action.execute(structuredClone(item), structuredClone(backup)));
      const operationId = expectOperationId(out.operationId, call);
      if (operationId === "") continue;
      const progressCall = `progress(${JSON.stringify(operationId)}) for the operation ${call} started`;
      expectOperationProgress(await attempt(progressCall, () => action.progress(operationId, structuredClone(backup))), progressCall);
      await attempt(`cancel(${JSON.stringify(operationId)}) for the operation ${call} started`, () => action.cancel(operationId, structuredClone(backup)));
      checked++;
    }
    return checked;
  },
};

/** @internal The body of each test of the RestoreItemAction suite (exported for the SDK's own tests). */
export const restoreItemActionChecks = {
  async appliesTo({ action, items }: RestoreItemActionConformanceTarget): Promise<void> {
    expectSelector(await attempt("appliesTo()", () => action.appliesTo()), "appliesTo()", items);
  },

  async execute({ action, restore, items }: RestoreItemActionConformanceTarget): Promise<void> {
    expectSamples(items);
    for (const item of items) {
      const call = `execute(${itemLabel(item)})`;
      const out = await attempt(call, () => action.execute(restoreInput(item, restore)));
      expectJsonItem(out?.item, call);
      expectIdentifiers(out.additionalItems, `${call}.additionalItems`, { optional: true });
      expectOptionalBoolean(out.skipRestore, `${call}.skipRestore`);
    }
  },

  /** Returns how many operations were checked (0 for a v1 action or when none was started). */
  async operations({ action, restore, items }: RestoreItemActionConformanceTarget): Promise<number> {
    if (!isRestoreItemActionV2(action)) return 0;
    expectSamples(items);
    let checked = 0;
    for (const item of items) {
      const call = `execute(${itemLabel(item)})`;
      const out = await attempt(call, () => action.execute(restoreInput(item, restore)));
      const operationId = expectOperationId(out.operationId, call);
      if (operationId === "") continue;
      const progressCall = `progress(${JSON.stringify(operationId)}) for the operation ${call} started`;
      expectOperationProgress(await attempt(progressCall, () => action.progress(operationId, structuredClone(restore))), progressCall);
      await attempt(`cancel(${JSON.stringify(operationId)}) for the operation ${call} started`, () => action.cancel(operationId, structuredClone(restore)));
      checked++;
    }
    return checked;
  },

  /**
   * Asks areAdditionalItemsReady about the additional items of each sample item's execute output
   * (what Velero passes when the output says to wait). Returns false for a v1 action.
   */
  async additionalItemsReady({ action, restore, items }: RestoreItemActionConformanceTarget): Promise<boolean> {
    if (!isRestoreItemActionV2(action)) return false;
    expectSamples(items);
    for (const item of items) {
      const out = await attempt(`execute(${itemLabel(item)})`, () => action.execute(restoreInput(item, restore)));
      const additional = out.additionalItems ?? [];
      const call = `areAdditionalItemsReady(the ${additional.length} additional item(s) of ${itemLabel(item)})`;
      expectBoolean(await attempt(call, () => action.areAdditionalItemsReady(structuredClone(additional), structuredClone(restore))), call);
    }
    return true;
  },
};

function restoreInput(item: UnstructuredItem, restore: Restore): { item: UnstructuredItem; itemFromBackup: UnstructuredItem; restore: Restore } {
  return { item: structuredClone(item), itemFromBackup: structuredClone(item), restore: structuredClone(restore) };
}

export function describeBackupItemActionConformance(name: string, factory: () => Promise<BackupItemActionConformanceTarget>): void {
  describeTargetSuite(`BackupItemAction conformance: ${name}`, factory, (get) => {
    it("returns a well-formed selector from appliesTo", () => backupItemActionChecks.appliesTo(get()));

    it("returns a JSON-safe item and well-formed additional items for every sample item", () => backupItemActionChecks.execute(get()));

    it("v2 only: reports well-formed progress for, and cancels, every operation it starts (nothing to check for a v1 action or one starting none)", async () => {
      await backupItemActionChecks.operations(get());
    });
  });
}

export function describeRestoreItemActionConformance(name: string, factory: () => Promise<RestoreItemActionConformanceTarget>): void {
  describeTargetSuite(`RestoreItemAction conformance: ${name}`, factory, (get) => {
    it("returns a well-formed selector from appliesTo", () => restoreItemActionChecks.appliesTo(get()));

    it("always returns a JSON-safe item, even when skipping the restore", () => restoreItemActionChecks.execute(get()));

    it("v2 only: reports well-formed progress for, and cancels, every operation it starts, and answers areAdditionalItemsReady with a boolean (nothing to check for a v1 action)", async () => {
      await restoreItemActionChecks.operations(get());
      await restoreItemActionChecks.additionalItemsReady(get());
    });
  });
}
