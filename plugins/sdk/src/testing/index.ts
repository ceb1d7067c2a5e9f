// @velero-ts/plugin-sdk/testing: in-memory implementations, the in-process plugin harness and the
// conformance suites (vitest is an optional peer dependency, needed only for the suites).
export { InMemoryObjectStore } from "./in-memory-object-store.js";
export { InMemoryVolumeSnapshotter, IN_MEMORY_CSI_DRIVER } from "./in-memory-volume-snapshotter.js";
export { PLUGIN_PROTOCOLS, startTestPluginServer } from "./harness.js";
export type { TestPluginServer, TestPluginServerOptions } from "./harness.js";
export type { PluginProtocol } from "../transport/handshake.js";
export { describeObjectStoreConformance, readAll } from "./object-store-conformance.js";
export type { ObjectStoreConformanceTarget, ObjectStoreConformanceOptions } from "./object-store-conformance.js";
export { describeVolumeSnapshotterConformance } from "./volume-snapshotter-conformance.js";
export type { VolumeSnapshotterConformanceTarget } from "./volume-snapshotter-conformance.js";
export { describeBackupItemActionConformance, describeRestoreItemActionConformance } from "./item-action-conformance.js";
export type { BackupItemActionConformanceTarget, RestoreItemActionConformanceTarget } from "./item-action-conformance.js";
export { describeDeleteItemActionConformance } from "./delete-item-action-conformance.js";
export type { DeleteItemActionConformanceTarget } from "./delete-item-action-conformance.js";
export { describeItemBlockActionConformance } from "./item-block-action-conformance.js";
export type { ItemBlockActionConformanceTarget } from "./item-block-action-conformance.js";
