/**
 * A client object with the same rpc methods (and argument conventions) as a grpc-js client built
 * from the same service definition, but running over a FramesChannel. The client adapters
 * (*.client.ts) use it unchanged through serviceClient().
 */
import * as grpc from "@grpc/grpc-js";
import type { FramesChannel } from "./channel.js";
import { FramesClientCall, type CallShape, type UnaryCallback } from "./client-call.js";

interface CallArguments {
  metadata: grpc.Metadata | undefined;
  options: grpc.CallOptions | undefined;
  callback: UnaryCallback | undefined;
}

/** grpc-js accepts ([metadata], [options], [callback]) in that order, each optional. */
function parseArguments(args: unknown[]): CallArguments {
  const parsed: CallArguments = { metadata: undefined, options: undefined, callback: undefined };
  for (const arg of args) {
    if (typeof arg === "function") parsed.callback = arg as UnaryCallback;
    else if (arg instanceof grpc.Metadata) parsed.metadata = arg;
    else if (arg !== undefined && arg !== null && typeof arg === "object") parsed.options = arg as grpc.CallOptions;
  }
  return parsed;
}

function shapeOf(method: grpc.MethodDefinition<unknown, unknown>): CallShape | undefined {
  if (method.requestStream) return method.responseStream ? undefined : "clientStream";
  return method.responseStream ? "serverStream" : "unary";
}

export function createFramesServiceClient(channel: FramesChannel, definition: grpc.ServiceDefinition): Record<string, unknown> {
  const client: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(definition) as [string, grpc.MethodDefinition<unknown, unknown>][]) {
    const shape = shapeOf(method);
    const invoke = (...args: unknown[]): FramesClientCall => {
      if (!shape) throw new TypeError(`${method.path}: bidirectional streaming is not supported over vtframes1`);
      const request = shape === "clientStream" ? undefined : args.shift();
      const { metadata, options, callback } = parseArguments(args);
      const call = new FramesClientCall({ channel, streamId: channel.nextStreamId(), method, shape, request, callback });
      call.setDeadline(options?.deadline);
      channel.start(call, metadata?.getOptions().waitForReady === true);
      return call;
    };
    client[name] = invoke;
    if (method.originalName && !(method.originalName in client)) client[method.originalName] = invoke;
  }
  return client;
}
