/**
 * The DeleteItemAction conformance suite (vitest). Velero runs delete item actions on each item of
 * a backup being deleted; a failure is logged and the deletion goes on, so an action may reject,
 * but only with an Error that says what went wrong.
 *
 * ```ts
 * describeDeleteItemActionConformance("MyCleanup", async () => ({
 *   action: new MyCleanup(fakeCloud), backup: aBackup, items: [aVolumeSnapshotContent],
 * }));
 * ```
 */
import { expect, it } from "vitest";
import type { Backup, UnstructuredItem } from "../api/v1/types.js";
import type { DeleteItemAction } from "../contract/plugins.js";
import { attempt, describeTargetSuite, expectSamples, expectSelector, itemLabel } from "./action-checks.js";

export interface DeleteItemActionConformanceTarget {
  action: DeleteItemAction;
  /** The backup being deleted. */
  backup: Backup;
  /** Items of that backup the action applies to. */
  items: UnstructuredItem[];
  /** Called once after the suite (e.g. to close a startTestPluginServer). */
  cleanup?: () => Promise<void>;
}

/** @internal The body of each test of the suite (exported for the SDK's own tests). */
export const deleteItemActionChecks = {
  async appliesTo({ action, items }: DeleteItemActionConformanceTarget): Promise<void> {
    expectSelector(await attempt("appliesTo()", () => action.appliesTo()), "appliesTo()", items);
  },

  async execute({ action, backup, items }: DeleteItemActionConformanceTarget): Promise<void> {
    expectSamples(items);
    for (const item of items) {
      const call = `execute(${itemLabel(item)})`;
      let failure: unknown;
      try {
        await action.execute(structuredClone(item), structuredClone(backup));
        continue;
      } catch (error) {
        failure = error;
      }
      expect(failure instanceof Error, `${call} rejected with a non-Error value (${String(failure)}): throw an Error`).toBe(true);
      expect((failure as Error).message, `${call} rejected with an Error without a message: say what failed`).not.toBe("");
    }
  },
};

export function describeDeleteItemActionConformance(name: string, factory: () => Promise<DeleteItemActionConformanceTarget>): void {
  describeTargetSuite(`DeleteItemAction conformance: ${name}`, factory, (get) => {
    it("returns a well-formed selector from appliesTo", () => deleteItemActionChecks.appliesTo(get()));

    it("resolves, or rejects with an Error that has a message, for every sample item", () => deleteItemActionChecks.execute(get()));
  });
}
