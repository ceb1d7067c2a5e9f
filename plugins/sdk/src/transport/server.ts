/**
 * The plugin-side server, gRPC or vtframes1 (negotiated, see handshake.ts): every kind service (registered whether or not names exist, as Go
 * does), PluginLister, and the go-plugin services a host expects (health "plugin" = SERVING,
 * GRPCController.Shutdown, GRPCStdio). Process concerns (cookie, handshake line, stdout, crash
 * handlers, exit) live in serve.ts; this class is also what the in-process test harness runs.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { serviceDefinition } from "@velero-ts/proto";
import type { HealthHandlers } from "@velero-ts/proto/generated/grpc/health/v1/Health";
import type { GRPCControllerHandlers } from "@velero-ts/proto/generated/plugin/GRPCController";
import type { GRPCStdioHandlers } from "@velero-ts/proto/generated/plugin/GRPCStdio";
import type { PluginListerHandlers } from "@velero-ts/proto/generated/generated/PluginLister";
import type { PluginLogger } from "../logger.js";
import { backupItemActionHandlers, backupItemActionV2Handlers } from "./backup-item-action.server.js";
import { CHANNEL_OPTIONS, HEALTH_SERVICE_NAME } from "./connection.js";
import { FramesServer } from "./frames/server.js";
import type { PluginProtocol } from "./handshake.js";
import { deleteItemActionHandlers } from "./delete-item-action.server.js";
import { InflightCalls, unary } from "./handler.js";
import { itemBlockActionHandlers } from "./item-block-action.server.js";
import { objectStoreHandlers } from "./object-store.server.js";
import type { PluginRegistry } from "./registry.js";
import { chunkBytes, FRAMES_OBJECT_CHUNK_BYTES, GET_OBJECT_CHUNK_BYTES } from "./stream.js";
import { restoreItemActionHandlers, restoreItemActionV2Handlers } from "./restore-item-action.server.js";
import { volumeSnapshotterHandlers } from "./volume-snapshotter.server.js";

/** Unix socket paths longer than this do not fit in sockaddr_un (108 bytes incl. NUL). */
const MAX_UNIX_PATH = 100;

export interface PluginServerOptions {
  registry: PluginRegistry;
  logger: PluginLogger;
  /** The `command` returned by ListPlugins (the executable path the host relaunches). */
  command: string;
  /** Called after the Shutdown RPC has been answered. */
  onShutdownRequested: () => void;
  /** GetObject message size (default GET_OBJECT_CHUNK_BYTES, 256 KiB; 1 MiB over vtframes1). */
  getObjectChunkBytes?: number;
  /** Wire protocol; default "grpc" (vtframes1 only when the host offered it). */
  protocol?: PluginProtocol;
}

export interface ListenAddress {
  network: "unix" | "tcp";
  address: string;
}

export class PluginGrpcServer {
  readonly inflight = new InflightCalls();
  readonly protocol: PluginProtocol;
  readonly #server: grpc.Server | FramesServer;
  readonly #openStreams = new Set<{ end(): void }>();
  readonly #options: PluginServerOptions;
  #socketDir: string | undefined;
  #closed = false;

  constructor(options: PluginServerOptions) {
    this.#options = options;
    this.protocol = options.protocol ?? "grpc";
    this.#server = this.protocol === "vtframes1" ? new FramesServer() : new grpc.Server(CHANNEL_OPTIONS);
    const { registry } = options;
    const calls = this.inflight;
    const server = this.#server;
    server.addService(serviceDefinition("objectStore"), objectStoreHandlers(registry, calls, chunkBytes(options.getObjectChunkBytes ?? (this.protocol === "vtframes1" ? FRAMES_OBJECT_CHUNK_BYTES : GET_OBJECT_CHUNK_BYTES))));
    server.addService(serviceDefinition("volumeSnapshotter"), volumeSnapshotterHandlers(registry, calls));
    server.addService(serviceDefinition("backupItemAction"), backupItemActionHandlers(registry, calls));
    server.addService(serviceDefinition("backupItemActionV2"), backupItemActionV2Handlers(registry, calls));
    server.addService(serviceDefinition("restoreItemAction"), restoreItemActionHandlers(registry, calls));
    server.addService(serviceDefinition("restoreItemActionV2"), restoreItemActionV2Handlers(registry, calls));
    server.addService(serviceDefinition("deleteItemAction"), deleteItemActionHandlers(registry, calls));
    server.addService(serviceDefinition("itemBlockAction"), itemBlockActionHandlers(registry, calls));
    server.addService(serviceDefinition("pluginLister"), this.#listerHandlers());
    server.addService(serviceDefinition("health"), this.#healthHandlers());
    server.addService(serviceDefinition("controller"), this.#controllerHandlers());
    server.addService(serviceDefinition("stdio"), this.#stdioHandlers());
  }

  /**
   * Listens on a unix socket in a fresh private (0700) directory under `socketParent`
   * ($PLUGIN_UNIX_SOCKET_DIR or the OS temp dir), or on 127.0.0.1:<ephemeral>. A unix path too
   * long for sockaddr_un falls back to TCP.
   */
  async listen(network: "unix" | "tcp", socketParent: string = tmpdir()): Promise<ListenAddress> {
    if (network === "unix") {
      const dir = mkdtempSync(join(socketParent, "plugin")); // mkdtemp creates the directory 0700
      const path = join(dir, "plugin.sock");
      if (path.length <= MAX_UNIX_PATH) {
        this.#socketDir = dir;
        await this.#bind(`unix:${path}`);
        return { network: "unix", address: path };
      }
      rmSync(dir, { recursive: true, force: true });
      this.#options.logger.warn({ path }, "unix socket path is too long; listening on 127.0.0.1 instead");
    }
    const port = await this.#bind("127.0.0.1:0");
    return { network: "tcp", address: `127.0.0.1:${port}` };
  }

  #bind(target: string): Promise<number> {
    const server = this.#server;
    if (server instanceof FramesServer) {
      return server.listen(target.startsWith("unix:") ? { path: target.slice("unix:".length) } : { host: "127.0.0.1", port: 0 });
    }
    return new Promise((resolve, reject) => {
      server.bindAsync(target, grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port)));
    });
  }

  /**
   * Ends open streams, stops the server (waiting up to graceMs for calls, then cancelling them,
   * as go-plugin's Shutdown does with grpc.Server.Stop) and removes the socket dir. Resolves by
   * graceMs at the latest: grpc-js's tryShutdown callback never comes while a call it cancelled
   * is still being handled (a handler that hangs, a GetObject stream nobody reads).
   */
  close(graceMs = 500): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    for (const stream of this.#openStreams) stream.end();
    this.#openStreams.clear();
    return new Promise((resolve) => {
      let finished = false;
      const finish = (): void => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        this.removeSocketDir();
        resolve();
      };
      const timer = setTimeout(() => {
        this.#server.forceShutdown();
        finish();
      }, graceMs);
      this.#server.tryShutdown(finish);
    });
  }

  /** Synchronous cleanup for process exit paths. */
  removeSocketDir(): void {
    if (this.#socketDir) rmSync(this.#socketDir, { recursive: true, force: true });
    this.#socketDir = undefined;
  }

  #listerHandlers(): PluginListerHandlers {
    return {
      ListPlugins: unary(this.inflight, () =>
        Promise.resolve({
          plugins: this.#options.registry.list().map(({ kind, name }) => ({ command: this.#options.command, kind, name })),
        }),
      ),
    };
  }

  #healthHandlers(): HealthHandlers {
    const statusOf = (service: string): "SERVING" | undefined => (service === "" || service === HEALTH_SERVICE_NAME ? "SERVING" : undefined);
    return {
      Check: (call, callback) => {
        const status = statusOf(call.request.service);
        if (status) callback(null, { status });
        else callback({ code: grpc.status.NOT_FOUND, details: `unknown health service "${call.request.service}"` });
      },
      Watch: (call) => {
        call.write({ status: statusOf(call.request.service) ?? "SERVICE_UNKNOWN" });
        this.#keepOpen(call);
      },
    };
  }

  #controllerHandlers(): GRPCControllerHandlers {
    return {
      // Reply first, then let the process stop promptly (the host SIGKILLs after 2 s).
      Shutdown: (_call, callback) => {
        callback(null, {});
        setImmediate(() => this.#options.onShutdownRequested());
      },
    };
  }

  #stdioHandlers(): GRPCStdioHandlers {
    return {
      // Nothing is ever forwarded (serve() routes stray stdout writes to stderr instead); the
      // stream stays open until shutdown so a go-plugin host sees a normal, idle stdio stream.
      StreamStdio: (call) => this.#keepOpen(call),
    };
  }

  #keepOpen(call: grpc.ServerWritableStream<unknown, unknown>): void {
    if (this.#closed) {
      call.end();
      return;
    }
    this.#openStreams.add(call);
    const forget = (): void => {
      this.#openStreams.delete(call);
    };
    call.on("cancelled", forget);
    call.on("close", forget);
  }
}
