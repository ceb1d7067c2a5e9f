// DeleteItemAction over gRPC (generated.DeleteItemAction), host side.
import type { DeleteItemActionClient } from "@velero-ts/proto/generated/generated/DeleteItemAction";
import type { DeleteItemActionAppliesToResponse__Output } from "@velero-ts/proto/generated/generated/DeleteItemActionAppliesToResponse";
import type { Backup, UnstructuredItem } from "../api/v1/types.js";
import type { DeleteItemAction, ResourceSelector } from "../contract/plugins.js";
import { serviceClient, type PluginConnection } from "./connection.js";
import { selectorFromProto } from "./convert.js";
import { encodeJson } from "./json.js";
import type { CallContext } from "./status.js";
import { callUnary } from "./unary.js";

export class DeleteItemActionGrpcClient implements DeleteItemAction {
  readonly #client: DeleteItemActionClient;
  readonly #name: string;

  constructor(conn: PluginConnection, name: string) {
    this.#client = serviceClient<DeleteItemActionClient>(conn, "deleteItemAction");
    this.#name = name;
  }

  #ctx(method: string): CallContext {
    return { kind: "DeleteItemAction", name: this.#name, method };
  }

  async appliesTo(): Promise<ResourceSelector> {
    const res = await callUnary<object, DeleteItemActionAppliesToResponse__Output>(this.#client, this.#ctx("AppliesTo"), { plugin: this.#name });
    return selectorFromProto(res.ResourceSelector);
  }

  async execute(item: UnstructuredItem, backup: Backup): Promise<void> {
    await callUnary(this.#client, this.#ctx("Execute"), { plugin: this.#name, item: encodeJson(item), backup: encodeJson(backup) });
  }
}

export function createDeleteItemActionClient(conn: PluginConnection, name: string): DeleteItemAction {
  return new DeleteItemActionGrpcClient(conn, name);
}
