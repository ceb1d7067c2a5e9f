// BackupItemAction v1 (generated.BackupItemAction) and v2 (v2.BackupItemAction) over gRPC, host side.
import type { BackupItemActionClient as V1Client } from "@velero-ts/proto/generated/generated/BackupItemAction";
import type { BackupItemActionClient as V2Client } from "@velero-ts/proto/generated/v2/BackupItemAction";
import type { BackupItemActionAppliesToResponse__Output } from "@velero-ts/proto/generated/generated/BackupItemActionAppliesToResponse";
import type { ExecuteResponse__Output as V1ExecuteResponse } from "@velero-ts/proto/generated/generated/ExecuteResponse";
import type { ExecuteResponse__Output as V2ExecuteResponse } from "@velero-ts/proto/generated/v2/ExecuteResponse";
import type { BackupItemActionProgressResponse__Output } from "@velero-ts/proto/generated/v2/BackupItemActionProgressResponse";
import type { Backup, UnstructuredItem } from "../api/v1/types.js";
import type {
  BackupItemAction,
  BackupItemActionOutput,
  BackupItemActionV2,
  BackupItemActionV2Output,
  OperationProgress,
  ResourceSelector,
} from "../contract/plugins.js";
import { serviceClient, type PluginConnection } from "./connection.js";
import { identifiersFromProto, progressFromProto, selectorFromProto } from "./convert.js";
import { encodeJson } from "./json.js";
import type { CallContext } from "./status.js";
import { callUnary, decodeReplyJson } from "./unary.js";

export class BackupItemActionGrpcClient implements BackupItemAction {
  readonly #client: V1Client;
  readonly #name: string;

  constructor(conn: PluginConnection, name: string) {
    this.#client = serviceClient<V1Client>(conn, "backupItemAction");
    this.#name = name;
  }

  #ctx(method: string): CallContext {
    return { kind: "BackupItemAction", name: this.#name, method };
  }

  async appliesTo(): Promise<ResourceSelector> {
    const res = await callUnary<object, BackupItemActionAppliesToResponse__Output>(this.#client, this.#ctx("AppliesTo"), { plugin: this.#name });
    return selectorFromProto(res.ResourceSelector);
  }

  async execute(item: UnstructuredItem, backup: Backup): Promise<BackupItemActionOutput> {
    const ctx = this.#ctx("Execute");
    const res = await callUnary<object, V1ExecuteResponse>(this.#client, ctx, { plugin: this.#name, item: encodeJson(item), backup: encodeJson(backup) });
    return { item: decodeReplyJson<UnstructuredItem>(res.item, ctx, "item"), additionalItems: identifiersFromProto(res.additionalItems) };
  }
}

export class BackupItemActionV2GrpcClient implements BackupItemActionV2 {
  readonly #client: V2Client;
  readonly #name: string;

  constructor(conn: PluginConnection, name: string) {
    this.#client = serviceClient<V2Client>(conn, "backupItemActionV2");
    this.#name = name;
  }

  #ctx(method: string): CallContext {
    return { kind: "BackupItemActionV2", name: this.#name, method };
  }

  async appliesTo(): Promise<ResourceSelector> {
    const res = await callUnary<object, BackupItemActionAppliesToResponse__Output>(this.#client, this.#ctx("AppliesTo"), { plugin: this.#name });
    return selectorFromProto(res.ResourceSelector);
  }

  async execute(item: UnstructuredItem, backup: Backup): Promise<BackupItemActionV2Output> {
    const ctx = this.#ctx("Execute");
    const res = await callUnary<object, V2ExecuteResponse>(this.#client, ctx, { plugin: this.#name, item: encodeJson(item), backup: encodeJson(backup) });
    return {
      item: decodeReplyJson<UnstructuredItem>(res.item, ctx, "item"),
      additionalItems: identifiersFromProto(res.additionalItems),
      operationId: res.operationID,
      postOperationItems: identifiersFromProto(res.postOperationItems),
    };
  }

  async progress(operationId: string, backup: Backup): Promise<OperationProgress> {
    const res = await callUnary<object, BackupItemActionProgressResponse__Output>(this.#client, this.#ctx("Progress"), {
      plugin: this.#name,
      operationID: operationId,
      backup: encodeJson(backup),
    });
    return progressFromProto(res.progress);
  }

  async cancel(operationId: string, backup: Backup): Promise<void> {
    await callUnary(this.#client, this.#ctx("Cancel"), { plugin: this.#name, operationID: operationId, backup: encodeJson(backup) });
  }
}

export function createBackupItemActionClient(conn: PluginConnection, name: string): BackupItemAction {
  return new BackupItemActionGrpcClient(conn, name);
}

export function createBackupItemActionV2Client(conn: PluginConnection, name: string): BackupItemActionV2 {
  return new BackupItemActionV2GrpcClient(conn, name);
}
