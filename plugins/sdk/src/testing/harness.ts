/**
 * In-process plugin harness (go-plugin's TestPluginGRPCConn, for TypeScript): runs the real
 * server (gRPC, or vtframes1 with `protocol`) of a serve() builder inside the test process, on 127.0.0.1:0 (or a unix socket), and
 * returns clients going through the real client adapters. No child process, no stdout, no exit,
 * and no log lines unless you ask for them (`logger`).
 *
 * ```ts
 * const plugin = await startTestPluginServer(serve().registerObjectStore("example.io/s", () => new MyStore()));
 * const store = plugin.objectStore("example.io/s");   // an ObjectStore talking gRPC
 * ...
 * await plugin.close();
 * ```
 */
import type {
  BackupItemAction,
  BackupItemActionV2,
  DeleteItemAction,
  ItemBlockAction,
  ObjectStore,
  RestoreItemAction,
  RestoreItemActionV2,
  VolumeSnapshotter,
} from "../contract/plugins.js";
import { createNoopPluginLogger, type PluginLogger } from "../logger.js";
import type { PluginServerBuilder } from "../serve.js";
import { createBackupItemActionClient, createBackupItemActionV2Client } from "../transport/backup-item-action.client.js";
import { connectPlugin, type PluginConnection } from "../transport/connection.js";
import { createDeleteItemActionClient } from "../transport/delete-item-action.client.js";
import { APP_PROTOCOL_VERSION, CORE_PROTOCOL_VERSION, type HandshakeInfo, type PluginProtocol } from "../transport/handshake.js";
import { createItemBlockActionClient } from "../transport/item-block-action.client.js";
import { createObjectStoreClient } from "../transport/object-store.client.js";
import { createRestoreItemActionClient, createRestoreItemActionV2Client } from "../transport/restore-item-action.client.js";
import { PluginGrpcServer } from "../transport/server.js";
import { createVolumeSnapshotterClient } from "../transport/volume-snapshotter.client.js";

/** Both wire protocols, to run a suite over each (`describe.each(PLUGIN_PROTOCOLS)`). */
export const PLUGIN_PROTOCOLS: readonly PluginProtocol[] = ["grpc", "vtframes1"];

export interface TestPluginServerOptions {
  /** Default "tcp" (127.0.0.1:0). */
  network?: "unix" | "tcp";
  /** The `command` ListPlugins reports; default "/test/plugin". */
  command?: string;
  /** GetObject message size (default 256 KiB, as serve()). */
  getObjectChunkBytes?: number;
  /**
   * Wire protocol between the test client and the server: "grpc" (default; what Velero's Go host
   * speaks) or "vtframes1" (what the velero-ts host negotiates with TypeScript plugins).
   */
  protocol?: PluginProtocol;
  /**
   * Where the server and the plugin factories log. Default: the logger given to `serve({ logger })`,
   * else none at all (a no-op logger), so that a test run does not fill with plugin JSON lines.
   * The real `start()` always logs, to stderr by default.
   */
  logger?: PluginLogger;
}

export interface TestPluginServer {
  /** What the plugin would have printed as its handshake line. */
  readonly handshake: HandshakeInfo;
  /** A host connection to the in-process server (the same API the plugin manager uses). */
  readonly connection: PluginConnection;
  /** Resolves once the host has called Shutdown (the server is then closed). */
  readonly shutdownRequested: Promise<void>;
  objectStore(name: string): ObjectStore;
  volumeSnapshotter(name: string): VolumeSnapshotter;
  backupItemAction(name: string): BackupItemAction;
  backupItemActionV2(name: string): BackupItemActionV2;
  restoreItemAction(name: string): RestoreItemAction;
  restoreItemActionV2(name: string): RestoreItemActionV2;
  deleteItemAction(name: string): DeleteItemAction;
  itemBlockAction(name: string): ItemBlockAction;
  /** Closes the connection and the server. */
  close(): Promise<void>;
}

export async function startTestPluginServer(builder: PluginServerBuilder, options: TestPluginServerOptions = {}): Promise<TestPluginServer> {
  let onShutdown = (): void => {};
  const shutdownRequested = new Promise<void>((resolve) => (onShutdown = resolve));
  const logger = options.logger ?? builder.configuredLogger ?? createNoopPluginLogger();
  const server: PluginGrpcServer = new PluginGrpcServer({
    registry: builder.registry.withLogger(logger),
    logger,
    command: options.command ?? "/test/plugin",
    getObjectChunkBytes: options.getObjectChunkBytes,
    protocol: options.protocol,
    onShutdownRequested: () => {
      void server.close().then(onShutdown);
    },
  });
  const address = await server.listen(options.network ?? "tcp");
  const handshake: HandshakeInfo = {
    coreVersion: CORE_PROTOCOL_VERSION,
    appVersion: APP_PROTOCOL_VERSION,
    network: address.network,
    address: address.address,
    protocol: server.protocol,
    serverCert: "",
  };
  const connection = connectPlugin(handshake);
  return {
    handshake,
    connection,
    shutdownRequested,
    objectStore: (name) => createObjectStoreClient(connection, name),
    volumeSnapshotter: (name) => createVolumeSnapshotterClient(connection, name),
    backupItemAction: (name) => createBackupItemActionClient(connection, name),
    backupItemActionV2: (name) => createBackupItemActionV2Client(connection, name),
    restoreItemAction: (name) => createRestoreItemActionClient(connection, name),
    restoreItemActionV2: (name) => createRestoreItemActionV2Client(connection, name),
    deleteItemAction: (name) => createDeleteItemActionClient(connection, name),
    itemBlockAction: (name) => createItemBlockActionClient(connection, name),
    close: async () => {
      connection.close();
      await server.close(100);
    },
  };
}
