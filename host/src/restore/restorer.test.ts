import { describe, expect, it } from "vitest";
import type { RestoreItemActionV2, RestoreItemActionV2Output, UnstructuredItem, VolumeSnapshotter } from "@velero-ts/plugin-sdk";
import { emptyResourceSelector } from "@velero-ts/plugin-sdk";
import { LABELS } from "@velero-ts/plugin-sdk";
import { buildBackupTarball, buildRawTarGz, backupEntries } from "./testing/backup-tarball.js";
import { CORE, forConfigMap, forItem, forNamespace, forPod, forPv, forPvc, runRestore } from "./testing/fixtures.js";
import { gvrOf, RESTORE_FAKE_RESOURCES, RestoreFakeKube } from "./testing/restore-fake-kube.js";
import { res } from "../testing/fake-kube-client.js";
import { asRestoreItemActionV2, builtinRestoreItemActions } from "./actions/index.js";
import { createLogger, createSilentLogger } from "../shared/logging.js";
import { parseGoDuration } from "../shared/duration.js";
import { groupRestoreExecHooks } from "./hooks/restore-hooks.js";
import { API_GROUP_VERSIONS_FEATURE, FeatureFlags } from "../shared/features.js";
import type { NativeSnapshotRecord } from "../persistence/backup-store.js";

const CRD = gvrOf("apiextensions.k8s.io", "v1", "customresourcedefinitions");

function forCrd(plural: string, group: string, kind: string): UnstructuredItem {
  return forItem("apiextensions.k8s.io/v1", "CustomResourceDefinition", undefined, `${plural}.${group}`, {
    spec: { group, names: { plural, kind }, scope: "Namespaced", versions: [{ name: "v1", served: true, storage: true }] },
    status: { conditions: [{ type: "Established", status: "True" }] },
  });
}

function creates(kube: RestoreFakeKube): string[] {
  return kube.actions.filter((a) => a.verb === "create").map((a) => (a.namespace ? `${a.resource}:${a.namespace}/${a.name}` : `${a.resource}:${a.name}`));
}

function builtins(kube: RestoreFakeKube) {
  return builtinRestoreItemActions({ kube, veleroNamespace: "velero", logger: createSilentLogger() }).map((b) => ({ name: b.name, action: asRestoreItemActionV2(b.create()) }));
}

function v2Action(resources: string[], execute: (item: UnstructuredItem) => Partial<RestoreItemActionV2Output> | Promise<Partial<RestoreItemActionV2Output>>, ready?: () => Promise<boolean>): RestoreItemActionV2 {
  return {
    appliesTo: async () => ({ ...emptyResourceSelector(), includedResources: resources }),
    execute: async ({ item }) => ({ item, additionalItems: [], skipRestore: false, operationId: "", waitForAdditionalItems: false, additionalItemsReadyTimeoutMs: 0, ...(await execute(item)) }),
    progress: async () => ({ completed: true, err: "", nCompleted: 1, nTotal: 1, operationUnits: "", description: "" }),
    cancel: async () => undefined,
    areAdditionalItemsReady: ready ?? (async () => true),
  };
}

describe("KubernetesRestorer and the built-in actions' log lines", () => {
  it("writes what Velero's built-in restore plugins log into the restore's log (pod, claim, service account, secret actions)", async () => {
    const lines: string[] = [];
    const log = createLogger({ destination: { write: (l: string) => void lines.push(l) } as unknown as NodeJS.WritableStream });
    const kube = new RestoreFakeKube();
    const pod = forPod("app", "web", { volumes: [{ name: "d", persistentVolumeClaim: { claimName: "data" } }], containers: [{ name: "c", image: "nginx" }] });
    await runRestore({ kube, items: [forNamespace("app"), forPv("pv-1"), forPvc("app", "data", "pv-1"), pod, forItem("v1", "ServiceAccount", "app", "sa")], actions: builtins(kube), log });
    const messages = lines.filter((l) => l.includes("pluginName=velero")).map((l) => /msg="([^"]*)"/.exec(l)?.[1]);
    const claim = messages.indexOf("Executing PVCAction");
    expect(messages.slice(claim, claim + 3)).toEqual(["Executing PVCAction", "Adding PV pv-1 as an additional item to restore", "Done executing PVCAction"]);
    expect(messages).toContain("Executing AddPVCFromPodAction");
    expect(messages).toContain("Adding PVC app/data as an additional item to restore");
    expect(messages).toEqual(expect.arrayContaining(["Executing ServiceAccountAction", "Done executing ServiceAccountAction", "Executing InitRestoreHookPodAction", "Returning from InitRestoreHookPodAction"]));
  });
});

describe("KubernetesRestorer and a malformed namespace glob", () => {
  it("matches nothing with it, as gobwas/glob fails to compile it in Velero (no JavaScript RegExp error as a restore error)", async () => {
    const { kube, outcome } = await runRestore({ items: [forNamespace("app"), forConfigMap("app", "c1")], spec: { includedNamespaces: ["app-[x", "app"] } });
    expect(outcome.errors.all()).toEqual([]);
    expect(creates(kube)).toEqual(["namespaces:app", "configmaps:app/c1"]);
    const none = await runRestore({ items: [forNamespace("app"), forConfigMap("app", "c1")], spec: { includedNamespaces: ["app-[x"] } });
    expect(none.outcome.errors.all()).toEqual([]);
    expect(creates(none.kube)).toEqual([]);
  });
});

describe("KubernetesRestorer and a resource that is not served", () => {
  it("does not restore a custom resource into another served resource that shares its kind (Velero targets the tarball's resource): the item fails, named", async () => {
    const kube = new RestoreFakeKube([...RESTORE_FAKE_RESOURCES, res("example.com", "v1", "gizmos", "Thing", true)]);
    const thing = forItem("example.com/v1", "Thing", "app", "t1", { spec: { size: 1 } });
    const { outcome } = await runRestore({ kube, items: [forNamespace("app"), { item: thing, resource: "things" }] });
    expect(creates(kube)).toEqual(["namespaces:app"]);
    expect(outcome.errors.all().join("\n")).toMatch(/t1/);
  });
});

describe("KubernetesRestorer ordering", () => {
  it("restores CRDs first, waits until Established, refreshes discovery, then follows Velero's priorities", async () => {
    const kube = new RestoreFakeKube();
    kube.crdEstablishAfterGets = 2;
    const items = [
      forCrd("widgets", "example.com", "Widget"),
      forItem("example.com/v1", "Widget", "app", "w1", { spec: { size: 1 } }),
      forNamespace("app"),
      forItem("v1", "Service", "app", "svc", { spec: { ports: [{ port: 80 }] } }),
      forPod("app", "p1"),
      forConfigMap("app", "cm"),
      forItem("v1", "Secret", "app", "s", { data: {} }),
      forItem("apps/v1", "Deployment", "app", "d", { spec: {} }),
      forItem("v1", "ServiceAccount", "app", "sa"),
    ];
    const { outcome } = await runRestore({ items, kube });
    expect(outcome.errors.all()).toEqual([]);
    expect(creates(kube)).toEqual([
      "customresourcedefinitions:widgets.example.com",
      "namespaces:app",
      "serviceaccounts:app/sa",
      "secrets:app/s",
      "configmaps:app/cm",
      "pods:app/p1",
      "services:app/svc",
      "deployments:app/d",
      "widgets:app/w1",
    ]);
    expect(kube.discoverCalls).toBeGreaterThanOrEqual(2);
  });

  it("restores the same whether the extracted items are kept in memory, written to disk, or some of each", async () => {
    const items = [
      forNamespace("app"),
      forConfigMap("app", "cm1", { k: "v1" }),
      forConfigMap("app", "cm2", { k: "v2" }),
      forItem("v1", "Secret", "app", "s", { data: { p: "cw==" } }),
      forItem("v1", "ServiceAccount", "app", "sa"),
    ];
    const run = async (budget: number | undefined) => {
      const kube = new RestoreFakeKube();
      const { outcome } = await runRestore({ items, kube, ...(budget === undefined ? {} : { options: { extractMemoryBudgetBytes: budget } }) });
      expect(outcome.errors.all(), `budget ${budget}`).toEqual([]);
      return { creates: creates(kube), cm: kube.peek<UnstructuredItem>(CORE("configmaps"), "cm2", "app")?.data, secret: kube.peek<UnstructuredItem>(CORE("secrets"), "s", "app")?.data };
    };
    const inMemory = await run(undefined);
    expect(inMemory.creates).toEqual(["namespaces:app", "serviceaccounts:app/sa", "secrets:app/s", "configmaps:app/cm1", "configmaps:app/cm2"]);
    expect(inMemory).toMatchObject({ cm: { k: "v2" }, secret: { p: "cw==" } });
    expect(await run(0)).toEqual(inMemory); // every item on disk
    expect(await run(700)).toEqual(inMemory); // the first few in memory, the rest on disk
  });

  it("fails the CR of a CRD that never becomes Established, with a clear error", async () => {
    const kube = new RestoreFakeKube();
    kube.crdEstablishAfterGets = 1_000_000;
    const { outcome } = await runRestore({ items: [forCrd("gadgets", "example.com", "Gadget")], kube, options: { resourceTimeoutMs: 5_000 } });
    expect(outcome.errors.all()).toEqual(["the CRD gadgets.example.com is not available to use for custom resources"]);
  });

  it("honours custom priorities (high list, alphabetical rest, low list)", async () => {
    const items = [forConfigMap("a", "cm"), forItem("v1", "Secret", "a", "s"), forItem("apps/v1", "Deployment", "a", "d"), forItem("batch/v1", "Job", "a", "j")];
    const { kube } = await runRestore({ items, options: { priorities: { high: ["namespaces", "configmaps"], low: ["secrets"] } } });
    expect(creates(kube)).toEqual(["namespaces:a", "configmaps:a/cm", "deployments:a/d", "jobs:a/j", "secrets:a/s"]);
  });
});

describe("KubernetesRestorer items", () => {
  it("strips server metadata and status, adds restore labels, and reports created items", async () => {
    const cm = forConfigMap("app", "cm", { a: "1" }, { labels: { app: "x" }, generation: 4, ownerReferences: [{ uid: "o" }], selfLink: "/x", generateName: "cm-" });
    const { kube, outcome } = await runRestore({ items: [cm] });
    const restored = kube.peek<UnstructuredItem>(CORE("configmaps"), "cm", "app");
    expect(restored?.metadata.labels).toEqual({ app: "x", [LABELS.backupName]: "b1", [LABELS.restoreName]: "r1" });
    for (const f of ["generation", "ownerReferences", "selfLink", "generateName"]) expect(restored?.metadata).not.toHaveProperty(f);
    expect(restored?.metadata.uid).not.toBe("uid-cm");
    expect(outcome.resourceList).toEqual({ "v1/ConfigMap": ["app/cm(created)"], "v1/Namespace": ["app(created)"] });
    expect(outcome.progress).toEqual({ totalItems: 2, itemsRestored: 2 });
  });

  it("creates a namespace from the backed-up namespace (labels, annotations) under its mapped name", async () => {
    const items = [forNamespace("src", { labels: { team: "a" }, annotations: { note: "n" } }), forConfigMap("src", "cm")];
    const { kube } = await runRestore({ items, spec: { namespaceMapping: { src: "dst" } } });
    const ns = kube.peek<UnstructuredItem>(CORE("namespaces"), "dst");
    expect(ns?.metadata.labels).toEqual({ team: "a" });
    expect(ns?.metadata.annotations).toEqual({ note: "n" });
    expect(ns?.spec).toEqual({ finalizers: ["kubernetes"] });
    expect(kube.peek(CORE("configmaps"), "cm", "dst")).toBeDefined();
    expect(kube.peek(CORE("namespaces"), "src")).toBeUndefined();
  });

  it("restores status only for resources in restoreStatus, or objects annotated velero.io/restore-status", async () => {
    const items = [
      forItem("apps/v1", "Deployment", "a", "d", { spec: {}, status: { replicas: 3 } }),
      forConfigMap("a", "c"),
      forItem("v1", "Service", "a", "s", { spec: {}, status: { loadBalancer: { ingress: [{ ip: "1.2.3.4" }] } } }, { annotations: { "velero.io/restore-status": "true" } }),
    ];
    const { kube } = await runRestore({ items, spec: { restoreStatus: { includedResources: ["deployments"] } } });
    const patched = kube.actions.filter((a) => a.verb === "patchStatus").map((a) => [a.resource, a.patch]);
    expect(patched).toEqual([
      ["services", { status: { loadBalancer: { ingress: [{ ip: "1.2.3.4" }] } } }],
      ["deployments", { status: { replicas: 3 } }],
    ]);
  });

  it("skips completed pods and jobs, and mirror pods", async () => {
    const items = [
      forPod("a", "done", {}, {}, { phase: "Succeeded" }),
      forPod("a", "mirror", {}, { annotations: { "kubernetes.io/config.mirror": "x" } }),
      forItem("batch/v1", "Job", "a", "j", { spec: {}, status: { completionTime: "2024-01-01T00:00:00Z" } }),
      forPod("a", "live"),
    ];
    const { kube } = await runRestore({ items });
    expect(creates(kube)).toEqual(["namespaces:a", "pods:a/live"]);
  });

  it("fails only the item whose JSON is corrupt and restores the others", async () => {
    const entries = backupEntries([forConfigMap("a", "good"), forConfigMap("a", "other")]);
    const tarball = await buildRawTarGz([...entries, { name: "resources/configmaps/namespaces/a/bad.json", content: "{not json" }]);
    const { kube, outcome } = await runRestore({ items: [], tarball });
    expect(creates(kube)).toEqual(["namespaces:a", "configmaps:a/good", "configmaps:a/other"]);
    expect(outcome.errors.toJSON()).toEqual({ namespaces: { a: [expect.stringMatching(/^error decoding "resources\/configmaps\/namespaces\/a\/bad.json": invalid JSON/)] } });
  });

  it("reports an item the API server rejects as failed, with the resource named", async () => {
    const kube = new RestoreFakeKube();
    kube.failNext("create", "configmaps", Object.assign(new Error('ConfigMap "bad" is invalid'), { statusCode: 422 }));
    const { outcome } = await runRestore({ items: [forConfigMap("a", "bad"), forConfigMap("a", "fine")], kube });
    expect(outcome.errors.toJSON()).toEqual({ namespaces: { a: ['error restoring configmaps/a/bad: ConfigMap "bad" is invalid'] } });
    expect(outcome.resourceList["v1/ConfigMap"]).toEqual(["a/bad(failed)", "a/fine(created)"]);
  });

  it("warns with zero items when the backup has no resources", async () => {
    const tarball = await buildRawTarGz([{ name: "metadata/version", content: "1.1.0\n" }]);
    const { outcome } = await runRestore({ items: [], tarball });
    expect(outcome.warnings.velero).toEqual(["zero items to be restored: the backup has no resources directory"]);
  });

  it("reports progress during the run", async () => {
    const items = [forConfigMap("a", "c1"), forConfigMap("a", "c2"), forConfigMap("a", "c3")];
    const { progress } = await runRestore({ items });
    expect(progress.at(-1)).toEqual({ totalItems: 4, itemsRestored: 4 });
    expect(progress.length).toBe(3);
    expect(progress[0]?.itemsRestored).toBeLessThan(4);
  });

  it("restores with several items in flight and the same result", async () => {
    const items = Array.from({ length: 30 }, (_, i) => forConfigMap(`ns${i % 3}`, `c${i}`));
    const { kube, outcome } = await runRestore({ items, options: { itemConcurrency: 8 } });
    expect(outcome.errors.all()).toEqual([]);
    expect(kube.all(CORE("configmaps"))).toHaveLength(30);
    expect(kube.all(CORE("namespaces"))).toHaveLength(3);
  });
});

describe("KubernetesRestorer filters", () => {
  const items = [
    forNamespace("a"),
    forNamespace("b"),
    forConfigMap("a", "cm-a", {}, { labels: { tier: "web" } }),
    forConfigMap("b", "cm-b", {}, { labels: { tier: "db" } }),
    forItem("v1", "Secret", "a", "sec-a"),
    forItem("storage.k8s.io/v1", "StorageClass", undefined, "fast", { provisioner: "x" }),
  ];
  it.each([
    { name: "includedNamespaces", spec: { includedNamespaces: ["a"] }, want: ["namespaces:a", "secrets:a/sec-a", "configmaps:a/cm-a"] },
    { name: "excludedNamespaces (cluster-scoped items need includeClusterResources then)", spec: { excludedNamespaces: ["a"] }, want: ["namespaces:b", "configmaps:b/cm-b"] },
    { name: "namespace glob", spec: { includedNamespaces: ["[b]"] }, want: ["namespaces:b", "configmaps:b/cm-b"] },
    { name: "includedResources (short and long names)", spec: { includedResources: ["configmaps", "storageclasses.storage.k8s.io"] }, want: ["storageclasses:fast", "namespaces:a", "configmaps:a/cm-a", "namespaces:b", "configmaps:b/cm-b"] },
    { name: "excludedResources", spec: { excludedResources: ["configmaps", "storageclasses"] }, want: ["namespaces:a", "namespaces:b", "secrets:a/sec-a"] },
    { name: "includeClusterResources=false", spec: { includeClusterResources: false }, want: ["namespaces:a", "secrets:a/sec-a", "configmaps:a/cm-a", "namespaces:b", "configmaps:b/cm-b"] },
    { name: "includeClusterResources=true with a namespace filter", spec: { includedNamespaces: ["b"], includeClusterResources: true }, want: ["namespaces:b", "storageclasses:fast", "configmaps:b/cm-b"] },
    { name: "labelSelector", spec: { labelSelector: { matchLabels: { tier: "web" } } }, want: ["namespaces:a", "configmaps:a/cm-a"] },
    { name: "orLabelSelectors", spec: { orLabelSelectors: [{ matchLabels: { tier: "web" } }, { matchLabels: { tier: "db" } }] }, want: ["namespaces:a", "configmaps:a/cm-a", "namespaces:b", "configmaps:b/cm-b"] },
  ])("applies $name", async ({ spec, want }) => {
    const { kube, outcome } = await runRestore({ items, spec });
    expect(outcome.errors.all()).toEqual([]);
    expect(creates(kube).sort()).toEqual([...want].sort());
  });

  it.each([
    { name: "labelSelector: In without values", spec: { labelSelector: { matchExpressions: [{ key: "tier", operator: "In", values: [] }] } } },
    { name: "orLabelSelectors: a bad value", spec: { orLabelSelectors: [{ matchLabels: { tier: "not valid!" } }] } },
  ])("restores nothing, with one error, for a selector Kubernetes refuses ($name), as Velero", async ({ spec }) => {
    const { kube, outcome } = await runRestore({ items, spec });
    expect(creates(kube)).toEqual([]);
    expect(outcome.errors.all()).toHaveLength(1);
  });

  it("never restores the non-restorable resources the controller excludes", async () => {
    const items2 = [forItem("v1", "Node", undefined, "n1"), forItem("v1", "Event", "a", "e1"), forConfigMap("a", "c")];
    const { kube } = await runRestore({ items: items2, spec: { excludedResources: ["nodes", "events", "events.events.k8s.io"] } });
    expect(creates(kube)).toEqual(["namespaces:a", "configmaps:a/c"]);
  });
});

describe("KubernetesRestorer existing resources", () => {
  function existing(kube: RestoreFakeKube, data: Record<string, string>): void {
    kube.seed(CORE("namespaces"), forNamespace("a"));
    kube.seed(CORE("configmaps"), { ...forConfigMap("a", "cm", data), metadata: { name: "cm", namespace: "a" } });
  }

  it("policy none: warns, leaves the object, lists it as failed (an item with a warning, as Velero lists it)", async () => {
    const kube = new RestoreFakeKube();
    existing(kube, { k: "live" });
    const { outcome } = await runRestore({ items: [forConfigMap("a", "cm", { k: "backup" })], kube, spec: { existingResourcePolicy: "none" } });
    expect(kube.peek<UnstructuredItem>(CORE("configmaps"), "cm", "a")?.data).toEqual({ k: "live" });
    expect(outcome.warnings.toJSON()).toEqual({ namespaces: { a: ['could not restore, ConfigMap "cm" already exists. Warning: the in-cluster version is different than the backed-up version'] } });
    expect(outcome.resourceList["v1/ConfigMap"]).toEqual(["a/cm(failed)"]);
  });

  it("an existing object equal to the backed-up one is listed as skipped", async () => {
    const kube = new RestoreFakeKube();
    existing(kube, { k: "same" });
    const { outcome } = await runRestore({ items: [forConfigMap("a", "cm", { k: "same" })], kube });
    expect(outcome.warnings.toJSON()).toEqual({});
    expect(outcome.resourceList["v1/ConfigMap"]).toEqual(["a/cm(skipped)"]);
  });

  it("no policy: the same warning in Velero's other wording (Kind:name)", async () => {
    const kube = new RestoreFakeKube();
    existing(kube, { k: "live" });
    const { outcome } = await runRestore({ items: [forConfigMap("a", "cm", { k: "backup" })], kube });
    expect(outcome.warnings.toJSON()).toEqual({ namespaces: { a: ["could not restore, ConfigMap:cm already exists. Warning: the in-cluster version is different than the backed-up version"] } });
  });

  it("policy update: patches the object to match the backup and labels it", async () => {
    const kube = new RestoreFakeKube();
    existing(kube, { k: "live", extra: "x" });
    const { outcome } = await runRestore({ items: [forConfigMap("a", "cm", { k: "backup" })], kube, spec: { existingResourcePolicy: "update" } });
    const live = kube.peek<UnstructuredItem>(CORE("configmaps"), "cm", "a");
    expect(live?.data).toEqual({ k: "backup" });
    expect(live?.metadata.labels).toMatchObject({ [LABELS.restoreName]: "r1", [LABELS.backupName]: "b1" });
    expect(outcome.warnings.all()).toEqual([]);
    expect(outcome.resourceList["v1/ConfigMap"]).toEqual(["a/cm(updated)"]);
  });

  it("an identical object is skipped without a warning", async () => {
    const kube = new RestoreFakeKube();
    kube.seed(CORE("namespaces"), forNamespace("a"));
    kube.seed(CORE("configmaps"), { ...forConfigMap("a", "cm"), metadata: { name: "cm", namespace: "a", labels: { [LABELS.backupName]: "old", [LABELS.restoreName]: "old" } } });
    const { outcome } = await runRestore({ items: [forConfigMap("a", "cm")], kube });
    expect(outcome.warnings.all()).toEqual([]);
    expect(outcome.resourceList["v1/ConfigMap"]).toEqual(["a/cm(skipped)"]);
  });

  it("merges ServiceAccount secrets and pull secrets into an existing account", async () => {
    const kube = new RestoreFakeKube();
    kube.seed(CORE("namespaces"), forNamespace("a"));
    kube.seed(CORE("serviceaccounts"), { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "sa", namespace: "a" }, secrets: [{ name: "live" }] });
    const sa = forItem("v1", "ServiceAccount", "a", "sa", { secrets: [{ name: "from-backup" }], imagePullSecrets: [{ name: "pull" }] });
    const { outcome } = await runRestore({ items: [sa], kube });
    const live = kube.peek<UnstructuredItem>(CORE("serviceaccounts"), "sa", "a");
    expect(live?.secrets).toEqual([{ name: "live" }, { name: "from-backup" }]);
    expect(live?.imagePullSecrets).toEqual([{ name: "pull" }]);
    expect(outcome.resourceList["v1/ServiceAccount"]).toEqual(["a/sa(updated)"]);
    // the merge patch carries no restore labels (Velero diffs from the labelled in-cluster object)
    expect(live?.metadata.labels ?? {}).not.toHaveProperty("velero.io/restore-name");
  });

  it("waits out a terminating namespace once: its later items fail at once (Velero's deletion tracker), not after the whole timeout each", async () => {
    const kube = new RestoreFakeKube();
    kube.seed(CORE("namespaces"), { ...forNamespace("gone"), metadata: { name: "gone", deletionTimestamp: "2024-01-01T00:00:00Z" }, status: { phase: "Terminating" } });
    const start = Date.UTC(2024, 0, 1);
    const { outcome, clock } = await runRestore({
      kube,
      items: [forConfigMap("gone", "c1"), forItem("v1", "Secret", "gone", "s1", { data: {} })],
      options: { resourceTerminatingTimeoutMs: 60_000 },
    });
    const errors = outcome.errors.all();
    expect(errors.some((e) => e.includes("timed out waiting for terminating namespace gone to disappear before restoring"))).toBe(true);
    expect(errors.some((e) => e.includes("skipping polling for terminating namespace gone"))).toBe(true);
    expect(clock.now() - start).toBeLessThan(2 * 60_000);
  });

  it("leaves an existing ServiceAccount the backup adds nothing to alone: not patched, not 'updated' (as Velero)", async () => {
    const kube = new RestoreFakeKube();
    kube.seed(CORE("namespaces"), forNamespace("a"));
    kube.seed(CORE("serviceaccounts"), { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "sa", namespace: "a" }, secrets: [{ name: "live" }, { name: "from-backup" }] });
    const sa = forItem("v1", "ServiceAccount", "a", "sa", { secrets: [{ name: "from-backup" }] });
    const { outcome } = await runRestore({ items: [sa], kube });
    expect(kube.actions.filter((a) => a.verb === "patch" && a.resource === "serviceaccounts")).toEqual([]);
    expect(outcome.resourceList["v1/ServiceAccount"]).toEqual(["a/sa(skipped)"]);
  });
});

describe("KubernetesRestorer persistent volumes", () => {
  const snapshot: NativeSnapshotRecord = {
    spec: { backupName: "b1", backupUID: "u", location: "default", persistentVolumeName: "pv1", providerVolumeID: "vol-old", volumeType: "gp3", volumeAZ: "us-east-1a", volumeIOPS: 3000 },
    status: { providerSnapshotID: "snap-1", phase: "Completed" },
  };

  function fakeSnapshotter(calls: string[]): VolumeSnapshotter {
    return {
      init: async () => undefined,
      createVolumeFromSnapshot: async (i) => {
        calls.push(`create ${i.snapshotId} ${i.volumeType} ${i.volumeAZ} ${i.iops}`);
        return "vol-new";
      },
      getVolumeInfo: async () => ({ volumeType: "gp3" }),
      createSnapshot: async () => "",
      deleteSnapshot: async () => undefined,
      getVolumeId: async () => "",
      setVolumeId: async (pv, id) => ({ ...pv, spec: { ...(pv.spec as object), awsElasticBlockStore: { volumeID: id } } }),
    };
  }

  it("a pod whose volumes a file-system backup holds is restored with an error naming them (no node agent here: they come back empty); Velero's old restore-wait init container is removed", async () => {
    const kube = new RestoreFakeKube();
    const pod = forPod("app", "db-0", { containers: [{ name: "db", image: "postgres" }], initContainers: [{ name: "restore-wait", image: "velero/velero", args: ["old-uid"] }, { name: "app-init", image: "busybox" }] });
    const { outcome } = await runRestore({
      kube,
      items: [pod, forPod("app", "web-0", { containers: [{ name: "web", image: "nginx" }] })],
      backupVolumeInfos: [
        { backupMethod: "PodVolumeBackup", pvcName: "data", pvcNamespace: "app", pvName: "pv-data", pvbInfo: { podName: "db-0", podNamespace: "app", volumeName: "data", uploaderType: "kopia" } },
        { backupMethod: "PodVolumeBackup", pvbInfo: { podName: "db-0", podNamespace: "app", volumeName: "scratch", uploaderType: "kopia" } },
      ],
      actions: builtins(kube),
    });
    expect(outcome.errors.all()).toEqual([
      "app: volumes data, scratch of pod app/db-0 were backed up with file-system backup (PodVolumeBackups), which velero-ts cannot restore (it runs no node agent): they are restored empty; restore this backup with Velero to get their data",
    ]);
    const restored = kube.peek<UnstructuredItem>(CORE("pods"), "db-0", "app");
    expect((restored?.spec as { initContainers: { name: string }[] }).initContainers.map((c) => c.name)).toEqual(["app-init"]);
    expect(kube.peek<UnstructuredItem>(CORE("pods"), "web-0", "app")).toBeDefined();
  });

  it("does not create a backup's DataUploads (velero.io/dataupload skips them, as Velero's turns them into records for its data mover)", async () => {
    const kube = new RestoreFakeKube();
    const du = forItem("velero.io/v1", "DataUpload", "velero", "du-1", { spec: { sourcePVC: "data" } });
    const { outcome } = await runRestore({ kube, items: [du, forConfigMap("app", "c1")], actions: builtins(kube) });
    expect(outcome.errors.all()).toEqual([]);
    expect(creates(kube).filter((c) => c.includes("datauploads"))).toEqual([]);
  });

  it("recreates a PV with a native snapshot through its location's VolumeSnapshotter and rebinds the PVC", async () => {
    const calls: string[] = [];
    const pv = forPv("pv1", { claimRef: { namespace: "app", name: "data", uid: "old-uid", resourceVersion: "9" } }, { annotations: { "pv.kubernetes.io/bound-by-controller": "yes" } });
    const { kube, outcome } = await runRestore({
      items: [pv, forPvc("app", "data", "pv1")],
      volumeSnapshots: [snapshot],
      options: { getVolumeSnapshotter: async (loc) => (calls.push(`location ${loc}`), { provider: "velero.io/aws", snapshotter: fakeSnapshotter(calls) }) },
    });
    expect(outcome.errors.all()).toEqual([]);
    expect(calls).toEqual(["location default", "create snap-1 gp3 us-east-1a 3000"]);
    const restored = kube.peek<UnstructuredItem>(CORE("persistentvolumes"), "pv1");
    expect(restored?.spec).toMatchObject({ awsElasticBlockStore: { volumeID: "vol-new" }, claimRef: { namespace: "app", name: "data" } });
    expect((restored?.spec as { claimRef: object }).claimRef).not.toHaveProperty("uid");
    expect(restored?.metadata.annotations ?? {}).not.toHaveProperty("pv.kubernetes.io/bound-by-controller");
    const pvc = kube.peek<UnstructuredItem>(CORE("persistentvolumeclaims"), "data", "app");
    expect((pvc?.spec as { volumeName: string }).volumeName).toBe("pv1");
    expect(outcome.volumeInfo).toEqual([
      { pvcName: "data", pvcNamespace: "app", pvName: "pv1", restoreMethod: "NativeSnapshot", snapshotDataMoved: false, nativeSnapshotInfo: { snapshotHandle: "snap-1", volumeType: "gp3", volumeAZ: "us-east-1a", iops: "3000", Phase: "" } },
    ]);
    // the bytes as Velero's RestoreVolumeInfo writes them: its field order, Go's untagged Phase
    expect(JSON.stringify(outcome.volumeInfo[0])).toBe(
      '{"pvcName":"data","pvcNamespace":"app","pvName":"pv1","restoreMethod":"NativeSnapshot","snapshotDataMoved":false,"nativeSnapshotInfo":{"snapshotHandle":"snap-1","volumeType":"gp3","volumeAZ":"us-east-1a","iops":"3000","Phase":""}}',
    );
  });

  it("with restorePVs=false keeps the PV as backed up and never calls the snapshotter", async () => {
    const calls: string[] = [];
    const { kube } = await runRestore({
      items: [forPv("pv1", { claimRef: { namespace: "app", name: "data" } })],
      volumeSnapshots: [snapshot],
      spec: { restorePVs: false },
      options: { getVolumeSnapshotter: async () => ({ provider: "velero.io/aws", snapshotter: fakeSnapshotter(calls) }) },
    });
    expect(calls).toEqual([]);
    expect((kube.peek<UnstructuredItem>(CORE("persistentvolumes"), "pv1")?.spec as { hostPath?: unknown }).hostPath).toEqual({ path: "/data/pv1" });
  });

  it("leaves out a snapshot-less PV with reclaim policy Delete and lets its PVC be provisioned again", async () => {
    const pv = forPv("pv-dyn", { persistentVolumeReclaimPolicy: "Delete", claimRef: { namespace: "app", name: "data" } });
    const { kube } = await runRestore({ items: [pv, forPvc("app", "data", "pv-dyn", { annotations: { "volume.kubernetes.io/selected-node": "n1", "pv.kubernetes.io/bind-completed": "yes" } })], actions: builtins(new RestoreFakeKube()) });
    expect(kube.peek(CORE("persistentvolumes"), "pv-dyn")).toBeUndefined();
    const pvc = kube.peek<UnstructuredItem>(CORE("persistentvolumeclaims"), "data", "app");
    expect(pvc?.spec).not.toHaveProperty("volumeName");
    expect(pvc?.metadata.annotations ?? {}).toEqual({});
  });

  it("maps the claimRef namespace of a retained PV and binds the mapped PVC to it", async () => {
    const pv = forPv("pv-keep", { claimRef: { namespace: "src", name: "data", uid: "x" } });
    const { kube } = await runRestore({ items: [pv, forPvc("src", "data", "pv-keep")], spec: { namespaceMapping: { src: "dst" } } });
    expect((kube.peek<UnstructuredItem>(CORE("persistentvolumes"), "pv-keep")?.spec as { claimRef: unknown }).claimRef).toEqual({ namespace: "dst", name: "data" });
    expect((kube.peek<UnstructuredItem>(CORE("persistentvolumeclaims"), "data", "dst")?.spec as { volumeName: string }).volumeName).toBe("pv-keep");
  });

  it("renames a snapshotted PV restored into a mapped namespace while the original still exists", async () => {
    const kube = new RestoreFakeKube();
    kube.seed(CORE("persistentvolumes"), forPv("pv1", { claimRef: { namespace: "app", name: "data" } }));
    const { outcome } = await runRestore({
      kube,
      items: [forPv("pv1", { claimRef: { namespace: "app", name: "data" } }), forPvc("app", "data", "pv1")],
      volumeSnapshots: [snapshot],
      spec: { namespaceMapping: { app: "copy" } },
      options: { getVolumeSnapshotter: async () => ({ provider: "velero.io/aws", snapshotter: fakeSnapshotter([]) }) },
    });
    expect(outcome.errors.all()).toEqual([]);
    const clone = kube.all(CORE("persistentvolumes")).find((p) => p.metadata.name.startsWith("velero-clone-"));
    expect(clone?.metadata.annotations?.["velero.io/original-pv-name"]).toBe("pv1");
    expect((clone?.spec as { claimRef: { namespace: string } }).claimRef.namespace).toBe("copy");
    expect((kube.peek<UnstructuredItem>(CORE("persistentvolumeclaims"), "data", "copy")?.spec as { volumeName: string }).volumeName).toBe(clone?.metadata.name);
  });

  it("fails a snapshotted PV whose in-cluster copy is still Released after --terminating-resource-timeout (Velero), instead of restoring it as it is", async () => {
    const kube = new RestoreFakeKube();
    kube.seed(CORE("persistentvolumes"), { ...forPv("pv1", { claimRef: { namespace: "app", name: "data" }, persistentVolumeReclaimPolicy: "Retain" }), status: { phase: "Released" } });
    const calls: string[] = [];
    const { outcome } = await runRestore({
      kube,
      items: [forPv("pv1", { claimRef: { namespace: "app", name: "data" } })],
      volumeSnapshots: [snapshot],
      options: { resourceTerminatingTimeoutMs: 5_000, getVolumeSnapshotter: async () => ({ provider: "velero.io/aws", snapshotter: fakeSnapshotter(calls) }) },
    });
    expect(outcome.errors.cluster).toEqual([expect.stringMatching(/^error waiting on in-cluster persistentvolume pv1: it is still being deleted \(or Released\) after 5s/)]);
    expect(calls, "no volume made from the snapshot").toEqual([]);
    expect((kube.peek<UnstructuredItem>(CORE("persistentvolumes"), "pv1")?.status as { phase?: string } | undefined)?.phase).toBe("Released");
  });

  it("fails the PV with a clear message when no volume snapshotter is configured", async () => {
    const { outcome } = await runRestore({ items: [forPv("pv1")], volumeSnapshots: [snapshot] });
    // prefixed as Velero's errors from restoring a PV's snapshot are
    expect(outcome.errors.cluster).toEqual(['error executing PVAction for persistentvolumes/pv1: persistent volume "pv1" has a native snapshot in location "default" but no volume snapshotter is configured']);
  });
});

describe("KubernetesRestorer restore item actions", () => {
  it("calls an action served by a plugin process one item at a time (as Velero), while in-process actions run with items in flight", async () => {
    const track = () => {
      const t = { running: 0, most: 0 };
      const action = v2Action(["configmaps"], async (item) => {
        t.running++;
        t.most = Math.max(t.most, t.running);
        await new Promise((r) => setTimeout(r, 2));
        t.running--;
        return { item };
      });
      return { t, action };
    };
    const plugin = track();
    const inProcess = track();
    const items = Array.from({ length: 24 }, (_, i) => forConfigMap(`ns${i % 3}`, `c${i}`));
    const { outcome, kube } = await runRestore({
      items,
      options: { itemConcurrency: 8 },
      actions: [
        { name: "example.io/plugin", action: plugin.action, external: true },
        { name: "velero.io/in-process", action: inProcess.action },
      ],
    });
    expect(outcome.errors.all()).toEqual([]);
    expect(kube.all(CORE("configmaps"))).toHaveLength(24);
    expect(plugin.t.most).toBe(1);
    expect(inProcess.t.most).toBeGreaterThan(1);
  });

  it("restores additional items first and only once, and honours skipRestore", async () => {
    const kube = new RestoreFakeKube();
    const seen: string[] = [];
    const addsCm = v2Action(["pods"], (item) => {
      seen.push(item.metadata.name);
      return { additionalItems: [{ group: "", resource: "configmaps", namespace: "a", name: "dep" }] };
    });
    const dropsSecrets = v2Action(["secrets"], () => ({ skipRestore: true }));
    const items = [forPod("a", "p1"), forPod("a", "p2"), forConfigMap("a", "dep"), forItem("v1", "Secret", "a", "s")];
    const { outcome } = await runRestore({ items, kube, actions: [{ name: "test/adds", action: addsCm }, { name: "test/drops", action: dropsSecrets }] });
    expect(creates(kube)).toEqual(["namespaces:a", "configmaps:a/dep", "pods:a/p1", "pods:a/p2"]);
    expect(seen).toEqual(["p1", "p2"]);
    expect(outcome.resourceList["v1/Secret"]).toEqual(["a/s(skipped)"]);
  });

  it("gives actions the item without server metadata and the item exactly as backed up", async () => {
    let input: { item: UnstructuredItem; itemFromBackup: UnstructuredItem } | undefined;
    const spy: RestoreItemActionV2 = { ...v2Action(["configmaps"], () => ({})), execute: async (i) => ((input = i), { item: i.item, additionalItems: [], skipRestore: false, operationId: "", waitForAdditionalItems: false, additionalItemsReadyTimeoutMs: 0 }) };
    await runRestore({ items: [forConfigMap("a", "c")], actions: [{ name: "test/spy", action: spy }] });
    expect(input?.item.metadata).not.toHaveProperty("uid");
    expect(input?.itemFromBackup.metadata.uid).toBe("uid-c");
  });

  it("waits for additional items until the action reports them ready", async () => {
    let polls = 0;
    const action = v2Action(["pods"], () => ({ additionalItems: [{ group: "", resource: "configmaps", namespace: "a", name: "dep" }], waitForAdditionalItems: true }), async () => ++polls >= 3);
    const { outcome, clock } = await runRestore({ items: [forPod("a", "p"), forConfigMap("a", "dep")], actions: [{ name: "test/wait", action }] });
    expect(outcome.errors.all()).toEqual([]);
    expect(polls).toBe(3);
    expect(clock.sleeps).toBeGreaterThanOrEqual(2);
  });

  it("fails the item when additional items are not ready before the timeout", async () => {
    const action = v2Action(["pods"], () => ({ additionalItems: [{ group: "", resource: "configmaps", namespace: "a", name: "dep" }], waitForAdditionalItems: true, additionalItemsReadyTimeoutMs: 3_000 }), async () => false);
    const { outcome } = await runRestore({ items: [forPod("a", "p"), forConfigMap("a", "dep")], actions: [{ name: "test/wait", action }] });
    expect(outcome.errors.toJSON()).toEqual({ namespaces: { a: ["additional items for pods/a/p are not ready to use"] } });
  });

  it("warns about an additional item missing from the backup", async () => {
    const action = v2Action(["pods"], () => ({ additionalItems: [{ group: "", resource: "configmaps", namespace: "a", name: "gone" }] }));
    const { outcome } = await runRestore({ items: [forPod("a", "p")], actions: [{ name: "test/a", action }] });
    expect(outcome.warnings.toJSON()).toEqual({ namespaces: { a: ["unable to restore additional item configmaps/a/gone: it is not in the backup"] } });
  });

  it("fails an item whose action returns something that is not a Kubernetes object, naming the plugin", async () => {
    const broken = v2Action(["secrets"], () => ({ item: { apiVersion: "v1", kind: "Secret", metadata: {} } as UnstructuredItem }));
    const { outcome } = await runRestore({ items: [forConfigMap("a", "c"), forItem("v1", "Secret", "a", "s")], actions: [{ name: "test/broken", action: broken }] });
    expect(outcome.errors.toJSON()).toEqual({ namespaces: { a: ["error preparing secrets/a/s: restore item action test/broken returned an item without metadata.name; an action must return the item it was given, changed or not (fix the plugin)"] } });
    expect(outcome.resourceList["v1/ConfigMap"]).toEqual(["a/c(created)"]);
  });

  it("fails an item nested too deeply to restore on its own, and restores the rest (the restore goes on)", async () => {
    const deep = JSON.parse(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep","namespace":"a"},"data":{"x":${"[".repeat(9500)}${"]".repeat(9500)}}}`) as UnstructuredItem;
    const { outcome } = await runRestore({ items: [forConfigMap("a", "c"), deep] });
    expect(outcome.errors.toJSON()).toEqual({ namespaces: { a: ["error restoring configmaps/a/deep: it is nested too deeply for velero-ts to restore (restore it with Velero, or flatten it)"] } });
    expect(outcome.resourceList["v1/ConfigMap"]).toEqual(["a/c(created)", "a/deep(failed)"]);
  });

  it("records asynchronous operations and fails items whose action throws", async () => {
    const asyncAction = v2Action(["configmaps"], () => ({ operationId: "op-1" }));
    const broken = v2Action(["secrets"], () => {
      throw new Error("boom");
    });
    const { outcome } = await runRestore({ items: [forConfigMap("a", "c"), forItem("v1", "Secret", "a", "s")], actions: [{ name: "test/async", action: asyncAction }, { name: "test/broken", action: broken }] });
    expect(outcome.itemOperations).toEqual([
      expect.objectContaining({ spec: { restoreName: "r1", restoreUID: "uid-r1", restoreItemAction: "test/async", resourceIdentifier: { Group: "", Resource: "configmaps", Namespace: "a", Name: "c" }, operationID: "op-1" }, status: expect.objectContaining({ phase: "New" }) }),
    ]);
    // created in whole seconds, as metav1.Time writes it
    expect(outcome.itemOperations[0]?.status.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(outcome.errors.toJSON()).toEqual({ namespaces: { a: ["error preparing secrets/a/s: boom"] } });
    expect(outcome.resourceList["v1/Secret"]).toEqual(["a/s(failed)"]);
  });

  it("applies an action only where its selector (resources, namespaces, labels) matches", async () => {
    const seen: string[] = [];
    const action: RestoreItemActionV2 = {
      ...v2Action([], (item) => (seen.push(item.metadata.name), {})),
      appliesTo: async () => ({ includedResources: ["cm"], excludedResources: [], includedNamespaces: ["a"], excludedNamespaces: [], selector: "app=web" }),
    };
    const kube = new RestoreFakeKube();
    kube.resources = kube.resources.map((r) => (r.resource === "configmaps" ? { ...r, shortNames: ["cm"] } : r));
    const items = [forConfigMap("a", "yes", {}, { labels: { app: "web" } }), forConfigMap("a", "nolabel"), forConfigMap("b", "otherns", {}, { labels: { app: "web" } })];
    await runRestore({ items, kube, actions: [{ name: "test/sel", action }] });
    expect(seen).toEqual(["yes"]);
  });
});

describe("KubernetesRestorer resource modifiers and versions", () => {
  it("applies resource modifier rules to matching items", async () => {
    const { kube, outcome } = await runRestore({
      items: [forConfigMap("a", "match-me"), forConfigMap("a", "other")],
      resourceModifiers: {
        version: "v1",
        resourceModifierRules: [{ conditions: { groupResource: "configmaps", resourceNameRegex: "^match" }, patches: [{ operation: "replace", path: "/data/k", value: "patched" }] }],
      },
    });
    expect(outcome.errors.all()).toEqual([]);
    expect(kube.peek<UnstructuredItem>(CORE("configmaps"), "match-me", "a")?.data).toEqual({ k: "patched" });
    expect(kube.peek<UnstructuredItem>(CORE("configmaps"), "other", "a")?.data).toEqual({ k: "v" });
  });

  it("restores the copy of the cluster's preferred version when the backup has versioned copies", async () => {
    const hpa = (v: string) => forItem(`autoscaling/${v}`, "HorizontalPodAutoscaler", "a", "h", { spec: { version: v } });
    const items = [{ item: hpa("v2"), otherVersions: { v1: hpa("v1") } }];
    const { kube } = await runRestore({ items });
    expect(kube.actions.find((a) => a.resource === "horizontalpodautoscalers")).toBeDefined();
    expect(kube.peek<UnstructuredItem>(gvrOf("autoscaling", "v2", "horizontalpodautoscalers"), "h", "a")?.spec).toEqual({ version: "v2" });
  });

  it("with EnableAPIGroupVersions, falls back to a version both clusters serve when the backup's preferred one is gone; without it, restores the plain (preferred) copy as Velero does", async () => {
    const cluster = (): RestoreFakeKube => {
      const kube = new RestoreFakeKube();
      kube.resources = kube.resources.filter((r) => !(r.group === "autoscaling" && r.version === "v2"));
      kube.resources = kube.resources.map((r) => (r.group === "autoscaling" ? { ...r, preferred: true } : r));
      return kube;
    };
    const hpa = (v: string) => forItem(`autoscaling/${v}`, "HorizontalPodAutoscaler", "a", "h", { spec: { version: v } });
    const items = [{ item: hpa("v2"), otherVersions: { v1: hpa("v1") } }];
    const withFeature = cluster();
    const { outcome } = await runRestore({ kube: withFeature, items, options: { features: new FeatureFlags([API_GROUP_VERSIONS_FEATURE]) } });
    expect(outcome.errors.all()).toEqual([]);
    expect(withFeature.peek<UnstructuredItem>(gvrOf("autoscaling", "v1", "horizontalpodautoscalers"), "h", "a")?.spec).toEqual({ version: "v1" });
    // Velero reads resources/<gr>/namespaces/... without the feature: the v2 copy, which this cluster does not serve
    const without = cluster();
    const plain = await runRestore({ kube: without, items });
    expect(without.peek<UnstructuredItem>(gvrOf("autoscaling", "v1", "horizontalpodautoscalers"), "h", "a")).toBeUndefined();
    expect(plain.outcome.errors.all()).toEqual(["a: error restoring horizontalpodautoscalers.autoscaling/a/h: the server could not find the requested resource"]);
  });
});

describe("KubernetesRestorer post-restore exec hooks", () => {
  it("runs the annotation hook once the pod's container is running and reports the summary", async () => {
    const kube = new RestoreFakeKube();
    kube.podsRunOnCreate = true;
    const ran: string[] = [];
    kube.execHandler = async (i) => (ran.push(`${i.namespace}/${i.pod}/${i.container}: ${i.command.join(" ")}`), { stdout: "ok", stderr: "", exitCode: 0 });
    const pod = forPod("a", "p", {}, { annotations: { "post.hook.restore.velero.io/command": '["/bin/sh","-c","echo hi"]' } });
    const { outcome } = await runRestore({ items: [pod], kube });
    const hooks = await outcome.hooks;
    expect(ran).toEqual(["a/p/app: /bin/sh -c echo hi"]);
    expect(hooks).toMatchObject({ attempted: 1, failed: 0 });
  });

  it("records a failed spec hook and stops the pod's later hooks with onError=Fail", async () => {
    const kube = new RestoreFakeKube();
    kube.podsRunOnCreate = true;
    kube.execHandler = async () => ({ stdout: "", stderr: "nope", exitCode: 2 });
    const { outcome } = await runRestore({
      items: [forPod("a", "p")],
      kube,
      spec: { hooks: { resources: [{ name: "h", postHooks: [{ exec: { command: ["false"], onError: "Fail" } }, { exec: { command: ["true"] } }] }] } },
    });
    const hooks = await outcome.hooks;
    expect(hooks.attempted).toBe(2);
    expect(hooks.failed).toBe(2);
    expect(hooks.errors.toJSON()).toEqual({
      namespaces: { a: ["hook h in container app failed to execute, err: command terminated with exit code 2", "hook h in container app in pod a/p not executed: context canceled"] },
    });
  });

  it("an execTimeout of 0s is Velero's 30 s default and a negative one no limit (0 ms failed every hook at once)", async () => {
    const kube = new RestoreFakeKube();
    kube.podsRunOnCreate = true;
    const timeouts: number[] = [];
    kube.execHandler = async (i) => (timeouts.push(i.timeoutMs), { stdout: "", stderr: "", exitCode: 0 });
    const { outcome } = await runRestore({
      items: [forPod("a", "p")],
      kube,
      spec: { hooks: { resources: [{ name: "h", postHooks: [{ exec: { command: ["a"], execTimeout: "0s" } }, { exec: { command: ["b"], execTimeout: "-1s" } }, { exec: { command: ["c"], execTimeout: "5s" } }] }] } },
    });
    const hooks = await outcome.hooks;
    expect(hooks).toMatchObject({ attempted: 3, failed: 0 });
    expect(timeouts).toEqual([30_000, Infinity, 5_000]);
  });

  it("a failed read of the pod is retried, not taken for a deleted pod (Velero's watch retries)", async () => {
    const kube = new RestoreFakeKube();
    kube.podsRunOnCreate = true;
    const ran: string[] = [];
    kube.execHandler = async (i) => (ran.push(i.command.join(" ")), { stdout: "", stderr: "", exitCode: 0 });
    kube.failNext("get", "pods", new Error("connection reset by peer"), 2);
    const pod = forPod("a", "p", {}, { annotations: { "post.hook.restore.velero.io/command": "touch /x" } });
    const { outcome } = await runRestore({ items: [pod], kube });
    const hooks = await outcome.hooks;
    expect(ran).toEqual(["touch /x"]);
    expect(hooks).toMatchObject({ attempted: 1, failed: 0 });
  });

  it("reads the wait-for-ready annotation as Go's ParseBool ('True' and '1' are true)", () => {
    const pod = (value: string) => forPod("a", "p", {}, { annotations: { "post.hook.restore.velero.io/command": "x", "post.hook.restore.velero.io/wait-for-ready": value } });
    const ready = (value: string) => groupRestoreExecHooks(pod(value), [], parseGoDuration).get("app")?.[0]?.hook.waitForReady;
    expect(["true", "True", "1", "t"].map(ready)).toEqual([true, true, true, true]);
    expect(["false", "yes", ""].map(ready)).toEqual([false, false, false]);
  });

  it("gives up on a pod that never runs after waitTimeout", async () => {
    const { outcome } = await runRestore({
      items: [forPod("a", "p", {}, { annotations: { "post.hook.restore.velero.io/command": "touch /x", "post.hook.restore.velero.io/wait-timeout": "30s" } })],
    });
    const hooks = await outcome.hooks;
    expect(hooks.failed).toBe(1);
    expect(hooks.errors.all()[0]).toMatch(/not executed: context deadline exceeded/);
  });
});
