import { describe, expect, it } from "vitest";
import type { Backup, Restore } from "../api/v1/types.js";
import { emptyResourceSelector } from "../contract/plugins.js";
import { adaptBackupItemActionV1, adaptRestoreItemActionV1 } from "./adapters.js";

const backup = { metadata: { name: "b1" } } as unknown as Backup;
const restore = { metadata: { name: "r1" } } as unknown as Restore;

describe("v1 -> v2 adapters (Velero's AdaptedV1Restartable* actions)", () => {
  it("a v1 BackupItemAction: cancel succeeds (nothing to cancel), progress says it has no operations", async () => {
    const v2 = adaptBackupItemActionV1({ appliesTo: async () => emptyResourceSelector(), execute: async (item) => ({ item, additionalItems: [] }) });
    await expect(v2.cancel("op-1", backup)).resolves.toBeUndefined();
    await expect(v2.progress("op-1", backup)).rejects.toThrow(/never starts asynchronous operations/);
  });

  it("a v1 RestoreItemAction: cancel succeeds, progress says it has no operations, additional items are ready", async () => {
    const v2 = adaptRestoreItemActionV1({ appliesTo: async () => emptyResourceSelector(), execute: async ({ item }) => ({ item, additionalItems: [], skipRestore: false }) });
    await expect(v2.cancel("op-1", restore)).resolves.toBeUndefined();
    await expect(v2.progress("op-1", restore)).rejects.toThrow(/never starts asynchronous operations/);
    await expect(v2.areAdditionalItemsReady([], restore)).resolves.toBe(true);
  });
});
