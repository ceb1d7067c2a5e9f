// ItemBlockAction over gRPC (v1.ItemBlockAction), host side.
import type { ItemBlockActionClient } from "@velero-ts/proto/generated/v1/ItemBlockAction";
import type { ItemBlockActionAppliesToResponse__Output } from "@velero-ts/proto/generated/v1/ItemBlockActionAppliesToResponse";
import type { ItemBlockActionGetRelatedItemsResponse__Output } from "@velero-ts/proto/generated/v1/ItemBlockActionGetRelatedItemsResponse";
import type { Backup, UnstructuredItem } from "../api/v1/types.js";
import type { ItemBlockAction, ResourceIdentifier, ResourceSelector } from "../contract/plugins.js";
import { serviceClient, type PluginConnection } from "./connection.js";
import { identifiersFromProto, selectorFromProto } from "./convert.js";
import { encodeJson } from "./json.js";
import type { CallContext } from "./status.js";
import { callUnary } from "./unary.js";

export class ItemBlockActionGrpcClient implements ItemBlockAction {
  readonly #client: ItemBlockActionClient;
  readonly #name: string;

  constructor(conn: PluginConnection, name: string) {
    this.#client = serviceClient<ItemBlockActionClient>(conn, "itemBlockAction");
    this.#name = name;
  }

  #ctx(method: string): CallContext {
    return { kind: "ItemBlockAction", name: this.#name, method };
  }

  async appliesTo(): Promise<ResourceSelector> {
    const res = await callUnary<object, ItemBlockActionAppliesToResponse__Output>(this.#client, this.#ctx("AppliesTo"), { plugin: this.#name });
    return selectorFromProto(res.ResourceSelector);
  }

  async getRelatedItems(item: UnstructuredItem, backup: Backup): Promise<ResourceIdentifier[]> {
    const res = await callUnary<object, ItemBlockActionGetRelatedItemsResponse__Output>(this.#client, this.#ctx("GetRelatedItems"), {
      plugin: this.#name,
      item: encodeJson(item),
      backup: encodeJson(backup),
    });
    return identifiersFromProto(res.relatedItems);
  }
}

export function createItemBlockActionClient(conn: PluginConnection, name: string): ItemBlockAction {
  return new ItemBlockActionGrpcClient(conn, name);
}
