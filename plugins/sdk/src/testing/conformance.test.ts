// The in-memory implementations pass the conformance suites, directly and through the gRPC
// adapters (client -> in-process server -> implementation), which proves the suites and the
// object-store/volume-snapshotter transport at once.
import { afterAll } from "vitest";
import { createNoopPluginLogger } from "../logger.js";
import { serve } from "../serve.js";
import { PLUGIN_PROTOCOLS, startTestPluginServer } from "./harness.js";
import { InMemoryObjectStore } from "./in-memory-object-store.js";
import { InMemoryVolumeSnapshotter } from "./in-memory-volume-snapshotter.js";
import { describeObjectStoreConformance } from "./object-store-conformance.js";
import { describeVolumeSnapshotterConformance } from "./volume-snapshotter-conformance.js";
import { describeBackupItemActionConformance, describeRestoreItemActionConformance } from "./item-action-conformance.js";
import type { Backup, Restore, UnstructuredItem } from "../api/v1/types.js";
import type { BackupItemAction, RestoreItemAction } from "../contract/plugins.js";

describeObjectStoreConformance("InMemoryObjectStore", async () => ({ store: new InMemoryObjectStore(), bucket: "b" }));

for (const protocol of PLUGIN_PROTOCOLS) {
  describeObjectStoreConformance(`InMemoryObjectStore over ${protocol} (tcp)`, async () => {
    const plugin = await startTestPluginServer(
      serve({ logger: createNoopPluginLogger() }).registerObjectStore("example.io/memory", () => new InMemoryObjectStore()),
      { protocol },
    );
    const store = plugin.objectStore("example.io/memory");
    await store.init({ bucket: "b" });
    return { store, bucket: "b", config: { bucket: "b" }, cleanup: () => plugin.close() };
  });

  describeObjectStoreConformance(`InMemoryObjectStore over ${protocol} (unix socket)`, async () => {
    const plugin = await startTestPluginServer(
      serve({ logger: createNoopPluginLogger() }).registerObjectStore("example.io/memory", () => new InMemoryObjectStore()),
      { network: "unix", protocol },
    );
    return { store: plugin.objectStore("example.io/memory"), bucket: "b", cleanup: () => plugin.close() };
  });
}

function snapshotterTarget(snapshotter: InMemoryVolumeSnapshotter) {
  const id = snapshotter.addVolume({ volumeType: "fast", volumeAZ: "zone-a" });
  return { volume: { id, az: "zone-a", type: "fast" }, persistentVolume: snapshotter.persistentVolumeFor(id) };
}

describeVolumeSnapshotterConformance("InMemoryVolumeSnapshotter", async () => {
  const snapshotter = new InMemoryVolumeSnapshotter();
  return { snapshotter, ...snapshotterTarget(snapshotter) };
});

for (const protocol of PLUGIN_PROTOCOLS) {
  describeVolumeSnapshotterConformance(`InMemoryVolumeSnapshotter over ${protocol}`, async () => {
    const impl = new InMemoryVolumeSnapshotter();
    const plugin = await startTestPluginServer(serve({ logger: createNoopPluginLogger() }).registerVolumeSnapshotter("example.io/memory", () => impl), {
      protocol,
    });
    return { snapshotter: plugin.volumeSnapshotter("example.io/memory"), ...snapshotterTarget(impl), cleanup: () => plugin.close() };
  });
}

const labelAction: BackupItemAction = {
  appliesTo: async () => ({ includedNamespaces: [], excludedNamespaces: [], includedResources: ["pods"], excludedResources: [], selector: "" }),
  execute: async (item) => ({
    item: { ...item, metadata: { ...item.metadata, labels: { ...item.metadata.labels, "backed-up": "true" } } },
    additionalItems: [{ group: "", resource: "persistentvolumeclaims", namespace: item.metadata.namespace ?? "", name: "data" }],
  }),
};
const skipAction: RestoreItemAction = {
  appliesTo: async () => ({ includedNamespaces: [], excludedNamespaces: [], includedResources: [], excludedResources: [], selector: "" }),
  execute: async ({ item }) => ({ item, additionalItems: [], skipRestore: true }),
};
const samplePod: UnstructuredItem = { apiVersion: "v1", kind: "Pod", metadata: { name: "web", namespace: "app" }, spec: { big: 9007199254740993n } };
const sampleBackup: Backup = { metadata: { name: "b1", namespace: "velero" }, spec: {} };
const sampleRestore: Restore = { metadata: { name: "r1", namespace: "velero" }, spec: { backupName: "b1" } };

for (const protocol of PLUGIN_PROTOCOLS) {
  const labelPlugin = startTestPluginServer(serve({ logger: createNoopPluginLogger() }).registerBackupItemAction("example.io/label", () => labelAction), {
    protocol,
  });
  afterAll(async () => (await labelPlugin).close());

  describeBackupItemActionConformance(`a labelling action over ${protocol}`, async () => ({
    action: (await labelPlugin).backupItemAction("example.io/label"),
    backup: sampleBackup,
    items: [samplePod],
  }));
}

describeRestoreItemActionConformance("a skipping action", async () => ({ action: skipAction, restore: sampleRestore, items: [samplePod] }));
