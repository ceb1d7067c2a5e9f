// generated.BackupItemAction (v1) and v2.BackupItemAction served from registrations, plugin side.
import type { BackupItemActionHandlers as V1Handlers } from "@velero-ts/proto/generated/generated/BackupItemAction";
import type { BackupItemActionHandlers as V2Handlers } from "@velero-ts/proto/generated/v2/BackupItemAction";
import type { Backup, UnstructuredItem } from "../api/v1/types.js";
import { identifiersToProto, progressToProto, selectorToProto } from "./convert.js";
import { InflightCalls, unary } from "./handler.js";
import { decodeJson, encodeJson } from "./json.js";
import type { PluginRegistry } from "./registry.js";

/**
 * !!! RESPONSE RULE: Execute replies ALWAYS carry the item bytes. The Go host JSON-decodes them
 * unconditionally ("unexpected end of JSON input" otherwise). When the implementation returns no
 * item, the input item is sent back as the implementation left it: Velero's Go server echoes the
 * request bytes, which in Go are the same item unless it was changed in place; JavaScript code
 * often changes its input in place, and that change must not be lost.
 */
export function itemReply(item: UnstructuredItem | undefined, input: UnstructuredItem): Buffer {
  return encodeJson(item === undefined || item === null ? input : item);
}

export function backupItemActionHandlers(registry: PluginRegistry, calls: InflightCalls): V1Handlers {
  const action = (name: string) => registry.get("BackupItemAction", name);
  return {
    AppliesTo: unary(calls, async (req) => ({ ResourceSelector: selectorToProto(await (await action(req.plugin)).appliesTo()) })),
    Execute: unary(calls, async (req) => {
      const item = decodeJson<UnstructuredItem>(req.item, "Execute item");
      const backup = decodeJson<Backup>(req.backup, "Execute backup");
      const out = await (await action(req.plugin)).execute(item, backup);
      return { item: itemReply(out?.item, item), additionalItems: identifiersToProto(out?.additionalItems) };
    }),
  };
}

export function backupItemActionV2Handlers(registry: PluginRegistry, calls: InflightCalls): V2Handlers {
  const action = (name: string) => registry.get("BackupItemActionV2", name);
  return {
    AppliesTo: unary(calls, async (req) => ({ ResourceSelector: selectorToProto(await (await action(req.plugin)).appliesTo()) })),
    Execute: unary(calls, async (req) => {
      const item = decodeJson<UnstructuredItem>(req.item, "Execute item");
      const backup = decodeJson<Backup>(req.backup, "Execute backup");
      const out = await (await action(req.plugin)).execute(item, backup);
      return {
        item: itemReply(out?.item, item),
        additionalItems: identifiersToProto(out?.additionalItems),
        operationID: out?.operationId ?? "",
        postOperationItems: identifiersToProto(out?.postOperationItems),
      };
    }),
    // !!! RESPONSE RULE: progress is ALWAYS set (the Go host dereferences it without a nil check).
    Progress: unary(calls, async (req) => {
      const backup = decodeJson<Backup>(req.backup, "Progress backup");
      const progress = await (await action(req.plugin)).progress(req.operationID, backup);
      return { progress: progressToProto(progress ?? { completed: false, err: "", nCompleted: 0, nTotal: 0, operationUnits: "", description: "" }) };
    }),
    Cancel: unary(calls, async (req) => {
      const backup = decodeJson<Backup>(req.backup, "Cancel backup");
      await (await action(req.plugin)).cancel(req.operationID, backup);
      return {};
    }),
  };
}
