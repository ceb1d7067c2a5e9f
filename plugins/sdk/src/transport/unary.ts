// Promise wrapper for unary client calls with error mapping to domain errors.
import type * as grpc from "@grpc/grpc-js";
import { getErrorMessage, PluginError } from "../contract/errors.js";
import { decodeJson } from "./json.js";
import { fromServiceError, type CallContext } from "./status.js";

type UnaryMethod<Req, Res> = (request: Req, callback: (err: grpc.ServiceError | null, res?: Res) => void) => unknown;

/** Invokes `client[method](request)` and maps failures with fromServiceError. */
export function callUnary<Req, Res>(client: object, ctx: CallContext, request: Req): Promise<Res> {
  const fn = (client as Record<string, UnaryMethod<Req, Res>>)[ctx.method];
  if (typeof fn !== "function") throw new TypeError(`gRPC client has no method ${ctx.method}`);
  return new Promise((resolve, reject) => {
    fn.call(client, request, (err, res) => {
      if (err) reject(fromServiceError(err, ctx));
      else resolve(res as Res);
    });
  });
}

/** Decodes a JSON payload of a reply; a bad payload is the plugin's fault (PluginError "internal"). */
export function decodeReplyJson<T>(bytes: Uint8Array | undefined, ctx: CallContext, field: string): T {
  try {
    return decodeJson<T>(bytes, field);
  } catch (error) {
    throw new PluginError(
      {
        kind: ctx.kind,
        pluginName: ctx.name,
        reason: "internal",
        message: `${ctx.kind} plugin "${ctx.name}": ${ctx.method} returned an invalid ${getErrorMessage(error)}`,
      },
      { cause: error },
    );
  }
}
