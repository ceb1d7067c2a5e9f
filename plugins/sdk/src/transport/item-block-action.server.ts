// v1.ItemBlockAction served from registrations, plugin side.
import type { ItemBlockActionHandlers } from "@velero-ts/proto/generated/v1/ItemBlockAction";
import type { Backup, UnstructuredItem } from "../api/v1/types.js";
import { identifiersToProto, selectorToProto } from "./convert.js";
import { InflightCalls, unary } from "./handler.js";
import { decodeJson } from "./json.js";
import type { PluginRegistry } from "./registry.js";

export function itemBlockActionHandlers(registry: PluginRegistry, calls: InflightCalls): ItemBlockActionHandlers {
  const action = (name: string) => registry.get("ItemBlockAction", name);
  return {
    AppliesTo: unary(calls, async (req) => ({ ResourceSelector: selectorToProto(await (await action(req.plugin)).appliesTo()) })),
    GetRelatedItems: unary(calls, async (req) => {
      const item = decodeJson<UnstructuredItem>(req.item, "GetRelatedItems item");
      const backup = decodeJson<Backup>(req.backup, "GetRelatedItems backup");
      return { relatedItems: identifiersToProto(await (await action(req.plugin)).getRelatedItems(item, backup)) };
    }),
  };
}
