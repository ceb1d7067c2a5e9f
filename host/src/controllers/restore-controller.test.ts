import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import type { Readable } from "node:stream";
import type { Backup, Restore, RestoreItemActionV2, RestoreSpec, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { emptyResourceSelector } from "@velero-ts/plugin-sdk";
import { GVR } from "../kube/gvr.js";
import type { RestoreUpload } from "../persistence/backup-store.js";
import type { NamedAction } from "../plugins/manager.js";
import { createSilentLogger } from "../shared/logging.js";
import { FakeBackupStore } from "../testing/fake-backup-store.js";
import { FakeClock } from "../testing/fake-clock.js";
import { forBackup, forLocation, u } from "../testing/lifecycle-builders.js";
import { buildBackupTarball } from "../restore/testing/backup-tarball.js";
import { forConfigMap, forPod } from "../restore/testing/fixtures.js";
import { RestoreFakeKube } from "../restore/testing/restore-fake-kube.js";
import type { RestoreOutcome, RestoreRequest, Restorer } from "../restore/index.js";
import { RestoreResultSet } from "../restore/index.js";
import { captureLogger, type LogRecord } from "../testing/capturing-logger.js";
import { RESTORE_FINALIZER, RestoreReconciler, type RestoreReconcilerOptions } from "./restore-controller.js";

const NS = "velero";

/** Records the restore files stored, one entry per restore (its files arrive in separate calls). */
class CapturingStore extends FakeBackupStore {
  readonly uploads: { restoreName: string; log: string; rest: Omit<RestoreUpload, "log" | "restoreName"> }[] = [];
  /** Which restore files to refuse ("log", "results", "resourceList", ...). */
  readonly refuse = new Set<string>();
  override async putRestoreFiles(upload: RestoreUpload): Promise<void> {
    for (const key of Object.keys(upload)) if (this.refuse.has(key)) throw new Error(`rpc error: code = Unknown desc = AccessDenied: cannot write ${key}`);
    await super.putRestoreFiles(upload);
    const chunks: Buffer[] = [];
    if (upload.log) for await (const c of upload.log as Readable) chunks.push(Buffer.from(c as Uint8Array));
    const { log: _log, restoreName, ...rest } = upload;
    const entry = this.uploads.find((u) => u.restoreName === restoreName);
    if (entry) {
      entry.log += Buffer.concat(chunks).toString("utf8");
      Object.assign(entry.rest, rest);
    } else this.uploads.push({ restoreName, log: Buffer.concat(chunks).toString("utf8"), rest });
  }
}

function forRestore(name: string, spec: Partial<RestoreSpec>, status?: Restore["status"]): Restore {
  return { apiVersion: "velero.io/v1", kind: "Restore", metadata: { namespace: NS, name }, spec, ...(status ? { status } : {}) };
}

function completedBackup(name: string, extra: { labels?: Record<string, string>; start?: string; phase?: "Completed" | "PartiallyFailed" | "InProgress" | "Failed" } = {}): Backup {
  const b = forBackup(NS, name, { phase: extra.phase ?? "Completed", location: "default", labels: extra.labels });
  b.status = { ...b.status, formatVersion: "1.1.0", ...(extra.start ? { startTimestamp: extra.start } : {}) };
  return b;
}

interface Harness {
  kube: RestoreFakeKube;
  store: CapturingStore;
  clock: FakeClock;
  reconciler: RestoreReconciler;
}

async function harness(opts: Partial<RestoreReconcilerOptions> & { items?: UnstructuredItem[]; tarball?: Buffer; actions?: NamedAction<RestoreItemActionV2>[] } = {}): Promise<Harness> {
  const kube = new RestoreFakeKube();
  kube.seed(GVR.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } });
  kube.seed(GVR.backupStorageLocations, u(forLocation(NS, "default")));
  kube.seed(GVR.backups, u(completedBackup("b1")));
  const store = new CapturingStore();
  store.addBackup(completedBackup("b1"), { contents: opts.tarball ?? (await buildBackupTarball(opts.items ?? [forConfigMap("app", "c1"), forConfigMap("app", "c2")])) });
  const clock = new FakeClock("2024-05-01T10:00:00Z");
  const reconciler = new RestoreReconciler({
    kube,
    namespace: NS,
    log: createSilentLogger(),
    plugins: { getRestoreItemActions: async () => opts.actions ?? [], getVolumeSnapshotter: () => Promise.reject(new Error("no snapshotter")) },
    getBackupStore: async () => store,
    clock,
    ...opts,
  });
  return { kube, store, clock, reconciler };
}

async function submit(h: Harness, restore: Restore): Promise<Restore> {
  h.kube.seed(GVR.restores, u(restore));
  await h.reconciler.reconcile(`${NS}/${restore.metadata.name ?? ""}`);
  return h.kube.peek(GVR.restores, restore.metadata.name ?? "", NS) as unknown as Restore;
}

function phases(h: Harness, name: string): string[] {
  return h.kube.actions
    .filter((a) => a.resource === "restores" && a.name === name && a.verb === "patch")
    .map((a) => (a.patch as { status?: { phase?: string } }).status?.phase)
    .filter((p): p is string => p !== undefined);
}

describe("RestoreReconciler validation", () => {
  it.each<{ name: string; spec: Partial<RestoreSpec>; setup?: (h: Harness) => void; errors: (string | RegExp)[] }>([
    { name: "neither backup nor schedule", spec: {}, errors: ["Either a backup or schedule must be specified as a source for the restore, but not both"] },
    { name: "both backup and schedule", spec: { backupName: "b1", scheduleName: "s" }, errors: ["Either a backup or schedule must be specified as a source for the restore, but not both"] },
    { name: "an unknown backup", spec: { backupName: "nope" }, errors: ['Error retrieving backup: can\'t find backup velero/nope: Backup.velero.io "nope" not found'] },
    {
      name: "a backup still in progress",
      spec: { backupName: "b2" },
      setup: (h) => h.kube.seed(GVR.backups, u(completedBackup("b2", { phase: "InProgress" }))),
      errors: ['backup "b2" is in phase "InProgress"; only Completed or PartiallyFailed backups can be restored'],
    },
    { name: "a resource both included and excluded", spec: { backupName: "b1", includedResources: ["pods"], excludedResources: ["pods"] }, errors: ["Invalid included/excluded resource lists: excludes list cannot contain an item in the includes list: pods"] },
    { name: "'*' among other namespaces", spec: { backupName: "b1", includedNamespaces: ["*", "a"] }, errors: ["Invalid included/excluded namespace lists: includes list must either contain '*' only, or a non-empty list of items"] },
    { name: "a non-restorable resource", spec: { backupName: "b1", includedResources: ["nodes"] }, errors: ["nodes are non-restorable resources", "Invalid included/excluded resource lists: excludes list cannot contain an item in the includes list: nodes"] },
    { name: "labelSelector with orLabelSelectors", spec: { backupName: "b1", labelSelector: { matchLabels: { a: "b" } }, orLabelSelectors: [{ matchLabels: { c: "d" } }] }, errors: ["encountered labelSelector as well as orLabelSelectors in restore spec, only one can be specified"] },
    { name: "an unknown existing-resource policy", spec: { backupName: "b1", existingResourcePolicy: "replace" as "update" }, errors: ["Invalid ExistingResourcePolicy: replace"] },
    { name: "an init hook container without image", spec: { backupName: "b1", hooks: { resources: [{ name: "h", postHooks: [{ init: { initContainers: [{ name: "x", command: ["a"] }] } }] }] } }, errors: ["invalid InitContainer in restore hook, it doesn't have Command, Name or Image field"] },
    {
      name: "a namespace mapping to a name Kubernetes refuses",
      spec: { backupName: "b1", namespaceMapping: { app: "Bad_Name!", other: "fine" } },
      errors: [`invalid namespaceMapping "app: Bad_Name!": "Bad_Name!" is not a valid namespace name (at most 63 lower case letters, digits or '-', starting and ending with a letter or digit)`],
    },
    {
      name: "a resource modifier of another kind than ConfigMap",
      spec: { backupName: "b1", resourceModifier: { kind: "Secret", name: "mods", apiGroup: "" } },
      errors: ['resourceModifier kind "Secret" is not supported: resource modifiers are read from a ConfigMap; set spec.resourceModifier.kind to ConfigMap'],
    },
    { name: "a missing resource modifier ConfigMap", spec: { backupName: "b1", resourceModifier: { kind: "ConfigMap", name: "mods", apiGroup: "" } }, errors: ["failed to get resource modifiers configmap velero/mods"] },
    {
      name: "an invalid resource modifier ConfigMap",
      spec: { backupName: "b1", resourceModifier: { kind: "configmap", name: "mods", apiGroup: "" } },
      setup: (h) => h.kube.seed(GVR.configMaps, forConfigMap(NS, "mods", { "m.yaml": "version: v2\nresourceModifierRules: []\n" })),
      errors: ["Validation error in resource modifiers provided in configmap velero/mods: unsupported resource modifier version v2"],
    },
    {
      name: "an unavailable location",
      spec: { backupName: "b1" },
      setup: (h) => h.kube.seed(GVR.backupStorageLocations, u(forLocation(NS, "default", { phase: "Unavailable" }))),
      errors: ["The BSL default is unavailable, cannot retrieve the backup"],
    },
    { name: "a schedule without backups", spec: { scheduleName: "daily" }, errors: ["No backups found for schedule", "No completed backups found for schedule"] },
    {
      // as Velero's GetRestoreHooksFromSpec at validation (it was a PartiallyFailed restore that restored nothing)
      name: "a restore hook with an invalid label selector",
      spec: { backupName: "b1", hooks: { resources: [{ name: "h", labelSelector: { matchExpressions: [{ key: "a", operator: "Bogus" }] } }] } },
      errors: ['"Bogus" is not a valid label selector operator'],
    },
    {
      name: "a restore hook whose label selector has In without values (it matched no pod and the restore ran)",
      spec: { backupName: "b1", hooks: { resources: [{ name: "h", labelSelector: { matchExpressions: [{ key: "a", operator: "In", values: [] }] } }] } },
      errors: ["values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty"],
    },
  ])("fails validation for $name", async ({ spec, setup, errors }) => {
    const h = await harness();
    setup?.(h);
    const r = await submit(h, forRestore("r1", spec));
    expect(r.status?.phase).toBe("FailedValidation");
    expect(r.status?.validationErrors).toEqual(errors);
    expect(h.store.calls.filter((c) => c.startsWith("getBackupContents"))).toEqual([]);
  });

  it("does not run a Restore another server took between reading and starting it (the start names the resourceVersion read)", async () => {
    const h = await harness();
    h.kube.seed(GVR.restores, u(forRestore("r1", { backupName: "b1" })));
    const get = h.kube.get.bind(h.kube);
    let reads = 0;
    h.kube.get = async (gvr, name, namespace) => {
      const found = await get(gvr, name, namespace);
      if (gvr.resource === "restores" && ++reads === 1) await h.kube.patch(GVR.restores, name, namespace, { status: { phase: "InProgress", startTimestamp: "2024-05-01T09:59:59Z" } });
      return found;
    };
    await expect(h.reconciler.reconcile(`${NS}/r1`)).rejects.toThrow(`restore ${NS}/r1 changed as it was being started (another server watching this namespace may have taken it); looking at it again`);
    expect((h.kube.peek(GVR.restores, "r1", NS) as unknown as Restore).status).toMatchObject({ phase: "InProgress", startTimestamp: "2024-05-01T09:59:59Z" });
    expect(h.kube.actions.filter((a) => a.verb === "create" && a.resource === "configmaps")).toEqual([]);
    // looked at again: left to the other server
    expect(await h.reconciler.reconcile(`${NS}/r1`)).toEqual({ kind: "done" });
    expect(h.kube.actions.filter((a) => a.verb === "create" && a.resource === "configmaps")).toEqual([]);
  });

  it("restores the newest Completed backup of a schedule and records it in the spec", async () => {
    const h = await harness();
    h.kube.seed(GVR.backups, u(completedBackup("daily-1", { labels: { "velero.io/schedule-name": "daily" }, start: "2024-05-01T01:00:00Z" })));
    h.kube.seed(GVR.backups, u(completedBackup("daily-2", { labels: { "velero.io/schedule-name": "daily" }, start: "2024-05-01T02:00:00Z" })));
    h.kube.seed(GVR.backups, u(completedBackup("daily-3", { labels: { "velero.io/schedule-name": "daily" }, start: "2024-05-01T03:00:00Z", phase: "PartiallyFailed" })));
    h.store.addBackup(completedBackup("daily-2"), { contents: await buildBackupTarball([forConfigMap("app", "c")]) });
    const r = await submit(h, forRestore("r1", { scheduleName: "daily" }));
    expect(r.spec.backupName).toBe("daily-2");
    expect(r.status?.phase).toBe("Completed");
  });
});

describe("RestoreReconciler run", () => {
  it.each(["", null])("takes an existingResourcePolicy of %j as unset, as Velero (manifests from Helm or GitOps tools write \"\")", async (policy) => {
    const h = await harness();
    const r = await submit(h, forRestore("r1", { backupName: "b1", existingResourcePolicy: policy as never }));
    expect(r.status?.phase).toBe("Completed");
  });

  it("goes New → InProgress → Finalizing → Completed and uploads log, results, resource list and volume info", async () => {
    const h = await harness();
    const r = await submit(h, forRestore("r1", { backupName: "b1" }));
    expect(phases(h, "r1")).toEqual(["InProgress", "Finalizing", "Completed"]);
    expect(r.status).toMatchObject({
      phase: "Completed",
      startTimestamp: "2024-05-01T10:00:00Z",
      completionTimestamp: "2024-05-01T10:00:00Z",
      progress: { totalItems: 3, itemsRestored: 3 },
    });
    // zero counts left out, as Go writes them (omitempty)
    expect(r.status).not.toHaveProperty("errors");
    expect(r.status).not.toHaveProperty("warnings");
    // set with no hooks too, as Velero's finalizer sets it
    expect(r.status?.hookStatus).toEqual({});
    expect(r.metadata.finalizers).toEqual([RESTORE_FINALIZER]);
    expect(r.spec.excludedResources).toContain("nodes");
    expect(r.spec.itemOperationTimeout).toBe("4h0m0s");
    expect(h.kube.peek(GVR.configMaps, "c2", "app")).toBeDefined();
    const upload = h.store.uploads[0];
    expect(upload?.restoreName).toBe("r1");
    expect(upload?.rest).toEqual({
      results: { errors: {}, warnings: {} },
      resourceList: { "v1/ConfigMap": ["app/c1(created)", "app/c2(created)"], "v1/Namespace": ["app(created)"] },
      itemOperations: [],
      volumeInfo: [],
    });
    expect(upload?.log).toMatch(/level=info msg="starting restore" restore=velero\/r1/);
    expect(upload?.log).toMatch(/msg="restore completed"/);
  });

  it("does not fail a restore it ran when a stale read still says InProgress (the read raced the final patch)", async () => {
    const h = await harness();
    await submit(h, forRestore("r1", { backupName: "b1" }));
    await h.kube.patch(GVR.restores, "r1", NS, { status: { phase: "InProgress" } });
    await h.reconciler.reconcile(`${NS}/r1`);
    expect((h.kube.peek(GVR.restores, "r1", NS) as unknown as Restore).status?.phase).toBe("InProgress");
  });

  it("ends PartiallyFailed with counted errors and warnings, logged in the restore log", async () => {
    // one item only: with c1 and c2 restored concurrently, the one-shot create failure could hit
    // either, and c1 would then warn as an existing, different object (a flake seen once)
    const h = await harness({ items: [forConfigMap("app", "c1")] });
    h.kube.seed(GVR.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: "app" } });
    h.kube.failNext("create", "configmaps", Object.assign(new Error("admission webhook denied"), { statusCode: 403 }));
    const r = await submit(h, forRestore("r1", { backupName: "b1" }));
    expect(phases(h, "r1")).toEqual(["InProgress", "FinalizingPartiallyFailed", "PartiallyFailed"]);
    expect(r.status, JSON.stringify(h.store.uploads[0]?.rest.results)).toMatchObject({ phase: "PartiallyFailed", errors: 1 });
    expect(r.status).not.toHaveProperty("warnings");
    expect(h.store.uploads[0]?.rest.results).toEqual({ errors: { namespaces: { app: ["error restoring configmaps/app/c1: admission webhook denied"] } }, warnings: {} });
    expect(h.store.uploads[0]?.log).toMatch(/Namespace app, resource restore error: error restoring configmaps\/app\/c1: admission webhook denied/);
  });

  it("takes an object whose create was refused for another reason than AlreadyExists (a webhook, a quota) as the existing one when it is there, as Velero: a warning, not an error", async () => {
    const h = await harness({ items: [forConfigMap("app", "c1")] });
    h.kube.seed(GVR.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: "app" } });
    h.kube.seed(GVR.configMaps, { ...forConfigMap("app", "c1", { k: "different" }), metadata: { name: "c1", namespace: "app" } });
    h.kube.failNext("create", "configmaps", Object.assign(new Error("admission webhook denied"), { statusCode: 403 }));
    const r = await submit(h, forRestore("r1", { backupName: "b1" }));
    expect(r.status).toMatchObject({ phase: "Completed", warnings: 1 });
    expect(r.status).not.toHaveProperty("errors");
    expect(h.store.uploads[0]?.rest.results).toMatchObject({ warnings: { namespaces: { app: [expect.stringContaining("ConfigMap:c1 already exists")] } } });
  });

  it("a Service refused for a node port another Service holds is an error when the Service itself is not there (Velero), not a warning", async () => {
    const svc = { apiVersion: "v1", kind: "Service", metadata: { name: "web", namespace: "app" }, spec: { type: "NodePort", ports: [{ port: 80, nodePort: 30080 }] } };
    const h = await harness({ items: [svc] });
    h.kube.seed(GVR.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: "app" } });
    const allocated = 'Service "web" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated';
    h.kube.failNext("create", "services", Object.assign(new Error(allocated), { statusCode: 422 }));
    const r = await submit(h, forRestore("r1", { backupName: "b1", preserveNodePorts: true }));
    expect(r.status).toMatchObject({ phase: "PartiallyFailed", errors: 1 });
    expect(h.store.uploads[0]?.rest.results).toMatchObject({ errors: { namespaces: { app: [`error restoring services/app/web: ${allocated}`] } } });
  });

  it("fails a restore whose tarball is corrupt, with the reason, and still uploads its log", async () => {
    const h = await harness({ tarball: Buffer.from("not gzip at all") });
    const r = await submit(h, forRestore("r1", { backupName: "b1" }));
    expect(r.status?.phase).toBe("Failed");
    expect(r.status?.failureReason).toMatch(/^backup tarball of "b1" is truncated or not valid gzip/);
    expect(h.store.uploads[0]?.log).toMatch(/restore failed/);
    expect(h.kube.all(GVR.configMaps)).toEqual([]);
  });

  it("leaves an InProgress restore it did not start alone (those an earlier server left are failed at startup: startup.ts)", async () => {
    const h = await harness();
    const r = await submit(h, forRestore("r1", { backupName: "b1" }, { phase: "InProgress" }));
    expect(r.status).toEqual({ phase: "InProgress" });
  });

  it("retries the final status patch until the API server takes it (the restore is done and its files stored)", async () => {
    const h = await harness();
    let refused = 0;
    const patch = h.kube.patch.bind(h.kube);
    h.kube.patch = async (gvr, name, ns, body) => {
      const status = (body as { status?: { phase?: string } }).status;
      if (gvr.resource === "restores" && status?.phase === "Completed" && refused++ < 2) throw Object.assign(new Error("etcdserver: request timed out"), { statusCode: 500 });
      return patch(gvr, name, ns, body);
    };
    h.kube.seed(GVR.restores, u(forRestore("r1", { backupName: "b1" })));
    const done = h.reconciler.reconcile(`${NS}/r1`);
    for (let i = 0; i < 50 && refused < 3; i++) {
      await new Promise((r) => setTimeout(r, 10));
      h.clock.advance(2000);
    }
    await done;
    expect(refused).toBe(3);
    expect((h.kube.peek(GVR.restores, "r1", NS) as unknown as Restore).status?.phase).toBe("Completed");
  });

  it("leaves finished restores alone, apart from giving one without it Velero's finalizer (a Restore from an older Velero)", async () => {
    const h = await harness();
    await submit(h, { ...forRestore("r0", { backupName: "b1" }, { phase: "Completed" }), metadata: { namespace: NS, name: "r0", finalizers: [RESTORE_FINALIZER] } });
    expect(h.kube.actions.filter((a) => a.verb === "patch")).toEqual([]);
    await submit(h, forRestore("r1", { backupName: "b1" }, { phase: "Completed" }));
    expect(h.kube.actions.filter((a) => a.verb === "patch").map((a) => a.name)).toEqual(["r1"]);
    const r1 = (await h.kube.get(GVR.restores, "r1", NS)) as unknown as Restore;
    expect(r1.metadata.finalizers).toEqual([RESTORE_FINALIZER]);
    expect(r1.status?.phase).toBe("Completed");
  });

  it("patches progress at most once per interval during the run", async () => {
    let clockRef: FakeClock | undefined;
    const restorer: Restorer = {
      async restore(req: RestoreRequest): Promise<RestoreOutcome> {
        for (let i = 1; i <= 5; i++) {
          req.onProgress?.({ totalItems: 5, itemsRestored: i });
          if (i === 2 || i === 4) clockRef?.advance(1_000);
          await Promise.resolve();
        }
        return { warnings: new RestoreResultSet(), errors: new RestoreResultSet(), resourceList: {}, itemOperations: [], volumeInfo: [], progress: { totalItems: 5, itemsRestored: 5 }, hooks: Promise.resolve({ attempted: 0, failed: 0, errors: new RestoreResultSet() }) };
      },
    };
    const h = await harness({ restorer });
    clockRef = h.clock;
    await submit(h, forRestore("r1", { backupName: "b1" }));
    const progress = h.kube.actions
      .filter((a) => a.verb === "patch" && a.resource === "restores")
      .map((a) => (a.patch as { status?: { progress?: unknown; phase?: string } }).status)
      .filter((s) => s?.progress && !s.phase)
      .map((s) => s?.progress);
    expect(progress).toEqual([{ totalItems: 5, itemsRestored: 2 }, { totalItems: 5, itemsRestored: 4 }]);
  });

  it("goes straight to Finalizing when every operation has finished by the end of the restore (no waiting, as Velero)", async () => {
    const action: RestoreItemActionV2 = {
      appliesTo: async () => ({ ...emptyResourceSelector(), includedResources: ["configmaps"] }),
      execute: async ({ item }) => ({ item, additionalItems: [], skipRestore: false, operationId: `op-${item.metadata.name}`, waitForAdditionalItems: false, additionalItemsReadyTimeoutMs: 0 }),
      progress: async () => ({ completed: true, err: "", nCompleted: 1, nTotal: 1, operationUnits: "items", description: "done" }),
      cancel: async () => undefined,
      areAdditionalItemsReady: async () => true,
    };
    const h = await harness({ actions: [{ name: "example.io/async", action }] });
    const r = await submit(h, forRestore("r1", { backupName: "b1" }));
    expect(phases(h, "r1")).toEqual(["InProgress", "Finalizing", "Completed"]);
    expect(r.status).toMatchObject({ restoreItemOperationsAttempted: 2, restoreItemOperationsCompleted: 2 });
    expect(r.status).not.toHaveProperty("restoreItemOperationsFailed");
    const ops = h.store.uploads[0]?.rest.itemOperations as { status: { phase: string } }[];
    expect(ops.map((o) => o.status.phase)).toEqual(["Completed", "Completed"]);
  });

  it("gives a zero or unset itemOperationTimeout the server's default, as Velero does (\"0s\" is what `restore create` writes)", async () => {
    const h = await harness({ defaultItemOperationTimeout: "2h0m0s" });
    const r = await submit(h, forRestore("r1", { backupName: "b1", itemOperationTimeout: "0s" }));
    expect(r.spec.itemOperationTimeout).toBe("2h0m0s");
    const invalid = await submit(h, forRestore("r2", { backupName: "b1", itemOperationTimeout: "soon" }));
    expect(invalid.status).toMatchObject({ phase: "FailedValidation", validationErrors: ['invalid itemOperationTimeout "soon": expected a duration such as 4h0m0s'] });
  });
});

describe("RestoreReconciler metrics and built-ins", () => {
  it("counts attempts and outcomes by schedule name", async () => {
    const counts: string[] = [];
    const metrics = {
      restoreAttempt: (s: string) => counts.push(`attempt:${s}`),
      restoreSuccess: (s: string) => counts.push(`success:${s}`),
      restorePartialFailure: (s: string) => counts.push(`partial:${s}`),
      restoreFailed: (s: string) => counts.push(`failed:${s}`),
      restoreValidationFailed: (s: string) => counts.push(`invalid:${s}`),
    };
    const h = await harness({ metrics });
    await submit(h, forRestore("ok", { backupName: "b1" }));
    await submit(h, forRestore("bad", {}));
    expect(counts).toEqual(["attempt:", "success:", "attempt:", "invalid:"]);
  });

  it("runs Velero's built-in actions by default (velero.io/service drops the clusterIP)", async () => {
    const svc = { apiVersion: "v1", kind: "Service", metadata: { name: "s", namespace: "app" }, spec: { clusterIP: "10.0.0.9", ports: [{ port: 80 }] } } as UnstructuredItem;
    const h = await harness({ items: [svc] });
    await submit(h, forRestore("r1", { backupName: "b1" }));
    expect(h.kube.peek<UnstructuredItem>({ group: "", version: "v1", resource: "services" }, "s", "app")?.spec).toEqual({ ports: [{ port: 80 }] });
  });
});

describe("RestoreReconciler deletion", () => {
  it("a log that cannot be stored is an error of the restore, in its results (Velero); the other files are stored each on its own", async () => {
    const h = await harness();
    h.store.refuse.add("log").add("resourceList");
    const r = await submit(h, forRestore("r1", { backupName: "b1" }));
    expect(r.status).toMatchObject({ phase: "PartiallyFailed", errors: 1 });
    const upload = h.store.uploads[0];
    expect(upload?.rest.results).toEqual({ errors: { velero: ["error uploading log file to backup storage: rpc error: code = Unknown desc = AccessDenied: cannot write log"] }, warnings: {} });
    expect(upload?.rest).not.toHaveProperty("resourceList");
    expect(upload?.rest.volumeInfo).toEqual([]);
    expect(h.kube.peek(GVR.configMaps, "c2", "app")).toBeDefined();
  });

  it("a restore waiting for its pods' post-restore exec hooks finishes in the background: the next restore does not wait for it", async () => {
    const withHook = forPod("app", "db-0", {}, { annotations: { "post.hook.restore.velero.io/command": "/bin/sync" } }, {});
    const h = await harness({ items: [withHook, forConfigMap("app", "c1")], restorerOptions: { resourceTimeoutMs: 60_000 } });
    const ran: string[] = [];
    h.kube.execHandler = async (i) => (ran.push(`${i.pod}: ${i.command.join(" ")}`), { stdout: "", stderr: "", exitCode: 0 });
    const first = await submit(h, forRestore("r1", { backupName: "b1" }));
    // the pod is not running yet: its hook waits, the restore is Finalizing and the reconcile is over
    expect(first.status?.phase).toBe("Finalizing");
    const second = await submit(h, forRestore("r2", { backupName: "b1", includedResources: ["configmaps"], existingResourcePolicy: "none" }));
    expect(second.status?.phase).toBe("Completed");
    // the pod starts: the hook runs and the first restore ends, with its files and hook status
    await h.kube.patch(GVR.pods, "db-0", "app", { status: { phase: "Running", containerStatuses: [{ name: "app", ready: true, state: { running: {} } }] } });
    await h.reconciler.idle();
    expect(ran).toEqual(["db-0: /bin/sync"]);
    const done = h.kube.peek(GVR.restores, "r1", NS) as unknown as Restore;
    expect(done.status).toMatchObject({ phase: "Completed", hookStatus: { hooksAttempted: 1 } });
    expect(h.store.uploads.find((u) => u.restoreName === "r1")?.log).toMatch(/running post-restore exec hook/);
  });

  it("a restore deleted while its hooks wait stores no files afterwards (they would be orphans in the bucket)", async () => {
    const withHook = forPod("app", "db-0", {}, { annotations: { "post.hook.restore.velero.io/command": "/bin/sync" } }, {});
    const h = await harness({ items: [withHook], restorerOptions: { resourceTimeoutMs: 60_000 } });
    h.kube.execHandler = async () => ({ stdout: "", stderr: "", exitCode: 0 });
    await submit(h, forRestore("r1", { backupName: "b1" }));
    await h.kube.delete(GVR.restores, "r1", NS);
    const puts = () => h.store.calls.filter((c) => c === "putRestoreFiles(r1)").length;
    const putsAtDeletion = puts();
    await h.kube.patch(GVR.pods, "db-0", "app", { status: { phase: "Running", containerStatuses: [{ name: "app", ready: true, state: { running: {} } }] } });
    await h.reconciler.idle();
    expect(puts()).toBe(putsAtDeletion);
  });

  it("a restore waiting for its post-restore hooks has its files stored and its counts patched with Finalizing, as Velero: on server stop they stay (a restarted server finishes it)", async () => {
    const withHook = forPod("app", "db-0", {}, { annotations: { "post.hook.restore.velero.io/command": "/bin/sync" } }, {});
    const h = await harness({ items: [withHook, forConfigMap("app", "c1")], restorerOptions: { resourceTimeoutMs: 60_000 } });
    await submit(h, forRestore("r1", { backupName: "b1" }));
    // stored before the hooks ran: the log so far and the results
    const stored = h.store.uploads.find((u) => u.restoreName === "r1");
    expect(stored?.log).toContain("starting restore");
    expect(stored?.rest.results).toBeDefined();
    const puts = () => h.store.calls.filter((c) => c === "putRestoreFiles(r1)").length;
    const early = puts();
    const finalizing = (h.kube.actions.filter((a) => a.resource === "restores" && a.verb === "patch").map((a) => (a.patch as { status?: Record<string, unknown> }).status)).find((st) => st?.["phase"] === "Finalizing");
    expect(finalizing).toHaveProperty("progress");
    h.reconciler.close();
    await h.reconciler.idle();
    expect((h.kube.peek(GVR.restores, "r1", NS) as unknown as Restore).status?.phase).toBe("Finalizing");
    // nothing more once stopped
    expect(puts()).toBe(early);
  });

  // From a ReadOnly location too, as Velero: the restore's own files were written there.
  it.each(["ReadWrite", "ReadOnly"] as const)("deletes the restore's files (%s location) and then removes its finalizer", async (accessMode) => {
    const h = await harness();
    h.kube.seed(GVR.backupStorageLocations, u(forLocation(NS, "default", { accessMode })));
    const restore = forRestore("r1", { backupName: "b1" }, { phase: "Completed" });
    restore.metadata.finalizers = [RESTORE_FINALIZER];
    restore.metadata.deletionTimestamp = "2024-05-01T00:00:00Z";
    const r = await submit(h, restore);
    expect(h.store.calls).toContain("deleteRestore(r1)");
    expect(r.metadata.finalizers).toEqual([]);
  });

  it("takes the backup and its Available location from the watch cache (no GET of them); a cached location that is not Available is read afresh", async () => {
    for (const stale of [false, true]) {
      let h: Harness | undefined;
      const cached = (gvr: typeof GVR.backups) => async (namespace: string) => h!.kube.all(gvr).filter((o) => o.metadata.namespace === namespace);
      const staleLocations = async () => [u(forLocation(NS, "default", { phase: "Unavailable" }))];
      h = await harness({ cachedBackups: cached(GVR.backups), cachedLocations: stale ? staleLocations : cached(GVR.backupStorageLocations) });
      h.kube.seed(GVR.backupStorageLocations, u(forLocation(NS, "default", {})));
      const gets: string[] = [];
      const get = h.kube.get.bind(h.kube);
      h.kube.get = (gvr, name, namespace) => (gets.push(gvr.resource), get(gvr, name, namespace));
      const restore = forRestore("r1", { backupName: "b1" }, { phase: "Completed" });
      restore.metadata.finalizers = [RESTORE_FINALIZER];
      restore.metadata.deletionTimestamp = "2024-05-01T00:00:00Z";
      const r = await submit(h, restore);
      expect(h.store.calls, `stale: ${stale}`).toContain("deleteRestore(r1)");
      expect(r.metadata.finalizers).toEqual([]);
      expect(gets.filter((g) => g === "backups" || g === "backupstoragelocations"), `stale: ${stale}`).toEqual(stale ? ["backupstoragelocations"] : []);
    }
  });

  it("keeps the files of a restore whose backup is gone and says so with Velero's error line, then removes its finalizer", async () => {
    const records: LogRecord[] = [];
    const h = await harness({ log: captureLogger(records) });
    await h.kube.delete(GVR.backups, "b1", NS);
    const restore = forRestore("r1", { backupName: "b1" }, { phase: "Completed" });
    restore.metadata.finalizers = [RESTORE_FINALIZER];
    restore.metadata.deletionTimestamp = "2024-05-01T00:00:00Z";
    const r = await submit(h, restore);
    expect(h.store.calls).not.toContain("deleteRestore(r1)");
    expect(r.metadata.finalizers).toEqual([]);
    expect(records.filter((l) => l.level === "error").map((l) => l.message)).toEqual([
      'got not found error: backups.velero.io "b1" not found, skip deleting the restore files in object storage',
    ]);
  });
});
