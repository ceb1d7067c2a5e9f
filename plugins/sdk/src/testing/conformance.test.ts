// The in-memory implementations and the sample actions below pass the conformance suites, directly
// and through the adapters (client -> in-process server -> implementation), which proves the suites
// and the transport of every kind at once. The servers of the action suites use serve()'s default
// logger: the harness must keep it quiet.
import { afterAll, expect } from "vitest";
import { createNoopPluginLogger } from "../logger.js";
import { serve, type PluginServerBuilder } from "../serve.js";
import { PLUGIN_PROTOCOLS, startTestPluginServer, type TestPluginServer } from "./harness.js";
import { InMemoryObjectStore } from "./in-memory-object-store.js";
import { InMemoryVolumeSnapshotter } from "./in-memory-volume-snapshotter.js";
import { describeObjectStoreConformance } from "./object-store-conformance.js";
import { describeVolumeSnapshotterConformance } from "./volume-snapshotter-conformance.js";
import { describeBackupItemActionConformance, describeRestoreItemActionConformance } from "./item-action-conformance.js";
import type { Backup, Restore, UnstructuredItem } from "../api/v1/types.js";
import { NotFoundError } from "../contract/errors.js";
import {
  emptyResourceSelector,
  type BackupItemAction,
  type BackupItemActionV2,
  type DeleteItemAction,
  type ItemBlockAction,
  type OperationProgress,
  type RestoreItemAction,
  type RestoreItemActionV2,
} from "../contract/plugins.js";
import { describeDeleteItemActionConformance } from "./delete-item-action-conformance.js";
import { describeItemBlockActionConformance } from "./item-block-action-conformance.js";

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

/** A v2 action that starts one asynchronous operation per item and tracks it by ID. */
class OperationTracker {
  readonly #operations = new Map<string, { cancelled: boolean }>();
  start(item: UnstructuredItem): string {
    const id = `op-${item.metadata.namespace ?? ""}-${item.metadata.name}-${this.#operations.size}`;
    this.#operations.set(id, { cancelled: false });
    return id;
  }
  progress(id: string): OperationProgress {
    const op = this.#operations.get(id);
    if (!op) throw new NotFoundError(`operation "${id}" not found`);
    return { completed: op.cancelled, err: "", nCompleted: 1, nTotal: 2, operationUnits: "bytes", description: "copying", started: new Date(0) };
  }
  cancel(id: string): void {
    const op = this.#operations.get(id);
    if (!op) throw new NotFoundError(`operation "${id}" not found`);
    op.cancelled = true;
  }
}

function snapshotAction(): BackupItemActionV2 {
  const ops = new OperationTracker();
  return {
    appliesTo: async () => emptyResourceSelector(),
    execute: async (item) => ({ item, additionalItems: [], operationId: ops.start(item), postOperationItems: [] }),
    progress: async (id) => ops.progress(id),
    cancel: async (id) => ops.cancel(id),
  };
}

function dataMoverRestoreAction(): RestoreItemActionV2 {
  const ops = new OperationTracker();
  return {
    appliesTo: async () => emptyResourceSelector(),
    execute: async ({ item }) => ({
      item,
      additionalItems: [{ group: "", resource: "persistentvolumeclaims", namespace: item.metadata.namespace ?? "", name: "data" }],
      skipRestore: false,
      operationId: ops.start(item),
      waitForAdditionalItems: true,
      additionalItemsReadyTimeoutMs: 0,
    }),
    progress: async (id) => ops.progress(id),
    cancel: async (id) => ops.cancel(id),
    areAdditionalItemsReady: async () => true,
  };
}

/** Cleans up what a pod's backup left behind; a missing snapshot is an error worth reporting. */
const cleanupAction: DeleteItemAction = {
  appliesTo: async () => ({ ...emptyResourceSelector(), includedResources: ["pods"] }),
  execute: async (item) => {
    if (item.metadata.name === "orphan") throw new NotFoundError(`no snapshot recorded for pod "${item.metadata.name}"`);
  },
};

/** Groups a pod with the claims its volumes mount. */
const podVolumesAction: ItemBlockAction = {
  appliesTo: async () => ({ ...emptyResourceSelector(), includedResources: ["pods"] }),
  getRelatedItems: async (item) => {
    const volumes = ((item["spec"] as { volumes?: { persistentVolumeClaim?: { claimName: string } }[] } | undefined)?.volumes ?? []);
    return volumes.flatMap((v) =>
      v.persistentVolumeClaim ? [{ group: "", resource: "persistentvolumeclaims", namespace: item.metadata.namespace ?? "", name: v.persistentVolumeClaim.claimName }] : [],
    );
  },
};

const samplePod: UnstructuredItem = { apiVersion: "v1", kind: "Pod", metadata: { name: "web", namespace: "app" }, spec: { big: 9007199254740993n } };
const podWithClaim: UnstructuredItem = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "db", namespace: "app" },
  spec: { volumes: [{ name: "data", persistentVolumeClaim: { claimName: "db-data" } }, { name: "tmp", emptyDir: {} }] },
};
const orphanPod: UnstructuredItem = { apiVersion: "v1", kind: "Pod", metadata: { name: "orphan", namespace: "app" } };
const sampleBackup: Backup = { metadata: { name: "b1", namespace: "velero" }, spec: {} };
const sampleRestore: Restore = { metadata: { name: "r1", namespace: "velero" }, spec: { backupName: "b1" } };

// Every suite below that runs over a test server closes it through the target's cleanup.
const expectedCleanups: string[] = [];
const cleanedUp: string[] = [];
function closeWith(label: string, plugin: TestPluginServer): () => Promise<void> {
  expectedCleanups.push(label);
  return async () => {
    await plugin.close();
    cleanedUp.push(label);
  };
}
afterAll(() => {
  expect(cleanedUp.sort()).toEqual(expectedCleanups.sort());
});

describeBackupItemActionConformance("a v2 action starting operations", async () => ({ action: snapshotAction(), backup: sampleBackup, items: [samplePod, podWithClaim] }));
describeRestoreItemActionConformance("a skipping action", async () => ({ action: skipAction, restore: sampleRestore, items: [samplePod] }));
describeRestoreItemActionConformance("a v2 action starting operations", async () => ({
  action: dataMoverRestoreAction(),
  restore: sampleRestore,
  items: [samplePod, podWithClaim],
}));
describeDeleteItemActionConformance("a cleanup action", async () => ({ action: cleanupAction, backup: sampleBackup, items: [samplePod, orphanPod] }));
describeItemBlockActionConformance("a pod-volumes action", async () => ({ action: podVolumesAction, backup: sampleBackup, items: [samplePod, podWithClaim] }));

for (const protocol of PLUGIN_PROTOCOLS) {
  const start = (builder: PluginServerBuilder): Promise<TestPluginServer> => startTestPluginServer(builder, { protocol });

  describeBackupItemActionConformance(`a labelling action over ${protocol}`, async () => {
    const plugin = await start(serve().registerBackupItemAction("example.io/label", () => labelAction));
    return { action: plugin.backupItemAction("example.io/label"), backup: sampleBackup, items: [samplePod], cleanup: closeWith(`label/${protocol}`, plugin) };
  });

  describeBackupItemActionConformance(`a labelling v1 action served as v2 over ${protocol}`, async () => {
    const plugin = await start(serve().registerBackupItemAction("example.io/label", () => labelAction));
    return { action: plugin.backupItemActionV2("example.io/label"), backup: sampleBackup, items: [samplePod], cleanup: closeWith(`label-v2/${protocol}`, plugin) };
  });

  describeBackupItemActionConformance(`a v2 action starting operations over ${protocol}`, async () => {
    const plugin = await start(serve().registerBackupItemActionV2("example.io/snapshot", snapshotAction));
    return {
      action: plugin.backupItemActionV2("example.io/snapshot"),
      backup: sampleBackup,
      items: [samplePod, podWithClaim],
      cleanup: closeWith(`snapshot/${protocol}`, plugin),
    };
  });

  describeRestoreItemActionConformance(`a v2 action starting operations over ${protocol}`, async () => {
    const plugin = await start(serve().registerRestoreItemActionV2("example.io/data-mover", dataMoverRestoreAction));
    return {
      action: plugin.restoreItemActionV2("example.io/data-mover"),
      restore: sampleRestore,
      items: [samplePod, podWithClaim],
      cleanup: closeWith(`data-mover/${protocol}`, plugin),
    };
  });

  describeDeleteItemActionConformance(`a cleanup action over ${protocol}`, async () => {
    const plugin = await start(serve().registerDeleteItemAction("example.io/cleanup", () => cleanupAction));
    return { action: plugin.deleteItemAction("example.io/cleanup"), backup: sampleBackup, items: [samplePod, orphanPod], cleanup: closeWith(`cleanup/${protocol}`, plugin) };
  });

  describeItemBlockActionConformance(`a pod-volumes action over ${protocol}`, async () => {
    const plugin = await start(serve().registerItemBlockAction("example.io/pod-volumes", () => podVolumesAction));
    return {
      action: plugin.itemBlockAction("example.io/pod-volumes"),
      backup: sampleBackup,
      items: [samplePod, podWithClaim],
      cleanup: closeWith(`pod-volumes/${protocol}`, plugin),
    };
  });
}
