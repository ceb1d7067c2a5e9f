// Differential test: Velero's own built-in item actions (the real Velero v1.18.1 binary's
// `velero run-plugins`, Go, spawned by OUR plugin manager as an external plugin) against velero-ts's
// built-in actions, on the same inputs. Each case runs both and expects the same output: the item,
// the additional items, skipRestore (restore) and the related items (item blocks). This holds our
// built-ins to Velero's behaviour, and drives the v1 BackupItemAction, RestoreItemAction and
// ItemBlockAction gRPC clients against Go servers. Actions that read the cluster (plugin-config
// ConfigMaps, StorageClasses, ClusterRoleBindings) run against the real API server; both sides see
// the same objects.
//
// The binary comes from $PEERS_HOME/peers.json `bin.velero` (peer set velero118); a missing binary
// fails this suite with instructions.
import { existsSync, readFileSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VELERO_BUILTIN_PLUGINS, type Backup, type BackupItemAction, type DeleteItemAction, type ItemBlockAction, type ResourceIdentifier, type Restore, type RestoreItemAction, type UnstructuredItem } from "@velero-ts/plugin-sdk";
import { createBuiltinBackupItemAction } from "../../host/src/backup/actions/index.ts";
import { createBuiltinItemBlockAction } from "../../host/src/backup/item-block-actions/index.ts";
import { GVR } from "../../host/src/kube/gvr.ts";
import { createKubeClient, type HttpKubeClient } from "../../host/src/kube/http-kube-client.ts";
import { DefaultPluginManager } from "../../host/src/plugins/default-manager.ts";
import { discoverPlugins, pluginArgs } from "../../host/src/plugins/registry.ts";
import { builtinRestoreItemActions } from "../../host/src/restore/actions/index.ts";
import { createSilentLogger } from "../../host/src/shared/logging.ts";
import { loadEndpoints } from "../helpers/endpoints.ts";
import { withoutGoZeroValues } from "../helpers/go-zero-values.ts";
import { captureLogger, tempDir, type LogRecord } from "./helpers.ts";

function goVelero(): string {
  const peersJson = join(process.env["PEERS_HOME"] ?? "/var/cache/velero-ts-peers", "peers.json");
  const bin = existsSync(peersJson) ? (JSON.parse(readFileSync(peersJson, "utf8")) as { bin?: Record<string, string> }).bin?.["velero"] : undefined;
  if (!bin || !existsSync(bin)) {
    throw new Error(`the Go velero binary is not built (looked at ${peersJson} bin.velero); build it with \`bash test/peers/go/velero118/build.sh <dir>\` (scripts/peers-install.sh runs it as step velero118)`);
  }
  return bin;
}

const NS = `vt-gob-${process.pid}`;
let pluginDir: string;
let manager: DefaultPluginManager;
let kube: HttpKubeClient;
const records: LogRecord[] = [];

beforeAll(async () => {
  const endpoints = loadEndpoints();
  kube = createKubeClient({ kubeconfig: endpoints.kubeconfig });
  await kube.create(GVR.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } });
  pluginDir = await tempDir("vt-go-builtins-");
  // Velero's server runs its own binary with `run-plugins` for its built-ins; here it is an external plugin
  await writeFile(join(pluginDir, "velero-builtins"), `#!/bin/sh\nexec '${goVelero()}' run-plugins "$@"\n`, { mode: 0o755 });
  const logger = captureLogger(records);
  const registry = await discoverPlugins({ pluginDir, args: pluginArgs({ logLevel: "info", features: [] }), logger, handshakeTimeoutMs: 60_000 });
  expect(registry.problems()).toEqual([]);
  manager = new DefaultPluginManager({ registry, logger, env: { KUBECONFIG: endpoints.kubeconfig, VELERO_NAMESPACE: NS } });
});

afterAll(async () => {
  await manager?.close();
  if (pluginDir) await rm(pluginDir, { recursive: true, force: true });
  await kube?.delete(GVR.namespaces, NS).catch(() => undefined);
  kube?.close();
});

const restore = (spec: Record<string, unknown> = {}): Restore =>
  ({ apiVersion: "velero.io/v1", kind: "Restore", metadata: { name: "r1", namespace: NS, uid: "6f7a0c1e-1111-4222-8333-944445555666" }, spec: { backupName: "b1", ...spec }, status: {} }) as unknown as Restore;

const ids = (list: ResourceIdentifier[] | undefined): string[] => (list ?? []).map((i) => `${i.resource}${i.group ? `.${i.group}` : ""}/${i.namespace}/${i.name}`).sort();

function ours(name: string): RestoreItemAction {
  const entry = builtinRestoreItemActions({ kube, veleroNamespace: NS, logger: createSilentLogger() }).find((e) => e.name === name);
  if (!entry) throw new Error(`velero-ts has no built-in restore item action ${name}`);
  return entry.create();
}

/** Runs Velero's and our restore item action on the same input; both must give the same output. */
async function sameRestoreOutput(name: string, item: UnstructuredItem, r: Restore = restore()): Promise<{ item: UnstructuredItem; additionalItems: string[]; skipRestore: boolean }> {
  const go = (await manager.get("RestoreItemAction", name)) as RestoreItemAction;
  const input = { item: structuredClone(item), itemFromBackup: structuredClone(item), restore: r };
  const want = await go.execute(structuredClone(input));
  const got = await ours(name).execute(structuredClone(input));
  const [gotItem, wantItem] = withoutGoZeroValues(got.item, want.item);
  expect({ item: gotItem, additionalItems: ids(got.additionalItems), skipRestore: got.skipRestore ?? false }, `${name} differs from Velero's`).toEqual({
    item: wantItem,
    additionalItems: ids(want.additionalItems),
    skipRestore: want.skipRestore ?? false,
  });
  return { item: want.item, additionalItems: ids(want.additionalItems), skipRestore: want.skipRestore ?? false };
}

describe("Velero's built-in plugins (Go velero v1.18.1 run-plugins) under the velero-ts host", () => {
  it("lists Velero's built-in actions, and we have each non-CSI, non-data-mover one", () => {
    const listed = manager.list().map((p) => `${p.kind}/${p.name}`);
    expect(listed).toEqual(expect.arrayContaining(["BackupItemAction/velero.io/pod", "RestoreItemAction/velero.io/job", "ItemBlockAction/velero.io/pvc"]));
    const oursRia = builtinRestoreItemActions({ kube, veleroNamespace: NS, logger: createSilentLogger() }).map((e) => e.name);
    const theirsRia = listed.filter((l) => l.startsWith("RestoreItemAction/")).map((l) => l.slice("RestoreItemAction/".length));
    // every one, in Velero's registration order (pod-volume-restore and dataupload as far as they go without a node agent)
    expect([...oursRia].sort()).toEqual([...theirsRia].sort());
  });

  it("is exactly the SDK's VELERO_BUILTIN_PLUGINS (the names an SDK plugin is warned off)", () => {
    const listed = manager.list().map((p) => `${p.kind}/${p.name}`);
    expect([...listed].sort()).toEqual(VELERO_BUILTIN_PLUGINS.map((p) => `${p.kind}/${p.name}`).sort());
  });
});

describe("restore item actions: velero-ts gives what Velero gives", () => {
  it("velero.io/job drops the generated selector and controller-uid labels", async () => {
    const out = await sameRestoreOutput("velero.io/job", {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: "j", namespace: NS, labels: { app: "x", "controller-uid": "u1", "batch.kubernetes.io/controller-uid": "u1" } },
      spec: {
        selector: { matchLabels: { "controller-uid": "u1", "batch.kubernetes.io/controller-uid": "u1" } },
        template: { metadata: { labels: { "controller-uid": "u1", "batch.kubernetes.io/controller-uid": "u1", "job-name": "j", app: "x" } }, spec: { containers: [{ name: "c", image: "busybox" }], restartPolicy: "Never" } },
      },
    });
    expect(out.skipRestore).toBe(false);
    expect(out.item["spec"]).not.toHaveProperty("selector.matchLabels.controller-uid");
  });

  it("velero.io/pod clears the node, the priority and the service-account token secret volume and its mounts, and names the priority class", async () => {
    const out = await sameRestoreOutput("velero.io/pod", {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p", namespace: NS, uid: "u", resourceVersion: "5" },
      spec: {
        nodeName: "node-1",
        priority: 100,
        priorityClassName: "high",
        serviceAccountName: "app",
        volumes: [
          { name: "data", persistentVolumeClaim: { claimName: "data-pvc" } },
          { name: "app-token-abcde", secret: { secretName: "app-token-abcde" } },
          { name: "kube-api-access-x1y2z", projected: { sources: [{ serviceAccountToken: { path: "token" } }] } },
        ],
        containers: [
          {
            name: "c",
            image: "nginx",
            volumeMounts: [
              { name: "data", mountPath: "/data" },
              { name: "app-token-abcde", mountPath: "/var/run/secrets/kubernetes.io/serviceaccount" },
              { name: "kube-api-access-x1y2z", mountPath: "/var/run/secrets/kubernetes.io/serviceaccount" },
            ],
          },
        ],
        initContainers: [{ name: "i", image: "busybox", volumeMounts: [{ name: "kube-api-access-x1y2z", mountPath: "/var/run/secrets/kubernetes.io/serviceaccount" }] }],
      },
      status: { phase: "Running" },
    });
    const spec = out.item["spec"] as { nodeName?: string; priority?: number; volumes: { name: string }[] };
    expect(spec.nodeName).toBeUndefined();
    expect(spec.priority).toBeUndefined();
    expect(spec.volumes.map((v) => v.name)).toEqual(["data", "kube-api-access-x1y2z"]);
    expect(out.additionalItems).toEqual(["priorityclasses.scheduling.k8s.io//high"]);
  });

  it.each([
    ["ClusterIP", { type: "ClusterIP", clusterIP: "10.96.0.10", clusterIPs: ["10.96.0.10"], ports: [{ port: 80, targetPort: 8080, protocol: "TCP" }] }, {}],
    ["headless", { type: "ClusterIP", clusterIP: "None", clusterIPs: ["None"], ports: [{ port: 80 }] }, {}],
    ["NodePort, ports not in last-applied", { type: "NodePort", clusterIP: "10.96.0.11", ports: [{ name: "http", port: 80, nodePort: 30080 }] }, {}],
    [
      "NodePort, port pinned in last-applied",
      { type: "NodePort", clusterIP: "10.96.0.12", ports: [{ name: "http", port: 80, nodePort: 30081 }, { name: "https", port: 443, nodePort: 30443 }] },
      { "kubectl.kubernetes.io/last-applied-configuration": JSON.stringify({ spec: { ports: [{ name: "http", port: 80, nodePort: 30081 }] } }) },
    ],
    ["LoadBalancer", { type: "LoadBalancer", clusterIP: "10.96.0.13", ports: [{ port: 443, nodePort: 31443 }], healthCheckNodePort: 32000, externalTrafficPolicy: "Local" }, {}],
    ["ExternalName", { type: "ExternalName", externalName: "example.com" }, {}],
  ])("velero.io/service: %s", async (_label, spec, annotations) => {
    await sameRestoreOutput("velero.io/service", { apiVersion: "v1", kind: "Service", metadata: { name: "s", namespace: NS, annotations }, spec });
  });

  it("velero.io/service-account drops the token secret from secrets", async () => {
    const out = await sameRestoreOutput("velero.io/service-account", {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: "app", namespace: NS },
      secrets: [{ name: "app-token-abcde" }, { name: "app-dockercfg" }],
    });
    expect(out.item["secrets"]).toEqual([{ name: "app-dockercfg" }]);
  });

  it("velero.io/role-bindings and velero.io/cluster-role-bindings map service-account subjects' namespaces", async () => {
    const r = restore({ namespaceMapping: { old: "new", other: "else" } });
    const subjects = [
      { kind: "ServiceAccount", name: "a", namespace: "old" },
      { kind: "ServiceAccount", name: "b", namespace: "unmapped" },
      { kind: "User", name: "u" },
      { kind: "ServiceAccount", name: "c", namespace: "other" },
    ];
    const rb = await sameRestoreOutput("velero.io/role-bindings", { apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: { name: "rb", namespace: "new" }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "r" }, subjects }, r);
    await sameRestoreOutput("velero.io/cluster-role-bindings", { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", metadata: { name: "crb" }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cr" }, subjects }, r);
    expect((rb.item["subjects"] as { namespace?: string }[]).map((x) => x.namespace)).toEqual(["new", "unmapped", undefined, "else"]);
  });

  it("velero.io/pvc strips binding annotations and a selected node that does not exist, and names its PV", async () => {
    const out = await sameRestoreOutput("velero.io/pvc", {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: {
        name: "data",
        namespace: NS,
        annotations: {
          "pv.kubernetes.io/bind-completed": "yes",
          "pv.kubernetes.io/bound-by-controller": "yes",
          "volume.kubernetes.io/selected-node": "gone-node",
          "volume.beta.kubernetes.io/storage-provisioner": "hostpath.csi.k8s.io",
          keep: "me",
        },
      },
      spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, volumeName: "pv-1", storageClassName: "csi-hostpath-sc" },
      status: { phase: "Bound" },
    });
    expect((out.item["metadata"] as { annotations: Record<string, string> }).annotations).toEqual({ keep: "me" });
    expect(out.additionalItems).toEqual(["persistentvolumes//pv-1"]);
  });

  it("velero.io/apiservice skips every APIService, local or service-backed (the aggregator recreates them)", async () => {
    for (const spec of [
      { group: "apps", version: "v1", groupPriorityMinimum: 17800, versionPriority: 15 },
      { group: "metrics.k8s.io", version: "v1beta1", service: { name: "metrics-server", namespace: "kube-system" }, groupPriorityMinimum: 100, versionPriority: 100 },
    ]) {
      const out = await sameRestoreOutput("velero.io/apiservice", { apiVersion: "apiregistration.k8s.io/v1", kind: "APIService", metadata: { name: `${spec.version}.${spec.group}` }, spec });
      expect(out.skipRestore).toBe(true);
    }
  });

  it("velero.io/admission-webhook-configuration defaults what v1 requires", async () => {
    const out = await sameRestoreOutput("velero.io/admission-webhook-configuration", {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "MutatingWebhookConfiguration",
      metadata: { name: "w" },
      webhooks: [{ name: "a.example.com", clientConfig: { url: "https://127.0.0.1:9443/a" } }, { name: "b.example.com", clientConfig: { url: "https://127.0.0.1:9443/b" }, sideEffects: "None", admissionReviewVersions: ["v1"] }],
    });
    expect((out.item["webhooks"] as { sideEffects?: string }[]).map((w) => w.sideEffects)).toEqual(["None", "None"]);
  });

  it("velero.io/add-pvc-from-pod names the pod's PVCs as additional items", async () => {
    const out = await sameRestoreOutput("velero.io/add-pvc-from-pod", {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p", namespace: NS },
      spec: { containers: [{ name: "c", image: "nginx" }], volumes: [{ name: "a", persistentVolumeClaim: { claimName: "a-pvc" } }, { name: "e", emptyDir: {} }] },
    });
    expect(out.additionalItems).toEqual([`persistentvolumeclaims/${NS}/a-pvc`]);
  });

  it("velero.io/crd-preserve-fields keeps an apiextensions v1 CRD as it is", async () => {
    await sameRestoreOutput("velero.io/crd-preserve-fields", {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: "widgets.example.com" },
      spec: {
        group: "example.com",
        names: { kind: "Widget", plural: "widgets", singular: "widget", listKind: "WidgetList" },
        scope: "Namespaced",
        versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } }],
      },
    });
  });
});

const backup = (spec: Record<string, unknown> = {}): Backup =>
  ({ apiVersion: "velero.io/v1", kind: "Backup", metadata: { name: "b1", namespace: NS, uid: "0d1e2f3a-1111-4222-8333-944445555666" }, spec: { includedNamespaces: [NS], ...spec }, status: {} }) as unknown as Backup;

/** Runs Velero's and our backup item action on the same item; both must give the same output. */
async function sameBackupOutput(name: string, item: UnstructuredItem): Promise<{ item: UnstructuredItem; additionalItems: string[] }> {
  const go = (await manager.get("BackupItemAction", name)) as BackupItemAction;
  const want = await go.execute(structuredClone(item), backup());
  const got = await createBuiltinBackupItemAction(name, kube).execute(structuredClone(item), backup());
  const [gotItem, wantItem] = withoutGoZeroValues(got.item, want.item);
  expect({ item: gotItem, additionalItems: ids(got.additionalItems) }, `${name} differs from Velero's`).toEqual({ item: wantItem, additionalItems: ids(want.additionalItems) });
  return { item: want.item, additionalItems: ids(want.additionalItems) };
}

/** Runs Velero's and our item block action on the same item; both must relate the same items. */
async function sameRelatedItems(name: string, item: UnstructuredItem): Promise<string[]> {
  const go = (await manager.get("ItemBlockAction", name)) as ItemBlockAction;
  const want = ids(await go.getRelatedItems(structuredClone(item), backup()));
  const got = ids(await createBuiltinItemBlockAction(name, kube).getRelatedItems(structuredClone(item), backup()));
  expect(got, `${name} differs from Velero's`).toEqual(want);
  return want;
}

const podWithClaims = (name: string, claims: string[]): UnstructuredItem => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: NS },
  spec: {
    serviceAccountName: "app",
    containers: [{ name: "c", image: "nginx" }],
    volumes: [...claims.map((c) => ({ name: c, persistentVolumeClaim: { claimName: c } })), { name: "scratch", emptyDir: {} }],
  },
});

const boundClaim = (name: string, volume: string): UnstructuredItem => ({
  apiVersion: "v1",
  kind: "PersistentVolumeClaim",
  metadata: { name, namespace: NS },
  spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, volumeName: volume },
  status: { phase: "Bound" },
});

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const serviceAccount: UnstructuredItem = { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "app", namespace: NS } };

describe("backup item actions and item block actions: velero-ts gives what Velero gives", () => {
  beforeAll(async () => {
    // a binding of the service account, and pods sharing a claim, in the real cluster (both sides read them)
    await kube.create(GVR.clusterRoleBindings, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: `${NS}-app` },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
      subjects: [{ kind: "ServiceAccount", name: "app", namespace: NS }],
    } as UnstructuredItem);
    await kube.create(GVR.serviceAccounts, serviceAccount);
    // claims provisioned by the CSI hostpath driver, so the pods get scheduled and kwok runs them:
    // Velero's pvc item block action relates only running pods
    for (const claim of ["shared", "own-b", "unrelated"]) {
      await kube.create(GVR.persistentVolumeClaims, {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: { name: claim, namespace: NS },
        spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Mi" } }, storageClassName: "csi-hostpath-sc" },
      } as UnstructuredItem);
    }
    for (const pod of [podWithClaims("web-a", ["shared"]), podWithClaims("web-b", ["shared", "own-b"]), podWithClaims("other", ["unrelated"])]) {
      await kube.create(GVR.pods, pod);
    }
    await until(async () => (await kube.list(GVR.pods, { namespace: NS })).items.filter((p) => (p.status as { phase?: string } | undefined)?.phase === "Running").length === 3, "the 3 pods to run");
  }, 120_000);
  afterAll(async () => {
    await kube.delete(GVR.clusterRoleBindings, `${NS}-app`).catch(() => undefined);
  });

  it("velero.io/pod (backup) adds the pod's claims", async () => {
    const out = await sameBackupOutput("velero.io/pod", podWithClaims("web-b", ["shared", "own-b"]));
    expect(out.additionalItems).toEqual([`persistentvolumeclaims/${NS}/own-b`, `persistentvolumeclaims/${NS}/shared`]);
  });

  it("velero.io/pv (backup) adds a bound claim's volume", async () => {
    const out = await sameBackupOutput("velero.io/pv", boundClaim("shared", "pv-shared"));
    expect(out.additionalItems).toEqual(["persistentvolumes//pv-shared"]);
  });

  it("velero.io/pv (backup) writes a bound claim without its data source, its selector (unless storageClassName is \"\") and stale Velero labels; other claims as they are", async () => {
    const stale = (storageClassName?: string): UnstructuredItem => {
      const c = boundClaim("restored", "pv-restored");
      c.metadata.labels = {
        app: "db",
        "velero.io/restore-name": "r-old",
        "velero.io/backup-name": "b-old",
        "velero.io/volume-snapshot-name": "vs-old",
        "backup.velero.io/must-include-additional-items": "true",
      };
      Object.assign(c.spec as object, {
        ...(storageClassName === undefined ? {} : { storageClassName }),
        dataSource: { apiGroup: "snapshot.storage.k8s.io", kind: "VolumeSnapshot", name: "vs-old" },
        dataSourceRef: { apiGroup: "snapshot.storage.k8s.io", kind: "VolumeSnapshot", name: "vs-old" },
        selector: { matchLabels: { tier: "db", "velero.io/restore-name": "r-old" } },
      });
      return c;
    };
    const dynamic = await sameBackupOutput("velero.io/pv", stale("fast"));
    expect(dynamic.item.metadata.labels).toEqual({ app: "db" });
    expect(dynamic.item.spec).not.toHaveProperty("dataSource");
    expect(dynamic.item.spec).not.toHaveProperty("dataSourceRef");
    expect(dynamic.item.spec).not.toHaveProperty("selector");
    expect((await sameBackupOutput("velero.io/pv", stale())).item.spec).not.toHaveProperty("selector");
    const reserved = await sameBackupOutput("velero.io/pv", stale(""));
    expect((reserved.item.spec as { selector?: unknown }).selector).toEqual({ matchLabels: { tier: "db" } });
    // this backup's own name label stays
    const own = boundClaim("own", "pv-own");
    own.metadata.labels = { "velero.io/backup-name": "b1" };
    expect((await sameBackupOutput("velero.io/pv", own)).item.metadata.labels).toEqual({ "velero.io/backup-name": "b1" });
    // not Bound (Pending with a volume name, no phase at all): unchanged, no volume
    for (const phase of ["Pending", undefined]) {
      const c = stale("fast");
      c.status = phase ? { phase } : {};
      const out = await sameBackupOutput("velero.io/pv", c);
      expect(out.additionalItems, String(phase)).toEqual([]);
      expect(out.item.spec, String(phase)).toHaveProperty("dataSource");
    }
  });

  it("velero.io/crd-remap-version (backup) leaves a CRD as it is on a cluster that serves no v1beta1 CRDs (Kubernetes 1.22+)", async () => {
    const crd: UnstructuredItem = {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: "widgets.example.io" },
      spec: { group: "example.io", names: { plural: "widgets", kind: "Widget" }, scope: "Namespaced", versions: [{ name: "v1", served: true, storage: true }] },
    };
    const out = await sameBackupOutput("velero.io/crd-remap-version", crd);
    expect(out.item.apiVersion).toBe("apiextensions.k8s.io/v1");
    expect(out.additionalItems).toEqual([]);
  });

  it("velero.io/service-account (backup) adds the cluster role bindings that name it", async () => {
    const out = await sameBackupOutput("velero.io/service-account", serviceAccount);
    expect(out.additionalItems).toContain(`clusterrolebindings.rbac.authorization.k8s.io//${NS}-app`);
  });

  it("velero.io/pod (item block) relates the pod's claims", async () => {
    expect(await sameRelatedItems("velero.io/pod", podWithClaims("web-b", ["shared", "own-b"]))).toEqual([`persistentvolumeclaims/${NS}/own-b`, `persistentvolumeclaims/${NS}/shared`]);
  });

  it("velero.io/pvc (item block) relates the volume and every running pod mounting the claim", async () => {
    const claim = await kube.get(GVR.persistentVolumeClaims, "shared", NS);
    if (!claim) throw new Error("claim shared is gone");
    const volume = (claim.spec as { volumeName: string }).volumeName;
    const related = await sameRelatedItems("velero.io/pvc", claim);
    expect(related).toEqual([`persistentvolumes//${volume}`, `pods/${NS}/web-a`, `pods/${NS}/web-b`]);
    expect(related).not.toContain(`pods/${NS}/other`);
  });

  it("velero.io/service-account (item block) relates the bindings that name it", async () => {
    expect(await sameRelatedItems("velero.io/service-account", serviceAccount)).toContain(`clusterrolebindings.rbac.authorization.k8s.io//${NS}-app`);
  });
});

describe("restore item actions that read the cluster or the restore's hooks: velero-ts gives what Velero gives", () => {
  beforeAll(async () => {
    // plugin-config ConfigMaps in Velero's namespace (VELERO_NAMESPACE for the Go plugin, veleroNamespace for ours)
    const pluginConfig = (name: string, plugin: string, data: Record<string, string>): UnstructuredItem =>
      ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: NS, labels: { "velero.io/plugin-config": "", [plugin]: "RestoreItemAction" } }, data }) as UnstructuredItem;
    await kube.create(GVR.configMaps, pluginConfig("change-storage-class-config", "velero.io/change-storage-class", { "old-class": "csi-hostpath-sc" }));
    await kube.create(GVR.configMaps, pluginConfig("change-image-name-config", "velero.io/change-image-name", { case1: "old.registry.io/team,new.registry.io/team", case2: "nginx:1.25,nginx:1.27" }));
  });

  it("velero.io/change-storage-class maps a claim's, a volume's and a StatefulSet template's class", async () => {
    const claim = await sameRestoreOutput("velero.io/change-storage-class", {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: "c", namespace: NS, annotations: { "volume.beta.kubernetes.io/storage-class": "old-class" } },
      spec: { storageClassName: "old-class", accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
    });
    expect((claim.item["spec"] as { storageClassName: string }).storageClassName).toBe("csi-hostpath-sc");
    await sameRestoreOutput("velero.io/change-storage-class", {
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: { name: "pv-c" },
      spec: { storageClassName: "old-class", capacity: { storage: "1Gi" }, accessModes: ["ReadWriteOnce"], hostPath: { path: "/tmp/x" } },
    });
    await sameRestoreOutput("velero.io/change-storage-class", {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: { name: "db", namespace: NS },
      spec: {
        serviceName: "db",
        selector: { matchLabels: { app: "db" } },
        template: { metadata: { labels: { app: "db" } }, spec: { containers: [{ name: "db", image: "postgres" }] } },
        volumeClaimTemplates: [
          { metadata: { name: "data" }, spec: { storageClassName: "old-class", accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } },
          { metadata: { name: "logs" }, spec: { storageClassName: "kept-class", accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } },
        ],
      },
    });
  });

  it("velero.io/change-image-name rewrites container images by the configured cases", async () => {
    const out = await sameRestoreOutput("velero.io/change-image-name", {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: NS },
      spec: {
        selector: { matchLabels: { app: "web" } },
        template: {
          metadata: { labels: { app: "web" } },
          spec: {
            containers: [{ name: "a", image: "old.registry.io/team/app:1.0" }, { name: "b", image: "nginx:1.25" }, { name: "c", image: "busybox" }],
            initContainers: [{ name: "i", image: "old.registry.io/team/init:2" }],
          },
        },
      },
    });
    const spec = (out.item["spec"] as { template: { spec: { containers: { image: string }[] } } }).template.spec;
    expect(spec.containers.map((c) => c.image)).toEqual(["new.registry.io/team/app:1.0", "nginx:1.27", "busybox"]);
  });

  it("velero.io/init-restore-hook adds the init containers of annotations and of the restore's hooks", async () => {
    const pod: UnstructuredItem = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: "p",
        namespace: NS,
        labels: { app: "web" },
        annotations: {
          "init.hook.restore.velero.io/container-image": "busybox:1.36",
          "init.hook.restore.velero.io/container-name": "restore-hook",
          "init.hook.restore.velero.io/command": '["/bin/sh", "-c", "echo restored"]',
        },
      },
      spec: { containers: [{ name: "c", image: "nginx" }], initContainers: [{ name: "existing", image: "busybox" }] },
    };
    const fromAnnotations = await sameRestoreOutput("velero.io/init-restore-hook", pod);
    expect((fromAnnotations.item["spec"] as { initContainers: { name: string }[] }).initContainers.map((c) => c.name)).toEqual(["restore-hook", "existing"]);

    const withoutAnnotations = structuredClone(pod);
    delete withoutAnnotations.metadata.annotations;
    const r = restore({
      hooks: {
        resources: [
          {
            name: "h1",
            includedNamespaces: [NS],
            labelSelector: { matchLabels: { app: "web" } },
            postHooks: [{ init: { initContainers: [{ name: "seed", image: "busybox", command: ["/bin/sh", "-c", "seed"] }], timeout: "1m" } }],
          },
        ],
      },
    });
    await sameRestoreOutput("velero.io/init-restore-hook", withoutAnnotations, r);
  });

  it("velero.io/secret drops a token secret's token, CA and owner uid when its service account is not in the cluster, and keeps them when it is", async () => {
    const tokenSecret = (account: string): UnstructuredItem => ({
      apiVersion: "v1",
      kind: "Secret",
      type: "kubernetes.io/service-account-token",
      metadata: { name: `${account}-token-abcde`, namespace: NS, annotations: { "kubernetes.io/service-account.name": account, "kubernetes.io/service-account.uid": "old-uid" } },
      data: { token: Buffer.from("t").toString("base64"), "ca.crt": Buffer.from("c").toString("base64"), namespace: Buffer.from(NS).toString("base64") },
    });
    const orphan = await sameRestoreOutput("velero.io/secret", tokenSecret("no-such-account"));
    expect(Object.keys(orphan.item["data"] as object)).toEqual(["namespace"]);
    expect(orphan.item.metadata.annotations).toEqual({ "kubernetes.io/service-account.name": "no-such-account" });
    await kube.create(GVR.serviceAccounts, { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "present", namespace: NS } } as UnstructuredItem);
    const owned = await sameRestoreOutput("velero.io/secret", tokenSecret("present"));
    expect(Object.keys(owned.item["data"] as object).sort()).toEqual(["ca.crt", "namespace", "token"]);
    await sameRestoreOutput("velero.io/secret", { apiVersion: "v1", kind: "Secret", type: "Opaque", metadata: { name: "plain", namespace: NS }, data: { k: Buffer.from("v").toString("base64") } });
  });
});

describe("Velero's built-in DeleteItemAction (Go) under the velero-ts host", () => {
  const backup = { apiVersion: "velero.io/v1", kind: "Backup", metadata: { name: "b-del", namespace: NS, uid: "0b0b0b0b-1111-4222-8333-944445555666" }, spec: { storageLocation: "loc-1" }, status: {} } as unknown as Backup;
  const dataUpload = (name: string, snapshotID: string): UnstructuredItem => ({
    apiVersion: "velero.io/v2alpha1",
    kind: "DataUpload",
    metadata: { name, namespace: NS },
    spec: { sourceNamespace: "app-ns", sourcePVC: "data", snapshotType: "CSI", backupStorageLocation: "loc-1" },
    status: { phase: "Completed", snapshotID },
  });

  it("velero.io/dataupload-delete selects DataUploads and, for one with a snapshot, leaves the snapshot's identity in a ConfigMap for the deletion", async () => {
    const go = (await manager.get("DeleteItemAction", "velero.io/dataupload-delete")) as DeleteItemAction;
    expect(await go.appliesTo()).toMatchObject({ includedResources: ["datauploads.velero.io"] });
    await go.execute(dataUpload("du-1", "snap-123"), backup);
    const cm = await kube.get(GVR.configMaps, "du-1-info", NS);
    expect(cm?.metadata.labels).toEqual({ "velero.io/backup-name": "b-del", "velero.io/data-upload-snapshot-info": "true" });
    // the Backup's name, namespace and storage location and the item's fields all crossed the wire
    expect(cm?.["data"]).toMatchObject({ snapshotID: "snap-123", backupStorageLocation: "loc-1", volumeNamespace: "app-ns", repositoryType: "kopia", uploaderType: "kopia", source: "app-ns/data" });
    // without a snapshot there is nothing to remember, and nothing fails
    await go.execute(dataUpload("du-2", ""), backup);
    expect(await kube.get(GVR.configMaps, "du-2-info", NS)).toBeUndefined();
  });

  it("a Go DeleteItemAction's error reaches the host with its message", async () => {
    const go = (await manager.get("DeleteItemAction", "velero.io/dataupload-delete")) as DeleteItemAction;
    // a ConfigMap of that name exists already: the action's Create fails
    await expect(go.execute(dataUpload("du-1", "snap-123"), backup)).rejects.toThrow(/failed to create the configmap for DataUpload .*du-1.*already exists/);
  });
});
