/**
 * Conformance suites for item actions (vitest): the response rules a Velero host relies on.
 *
 * ```ts
 * describeBackupItemActionConformance("MyAction", async () => ({
 *   action: new MyAction(), backup: aBackup, items: [aPod, aPvc],
 * }));
 * ```
 */
import { describe, expect, it } from "vitest";
import type { Backup, Restore, UnstructuredItem } from "../api/v1/types.js";
import type {
  BackupItemAction,
  BackupItemActionV2,
  ResourceIdentifier,
  ResourceSelector,
  RestoreItemAction,
  RestoreItemActionV2,
} from "../contract/plugins.js";
import { parseLosslessJson, stringifyLosslessJson } from "../transport/json.js";

export interface BackupItemActionConformanceTarget {
  action: BackupItemAction | BackupItemActionV2;
  backup: Backup;
  /** Items the action applies to. */
  items: UnstructuredItem[];
}

export interface RestoreItemActionConformanceTarget {
  action: RestoreItemAction | RestoreItemActionV2;
  restore: Restore;
  /** Items the action applies to (used as both item and itemFromBackup). */
  items: UnstructuredItem[];
}

function expectSelector(selector: ResourceSelector): void {
  for (const list of [selector.includedNamespaces, selector.excludedNamespaces, selector.includedResources, selector.excludedResources]) {
    expect(Array.isArray(list)).toBe(true);
    for (const entry of list) expect(typeof entry).toBe("string");
  }
  expect(typeof selector.selector).toBe("string");
}

function expectIdentifiers(ids: ResourceIdentifier[]): void {
  expect(Array.isArray(ids)).toBe(true);
  for (const id of ids) {
    expect(typeof id.group).toBe("string");
    expect(id.resource, "resource must be the plural, lowercase resource name").toMatch(/^[a-z0-9]+$/);
    expect(typeof id.namespace).toBe("string");
    expect(id.name).not.toBe("");
  }
}

/** The item must survive the trip through JSON unchanged (no Dates, functions, undefined values, cycles). */
function expectJsonItem(item: UnstructuredItem): void {
  expect(item, "execute must always return the item (the Velero host decodes it unconditionally)").toBeTruthy();
  expect(typeof item.apiVersion).toBe("string");
  expect(typeof item.kind).toBe("string");
  expect(typeof item.metadata?.name).toBe("string");
  expect(parseLosslessJson(stringifyLosslessJson(item))).toEqual(item);
}

export function describeBackupItemActionConformance(name: string, factory: () => Promise<BackupItemActionConformanceTarget>): void {
  describe(`BackupItemAction conformance: ${name}`, () => {
    it("returns a well-formed selector from appliesTo", async () => {
      const { action } = await factory();
      expectSelector(await action.appliesTo());
    });

    it("returns a JSON-safe item and well-formed additional items for every sample item", async () => {
      const { action, backup, items } = await factory();
      expect(items.length).toBeGreaterThan(0);
      for (const item of items) {
        const out = await action.execute(structuredClone(item), structuredClone(backup));
        expectJsonItem(out.item);
        expectIdentifiers(out.additionalItems);
        if ("postOperationItems" in out) expectIdentifiers((out as { postOperationItems: ResourceIdentifier[] }).postOperationItems);
      }
    });
  });
}

export function describeRestoreItemActionConformance(name: string, factory: () => Promise<RestoreItemActionConformanceTarget>): void {
  describe(`RestoreItemAction conformance: ${name}`, () => {
    it("returns a well-formed selector from appliesTo", async () => {
      const { action } = await factory();
      expectSelector(await action.appliesTo());
    });

    it("always returns a JSON-safe item, even when skipping the restore", async () => {
      const { action, restore, items } = await factory();
      expect(items.length).toBeGreaterThan(0);
      for (const item of items) {
        const out = await action.execute({ item: structuredClone(item), itemFromBackup: structuredClone(item), restore: structuredClone(restore) });
        expectJsonItem(out.item);
        expectIdentifiers(out.additionalItems);
        expect(typeof out.skipRestore).toBe("boolean");
      }
    });
  });
}
