/**
 * The ItemBlockAction conformance suite (vitest): appliesTo and the related items Velero backs up
 * in the same block as each item.
 *
 * ```ts
 * describeItemBlockActionConformance("MyGrouping", async () => ({
 *   action: new MyGrouping(), backup: aBackup, items: [aPod],
 * }));
 * ```
 */
import { it } from "vitest";
import type { Backup, UnstructuredItem } from "../api/v1/types.js";
import type { ItemBlockAction } from "../contract/plugins.js";
import { attempt, describeTargetSuite, expectIdentifiers, expectSamples, expectSelector, itemLabel } from "./action-checks.js";

export interface ItemBlockActionConformanceTarget {
  action: ItemBlockAction;
  backup: Backup;
  /** Items the action applies to. */
  items: UnstructuredItem[];
  /** Called once after the suite (e.g. to close a startTestPluginServer). */
  cleanup?: () => Promise<void>;
}

/** @internal The body of each test of the suite (exported for the SDK's own tests). */
export const itemBlockActionChecks = {
  async appliesTo({ action, items }: ItemBlockActionConformanceTarget): Promise<void> {
    expectSelector(await attempt("appliesTo()", () => action.appliesTo()), "appliesTo()", items);
  },

  async relatedItems({ action, backup, items }: ItemBlockActionConformanceTarget): Promise<void> {
    expectSamples(items);
    for (const item of items) {
      const call = `getRelatedItems(${itemLabel(item)})`;
      expectIdentifiers(await attempt(call, () => action.getRelatedItems(structuredClone(item), structuredClone(backup))), call);
    }
  },
};

export function describeItemBlockActionConformance(name: string, factory: () => Promise<ItemBlockActionConformanceTarget>): void {
  describeTargetSuite(`ItemBlockAction conformance: ${name}`, factory, (get) => {
    it("returns a well-formed selector from appliesTo", () => itemBlockActionChecks.appliesTo(get()));

    it("returns well-formed related-item identifiers for every sample item", () => itemBlockActionChecks.relatedItems(get()));
  });
}
