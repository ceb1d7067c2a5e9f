// Every rpc of every item-action kind and of VolumeSnapshotter, through the real client adapters,
// a real gRPC connection and the real server adapters (in-process harness).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Backup, Restore, UnstructuredItem } from "../api/v1/types.js";
import { isVeleroError, PluginError } from "../contract/errors.js";
import type {
  BackupItemAction,
  BackupItemActionV2,
  DeleteItemAction,
  ItemBlockAction,
  OperationProgress,
  ResourceIdentifier,
  ResourceSelector,
  RestoreItemAction,
  RestoreItemActionInput,
  RestoreItemActionV2,
  VolumeSnapshotter,
} from "../contract/plugins.js";
import { createNoopPluginLogger } from "../logger.js";
import { serve } from "../serve.js";
import { PLUGIN_PROTOCOLS, startTestPluginServer, type TestPluginServer } from "../testing/harness.js";
import { checkHealth, listPlugins } from "./connection.js";

const BIG = 9007199254740993n; // 2^53 + 1: not representable as a JS number

function pod(name: string, extra: Record<string, unknown> = {}): UnstructuredItem {
  return { apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "app" }, ...extra };
}
const backup: Backup = { apiVersion: "velero.io/v1", kind: "Backup", metadata: { name: "b1", namespace: "velero" }, spec: { includedNamespaces: ["app"] } };
const restore: Restore = { apiVersion: "velero.io/v1", kind: "Restore", metadata: { name: "r1", namespace: "velero" }, spec: { backupName: "b1" } };
const selector: ResourceSelector = {
  includedNamespaces: ["app"],
  excludedNamespaces: ["kube-system"],
  includedResources: ["pods", "deployments.apps"],
  excludedResources: ["secrets"],
  selector: "app=web,tier!=db",
};
const ids: ResourceIdentifier[] = [
  { group: "", resource: "persistentvolumeclaims", namespace: "app", name: "data" },
  { group: "apps", resource: "deployments", namespace: "app", name: "web" },
];
const started = new Date("2026-01-02T03:04:05.678Z");
const updated = new Date("2026-01-02T03:09:00.001Z");

const seen: Record<string, unknown[]> = {};
const record = (key: string, ...args: unknown[]): void => {
  (seen[key] ??= []).push(args);
};

const bia: BackupItemAction = {
  appliesTo: async () => selector,
  execute: async (item, b) => {
    record("bia.execute", item, b);
    return { item: { ...item, metadata: { ...item.metadata, labels: { touched: "yes" } } }, additionalItems: ids };
  },
};
const biaEcho: BackupItemAction = {
  appliesTo: async () => ({ includedNamespaces: [], excludedNamespaces: [], includedResources: [], excludedResources: [], selector: "" }),
  // A careless action returning nothing: the server must still reply with the item bytes.
  execute: async () => undefined as never,
};
/** An action that changes its input in place and returns no item (as JavaScript code often does). */
const biaInPlace: BackupItemAction = {
  appliesTo: async () => selector,
  execute: async (item) => {
    item.metadata.labels = { ...item.metadata.labels, "example.io/changed": "in-place" };
    return { additionalItems: [] } as never;
  },
};
const riaInPlace: RestoreItemAction = {
  appliesTo: async () => selector,
  execute: async (input) => {
    input.item.metadata.annotations = { "example.io/changed": "in-place" };
    return { additionalItems: [], skipRestore: false } as never;
  },
};
const bia2: BackupItemActionV2 = {
  appliesTo: async () => selector,
  execute: async (item) => ({ item, additionalItems: [], operationId: "op-1", postOperationItems: ids }),
  progress: async (operationId, b) => {
    record("bia2.progress", operationId, b.metadata.name);
    return { completed: true, err: "", nCompleted: 5, nTotal: 10, operationUnits: "bytes", description: "copying", started, updated };
  },
  cancel: async (operationId, b) => record("bia2.cancel", operationId, b.metadata.name),
};
const bia2NoProgress: BackupItemActionV2 = { ...bia2, progress: async () => undefined as unknown as OperationProgress };
const ria: RestoreItemAction = {
  appliesTo: async () => selector,
  execute: async (input) => {
    record("ria.execute", input);
    return { item: input.item, additionalItems: ids, skipRestore: true };
  },
};
const ria2: RestoreItemActionV2 = {
  appliesTo: async () => selector,
  execute: async (input) => ({
    item: input.item,
    additionalItems: ids,
    skipRestore: false,
    operationId: "rop-1",
    waitForAdditionalItems: true,
    additionalItemsReadyTimeoutMs: 90_000,
  }),
  progress: async (operationId, r) => ({ completed: false, err: `still ${operationId} ${r.metadata.name}`, nCompleted: 1, nTotal: 2, operationUnits: "", description: "" }),
  cancel: async (operationId, r) => record("ria2.cancel", operationId, r.metadata.name),
  areAdditionalItemsReady: async (items, r) => {
    record("ria2.ready", items, r.metadata.name);
    return items.length === 2;
  },
};
const dia: DeleteItemAction = {
  appliesTo: async () => selector,
  execute: async (item, b) => record("dia.execute", item.metadata.name, b.metadata.name),
};
const iba: ItemBlockAction = {
  appliesTo: async () => selector,
  getRelatedItems: async (item) => (item.metadata.name === "lonely" ? [] : ids),
};
const vsCalls: unknown[][] = [];
const vs: VolumeSnapshotter = {
  init: async (config) => void vsCalls.push(["init", config]),
  createVolumeFromSnapshot: async (input) => {
    vsCalls.push(["createVolumeFromSnapshot", input]);
    return `vol-from-${input.snapshotId}`;
  },
  getVolumeInfo: async (volumeId) => (volumeId === "io" ? { volumeType: "io2", iops: 3000 } : { volumeType: "gp3" }),
  createSnapshot: async (volumeId, az, tags) => {
    vsCalls.push(["createSnapshot", volumeId, az, tags]);
    return "snap-1";
  },
  deleteSnapshot: async (id) => void vsCalls.push(["deleteSnapshot", id]),
  getVolumeId: async (pv) => String((pv.spec as { id?: unknown }).id ?? ""),
  setVolumeId: async (pv, id) => ({ ...pv, spec: { ...(pv.spec as object), id } }),
};

describe.each(PLUGIN_PROTOCOLS)("over %s", (protocol) => {
  let plugin: TestPluginServer;
  beforeAll(async () => {
    plugin = await startTestPluginServer(
      serve({ logger: createNoopPluginLogger() })
        .registerBackupItemAction("test.io/bia", () => bia)
        .registerBackupItemAction("test.io/bia-echo", () => biaEcho)
        .registerBackupItemActionV2("test.io/bia2", () => bia2)
        .registerBackupItemActionV2("test.io/bia2-no-progress", () => bia2NoProgress)
        .registerRestoreItemAction("test.io/ria", () => ria)
        .registerRestoreItemActionV2("test.io/ria2", () => ria2)
        .registerDeleteItemAction("test.io/dia", () => dia)
        .registerItemBlockAction("test.io/iba", () => iba)
        .registerVolumeSnapshotter("test.io/vs", () => vs),
      { command: "/plugins/velero-plugin-test", protocol },
    );
  });
  afterAll(async () => {
    await plugin.close();
  });

  describe("go-plugin control services", () => {
    it("answers the health check", async () => {
      await expect(checkHealth(plugin.connection, 5000)).resolves.toBeUndefined();
    });

    it("lists every registration once, under its own kind, with the command", async () => {
      const listed = await listPlugins(plugin.connection);
      expect(listed.map((p) => `${p.kind} ${p.name}`)).toEqual([
        "BackupItemAction test.io/bia",
        "BackupItemAction test.io/bia-echo",
        "BackupItemActionV2 test.io/bia2",
        "BackupItemActionV2 test.io/bia2-no-progress",
        "VolumeSnapshotter test.io/vs",
        "RestoreItemAction test.io/ria",
        "RestoreItemActionV2 test.io/ria2",
        "DeleteItemAction test.io/dia",
        "ItemBlockAction test.io/iba",
      ]);
      expect(new Set(listed.map((p) => p.command))).toEqual(new Set(["/plugins/velero-plugin-test"]));
    });
  });

  describe("BackupItemAction (v1) round trip", () => {
    it("returns the selector from appliesTo", async () => {
      expect(await plugin.backupItemAction("test.io/bia").appliesTo()).toEqual(selector);
    });

    it("passes item and backup, returns the changed item and additional items", async () => {
      const out = await plugin.backupItemAction("test.io/bia").execute(pod("web"), backup);
      expect(out).toEqual({ item: pod("web", { metadata: { name: "web", namespace: "app", labels: { touched: "yes" } } }), additionalItems: ids });
      const last = seen["bia.execute"]?.at(-1) as [UnstructuredItem, Backup];
      expect(last[1]).toEqual(backup);
    });

    it("keeps int64 values above 2^53 exact in both directions", async () => {
      const item = pod("big", { spec: { activeDeadlineSeconds: BIG, small: 42, ratio: 0.5 } });
      const out = await plugin.backupItemAction("test.io/bia").execute(item, backup);
      const received = (seen["bia.execute"]?.at(-1) as [UnstructuredItem])[0];
      expect((received.spec as Record<string, unknown>).activeDeadlineSeconds).toBe(BIG);
      expect(out.item.spec).toEqual({ activeDeadlineSeconds: BIG, small: 42, ratio: 0.5 });
    });

    it("echoes the request item when the action returns none, and maps an empty selector", async () => {
      const client = plugin.backupItemAction("test.io/bia-echo");
      expect(await client.execute(pod("same"), backup)).toEqual({ item: pod("same"), additionalItems: [] });
      expect(await client.appliesTo()).toEqual({ includedNamespaces: [], excludedNamespaces: [], includedResources: [], excludedResources: [], selector: "" });
    });

    it("an action that changes its input in place and returns no item: the item as it left it is sent back (backup and restore)", async () => {
      const inPlace = await startTestPluginServer(
        serve({ logger: createNoopPluginLogger() })
          .registerBackupItemAction("test.io/bia-in-place", () => biaInPlace)
          .registerRestoreItemAction("test.io/ria-in-place", () => riaInPlace),
        { protocol },
      );
      try {
        const out = await inPlace.backupItemAction("test.io/bia-in-place").execute(pod("web"), backup);
        expect(out.item.metadata.labels).toMatchObject({ "example.io/changed": "in-place" });
        const restored = await inPlace.restoreItemAction("test.io/ria-in-place").execute({ item: pod("web"), itemFromBackup: pod("web"), restore });
        expect(restored.item.metadata.annotations).toEqual({ "example.io/changed": "in-place" });
      } finally {
        await inPlace.close();
      }
    });

    it("fills in what a terse action leaves out (Go's zero values): selector fields, additional items, operation, skipRestore, wait flag", async () => {
      const terse = await startTestPluginServer(
        serve({ logger: createNoopPluginLogger() })
          .registerBackupItemActionV2("test.io/bia2-terse", () => ({
            appliesTo: async () => ({ includedResources: ["pods"] }),
            execute: async (item) => ({ item }),
            progress: async () => ({ completed: true, err: "", nCompleted: 0, nTotal: 0, operationUnits: "", description: "" }),
            cancel: async () => {},
          }))
          .registerRestoreItemActionV2("test.io/ria2-terse", () => ({
            appliesTo: async () => ({ selector: "app=web" }),
            execute: async ({ item }) => ({ item }),
            progress: async () => ({ completed: true, err: "", nCompleted: 0, nTotal: 0, operationUnits: "", description: "" }),
            cancel: async () => {},
            areAdditionalItemsReady: async () => true,
          })),
        { protocol },
      );
      try {
        const b = terse.backupItemActionV2("test.io/bia2-terse");
        expect(await b.appliesTo()).toEqual({ includedNamespaces: [], excludedNamespaces: [], includedResources: ["pods"], excludedResources: [], selector: "" });
        expect(await b.execute(pod("web"), backup)).toEqual({ item: pod("web"), additionalItems: [], operationId: "", postOperationItems: [] });
        const r = terse.restoreItemActionV2("test.io/ria2-terse");
        expect(await r.appliesTo()).toEqual({ includedNamespaces: [], excludedNamespaces: [], includedResources: [], excludedResources: [], selector: "app=web" });
        expect(await r.execute({ item: pod("web"), itemFromBackup: pod("web"), restore })).toEqual({
          item: pod("web"),
          additionalItems: [],
          skipRestore: false,
          operationId: "",
          waitForAdditionalItems: false,
          additionalItemsReadyTimeoutMs: 0,
        });
      } finally {
        await terse.close();
      }
    });

    it("serves a v1 registration on the v2 service too (no async operation)", async () => {
      const client = plugin.backupItemActionV2("test.io/bia");
      const out = await client.execute(pod("web"), backup);
      expect(out.operationId).toBe("");
      expect(out.postOperationItems).toEqual([]);
      expect(out.additionalItems).toEqual(ids);
      await expect(client.progress("op", backup)).rejects.toThrow(/v1 plugin/);
    });
  });

  describe("BackupItemAction v2 round trip", () => {
    const client = (): BackupItemActionV2 => plugin.backupItemActionV2("test.io/bia2");

    it("returns the selector and the async operation of execute", async () => {
      expect(await client().appliesTo()).toEqual(selector);
      expect(await client().execute(pod("web"), backup)).toEqual({ item: pod("web"), additionalItems: [], operationId: "op-1", postOperationItems: ids });
    });

    it("returns progress with its timestamps", async () => {
      expect(await client().progress("op-1", backup)).toEqual({
        completed: true,
        err: "",
        nCompleted: 5,
        nTotal: 10,
        operationUnits: "bytes",
        description: "copying",
        started,
        updated,
      });
      expect(seen["bia2.progress"]?.at(-1)).toEqual(["op-1", "b1"]);
    });

    it("always sends a progress message, even when the action returns none", async () => {
      expect(await plugin.backupItemActionV2("test.io/bia2-no-progress").progress("x", backup)).toEqual({
        completed: false,
        err: "",
        nCompleted: 0,
        nTotal: 0,
        operationUnits: "",
        description: "",
      });
    });

    it("cancels an operation", async () => {
      await client().cancel("op-9", backup);
      expect(seen["bia2.cancel"]?.at(-1)).toEqual(["op-9", "b1"]);
    });
  });

  describe("RestoreItemAction (v1) round trip", () => {
    it("passes item, itemFromBackup and restore; returns the item even with skipRestore", async () => {
      const input: RestoreItemActionInput = { item: pod("now"), itemFromBackup: pod("then"), restore };
      const client = plugin.restoreItemAction("test.io/ria");
      expect(await client.appliesTo()).toEqual(selector);
      expect(await client.execute(input)).toEqual({ item: pod("now"), additionalItems: ids, skipRestore: true });
      expect(seen["ria.execute"]?.at(-1)).toEqual([input]);
    });

    it("is served on the v2 service through the v1 adapter", async () => {
      const client = plugin.restoreItemActionV2("test.io/ria");
      const out = await client.execute({ item: pod("now"), itemFromBackup: pod("then"), restore });
      expect(out).toEqual({
        item: pod("now"),
        additionalItems: ids,
        skipRestore: true,
        operationId: "",
        waitForAdditionalItems: false,
        additionalItemsReadyTimeoutMs: 0,
      });
      expect(await client.areAdditionalItemsReady(ids, restore)).toBe(true);
    });
  });

  describe("RestoreItemAction v2 round trip", () => {
    const client = (): RestoreItemActionV2 => plugin.restoreItemActionV2("test.io/ria2");

    it("returns the operation, the wait flag and the ready timeout", async () => {
      expect(await client().appliesTo()).toEqual(selector);
      expect(await client().execute({ item: pod("x"), itemFromBackup: pod("x"), restore })).toEqual({
        item: pod("x"),
        additionalItems: ids,
        skipRestore: false,
        operationId: "rop-1",
        waitForAdditionalItems: true,
        additionalItemsReadyTimeoutMs: 90_000,
      });
    });

    it("returns progress without timestamps as undefined dates", async () => {
      expect(await client().progress("rop-1", restore)).toEqual({
        completed: false,
        err: "still rop-1 r1",
        nCompleted: 1,
        nTotal: 2,
        operationUnits: "",
        description: "",
      });
    });

    it("cancels and checks additional items", async () => {
      await client().cancel("rop-2", restore);
      expect(seen["ria2.cancel"]?.at(-1)).toEqual(["rop-2", "r1"]);
      expect(await client().areAdditionalItemsReady(ids, restore)).toBe(true);
      expect(seen["ria2.ready"]?.at(-1)).toEqual([ids, "r1"]);
      expect(await client().areAdditionalItemsReady(ids.slice(1), restore)).toBe(false);
    });
  });

  describe("DeleteItemAction round trip", () => {
    it("returns the selector and executes", async () => {
      const client = plugin.deleteItemAction("test.io/dia");
      expect(await client.appliesTo()).toEqual(selector);
      await expect(client.execute(pod("gone"), backup)).resolves.toBeUndefined();
      expect(seen["dia.execute"]?.at(-1)).toEqual(["gone", "b1"]);
    });
  });

  describe("ItemBlockAction round trip", () => {
    it("returns the selector and related items (possibly none)", async () => {
      const client = plugin.itemBlockAction("test.io/iba");
      expect(await client.appliesTo()).toEqual(selector);
      expect(await client.getRelatedItems(pod("web"), backup)).toEqual(ids);
      expect(await client.getRelatedItems(pod("lonely"), backup)).toEqual([]);
    });
  });

  describe("VolumeSnapshotter round trip", () => {
    const client = (): VolumeSnapshotter => plugin.volumeSnapshotter("test.io/vs");
    const pv: UnstructuredItem = { apiVersion: "v1", kind: "PersistentVolume", metadata: { name: "pv1" }, spec: { id: "vol-1", capacity: { storage: "1Gi" } } };

    it("passes the init config", async () => {
      await client().init({ region: "r1", credentialsFile: "/c" });
      expect(vsCalls.at(-1)).toEqual(["init", { region: "r1", credentialsFile: "/c" }]);
    });

    it("creates a volume from a snapshot with and without iops", async () => {
      expect(await client().createVolumeFromSnapshot({ snapshotId: "s1", volumeType: "io2", volumeAZ: "z1", iops: 3000 })).toBe("vol-from-s1");
      expect(vsCalls.at(-1)).toEqual(["createVolumeFromSnapshot", { snapshotId: "s1", volumeType: "io2", volumeAZ: "z1", iops: 3000 }]);
      await client().createVolumeFromSnapshot({ snapshotId: "s2", volumeType: "gp3", volumeAZ: "z1" });
      expect(vsCalls.at(-1)).toEqual(["createVolumeFromSnapshot", { snapshotId: "s2", volumeType: "gp3", volumeAZ: "z1" }]);
    });

    it("maps iops 0 to undefined in volume info", async () => {
      expect(await client().getVolumeInfo("io", "z1")).toEqual({ volumeType: "io2", iops: 3000 });
      expect(await client().getVolumeInfo("plain", "z1")).toEqual({ volumeType: "gp3" });
    });

    it("creates a snapshot with tags and deletes it", async () => {
      expect(await client().createSnapshot("vol-1", "z1", { "velero.io/backup": "b1", "velero.io/pv": "pv1" })).toBe("snap-1");
      expect(vsCalls.at(-1)).toEqual(["createSnapshot", "vol-1", "z1", { "velero.io/backup": "b1", "velero.io/pv": "pv1" }]);
      await client().deleteSnapshot("snap-1");
      expect(vsCalls.at(-1)).toEqual(["deleteSnapshot", "snap-1"]);
    });

    it("gets and sets the volume ID of a PV", async () => {
      expect(await client().getVolumeId(pv)).toBe("vol-1");
      expect(await client().setVolumeId(pv, "vol-2")).toEqual({ ...pv, spec: { id: "vol-2", capacity: { storage: "1Gi" } } });
    });
  });

  describe("unknown plugin names", () => {
    it.each([
      { kind: "BackupItemAction", call: () => plugin.backupItemAction("test.io/nope").appliesTo() },
      { kind: "BackupItemActionV2", call: () => plugin.backupItemActionV2("test.io/nope").appliesTo() },
      { kind: "RestoreItemAction", call: () => plugin.restoreItemAction("test.io/nope").appliesTo() },
      { kind: "RestoreItemActionV2", call: () => plugin.restoreItemActionV2("test.io/nope").appliesTo() },
      { kind: "DeleteItemAction", call: () => plugin.deleteItemAction("test.io/nope").appliesTo() },
      { kind: "ItemBlockAction", call: () => plugin.itemBlockAction("test.io/nope").appliesTo() },
      { kind: "VolumeSnapshotter", call: () => plugin.volumeSnapshotter("test.io/nope").init({}) },
      { kind: "ObjectStore", call: () => plugin.objectStore("test.io/nope").init({}) },
    ])("fail with Velero's not-found message for $kind", async ({ kind, call }) => {
      const error: unknown = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isVeleroError(error) && error.code).toBe("VELERO_NOT_FOUND");
      expect((error as Error).message).toBe(`rpc error: code = NotFound desc = ${kind} plugin: test.io/nope was not found or has an invalid name format`);
      expect((error as Error).cause).toBeInstanceOf(PluginError);
    });
  });
});
