// generated.DeleteItemAction served from registrations, plugin side.
import type { DeleteItemActionHandlers } from "@velero-ts/proto/generated/generated/DeleteItemAction";
import type { Backup, UnstructuredItem } from "../api/v1/types.js";
import { selectorToProto } from "./convert.js";
import { InflightCalls, unary } from "./handler.js";
import { decodeJson } from "./json.js";
import type { PluginRegistry } from "./registry.js";

export function deleteItemActionHandlers(registry: PluginRegistry, calls: InflightCalls): DeleteItemActionHandlers {
  const action = (name: string) => registry.get("DeleteItemAction", name);
  return {
    AppliesTo: unary(calls, async (req) => ({ ResourceSelector: selectorToProto(await (await action(req.plugin)).appliesTo()) })),
    Execute: unary(calls, async (req) => {
      const item = decodeJson<UnstructuredItem>(req.item, "Execute item");
      const backup = decodeJson<Backup>(req.backup, "Execute backup");
      await (await action(req.plugin)).execute(item, backup);
      return {};
    }),
  };
}
