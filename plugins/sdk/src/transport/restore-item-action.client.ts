// RestoreItemAction v1 (generated.RestoreItemAction) and v2 (v2.RestoreItemAction) over gRPC, host side.
import type { RestoreItemActionClient as V1Client } from "@velero-ts/proto/generated/generated/RestoreItemAction";
import type { RestoreItemActionClient as V2Client } from "@velero-ts/proto/generated/v2/RestoreItemAction";
import type { RestoreItemActionAppliesToResponse__Output } from "@velero-ts/proto/generated/generated/RestoreItemActionAppliesToResponse";
import type { RestoreItemActionExecuteResponse__Output as V1ExecuteResponse } from "@velero-ts/proto/generated/generated/RestoreItemActionExecuteResponse";
import type { RestoreItemActionExecuteResponse__Output as V2ExecuteResponse } from "@velero-ts/proto/generated/v2/RestoreItemActionExecuteResponse";
import type { RestoreItemActionProgressResponse__Output } from "@velero-ts/proto/generated/v2/RestoreItemActionProgressResponse";
import type { RestoreItemActionItemsReadyResponse__Output } from "@velero-ts/proto/generated/v2/RestoreItemActionItemsReadyResponse";
import type { Restore, UnstructuredItem } from "../api/v1/types.js";
import type {
  OperationProgress,
  ResourceIdentifier,
  ResourceSelector,
  RestoreItemAction,
  RestoreItemActionInput,
  RestoreItemActionOutput,
  RestoreItemActionV2,
  RestoreItemActionV2Output,
} from "../contract/plugins.js";
import { serviceClient, type PluginConnection } from "./connection.js";
import { durationToMs, identifiersFromProto, identifiersToProto, progressFromProto, selectorFromProto } from "./convert.js";
import { encodeJson } from "./json.js";
import type { CallContext } from "./status.js";
import { callUnary, decodeReplyJson } from "./unary.js";

function executeRequest(name: string, input: RestoreItemActionInput): object {
  return { plugin: name, item: encodeJson(input.item), restore: encodeJson(input.restore), itemFromBackup: encodeJson(input.itemFromBackup) };
}

export class RestoreItemActionGrpcClient implements RestoreItemAction {
  readonly #client: V1Client;
  readonly #name: string;

  constructor(conn: PluginConnection, name: string) {
    this.#client = serviceClient<V1Client>(conn, "restoreItemAction");
    this.#name = name;
  }

  #ctx(method: string): CallContext {
    return { kind: "RestoreItemAction", name: this.#name, method };
  }

  async appliesTo(): Promise<ResourceSelector> {
    const res = await callUnary<object, RestoreItemActionAppliesToResponse__Output>(this.#client, this.#ctx("AppliesTo"), { plugin: this.#name });
    return selectorFromProto(res.ResourceSelector);
  }

  async execute(input: RestoreItemActionInput): Promise<RestoreItemActionOutput> {
    const ctx = this.#ctx("Execute");
    const res = await callUnary<object, V1ExecuteResponse>(this.#client, ctx, executeRequest(this.#name, input));
    return {
      item: decodeReplyJson<UnstructuredItem>(res.item, ctx, "item"),
      additionalItems: identifiersFromProto(res.additionalItems),
      skipRestore: res.skipRestore,
    };
  }
}

export class RestoreItemActionV2GrpcClient implements RestoreItemActionV2 {
  readonly #client: V2Client;
  readonly #name: string;

  constructor(conn: PluginConnection, name: string) {
    this.#client = serviceClient<V2Client>(conn, "restoreItemActionV2");
    this.#name = name;
  }

  #ctx(method: string): CallContext {
    return { kind: "RestoreItemActionV2", name: this.#name, method };
  }

  async appliesTo(): Promise<ResourceSelector> {
    const res = await callUnary<object, RestoreItemActionAppliesToResponse__Output>(this.#client, this.#ctx("AppliesTo"), { plugin: this.#name });
    return selectorFromProto(res.ResourceSelector);
  }

  async execute(input: RestoreItemActionInput): Promise<RestoreItemActionV2Output> {
    const ctx = this.#ctx("Execute");
    const res = await callUnary<object, V2ExecuteResponse>(this.#client, ctx, executeRequest(this.#name, input));
    return {
      item: decodeReplyJson<UnstructuredItem>(res.item, ctx, "item"),
      additionalItems: identifiersFromProto(res.additionalItems),
      skipRestore: res.skipRestore,
      operationId: res.operationID,
      waitForAdditionalItems: res.waitForAdditionalItems,
      additionalItemsReadyTimeoutMs: durationToMs(res.additionalItemsReadyTimeout),
    };
  }

  async progress(operationId: string, restore: Restore): Promise<OperationProgress> {
    const res = await callUnary<object, RestoreItemActionProgressResponse__Output>(this.#client, this.#ctx("Progress"), {
      plugin: this.#name,
      operationID: operationId,
      restore: encodeJson(restore),
    });
    return progressFromProto(res.progress);
  }

  async cancel(operationId: string, restore: Restore): Promise<void> {
    await callUnary(this.#client, this.#ctx("Cancel"), { plugin: this.#name, operationID: operationId, restore: encodeJson(restore) });
  }

  async areAdditionalItemsReady(additionalItems: ResourceIdentifier[], restore: Restore): Promise<boolean> {
    const res = await callUnary<object, RestoreItemActionItemsReadyResponse__Output>(this.#client, this.#ctx("AreAdditionalItemsReady"), {
      plugin: this.#name,
      restore: encodeJson(restore),
      additionalItems: identifiersToProto(additionalItems),
    });
    return res.ready;
  }
}

export function createRestoreItemActionClient(conn: PluginConnection, name: string): RestoreItemAction {
  return new RestoreItemActionGrpcClient(conn, name);
}

export function createRestoreItemActionV2Client(conn: PluginConnection, name: string): RestoreItemActionV2 {
  return new RestoreItemActionV2GrpcClient(conn, name);
}
