// @velero-ts/plugin-sdk/host: what a plugin HOST needs to talk to plugin processes over gRPC
// (handshake parsing, connection, go-plugin control services, client adapters per kind, v1->v2
// adapters). Not for plugin authors: they use serve() from the main entry.
export {
  MAGIC_COOKIE_KEY,
  MAGIC_COOKIE_VALUE,
  CORE_PROTOCOL_VERSION,
  APP_PROTOCOL_VERSION,
  parseHandshake,
  PLUGIN_PROTOCOLS_ENV,
  PLUGIN_TRANSPORT_ENV,
  VTFRAMES_PROTOCOL,
} from "./transport/handshake.js";
export type { HandshakeInfo, ParseHandshakeOptions, PluginProtocol } from "./transport/handshake.js";
export {
  connectPlugin,
  checkHealth,
  listPlugins,
  shutdownPlugin,
  drainStdio,
  MAX_MESSAGE_BYTES,
  MAX_SENT_MESSAGE_BYTES,
  SHUTDOWN_RPC_TIMEOUT_MS,
} from "./transport/connection.js";
export type { PluginConnection } from "./transport/connection.js";
export { createObjectStoreClient } from "./transport/object-store.client.js";
export type { ObjectStoreClientOptions } from "./transport/object-store.client.js";
export { createVolumeSnapshotterClient } from "./transport/volume-snapshotter.client.js";
export { createBackupItemActionClient, createBackupItemActionV2Client } from "./transport/backup-item-action.client.js";
export { createRestoreItemActionClient, createRestoreItemActionV2Client } from "./transport/restore-item-action.client.js";
export { createDeleteItemActionClient } from "./transport/delete-item-action.client.js";
export { createItemBlockActionClient } from "./transport/item-block-action.client.js";
export { adaptBackupItemActionV1, adaptRestoreItemActionV1 } from "./transport/adapters.js";
export { OBJECT_CHUNK_BYTES, MAX_OBJECT_CHUNK_BYTES } from "./transport/stream.js";
export { jsonSyntaxMessage, parseJson, parseLosslessJson, stringifyLosslessJson } from "./transport/json.js";
export { withChildBindings } from "./logger.js";
