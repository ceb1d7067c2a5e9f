import { emptyResourceSelector, type BackupItemAction, type BackupItemActionV2, type PluginKind, type PluginKindMap } from "@velero-ts/plugin-sdk";
import { InMemoryObjectStore } from "@velero-ts/plugin-sdk/testing";
import { describe, expect, it } from "vitest";
import { createSilentLogger } from "../shared/logging.js";
import { DefaultPluginManager } from "./default-manager.js";
import type { InProcessPlugins } from "./in-process.js";
import { PluginRegistry, type PluginId } from "./registry.js";

const v1Action = (tag: string): BackupItemAction => ({
  appliesTo: async () => emptyResourceSelector(),
  execute: async (item) => ({ item: { ...item, metadata: { ...item.metadata, name: tag } }, additionalItems: [] }),
});

const v2Action = (tag: string): BackupItemActionV2 => ({
  appliesTo: async () => emptyResourceSelector(),
  execute: async (item) => ({ item: { ...item, metadata: { ...item.metadata, name: tag } }, additionalItems: [], operationId: `op-${tag}`, postOperationItems: [] }),
  progress: async () => ({ completed: true, err: "", nCompleted: 0, nTotal: 0, operationUnits: "", description: "" }),
  cancel: async () => {},
});

class FakeBuiltins implements InProcessPlugins {
  readonly created: string[] = [];
  readonly stores: InMemoryObjectStore[] = [];
  readonly #ids: PluginId[];
  constructor(ids: PluginId[]) {
    this.#ids = ids;
  }
  list(): PluginId[] {
    return this.#ids;
  }
  async create<K extends PluginKind>(kind: K, name: string): Promise<PluginKindMap[K]> {
    this.created.push(`${kind}/${name}`);
    if (kind === "ObjectStore") {
      const store = new InMemoryObjectStore();
      this.stores.push(store);
      return store as unknown as PluginKindMap[K];
    }
    if (kind === "BackupItemAction") return v1Action(name) as unknown as PluginKindMap[K];
    if (kind === "BackupItemActionV2") return v2Action(name) as unknown as PluginKindMap[K];
    throw new Error(`unexpected ${kind}`);
  }
}

function setup(ids: PluginId[]): { manager: DefaultPluginManager; builtins: FakeBuiltins } {
  const builtins = new FakeBuiltins(ids);
  const registry = new PluginRegistry();
  expect(registry.register(ids, { source: "builtin" })).toBeUndefined();
  return { manager: new DefaultPluginManager({ registry, builtins, logger: createSilentLogger() }), builtins };
}

const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "p" } };
const backup = { metadata: { name: "b" } } as never;

describe("DefaultPluginManager with in-process built-ins", () => {
  it("resolves a short provider name to velero.io/<name> and initialises a fresh instance", async () => {
    const { manager, builtins } = setup([{ kind: "ObjectStore", name: "velero.io/filesystem" }]);
    const store = await manager.getObjectStore("filesystem", { bucket: "b" });
    expect(builtins.created).toEqual(["ObjectStore/velero.io/filesystem"]);
    expect(store).toBe(builtins.stores[0]);
    expect(await store.objectExists("b", "k")).toBe(false);
  });

  it("names the missing plugin and what is registered", async () => {
    const { manager } = setup([{ kind: "ObjectStore", name: "velero.io/filesystem" }]);
    await expect(manager.getObjectStore("aws", {})).rejects.toThrow(
      'unable to locate ObjectStore plugin named velero.io/aws (registered: "velero.io/filesystem"; install the plugin into --plugin-dir)',
    );
  });

  it("returns one backup item action per name, v2 preferred, v1 adapted, in registration order", async () => {
    const { manager } = setup([
      { kind: "BackupItemAction", name: "velero.io/a" },
      { kind: "BackupItemActionV2", name: "velero.io/b" },
      { kind: "BackupItemAction", name: "velero.io/b" },
      { kind: "BackupItemAction", name: "velero.io/c" },
    ]);
    const actions = await manager.getBackupItemActions();
    expect(actions.map((a) => a.name)).toEqual(["velero.io/a", "velero.io/b", "velero.io/c"]);
    // in process: not flagged as served by a plugin process
    expect(actions.map((a) => a.external)).toEqual([undefined, undefined, undefined]);
    const out = await Promise.all(actions.map((a) => a.action.execute(pod as never, backup)));
    expect(out.map((o) => [o.item.metadata.name, o.operationId])).toEqual([
      ["velero.io/a", ""],
      ["velero.io/b", "op-velero.io/b"],
      ["velero.io/c", ""],
    ]);
  });

  it("refuses use after close", async () => {
    const { manager } = setup([{ kind: "ObjectStore", name: "velero.io/filesystem" }]);
    await manager.close();
    await expect(manager.getObjectStore("filesystem", {})).rejects.toThrow(/plugin manager is closed/);
  });
});
