// Restore features against the real control plane: namespace mapping, existing-resource policies,
// every filter, the ConfigMap-configured change-storage-class / change-image-name actions, resource
// modifiers, CRDs before their CRs, restore hooks, and crafted bad tarballs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Restore, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { GVR } from "../../../host/src/kube/gvr.ts";
import type { HttpKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import { backupEntries, buildBackupTarball, buildRawTarGz } from "../../../host/src/restore/testing/backup-tarball.ts";
import { connect, createNamespace, G, RestoreServer, suffix, waitFor } from "./harness.ts";

let kube: HttpKubeClient;
let server: RestoreServer;

beforeAll(async () => {
  kube = await connect();
  server = await RestoreServer.start({ kube });
});

afterAll(async () => {
  await server?.stop();
});

const cm = (ns: string, name: string, data: Record<string, string>, labels?: Record<string, string>): UnstructuredItem => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace: ns, uid: "old-uid", resourceVersion: "42", creationTimestamp: "2023-01-01T00:00:00Z", ...(labels ? { labels } : {}) },
  data,
});
const nsItem = (name: string, labels: Record<string, string> = {}): UnstructuredItem => ({ apiVersion: "v1", kind: "Namespace", metadata: { name, labels }, spec: { finalizers: ["kubernetes"] } });
const deployment = (ns: string, name: string, image: string): UnstructuredItem => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, namespace: ns },
  spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "main", image }] } } },
});
const pvc = (ns: string, name: string, storageClassName: string): UnstructuredItem => ({
  apiVersion: "v1",
  kind: "PersistentVolumeClaim",
  metadata: { name, namespace: ns },
  spec: { accessModes: ["ReadWriteOnce"], storageClassName, resources: { requests: { storage: "1Gi" } } },
  status: { phase: "Pending" },
});

async function get(gvr: Parameters<HttpKubeClient["get"]>[0], name: string, ns?: string): Promise<UnstructuredItem | undefined> {
  return kube.get(gvr, name, ns);
}

async function results(name: string): Promise<{ errors: Record<string, unknown>; warnings: Record<string, unknown> }> {
  return (await server.restoreFile<{ errors: Record<string, unknown>; warnings: Record<string, unknown> }>(name, "results"))!;
}

describe("namespace mapping", () => {
  it("restores a namespace's objects into the mapped namespace and maps RoleBinding subjects", async () => {
    const src = `src-${suffix()}`;
    const dst = `dst-${suffix()}`;
    const binding: UnstructuredItem = {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "rb", namespace: src },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
      subjects: [{ kind: "ServiceAccount", name: "default", namespace: src }],
    };
    await server.backupFromTarball(`map-${src}`, await buildBackupTarball([nsItem(src, { env: "qa" }), cm(src, "c", { k: "v" }), binding]));
    const r = await server.restore(`map-${src}`, { backupName: `map-${src}`, namespaceMapping: { [src]: dst } });
    expect(r.status?.phase).toBe("Completed");
    expect((await get(GVR.namespaces, dst))?.metadata.labels).toMatchObject({ env: "qa" });
    expect(await get(GVR.namespaces, src)).toBeUndefined();
    expect((await get(GVR.configMaps, "c", dst))?.data).toEqual({ k: "v" });
    expect(((await get(G.rolebindings, "rb", dst)) as unknown as { subjects: unknown[] }).subjects).toEqual([{ kind: "ServiceAccount", name: "default", namespace: dst }]);
  });
});

describe("existing resource policy", () => {
  let ns: string;
  beforeAll(async () => {
    ns = `exist-${suffix()}`;
    await server.backupFromTarball(`exist-${ns}`, await buildBackupTarball([nsItem(ns), cm(ns, "shared", { source: "backup" })]));
  });

  it("none: leaves the in-cluster object, warns, and lists it failed (an item with a warning, as Velero lists it)", async () => {
    await createNamespace(kube, ns);
    await kube.create(GVR.configMaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "shared", namespace: ns }, data: { source: "cluster" } });
    const r = await server.restore(`none-${ns}`, { backupName: `exist-${ns}`, existingResourcePolicy: "none" });
    expect(r.status).toMatchObject({ phase: "Completed", warnings: 1 });
    expect(r.status, "a zero count is left out, as Go writes it").not.toHaveProperty("errors");
    expect((await get(GVR.configMaps, "shared", ns))?.data).toEqual({ source: "cluster" });
    expect((await results(`none-${ns}`)).warnings).toEqual({
      namespaces: { [ns]: ['could not restore, ConfigMap "shared" already exists. Warning: the in-cluster version is different than the backed-up version'] },
    });
    expect((await server.restoreFile<Record<string, string[]>>(`none-${ns}`, "resource-list"))?.["v1/ConfigMap"]).toEqual([`${ns}/shared(failed)`]);
  });

  it("update: patches the in-cluster object to match the backup", async () => {
    const r = await server.restore(`update-${ns}`, { backupName: `exist-${ns}`, existingResourcePolicy: "update" });
    expect(r.status).toMatchObject({ phase: "Completed" });
    // zero counts left out, as Go writes them (omitempty)
    expect(r.status).not.toHaveProperty("warnings");
    expect(r.status).not.toHaveProperty("errors");
    const live = await get(GVR.configMaps, "shared", ns);
    expect(live?.data).toEqual({ source: "backup" });
    expect(live?.metadata.labels).toMatchObject({ "velero.io/restore-name": `update-${ns}`, "velero.io/backup-name": `exist-${ns}` });
    expect((await server.restoreFile<Record<string, string[]>>(`update-${ns}`, "resource-list"))?.["v1/ConfigMap"]).toEqual([`${ns}/shared(updated)`]);
  });
});

describe("filters", () => {
  const id = suffix();
  const a = `fa-${id}`;
  const b = `fb-${id}`;
  const sc = `sc-${id}`;
  const backupName = `filters-${id}`;
  const storageClass: UnstructuredItem = { apiVersion: "storage.k8s.io/v1", kind: "StorageClass", metadata: { name: sc }, provisioner: "kubernetes.io/no-provisioner" };
  beforeAll(async () => {
    const items = [
      nsItem(a),
      nsItem(b),
      cm(a, "web", { x: "1" }, { tier: "web" }),
      cm(b, "db", { x: "2" }, { tier: "db" }),
      { apiVersion: "v1", kind: "Secret", metadata: { name: "s", namespace: a }, type: "Opaque", data: {} } as UnstructuredItem,
      storageClass,
    ];
    await server.backupFromTarball(backupName, await buildBackupTarball(items));
  });

  // Each case maps the backup's namespaces to fresh ones, so the cases do not see each other.
  it.each([
    { name: "includedNamespaces", spec: { includedNamespaces: ["A"] }, want: ["A/ConfigMap/web", "A/Secret/s"], cluster: false },
    { name: "excludedNamespaces", spec: { excludedNamespaces: ["A"] }, want: ["B/ConfigMap/db"], cluster: false },
    { name: "includedResources", spec: { includedResources: ["configmaps"] }, want: ["A/ConfigMap/web", "B/ConfigMap/db"], cluster: false },
    { name: "excludedResources", spec: { excludedResources: ["configmaps", "storageclasses"] }, want: ["A/Secret/s"], cluster: false },
    { name: "labelSelector", spec: { labelSelector: { matchLabels: { tier: "db" } } }, want: ["B/ConfigMap/db"], cluster: false },
    { name: "orLabelSelectors", spec: { orLabelSelectors: [{ matchLabels: { tier: "db" } }, { matchLabels: { tier: "web" } }] }, want: ["A/ConfigMap/web", "B/ConfigMap/db"], cluster: false },
    { name: "includeClusterResources", spec: { includeClusterResources: true, includedResources: ["storageclasses"] }, want: [], cluster: true },
  ])("$name", async ({ name, spec, want, cluster }) => {
    const s = suffix();
    const mapA = `${a}-${s}`;
    const mapB = `${b}-${s}`;
    const resolve = (x: string[] | undefined) => x?.map((n) => (n === "A" ? a : n === "B" ? b : n));
    const full = {
      ...spec,
      ...("includedNamespaces" in spec ? { includedNamespaces: resolve(spec.includedNamespaces) } : {}),
      ...("excludedNamespaces" in spec ? { excludedNamespaces: resolve(spec.excludedNamespaces) } : {}),
    };
    if (cluster) await kube.delete(G.storageclasses, sc).catch(() => undefined);
    const r = await server.restore(`f-${name.toLowerCase()}-${s}`, { backupName, namespaceMapping: { [a]: mapA, [b]: mapB }, ...full });
    expect(r.status?.phase).toBe("Completed");
    const found: string[] = [];
    for (const [label, ns] of [["A", mapA], ["B", mapB]] as const) {
      for (const c of (await kube.list(GVR.configMaps, { namespace: ns })).items) if (c.metadata.name !== "kube-root-ca.crt") found.push(`${label}/ConfigMap/${c.metadata.name}`);
      for (const x of (await kube.list(GVR.secrets, { namespace: ns })).items) found.push(`${label}/Secret/${x.metadata.name}`);
    }
    expect(found.sort()).toEqual(want.sort());
    if (cluster) expect(await get(G.storageclasses, sc)).toBeDefined();
  });
});

describe("plugin-config ConfigMaps", () => {
  it("velero.io/change-storage-class and velero.io/change-image-name rewrite restored objects", async () => {
    const ns = `cfg-${suffix()}`;
    const newSc = `new-sc-${ns}`;
    await kube.create(G.storageclasses, { apiVersion: "storage.k8s.io/v1", kind: "StorageClass", metadata: { name: newSc }, provisioner: "kubernetes.io/no-provisioner" } as UnstructuredItem);
    await kube.create(GVR.configMaps, {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "change-storage-class", namespace: server.namespace, labels: { "velero.io/plugin-config": "", "velero.io/change-storage-class": "RestoreItemAction" } },
      data: { "old-sc": newSc },
    });
    await kube.create(GVR.configMaps, {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "change-image-name", namespace: server.namespace, labels: { "velero.io/plugin-config": "", "velero.io/change-image-name": "RestoreItemAction" } },
      data: { rule1: "docker.io/library/nginx,registry.example.com/mirror/nginx" },
    });
    try {
      await server.backupFromTarball(`cfg-${ns}`, await buildBackupTarball([nsItem(ns), pvc(ns, "claim", "old-sc"), deployment(ns, "web", "docker.io/library/nginx:1.25")]));
      const r = await server.restore(`cfg-${ns}`, { backupName: `cfg-${ns}` });
      expect(r.status?.phase).toBe("Completed");
      expect(((await get(GVR.persistentVolumeClaims, "claim", ns))?.spec as { storageClassName: string }).storageClassName).toBe(newSc);
      const d = (await get(G.deployments, "web", ns)) as { spec: { template: { spec: { containers: { image: string }[] } } } } | undefined;
      expect(d?.spec.template.spec.containers[0]?.image).toBe("registry.example.com/mirror/nginx:1.25");
    } finally {
      await kube.delete(GVR.configMaps, "change-storage-class", server.namespace);
      await kube.delete(GVR.configMaps, "change-image-name", server.namespace);
    }
  });

  it("change-storage-class fails the item when the new class does not exist", async () => {
    const ns = `cfgbad-${suffix()}`;
    await kube.create(GVR.configMaps, {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "change-storage-class", namespace: server.namespace, labels: { "velero.io/plugin-config": "", "velero.io/change-storage-class": "RestoreItemAction" } },
      data: { "old-sc": "missing-class" },
    });
    try {
      await server.backupFromTarball(`cfgbad-${ns}`, await buildBackupTarball([nsItem(ns), pvc(ns, "claim", "old-sc")]));
      const r = await server.restore(`cfgbad-${ns}`, { backupName: `cfgbad-${ns}` });
      expect(r.status).toMatchObject({ phase: "PartiallyFailed", errors: 1 });
      expect(JSON.stringify((await results(`cfgbad-${ns}`)).errors)).toMatch(/error preparing persistentvolumeclaims\/.*\/claim: error getting storage class missing-class from API/);
      expect(await get(GVR.persistentVolumeClaims, "claim", ns)).toBeUndefined();
    } finally {
      await kube.delete(GVR.configMaps, "change-storage-class", server.namespace);
    }
  });
});

describe("resource modifiers", () => {
  it("applies JSON patch, merge patch and strategic merge patch rules from the ConfigMap", async () => {
    const ns = `mod-${suffix()}`;
    await kube.create(GVR.configMaps, {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: `mods-${ns}`, namespace: server.namespace },
      data: {
        "modifiers.yaml": [
          "version: v1",
          "resourceModifierRules:",
          "- conditions:",
          "    groupResource: configmaps",
          "    resourceNameRegex: '^app-.*'",
          `    namespaces: [${ns}]`,
          "  patches:",
          "  - operation: replace",
          "    path: /data/mode",
          "    value: '\"restored\"'",
          "  - operation: add",
          "    path: /data/extra",
          "    value: yes-please",
          "- conditions:",
          "    groupResource: configmaps",
          "    labelSelector: {matchLabels: {drop: me}}",
          "  mergePatches:",
          "  - patchData: '{\"metadata\": {\"labels\": {\"drop\": null}}}'",
          "- conditions:",
          "    groupResource: deployments.apps",
          "  strategicPatches:",
          "  - patchData: |",
          "      spec:",
          "        template:",
          "          spec:",
          "            containers:",
          "            - name: main",
          "              image: busybox:1.36",
          "",
        ].join("\n"),
      },
    });
    await server.backupFromTarball(`mod-${ns}`, await buildBackupTarball([nsItem(ns), cm(ns, "app-config", { mode: "prod" }), cm(ns, "other", { mode: "prod" }, { drop: "me", keep: "yes" }), deployment(ns, "web", "nginx:1.25")]));
    const r = await server.restore(`mod-${ns}`, { backupName: `mod-${ns}`, resourceModifier: { kind: "ConfigMap", name: `mods-${ns}`, apiGroup: "" } });
    expect(r.status?.phase).toBe("Completed");
    expect((await get(GVR.configMaps, "app-config", ns))?.data).toEqual({ mode: "restored", extra: "yes-please" });
    const other = await get(GVR.configMaps, "other", ns);
    expect(other?.data).toEqual({ mode: "prod" });
    expect(other?.metadata.labels).not.toHaveProperty("drop");
    expect(other?.metadata.labels).toMatchObject({ keep: "yes" });
    const d = (await get(G.deployments, "web", ns)) as { spec: { template: { spec: { containers: { name: string; image: string }[] } } } } | undefined;
    expect(d?.spec.template.spec.containers).toEqual([expect.objectContaining({ name: "main", image: "busybox:1.36" })]);
  });

  it("fails validation for a malformed modifier ConfigMap", async () => {
    const name = `badmods-${suffix()}`;
    await kube.create(GVR.configMaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: server.namespace }, data: { a: "version: v1\nresourceModifierRules:\n- conditions: {groupResource: pods}\n  patches: [{operation: frobnicate, path: /x}]\n" } });
    await server.backupFromTarball(`bm-${name}`, await buildBackupTarball([cm("x", "y", {})]));
    const r = await server.restore(name, { backupName: `bm-${name}`, resourceModifier: { kind: "ConfigMap", name, apiGroup: "" } });
    expect(r.status?.phase).toBe("FailedValidation");
    expect(r.status?.validationErrors).toEqual([`Validation error in resource modifiers provided in configmap ${server.namespace}/${name}: unsupported operation frobnicate`]);
  });

  it("fails validation for a modifier reference of another kind than ConfigMap (Velero restores without the modifiers)", async () => {
    const name = `kindmods-${suffix()}`;
    await server.backupFromTarball(`bm-${name}`, await buildBackupTarball([cm("x", "y", {})]));
    const r = await server.restore(name, { backupName: `bm-${name}`, resourceModifier: { kind: "Secret", name, apiGroup: "" } });
    expect(r.status?.phase).toBe("FailedValidation");
    expect(r.status?.validationErrors).toEqual(['resourceModifier kind "Secret" is not supported: resource modifiers are read from a ConfigMap; set spec.resourceModifier.kind to ConfigMap']);
  });
});

describe("CRDs", () => {
  it("restores a CRD, waits until it is Established, then restores its custom resources", async () => {
    const id = suffix();
    const group = `restore-${id}.example.com`;
    const ns = `crd-${id}`;
    const crd: UnstructuredItem = {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: `widgets.${group}` },
      spec: {
        group,
        scope: "Namespaced",
        names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList" },
        versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", properties: { spec: { type: "object", properties: { size: { type: "integer" } } } } } } }],
      },
    };
    const widget: UnstructuredItem = { apiVersion: `${group}/v1`, kind: "Widget", metadata: { name: "w1", namespace: ns }, spec: { size: 3 } };
    await server.backupFromTarball(`crd-${id}`, await buildBackupTarball([crd, nsItem(ns), widget]));
    const r = await server.restore(`crd-${id}`, { backupName: `crd-${id}`, includeClusterResources: true });
    expect(r.status, "no errors (a zero count is left out, as Go writes it)").not.toHaveProperty("errors");
    expect(r.status?.phase).toBe("Completed");
    const w = await get({ group, version: "v1", resource: "widgets" }, "w1", ns);
    expect(w?.spec).toEqual({ size: 3 });
    await kube.delete({ group: "apiextensions.k8s.io", version: "v1", resource: "customresourcedefinitions" }, `widgets.${group}`);
  });
});

describe("restore hooks", () => {
  it("adds the init container of an annotation hook and runs the spec exec hook through pods/exec once the pod is Running", async () => {
    const ns = `hook-${suffix()}`;
    const pod: UnstructuredItem = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: "p",
        namespace: ns,
        annotations: { "init.hook.restore.velero.io/container-image": "busybox:1.36", "init.hook.restore.velero.io/container-name": "prepare", "init.hook.restore.velero.io/command": '["/bin/sh","-c","echo prepared"]' },
      },
      spec: { containers: [{ name: "main", image: "nginx:1.25" }] },
      status: { phase: "Running" },
    };
    await server.backupFromTarball(`hook-${ns}`, await buildBackupTarball([nsItem(ns), pod]));
    const r = await server.restore(`hook-${ns}`, {
      backupName: `hook-${ns}`,
      hooks: { resources: [{ name: "warmup", includedNamespaces: [ns], postHooks: [{ exec: { command: ["/bin/true"], onError: "Continue", execTimeout: "10s", waitTimeout: "60s" } }] }] },
    });
    const restored = await get(GVR.pods, "p", ns);
    const initContainers = (restored?.spec as { initContainers?: { name: string; image: string; command: string[] }[] }).initContainers;
    expect(initContainers).toEqual([expect.objectContaining({ name: "prepare", image: "busybox:1.36", command: ["/bin/sh", "-c", "echo prepared"] })]);
    await waitFor("pod running", async () => ((await get(GVR.pods, "p", ns))?.status as { phase?: string } | undefined)?.phase === "Running" || undefined);
    // The hook ran through the real pods/exec API once kwok reported the container running. kwok's ClusterExec
    // (test/peers/env.ts) runs /bin/true as a process on the test host (not in a container), so it must succeed.
    expect(r.status?.hookStatus).toEqual({ hooksAttempted: 1 });
    expect(r.status?.phase).toBe("Completed");
    expect((await results(`hook-${ns}`)).errors).toEqual({});
  });
});

describe("crafted bad tarballs", () => {
  it.each([
    { name: "a ../ entry", entries: (ns: string) => [...backupEntries([nsItem(ns), cm(ns, "ok", { a: "1" })]), { name: "resources/../../../tmp/evil.json", content: "{}" }], reason: /contains "\.\." and would escape/ },
    { name: "an absolute path", entries: (ns: string) => [...backupEntries([nsItem(ns), cm(ns, "ok", { a: "1" })]), { name: "/tmp/evil.json", content: "{}" }], reason: /has an absolute path/ },
    { name: "a symlink out of the root", entries: (ns: string) => [...backupEntries([nsItem(ns), cm(ns, "ok", { a: "1" })]), { name: "resources/x", type: "symlink" as const, linkname: "/etc" }], reason: /symbolic link to "\/etc" outside/ },
  ])("fails the restore on $name and creates nothing", async ({ entries, reason }) => {
    const ns = `bad-${suffix()}`;
    await server.backupFromTarball(`bad-${ns}`, await buildRawTarGz(entries(ns)));
    const r: Restore = await server.restore(`bad-${ns}`, { backupName: `bad-${ns}` });
    expect(r.status?.phase).toBe("Failed");
    expect(r.status?.failureReason).toMatch(reason);
    expect(await get(GVR.namespaces, ns)).toBeUndefined();
  });

  it("fails a truncated tarball with a clear reason and creates nothing", async () => {
    const ns = `trunc-${suffix()}`;
    const full = await buildBackupTarball([nsItem(ns), ...Array.from({ length: 50 }, (_, i) => cm(ns, `c${i}`, { i: String(i), pad: "x".repeat(2000) }))]);
    await server.backupFromTarball(`trunc-${ns}`, full.subarray(0, Math.floor(full.length * 0.6)));
    const r = await server.restore(`trunc-${ns}`, { backupName: `trunc-${ns}` });
    expect(r.status?.phase).toBe("Failed");
    expect(r.status?.failureReason).toMatch(/backup tarball of "trunc-.*" is truncated or (not valid gzip|corrupt)/);
    expect(await get(GVR.namespaces, ns)).toBeUndefined();
    expect(await server.restoreFile<string>(`trunc-${ns}`, "logs")).toMatch(/restore failed/);
  });

  it("fails only a corrupt JSON item and restores the valid ones", async () => {
    const ns = `json-${suffix()}`;
    const entries = [...backupEntries([nsItem(ns), cm(ns, "good", { a: "1" })]), { name: `resources/configmaps/namespaces/${ns}/broken.json`, content: '{"apiVersion": "v1", "kind": ' }];
    await server.backupFromTarball(`json-${ns}`, await buildRawTarGz(entries));
    const r = await server.restore(`json-${ns}`, { backupName: `json-${ns}` });
    expect(r.status).toMatchObject({ phase: "PartiallyFailed", errors: 1 });
    expect((await get(GVR.configMaps, "good", ns))?.data).toEqual({ a: "1" });
    expect(await get(GVR.configMaps, "broken", ns)).toBeUndefined();
    expect((await results(`json-${ns}`)).errors).toEqual({ namespaces: { [ns]: [expect.stringMatching(/^error decoding "resources\/configmaps\/namespaces\/.*\/broken.json": invalid JSON/)] } });
  });
});

describe("validation", () => {
  it("fails validation for a namespace mapping to an invalid name, once, naming the mapping (each item failed with the API server's long error)", async () => {
    const name = `nsmap-${suffix()}`;
    await server.backupFromTarball(`bm-${name}`, await buildBackupTarball([cm("x", "y", {})]));
    const r = await server.restore(name, { backupName: `bm-${name}`, namespaceMapping: { x: "Bad_Name!" } });
    expect(r.status?.phase).toBe("FailedValidation");
    expect(r.status?.validationErrors).toEqual([
      `invalid namespaceMapping "x: Bad_Name!": "Bad_Name!" is not a valid namespace name (at most 63 lower case letters, digits or '-', starting and ending with a letter or digit)`,
    ]);
  });

  it("fails validation for an unknown backup, naming it", async () => {
    const r = await server.restore(`nobackup-${suffix()}`, { backupName: "does-not-exist" });
    expect(r.status?.phase).toBe("FailedValidation");
    expect(r.status?.validationErrors).toEqual([`Error retrieving backup: can't find backup ${server.namespace}/does-not-exist: Backup.velero.io "does-not-exist" not found`]);
  });
});
