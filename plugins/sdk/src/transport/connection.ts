/**
 * The host side of a plugin connection: one channel shared by every service client of that plugin
 * process, plus the go-plugin services a host calls (health, PluginLister,
 * GRPCController.Shutdown, GRPCStdio). The channel is gRPC (h2c over the plugin's unix socket or
 * loopback TCP port), or vtframes1 when the handshake negotiated it (our host and our plugins
 * only; frames/codec.ts): same service definitions, same protobuf messages, same client surface.
 */
import * as grpc from "@grpc/grpc-js";
import { clientConstructor, serviceDefinition, type ServiceKey } from "@velero-ts/proto";
import type { HealthClient } from "@velero-ts/proto/generated/grpc/health/v1/Health";
import type { HealthCheckResponse__Output } from "@velero-ts/proto/generated/grpc/health/v1/HealthCheckResponse";
import type { PluginListerClient } from "@velero-ts/proto/generated/generated/PluginLister";
import type { ListPluginsResponse__Output } from "@velero-ts/proto/generated/generated/ListPluginsResponse";
import type { GRPCControllerClient } from "@velero-ts/proto/generated/plugin/GRPCController";
import type { GRPCStdioClient } from "@velero-ts/proto/generated/plugin/GRPCStdio";
import type { StdioData__Output } from "@velero-ts/proto/generated/plugin/StdioData";
import { getErrorMessage, PluginProtocolError, PluginUnavailableError } from "../contract/errors.js";
import { FramesChannel, type FramesAddress } from "./frames/channel.js";
import { createFramesServiceClient } from "./frames/service-client.js";
import type { HandshakeInfo, PluginProtocol } from "./handshake.js";
import { fromServiceError, isServiceError } from "./status.js";

/**
 * Largest message either side accepts. Velero's host allows 2^31-1 both ways; Go plugin servers
 * keep grpc-go's 4 MiB receive default, so what we SEND stays <= MAX_SENT_MESSAGE_BYTES.
 */
export const MAX_MESSAGE_BYTES = 2 ** 31 - 1;
/** Go plugin servers reject received messages above 4 MiB. */
export const MAX_SENT_MESSAGE_BYTES = 4 * 1024 * 1024;

/** gRPC channel options used on both sides. */
export const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
  "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
  // A 4 MiB HTTP/2 receive window instead of 64 KiB: object downloads stream without waiting for
  // a WINDOW_UPDATE every 64 KiB. Memory stays bounded by this window per stream.
  "grpc-node.flow_control_window": 4 * 1024 * 1024,
  // A plugin call is never retried by the transport (a crashed plugin is restarted by the host
  // and the caller sees the error), so grpc-js' retry machinery, which buffers every message of
  // every call, is pure overhead; so is channelz bookkeeping.
  "grpc.enable_retries": 0,
  "grpc.enable_channelz": 0,
};

/** The service name go-plugin registers in grpc.health.v1. */
export const HEALTH_SERVICE_NAME = "plugin";

/** An open connection to one plugin process. */
export interface PluginConnection {
  /** The target (e.g. `unix:/tmp/plugin123/plugin.sock` or `127.0.0.1:4567`). */
  readonly target: string;
  /** The protocol negotiated in the handshake. */
  readonly protocol: PluginProtocol;
  /** Closes the channel and cancels open streams (e.g. StreamStdio). Idempotent. */
  close(): void;
}

const INTERNAL = Symbol("velero-ts.PluginConnection.internal");

interface ConnectionInternals {
  client<T>(key: ServiceKey): T;
  track(call: { cancel(): void; on(event: "close", listener: () => void): unknown }): void;
}

/**
 * What both transports share: one service client per service key (built lazily on the shared
 * channel) and the long-lived streams close() cancels.
 */
abstract class BasePluginConnection implements PluginConnection {
  abstract readonly protocol: PluginProtocol;
  readonly target: string;
  readonly #clients = new Map<ServiceKey, unknown>();
  readonly #streams = new Set<{ cancel(): void }>();
  #closed = false;

  constructor(target: string) {
    this.target = target;
  }

  /** A new client for one service on this connection's channel. */
  protected abstract createClient(key: ServiceKey): unknown;
  /** Closes the underlying channel (after the streams were cancelled). */
  protected abstract closeChannel(): void;

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const call of this.#streams) call.cancel();
    this.#streams.clear();
    this.closeChannel();
  }

  readonly [INTERNAL]: ConnectionInternals = {
    client: <T>(key: ServiceKey): T => {
      let client = this.#clients.get(key);
      if (!client) {
        client = this.createClient(key);
        this.#clients.set(key, client);
      }
      return client as T;
    },
    track: (call) => {
      this.#streams.add(call);
      call.on("close", () => this.#streams.delete(call));
    },
  };
}

class GrpcPluginConnection extends BasePluginConnection {
  readonly protocol = "grpc";
  readonly #channel: grpc.Channel;

  constructor(target: string) {
    super(target);
    this.#channel = new grpc.Channel(target, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
  }

  protected createClient(key: ServiceKey): unknown {
    const Ctor = clientConstructor(key);
    return new Ctor(this.target, grpc.credentials.createInsecure(), { ...CHANNEL_OPTIONS, channelOverride: this.#channel });
  }

  protected closeChannel(): void {
    this.#channel.close();
  }
}

class FramesPluginConnection extends BasePluginConnection {
  readonly protocol = "vtframes1";
  readonly #channel: FramesChannel;

  constructor(target: string, address: FramesAddress) {
    super(target);
    this.#channel = new FramesChannel(target, address);
  }

  protected createClient(key: ServiceKey): unknown {
    return createFramesServiceClient(this.#channel, serviceDefinition(key));
  }

  protected closeChannel(): void {
    this.#channel.close();
  }
}

function internals(conn: PluginConnection): ConnectionInternals {
  const i = (conn as Partial<BasePluginConnection>)[INTERNAL];
  if (!i) throw new TypeError("not a PluginConnection created by connectPlugin()");
  return i;
}

/** The typed grpc-js client for a service on this connection (shared channel). */
export function serviceClient<T>(conn: PluginConnection, key: ServiceKey): T {
  return internals(conn).client<T>(key);
}

/** Registers a long-lived stream so close() cancels it. */
export function trackStream(conn: PluginConnection, call: { cancel(): void; on(event: "close", listener: () => void): unknown }): void {
  internals(conn).track(call);
}

/** The gRPC target for a handshake's network and address. */
export function grpcTarget(info: Pick<HandshakeInfo, "network" | "address">): string {
  return info.network === "unix" ? `unix:${info.address}` : info.address;
}

/**
 * Opens a channel to the plugin described by the handshake: gRPC (h2c, no TLS) or vtframes1, as
 * negotiated. Connecting is lazy: errors surface on the first call (use checkHealth to verify the
 * plugin is up).
 */
export function connectPlugin(info: HandshakeInfo): PluginConnection {
  if (info.network === "tcp" && !/^(127\.\d+\.\d+\.\d+|\[::1\]|localhost):\d+$/.test(info.address)) {
    throw new PluginProtocolError(
      `plugin handshake address "${info.address}" is not a loopback address; refusing to connect (plugins must listen on 127.0.0.1)`,
    );
  }
  const target = grpcTarget(info);
  if (info.protocol === "vtframes1") return new FramesPluginConnection(target, framesAddress(info));
  return new GrpcPluginConnection(target);
}

function framesAddress(info: Pick<HandshakeInfo, "network" | "address">): FramesAddress {
  if (info.network === "unix") return { path: info.address };
  const colon = info.address.lastIndexOf(":");
  return { host: info.address.slice(0, colon).replace(/^\[(.*)\]$/, "$1"), port: Number(info.address.slice(colon + 1)) };
}

/**
 * Checks grpc.health.v1 service "plugin" is SERVING within timeoutMs (waiting for the socket to
 * accept connections). A plugin without the health service (UNIMPLEMENTED) is accepted, since
 * Velero itself never pings. Throws PluginUnavailableError otherwise.
 */
export function checkHealth(conn: PluginConnection, timeoutMs: number): Promise<void> {
  const client = serviceClient<HealthClient>(conn, "health");
  // Wait for the socket to accept connections (within the deadline) instead of failing fast.
  const metadata = new grpc.Metadata({ waitForReady: true });
  return new Promise((resolve, reject) => {
    client.Check(
      { service: HEALTH_SERVICE_NAME },
      metadata,
      { deadline: Date.now() + timeoutMs },
      (err: grpc.ServiceError | null, res?: HealthCheckResponse__Output) => {
        if (err) {
          // It answered: alive. go-plugin's Go host never asks, so a plugin without the health
          // service (UNIMPLEMENTED) or without its "plugin" entry (NOT_FOUND) runs under Velero.
          if (err.code === grpc.status.UNIMPLEMENTED || err.code === grpc.status.NOT_FOUND) return resolve();
          const why = err.code === grpc.status.DEADLINE_EXCEEDED ? `no answer within ${timeoutMs} ms` : err.details || err.message;
          return reject(new PluginUnavailableError(`plugin at ${conn.target} failed its health check: ${why}`, { cause: err }));
        }
        if (res?.status !== "SERVING") {
          return reject(new PluginUnavailableError(`plugin at ${conn.target} reports health status "${res?.status ?? "UNKNOWN"}", not SERVING`));
        }
        resolve();
      },
    );
  });
}

/** Calls generated.PluginLister/ListPlugins. Validation of kinds and names is the caller's job. */
export function listPlugins(conn: PluginConnection): Promise<{ command: string; kind: string; name: string }[]> {
  const client = serviceClient<PluginListerClient>(conn, "pluginLister");
  return new Promise((resolve, reject) => {
    client.ListPlugins({}, (err: grpc.ServiceError | null, res?: ListPluginsResponse__Output) => {
      if (err) return reject(fromServiceError(err, { kind: "PluginLister", name: "", method: "ListPlugins" }));
      resolve((res?.plugins ?? []).map((p) => ({ command: p.command, kind: p.kind, name: p.name })));
    });
  });
}

/** How long shutdownPlugin waits for the Shutdown reply. */
export const SHUTDOWN_RPC_TIMEOUT_MS = 2_000;

/** Calls plugin.GRPCController/Shutdown; every error is ignored (the plugin may die mid-reply). */
export function shutdownPlugin(conn: PluginConnection): Promise<void> {
  const client = serviceClient<GRPCControllerClient>(conn, "controller");
  return new Promise((resolve) => {
    try {
      client.Shutdown({}, { deadline: Date.now() + SHUTDOWN_RPC_TIMEOUT_MS }, () => resolve());
    } catch {
      resolve();
    }
  });
}

/**
 * Calls plugin.GRPCStdio/StreamStdio once and hands every chunk to onData until the stream ends.
 * Unimplemented / unavailable / cancelled endings are expected and ignored.
 */
export function drainStdio(conn: PluginConnection, onData: (channel: "stdout" | "stderr", data: Buffer) => void): void {
  const client = serviceClient<GRPCStdioClient>(conn, "stdio");
  const call = client.StreamStdio({});
  trackStream(conn, call);
  call.on("data", (msg: StdioData__Output) => {
    if (msg.data.length === 0) return;
    onData(msg.channel === "STDERR" ? "stderr" : "stdout", msg.data);
  });
  call.on("error", (err: unknown) => {
    // Expected: UNIMPLEMENTED (plugin has no stdio service), CANCELLED (we closed),
    // UNAVAILABLE (the process exited). Nothing else is actionable either.
    if (!isServiceError(err)) onData("stderr", Buffer.from(`stdio stream failed: ${getErrorMessage(err)}\n`));
  });
}
