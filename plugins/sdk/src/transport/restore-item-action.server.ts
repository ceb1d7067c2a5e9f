// generated.RestoreItemAction (v1) and v2.RestoreItemAction served from registrations, plugin side.
import type { RestoreItemActionHandlers as V1Handlers } from "@velero-ts/proto/generated/generated/RestoreItemAction";
import type { RestoreItemActionHandlers as V2Handlers } from "@velero-ts/proto/generated/v2/RestoreItemAction";
import type { Restore, UnstructuredItem } from "../api/v1/types.js";
import type { RestoreItemActionInput } from "../contract/plugins.js";
import { itemReply } from "./backup-item-action.server.js";
import { identifiersFromProto, identifiersToProto, msToDuration, progressToProto, selectorToProto } from "./convert.js";
import { InflightCalls, unary } from "./handler.js";
import { decodeJson } from "./json.js";
import type { PluginRegistry } from "./registry.js";

function executeInput(req: { item: Buffer; restore: Buffer; itemFromBackup: Buffer }): RestoreItemActionInput {
  return {
    item: decodeJson<UnstructuredItem>(req.item, "Execute item"),
    itemFromBackup: decodeJson<UnstructuredItem>(req.itemFromBackup, "Execute itemFromBackup"),
    restore: decodeJson<Restore>(req.restore, "Execute restore"),
  };
}

export function restoreItemActionHandlers(registry: PluginRegistry, calls: InflightCalls): V1Handlers {
  const action = (name: string) => registry.get("RestoreItemAction", name);
  return {
    AppliesTo: unary(calls, async (req) => ({ ResourceSelector: selectorToProto(await (await action(req.plugin)).appliesTo()) })),
    // !!! RESPONSE RULE: the item is returned even when skipRestore is true (itemReply).
    Execute: unary(calls, async (req) => {
      const input = executeInput(req);
      const out = await (await action(req.plugin)).execute(input);
      return { item: itemReply(out?.item, input.item), additionalItems: identifiersToProto(out?.additionalItems), skipRestore: out?.skipRestore ?? false };
    }),
  };
}

export function restoreItemActionV2Handlers(registry: PluginRegistry, calls: InflightCalls): V2Handlers {
  const action = (name: string) => registry.get("RestoreItemActionV2", name);
  return {
    AppliesTo: unary(calls, async (req) => ({ ResourceSelector: selectorToProto(await (await action(req.plugin)).appliesTo()) })),
    Execute: unary(calls, async (req) => {
      const input = executeInput(req);
      const out = await (await action(req.plugin)).execute(input);
      return {
        item: itemReply(out?.item, input.item),
        additionalItems: identifiersToProto(out?.additionalItems),
        skipRestore: out?.skipRestore ?? false,
        operationID: out?.operationId ?? "",
        waitForAdditionalItems: out?.waitForAdditionalItems ?? false,
        additionalItemsReadyTimeout: msToDuration(out?.additionalItemsReadyTimeoutMs ?? 0),
      };
    }),
    // !!! RESPONSE RULE: progress is ALWAYS set.
    Progress: unary(calls, async (req) => {
      const restore = decodeJson<Restore>(req.restore, "Progress restore");
      const progress = await (await action(req.plugin)).progress(req.operationID, restore);
      return { progress: progressToProto(progress ?? { completed: false, err: "", nCompleted: 0, nTotal: 0, operationUnits: "", description: "" }) };
    }),
    Cancel: unary(calls, async (req) => {
      await (await action(req.plugin)).cancel(req.operationID, decodeJson<Restore>(req.restore, "Cancel restore"));
      return {};
    }),
    AreAdditionalItemsReady: unary(calls, async (req) => ({
      ready: await (await action(req.plugin)).areAdditionalItemsReady(
        identifiersFromProto(req.additionalItems),
        decodeJson<Restore>(req.restore, "AreAdditionalItemsReady restore"),
      ),
    })),
  };
}
