// Promise wrapper for unary client calls with error mapping to domain errors.
import * as grpc from "@grpc/grpc-js";
import { getErrorMessage, PluginError, PluginTimeoutError } from "../contract/errors.js";
import { decodeJson } from "./json.js";
import { fromServiceError, type CallContext } from "./status.js";

type UnaryMethod<Req, Res> = (request: Req, options: grpc.CallOptions, callback: (err: grpc.ServiceError | null, res?: Res) => void) => unknown;

/**
 * Invokes `client[method](request)` and maps failures with fromServiceError. With `timeoutMs`
 * the call is cancelled when no reply came by then, and fails with PluginTimeoutError.
 */
export function callUnary<Req, Res>(client: object, ctx: CallContext, request: Req, timeoutMs?: number): Promise<Res> {
  const fn = (client as Record<string, UnaryMethod<Req, Res>>)[ctx.method];
  if (typeof fn !== "function") throw new TypeError(`gRPC client has no method ${ctx.method}`);
  const limited = timeoutMs !== undefined && timeoutMs > 0;
  const options: grpc.CallOptions = limited ? { deadline: Date.now() + timeoutMs } : {};
  return new Promise((resolve, reject) => {
    fn.call(client, request, options, (err, res) => {
      if (err && limited && err.code === grpc.status.DEADLINE_EXCEEDED) reject(callTimeoutError(ctx, timeoutMs, "got no answer within"));
      else if (err) reject(fromServiceError(err, ctx));
      else resolve(res as Res);
    });
  });
}

/** `ObjectStore plugin "x": ListObjects got no answer within 2m0s; ...`: the call is over (cancelled). */
export function callTimeoutError(ctx: CallContext, timeoutMs: number, what: string): PluginTimeoutError {
  return new PluginTimeoutError(
    `${ctx.kind} plugin "${ctx.name}": ${ctx.method} ${what} ${formatWait(timeoutMs)}: the plugin, or the storage it talks to, stopped responding; the call was cancelled`,
  );
}

/** A wait as Go prints a time.Duration: 300ms, 1.5s, 2m0s, 1h0m0s. */
export function formatWait(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const totalSeconds = Math.round(ms) / 1000;
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = Number((totalSeconds % 60).toFixed(3));
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
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
