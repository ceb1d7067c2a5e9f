// The item-action conformance checks fail broken actions, each with a message naming the call and
// the rule it broke (the passing side is conformance.test.ts).
import { createReadStream } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Backup, Restore, UnstructuredItem } from "../api/v1/types.js";
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
import { serve } from "../serve.js";
import { deleteItemActionChecks } from "./delete-item-action-conformance.js";
import { startTestPluginServer } from "./harness.js";
import { backupItemActionChecks, restoreItemActionChecks } from "./item-action-conformance.js";
import { itemBlockActionChecks } from "./item-block-action-conformance.js";
import { InMemoryObjectStore } from "./in-memory-object-store.js";
import { checkAcceptsHostConfigKeys, checkMissingKeyRejected } from "./object-store-conformance.js";
import { validateObjectStoreConfigKeys } from "../contract/config-keys.js";

const pod: UnstructuredItem = { apiVersion: "v1", kind: "Pod", metadata: { name: "web", namespace: "app" } };
const backup: Backup = { metadata: { name: "b1", namespace: "velero" }, spec: {} };
const restore: Restore = { metadata: { name: "r1", namespace: "velero" }, spec: { backupName: "b1" } };
const claim = { group: "", resource: "persistentvolumeclaims", namespace: "app", name: "data" };
const goodProgress: OperationProgress = { completed: false, err: "", nCompleted: 1, nTotal: 2, operationUnits: "bytes", description: "copying" };

function bia2(overrides: Partial<BackupItemActionV2>): BackupItemActionV2 {
  return {
    appliesTo: async () => emptyResourceSelector(),
    execute: async (item) => ({ item, additionalItems: [], operationId: "op-1", postOperationItems: [] }),
    progress: async () => goodProgress,
    cancel: async () => {},
    ...overrides,
  };
}

function ria2(overrides: Partial<RestoreItemActionV2>): RestoreItemActionV2 {
  return {
    appliesTo: async () => emptyResourceSelector(),
    execute: async ({ item }) => ({
      item,
      additionalItems: [claim],
      skipRestore: false,
      operationId: "op-1",
      waitForAdditionalItems: true,
      additionalItemsReadyTimeoutMs: 0,
    }),
    progress: async () => goodProgress,
    cancel: async () => {},
    areAdditionalItemsReady: async () => true,
    ...overrides,
  };
}

describe("backupItemActionChecks", () => {
  it("checks every operation of a working v2 action and none of a v1 action", async () => {
    expect(await backupItemActionChecks.operations({ action: bia2({}), backup, items: [pod, pod] })).toBe(2);
    const v1: BackupItemAction = { appliesTo: async () => emptyResourceSelector(), execute: async (item) => ({ item, additionalItems: [] }) };
    expect(await backupItemActionChecks.operations({ action: v1, backup, items: [pod] })).toBe(0);
  });

  it.each([
    {
      name: "appliesTo with a string instead of a list",
      action: bia2({ appliesTo: async () => ({ ...emptyResourceSelector(), includedResources: "pods" as never }) }),
      check: "appliesTo" as const,
      error: /appliesTo\(\)\.includedResources must be an array of strings/,
    },
    {
      name: "a rejecting appliesTo",
      action: bia2({ appliesTo: async () => Promise.reject(new Error("not configured")) }),
      check: "appliesTo" as const,
      error: "appliesTo() rejected: not configured",
    },
    {
      name: "an additional item named by kind",
      action: bia2({ execute: async (item) => ({ item, additionalItems: [{ ...claim, resource: "PersistentVolumeClaim" }], operationId: "", postOperationItems: [] }) }),
      check: "execute" as const,
      error: /execute\(Pod app\/web\)\.additionalItems\[0\]\.resource must be the plural, lowercase resource name/,
    },
    {
      name: "a post-operation item without a name",
      action: bia2({ execute: async (item) => ({ item, additionalItems: [], operationId: "op-1", postOperationItems: [{ ...claim, name: "" }] }) }),
      check: "execute" as const,
      error: /execute\(Pod app\/web\)\.postOperationItems\[0\]\.name must be a non-empty string/,
    },
    {
      name: "an item holding a Date",
      action: bia2({ execute: async (item) => ({ item: { ...item, at: new Date(0) }, additionalItems: [], operationId: "", postOperationItems: [] }) }),
      check: "execute" as const,
      error: /execute\(Pod app\/web\): the item must be plain JSON/,
    },
    {
      name: "no item at all",
      action: bia2({ execute: async () => undefined as never }),
      check: "execute" as const,
      error: /execute\(Pod app\/web\) must always return the item/,
    },
    {
      name: "a rejecting execute",
      action: bia2({ execute: async () => Promise.reject(new Error("boom")) }),
      check: "execute" as const,
      error: "execute(Pod app/web) rejected: boom",
    },
    {
      name: "progress failing for the action's own operation IDs",
      action: bia2({ progress: async (id) => Promise.reject(new Error(`operation ${id} not found`)) }),
      check: "operations" as const,
      error: 'progress("op-1") for the operation execute(Pod app/web) started rejected: operation op-1 not found',
    },
    {
      name: "progress resolving nothing",
      action: bia2({ progress: async () => undefined as never }),
      check: "operations" as const,
      error: /progress\("op-1"\) for the operation execute\(Pod app\/web\) started must resolve to an OperationProgress/,
    },
    {
      name: "progress counting in strings",
      action: bia2({ progress: async () => ({ ...goodProgress, nCompleted: "1" as never }) }),
      check: "operations" as const,
      error: /started: nCompleted must be a number/,
    },
    {
      name: "progress without a description",
      action: bia2({ progress: async () => ({ ...goodProgress, description: undefined as never }) }),
      check: "operations" as const,
      error: /started: description must be a string/,
    },
    {
      name: "progress with a started time that is not a Date",
      action: bia2({ progress: async () => ({ ...goodProgress, started: "2026-01-01T00:00:00Z" as never }) }),
      check: "operations" as const,
      error: /started: started must be a valid Date when present/,
    },
    {
      name: "a rejecting cancel",
      action: bia2({ cancel: async () => Promise.reject(new Error("already gone")) }),
      check: "operations" as const,
      error: 'cancel("op-1") for the operation execute(Pod app/web) started rejected: already gone',
    },
    {
      name: "an operation ID that is not a string",
      action: bia2({ execute: async (item) => ({ item, operationId: 7 }) as never }),
      check: "operations" as const,
      error: /execute\(Pod app\/web\)\.operationId must be a string \("" or absent when no operation was started\)/,
    },
    {
      name: "additional items that are not a list",
      action: bia2({ execute: async (item) => ({ item, additionalItems: "pvc" }) as never }),
      check: "execute" as const,
      error: /execute\(Pod app\/web\)\.additionalItems must be an array of resource identifiers, or absent for none/,
    },
  ])("fails $name", async ({ action, check, error }) => {
    await expect(backupItemActionChecks[check]({ action, backup, items: [pod] })).rejects.toThrow(error);
  });

  it("fails a target without sample items", async () => {
    await expect(backupItemActionChecks.execute({ action: bia2({}), backup, items: [] })).rejects.toThrow(/needs at least one sample item/);
  });

  it("fails a progress that rejects its own operation IDs, through the gRPC adapters, with the plugin's message", async () => {
    const plugin = await startTestPluginServer(
      serve().registerBackupItemActionV2("example.io/broken", () => bia2({ progress: async (id) => Promise.reject(new Error(`unknown operation "${id}"`)) })),
    );
    try {
      const action = plugin.backupItemActionV2("example.io/broken");
      await expect(backupItemActionChecks.operations({ action, backup, items: [pod] })).rejects.toThrow(
        'progress("op-1") for the operation execute(Pod app/web) started rejected: rpc error: code = Unknown desc = unknown operation "op-1"',
      );
    } finally {
      await plugin.close();
    }
  });
});

describe("restoreItemActionChecks", () => {
  it("checks the operations and additional items of a working v2 action, and neither of a v1 action", async () => {
    expect(await restoreItemActionChecks.operations({ action: ria2({}), restore, items: [pod] })).toBe(1);
    expect(await restoreItemActionChecks.additionalItemsReady({ action: ria2({}), restore, items: [pod] })).toBe(true);
    const v1: RestoreItemAction = { appliesTo: async () => emptyResourceSelector(), execute: async ({ item }) => ({ item, additionalItems: [], skipRestore: false }) };
    expect(await restoreItemActionChecks.operations({ action: v1, restore, items: [pod] })).toBe(0);
    expect(await restoreItemActionChecks.additionalItemsReady({ action: v1, restore, items: [pod] })).toBe(false);
  });

  it.each([
    {
      name: "a skipRestore that is not a boolean",
      action: ria2({ execute: async ({ item }) => ({ item, skipRestore: "yes" }) as never }),
      check: "execute" as const,
      error: /execute\(Pod app\/web\)\.skipRestore must be a boolean, or absent for false/,
    },
    {
      name: "progress failing for the action's own operation IDs",
      action: ria2({ progress: async () => Promise.reject(new Error("no such operation")) }),
      check: "operations" as const,
      error: 'progress("op-1") for the operation execute(Pod app/web) started rejected: no such operation',
    },
    {
      name: "progress with a non-boolean completed",
      action: ria2({ progress: async () => ({ ...goodProgress, completed: "yes" as never }) }),
      check: "operations" as const,
      error: /started: completed must be a boolean/,
    },
    {
      name: "a rejecting cancel",
      action: ria2({ cancel: async () => Promise.reject(new Error("cannot cancel")) }),
      check: "operations" as const,
      error: /cancel\("op-1"\) for the operation execute\(Pod app\/web\) started rejected: cannot cancel/,
    },
    {
      name: "areAdditionalItemsReady answering a string",
      action: ria2({ areAdditionalItemsReady: async () => "yes" as never }),
      check: "additionalItemsReady" as const,
      error: /areAdditionalItemsReady\(the 1 additional item\(s\) of Pod app\/web\) must be a boolean/,
    },
    {
      name: "a rejecting areAdditionalItemsReady",
      action: ria2({ areAdditionalItemsReady: async () => Promise.reject(new Error("cannot list claims")) }),
      check: "additionalItemsReady" as const,
      error: "areAdditionalItemsReady(the 1 additional item(s) of Pod app/web) rejected: cannot list claims",
    },
  ])("fails $name", async ({ action, check, error }) => {
    await expect(restoreItemActionChecks[check]({ action, restore, items: [pod] })).rejects.toThrow(error);
  });
});

describe("deleteItemActionChecks", () => {
  const deleting = (execute: DeleteItemAction["execute"]): DeleteItemAction => ({ appliesTo: async () => emptyResourceSelector(), execute });

  it("passes an action that resolves for one item and rejects with a message for another", async () => {
    const action = deleting(async (item) => {
      if (item.metadata.name === "gone") throw new Error('snapshot of "gone" not found');
    });
    await expect(deleteItemActionChecks.execute({ action, backup, items: [pod, { ...pod, metadata: { name: "gone" } }] })).resolves.toBeUndefined();
  });

  it.each([
    { name: "a rejection with a string", execute: async (): Promise<void> => Promise.reject("boom"), error: /execute\(Pod app\/web\) rejected with a non-Error value \(boom\)/ },
    { name: "a rejection with an empty message", execute: async (): Promise<void> => Promise.reject(new Error("")), error: /execute\(Pod app\/web\) rejected with an Error without a message/ },
  ])("fails $name", async ({ execute, error }) => {
    await expect(deleteItemActionChecks.execute({ action: deleting(execute), backup, items: [pod] })).rejects.toThrow(error);
  });

  it("fails a rejecting appliesTo", async () => {
    const action: DeleteItemAction = { appliesTo: async () => Promise.reject(new Error("no config")), execute: async () => {} };
    await expect(deleteItemActionChecks.appliesTo({ action, backup, items: [pod] })).rejects.toThrow("appliesTo() rejected: no config");
  });
});

describe("itemBlockActionChecks", () => {
  const relating = (getRelatedItems: ItemBlockAction["getRelatedItems"]): ItemBlockAction => ({ appliesTo: async () => emptyResourceSelector(), getRelatedItems });

  it("passes an action returning well-formed identifiers or none", async () => {
    await expect(itemBlockActionChecks.relatedItems({ action: relating(async () => [claim]), backup, items: [pod] })).resolves.toBeUndefined();
    await expect(itemBlockActionChecks.relatedItems({ action: relating(async () => []), backup, items: [pod] })).resolves.toBeUndefined();
  });

  it.each([
    { name: "a related item without a name", related: [{ ...claim, name: "" }], error: /getRelatedItems\(Pod app\/web\)\[0\]\.name must be a non-empty string/ },
    { name: "a related item named by kind", related: [claim, { ...claim, resource: "Pod" }], error: /getRelatedItems\(Pod app\/web\)\[1\]\.resource must be the plural, lowercase/ },
    { name: "a related item without a group", related: [{ ...claim, group: undefined as never }], error: /\[0\]\.group must be a string/ },
    { name: "no list", related: undefined as never, error: /getRelatedItems\(Pod app\/web\) must be an array of resource identifiers/ },
  ])("fails $name", async ({ related, error }) => {
    await expect(itemBlockActionChecks.relatedItems({ action: relating(async () => related), backup, items: [pod] })).rejects.toThrow(error);
  });

  it("fails a selector whose label selector is not a string, or whose list is not a list; passes one with fields left out (they mean all)", async () => {
    const appliesTo = (selector: object): ItemBlockAction => ({ appliesTo: async () => selector as never, getRelatedItems: async () => [] });
    await expect(itemBlockActionChecks.appliesTo({ action: appliesTo({ selector: 5 }), backup, items: [pod] })).rejects.toThrow(/appliesTo\(\)\.selector must be a label selector string/);
    await expect(itemBlockActionChecks.appliesTo({ action: appliesTo({ includedResources: "pods" }), backup, items: [pod] })).rejects.toThrow(
      /appliesTo\(\)\.includedResources must be an array of strings, or absent/,
    );
    await itemBlockActionChecks.appliesTo({ action: appliesTo({ includedResources: ["pods"] }), backup, items: [pod] });
    await itemBlockActionChecks.appliesTo({ action: appliesTo({}), backup, items: [pod] });
  });

  it("fails a label selector hosts cannot parse, and a sample item the selector leaves out; passes one that selects the samples", async () => {
    const selecting = (selector: string): ItemBlockAction => ({ appliesTo: async () => ({ ...emptyResourceSelector(), selector }), getRelatedItems: async () => [] });
    await expect(itemBlockActionChecks.appliesTo({ action: selecting("app in (a,b"), backup, items: [pod] })).rejects.toThrow(
      /appliesTo\(\)\.selector is not a valid label selector \(hosts fail every backup and restore with it\): invalid label selector "app in \(a,b"/,
    );
    const labelled = { ...pod, metadata: { ...pod.metadata, labels: { app: "web" } } };
    await expect(itemBlockActionChecks.appliesTo({ action: selecting("app=db"), backup, items: [labelled] })).rejects.toThrow(
      /sample item Pod app\/web does not match appliesTo\(\)\.selector "app=db": a host would never pass it to the action/,
    );
    await expect(itemBlockActionChecks.appliesTo({ action: selecting("app in (web,db)"), backup, items: [labelled] })).resolves.toBeUndefined();
  });

  it("fails a related item whose group is a version", async () => {
    await expect(itemBlockActionChecks.relatedItems({ action: relating(async () => [{ ...claim, group: "v1" }]), backup, items: [pod] })).rejects.toThrow(
      /\[0\]\.group must be an API group without a version/,
    );
    await expect(itemBlockActionChecks.relatedItems({ action: relating(async () => [{ ...claim, group: "apps/v1" }]), backup, items: [pod] })).rejects.toThrow(/group must be an API group/);
  });
});

describe("the object store suite's missing-key check", () => {
  it("fails a getObject that returns an unchecked file stream for a missing key, naming the key and the stream's late error (not an unhandled error)", async () => {
    const store = new InMemoryObjectStore();
    store.getObject = async () => createReadStream(join(tmpdir(), "vt-no-such-dir", "missing"));
    await expect(checkMissingKeyRejected(store, "b", "missing/key", false)).rejects.toThrow(
      /getObject\("missing\/key"\) of a missing key resolved with a stream instead of rejecting \(the stream then failed: ENOENT.*throw NotFoundError/,
    );
  });

  it("fails a plain Error without the key under missingKeyError 'any', and passes a NotFoundError", async () => {
    const store = new InMemoryObjectStore();
    store.getObject = async () => {
      throw new Error("no such object");
    };
    await expect(checkMissingKeyRejected(store, "b", "missing/key", true)).rejects.toThrow(/must name the key/);
    await expect(checkMissingKeyRejected(new InMemoryObjectStore(), "b", "missing/key", false)).resolves.toBeUndefined();
  });
});

describe("the object store suite's host-keys check", () => {
  it("fails a store that refuses the bucket and prefix every host adds, saying why, and passes one using validateObjectStoreConfigKeys", async () => {
    const strict = new InMemoryObjectStore();
    strict.init = async (config) => {
      const unknown = Object.keys(config).filter((k) => k !== "root");
      if (unknown.length) throw new Error(`config has invalid keys [${unknown.join(" ")}]`);
    };
    await expect(checkAcceptsHostConfigKeys(strict, "b", { root: "/d" })).rejects.toThrow(
      /^init\(\{"root":"\/d","bucket":"b","prefix":""\}\) rejected: config has invalid keys \[bucket prefix\]\. Velero and velero-ts always add "bucket" and "prefix"/,
    );
    const lenient = new InMemoryObjectStore();
    lenient.init = async (config) => validateObjectStoreConfigKeys(config, "root");
    await expect(checkAcceptsHostConfigKeys(lenient, "b", { root: "/d" })).resolves.toBeUndefined();
  });
});
