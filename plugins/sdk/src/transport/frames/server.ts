/**
 * The plugin end of vtframes1: a net.Server (unix socket or loopback TCP) dispatching calls to
 * grpc-js style handlers registered with addService(definition, handlers), the same definitions
 * and handler objects a grpc.Server takes. Shutdown mirrors grpc-js: tryShutdown() stops
 * accepting and waits for the calls in flight; forceShutdown() drops every connection (their
 * calls see "cancelled").
 */
import { createServer, type Server, type Socket } from "node:net";
import * as grpc from "@grpc/grpc-js";
import { encodeStatus, FrameError, FrameType, type Frame, type FramePayload } from "./codec.js";
import type { CallShape } from "./client-call.js";
import { FrameLink } from "./link.js";
import { FramesServerCall, type ServerCallConnection } from "./server-call.js";
import type { FramesAddress } from "./channel.js";

interface Route {
  method: grpc.MethodDefinition<unknown, unknown>;
  shape: CallShape;
  handler: ConstructorParameters<typeof FramesServerCall>[0]["handler"];
}

class ServerConnection implements ServerCallConnection {
  readonly link: FrameLink;
  readonly #server: FramesServer;
  readonly #calls = new Map<number, FramesServerCall>();

  constructor(socket: Socket, server: FramesServer) {
    this.#server = server;
    this.link = new FrameLink(socket, "server", {
      onFrame: (frame) => this.#onFrame(frame),
      onClose: () => {
        const calls = [...this.#calls.values()];
        this.#calls.clear();
        for (const call of calls) call.onCancelled();
        server.connectionClosed(this);
      },
    });
  }

  get activeCalls(): number {
    return this.#calls.size;
  }

  send(type: FrameType, flags: number, streamId: number, payload?: FramePayload): void {
    this.link.send(type, flags, streamId, payload);
  }

  finished(call: FramesServerCall): void {
    if (this.#calls.get(call.streamId) === call) this.#calls.delete(call.streamId);
    this.#server.callFinished();
  }

  #onFrame(frame: Frame): void {
    if (frame.type === FrameType.OPEN) {
      this.#open(frame);
      return;
    }
    if (frame.type === FrameType.STATUS) throw new FrameError(`unexpected STATUS frame from the client (stream ${frame.streamId})`);
    // Frames of a call that already ended (e.g. CREDIT after the status) are dropped.
    this.#calls.get(frame.streamId)?.onFrame(frame);
  }

  #open(frame: Frame): void {
    if (this.#calls.has(frame.streamId)) throw new FrameError(`OPEN for stream ${frame.streamId}, which is already open`);
    const path = frame.payload.toString("utf8");
    const route = this.#server.route(path);
    if (!route) {
      this.send(FrameType.STATUS, 0, frame.streamId, encodeStatus({ code: grpc.status.UNIMPLEMENTED, details: `The server does not implement the method ${path}`, statusDetails: Buffer.alloc(0) }));
      return;
    }
    this.#server.callStarted();
    const call = new FramesServerCall({ connection: this, streamId: frame.streamId, method: route.method, shape: route.shape, handler: route.handler });
    this.#calls.set(frame.streamId, call);
  }
}

export class FramesServer {
  readonly #routes = new Map<string, Route>();
  readonly #connections = new Set<ServerConnection>();
  #net: Server | undefined;
  #activeCalls = 0;
  #onIdle: (() => void) | undefined;

  /** Registers the handlers of one service (grpc.Server.addService semantics). */
  addService(definition: grpc.ServiceDefinition, implementation: grpc.UntypedServiceImplementation): void {
    for (const [name, method] of Object.entries(definition) as [string, grpc.MethodDefinition<unknown, unknown>][]) {
      const handler = implementation[name] ?? (method.originalName ? implementation[method.originalName] : undefined);
      if (!handler) continue;
      if (method.requestStream && method.responseStream) throw new TypeError(`${method.path}: bidirectional streaming is not supported over vtframes1`);
      const shape: CallShape = method.requestStream ? "clientStream" : method.responseStream ? "serverStream" : "unary";
      this.#routes.set(method.path, { method, shape, handler: handler as unknown as Route["handler"] });
    }
  }

  route(path: string): Route | undefined {
    return this.#routes.get(path);
  }

  /** Listens; resolves with the TCP port (0 for a unix socket). */
  listen(address: FramesAddress): Promise<number> {
    const server = createServer({ noDelay: true }, (socket) => {
      if (this.#onIdle) {
        socket.destroy();
        return;
      }
      this.#connections.add(new ServerConnection(socket, this));
    });
    this.#net = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      const ready = (): void => {
        server.off("error", reject);
        const bound = server.address();
        resolve(typeof bound === "object" && bound ? bound.port : 0);
      };
      if ("path" in address) server.listen(address.path, ready);
      else server.listen(address.port, address.host, ready);
    });
  }

  /** Stops accepting connections and calls back once no call is in flight (connections ended). */
  tryShutdown(callback: () => void): void {
    this.#net?.close();
    this.#onIdle = () => {
      for (const connection of this.#connections) connection.link.end();
      callback();
    };
    this.#checkIdle();
  }

  /** Drops every connection now. */
  forceShutdown(): void {
    this.#net?.close();
    for (const connection of this.#connections) connection.link.destroy();
    this.#onIdle ??= () => {};
    this.#checkIdle();
  }

  connectionClosed(connection: ServerConnection): void {
    this.#connections.delete(connection);
  }

  callStarted(): void {
    this.#activeCalls++;
  }

  callFinished(): void {
    this.#activeCalls--;
    this.#checkIdle();
  }

  #checkIdle(): void {
    if (this.#activeCalls > 0 || !this.#onIdle) return;
    const onIdle = this.#onIdle;
    this.#onIdle = () => {};
    onIdle();
  }
}
