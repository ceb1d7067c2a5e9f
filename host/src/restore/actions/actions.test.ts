import { describe, expect, it } from "vitest";
import type { RestoreItemAction, RestoreSpec, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { createSilentLogger } from "../../shared/logging.js";
import { forRestoreObject } from "../testing/fixtures.js";
import { RestoreFakeKube, gvrOf } from "../testing/restore-fake-kube.js";
import { AddPvcFromPodAction } from "./add-pvc-from-pod.js";
import { AdmissionWebhookConfigurationAction } from "./admission-webhook-configuration.js";
import { ApiServiceAction } from "./apiservice.js";
import { ChangeImageNameAction, replaceImage } from "./change-image-name.js";
import { ChangeStorageClassAction } from "./change-storage-class.js";
import { asRestoreItemActionV2, type BuiltinActionDeps } from "./common.js";
import { CrdPreserveFieldsAction } from "./crd-preserve-fields.js";
import { builtinRestoreItemActions } from "./index.js";
import { InitRestoreHookPodAction } from "./init-restore-hook.js";
import { JobAction } from "./job.js";
import { PodAction } from "./pod.js";
import { PvcAction } from "./pvc.js";
import { ClusterRoleBindingAction, RoleBindingAction } from "./role-bindings.js";
import { SecretAction } from "./secret.js";
import { ServiceAccountAction } from "./service-account.js";
import { ServiceAction } from "./service.js";

const item = (apiVersion: string, kind: string, body: Record<string, unknown>, meta: Record<string, unknown> = {}): UnstructuredItem =>
  ({ apiVersion, kind, metadata: { name: "x", namespace: "ns", ...meta }, ...body }) as UnstructuredItem;

async function run(action: RestoreItemAction, input: UnstructuredItem, spec: Partial<RestoreSpec> = {}, fromBackup?: UnstructuredItem) {
  return action.execute({ item: structuredClone(input), itemFromBackup: fromBackup ?? structuredClone(input), restore: forRestoreObject(spec) });
}

function deps(kube = new RestoreFakeKube()): BuiltinActionDeps {
  return { kube, veleroNamespace: "velero", logger: createSilentLogger() };
}

function pluginConfig(kube: RestoreFakeKube, plugin: string, data: Record<string, string>, name = plugin.split("/")[1] as string): void {
  kube.seed(gvrOf("", "v1", "configmaps"), {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace: "velero", labels: { "velero.io/plugin-config": "", [plugin]: "RestoreItemAction" } },
    data,
  });
}

describe("velero.io/pod", () => {
  it.each([
    {
      name: "clears nodeName and priority and drops the SA token volume and mounts",
      spec: {
        nodeName: "n1",
        priority: 1000,
        serviceAccountName: "sa",
        volumes: [{ name: "sa-token-abc" }, { name: "data" }],
        containers: [{ name: "c", volumeMounts: [{ name: "sa-token-abc", mountPath: "/t" }, { name: "data", mountPath: "/d" }] }],
        initContainers: [{ name: "i", volumeMounts: [{ name: "sa-token-abc", mountPath: "/t" }] }],
      },
      want: {
        serviceAccountName: "sa",
        volumes: [{ name: "data" }],
        containers: [{ name: "c", volumeMounts: [{ name: "data", mountPath: "/d" }] }],
        initContainers: [{ name: "i", volumeMounts: [] }],
      },
      additional: [],
    },
    {
      name: "restores the priority class first",
      spec: { priorityClassName: "high", containers: [{ name: "c" }] },
      want: { priorityClassName: "high", containers: [{ name: "c" }] },
      additional: [{ group: "scheduling.k8s.io", resource: "priorityclasses", namespace: "", name: "high" }],
    },
  ])("$name", async ({ spec, want, additional }) => {
    const out = await run(new PodAction(), item("v1", "Pod", { spec }));
    expect(out.item.spec).toEqual(want);
    expect(out.additionalItems).toEqual(additional);
  });
});

describe("velero.io/service", () => {
  const svc = (spec: Record<string, unknown>, meta: Record<string, unknown> = {}) => item("v1", "Service", { spec }, meta);
  it.each([
    { name: "drops clusterIP(s) and node ports", svc: svc({ type: "NodePort", clusterIP: "10.0.0.1", clusterIPs: ["10.0.0.1"], ports: [{ port: 80, nodePort: 30080 }] }), spec: {}, want: { type: "NodePort", ports: [{ port: 80 }] } },
    { name: "keeps the clusterIP of headless services", svc: svc({ clusterIP: "None", ports: [{ port: 80 }] }), spec: {}, want: { clusterIP: "None", ports: [{ port: 80 }] } },
    { name: "keeps node ports with preserveNodePorts", svc: svc({ type: "NodePort", clusterIP: "10.0.0.1", ports: [{ port: 80, nodePort: 30080 }] }), spec: { preserveNodePorts: true }, want: { type: "NodePort", ports: [{ port: 80, nodePort: 30080 }] } },
    {
      name: "keeps node ports set explicitly in last-applied-configuration",
      svc: svc(
        { type: "NodePort", ports: [{ name: "http", port: 80, nodePort: 30080 }, { name: "other", port: 81, nodePort: 30081 }] },
        { annotations: { "kubectl.kubernetes.io/last-applied-configuration": JSON.stringify({ spec: { ports: [{ name: "http", port: 80, nodePort: 30080 }] } }) } },
      ),
      spec: {},
      want: { type: "NodePort", ports: [{ name: "http", port: 80, nodePort: 30080 }, { name: "other", port: 81 }] },
    },
    {
      name: "keeps node ports owned in managedFields",
      svc: svc({ type: "NodePort", ports: [{ port: 80, protocol: "TCP", nodePort: 30080 }] }, { managedFields: [{ fieldsV1: { "f:spec": { "f:ports": { 'k:{"port":80,"protocol":"TCP"}': { "f:nodePort": {} } } } } }] }),
      spec: {},
      want: { type: "NodePort", ports: [{ port: 80, protocol: "TCP", nodePort: 30080 }] },
    },
    {
      name: "drops an implicit healthCheckNodePort of a Local LoadBalancer",
      svc: svc({ type: "LoadBalancer", externalTrafficPolicy: "Local", healthCheckNodePort: 31000, ports: [] }),
      spec: {},
      want: { type: "LoadBalancer", externalTrafficPolicy: "Local", ports: [] },
    },
  ])("$name", async ({ svc: s, spec, want }) => {
    expect((await run(new ServiceAction(), s, spec)).item.spec).toEqual(want);
  });
});

describe("simple actions", () => {
  it.each<{ name: string; action: RestoreItemAction; input: UnstructuredItem; want: Record<string, unknown>; spec?: Partial<RestoreSpec> }>([
    {
      name: "velero.io/job drops controller-uid labels and selectors",
      action: new JobAction(),
      input: item("batch/v1", "Job", { spec: { selector: { matchLabels: { "controller-uid": "1", "batch.kubernetes.io/controller-uid": "1", app: "a" } }, template: { metadata: { labels: { "controller-uid": "1", app: "a" } } } } }),
      want: { spec: { selector: { matchLabels: { app: "a" } }, template: { metadata: { labels: { app: "a" } } } } },
    },
    {
      name: "velero.io/service-account drops the legacy token secret reference",
      action: new ServiceAccountAction(),
      input: item("v1", "ServiceAccount", { secrets: [{ name: "x-token-abc" }, { name: "other" }] }),
      want: { secrets: [{ name: "other" }] },
    },
    {
      name: "velero.io/role-bindings maps subject namespaces",
      action: new RoleBindingAction(),
      input: item("rbac.authorization.k8s.io/v1", "RoleBinding", { subjects: [{ kind: "ServiceAccount", name: "a", namespace: "old" }, { kind: "User", name: "u" }] }),
      spec: { namespaceMapping: { old: "new" } },
      want: { subjects: [{ kind: "ServiceAccount", name: "a", namespace: "new" }, { kind: "User", name: "u" }] },
    },
    {
      name: "velero.io/cluster-role-bindings maps subject namespaces",
      action: new ClusterRoleBindingAction(),
      input: item("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", { subjects: [{ kind: "ServiceAccount", name: "a", namespace: "old" }] }),
      spec: { namespaceMapping: { old: "new" } },
      want: { subjects: [{ kind: "ServiceAccount", name: "a", namespace: "new" }] },
    },
    {
      name: "velero.io/admission-webhook-configuration fixes invalid sideEffects",
      action: new AdmissionWebhookConfigurationAction(),
      input: item("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", { webhooks: [{ name: "a", sideEffects: "Unknown" }, { name: "b", sideEffects: "NoneOnDryRun" }] }),
      want: { webhooks: [{ name: "a", sideEffects: "None" }, { name: "b", sideEffects: "NoneOnDryRun" }] },
    },
    {
      name: "velero.io/crd-preserve-fields moves preserveUnknownFields into the schema",
      action: new CrdPreserveFieldsAction(),
      input: item("apiextensions.k8s.io/v1", "CustomResourceDefinition", { spec: { preserveUnknownFields: true, versions: [{ name: "v1", schema: { openAPIV3Schema: { type: "object" } } }] } }),
      want: { spec: { preserveUnknownFields: false, versions: [{ name: "v1", schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } }] } },
    },
  ])("$name", async ({ action, input, want, spec }) => {
    const out = await run(action, input, spec);
    expect(out.item).toMatchObject(want);
    expect(out.skipRestore).toBe(false);
  });
});

describe("velero.io/pvc", () => {
  it("strips binding annotations and restores the bound PV first", async () => {
    const pvc = item("v1", "PersistentVolumeClaim", { spec: { volumeName: "pv1" }, status: { phase: "Bound" } }, {
      annotations: { "pv.kubernetes.io/bind-completed": "yes", "volume.kubernetes.io/selected-node": "n", "volume.kubernetes.io/storage-provisioner": "p", keep: "me" },
    });
    const out = await run(new PvcAction(), pvc);
    expect(out.item.metadata.annotations).toEqual({ keep: "me" });
    expect(out.additionalItems).toEqual([{ group: "", resource: "persistentvolumes", namespace: "", name: "pv1" }]);
  });

  it("adds nothing for an unbound claim", async () => {
    const out = await run(new PvcAction(), item("v1", "PersistentVolumeClaim", { spec: {}, status: { phase: "Pending" } }));
    expect(out.additionalItems).toEqual([]);
  });
});

describe("velero.io/add-pvc-from-pod", () => {
  it("adds the pod's claims as additional items", async () => {
    const pod = item("v1", "Pod", { spec: { volumes: [{ name: "a", persistentVolumeClaim: { claimName: "c1" } }, { name: "b", emptyDir: {} }] } });
    expect((await run(new AddPvcFromPodAction(), pod)).additionalItems).toEqual([{ group: "", resource: "persistentvolumeclaims", namespace: "ns", name: "c1" }]);
  });
});

describe("velero.io/secret", () => {
  it("skips a legacy token secret owned by a ServiceAccount of the namespace", async () => {
    const kube = new RestoreFakeKube();
    kube.seed(gvrOf("", "v1", "serviceaccounts"), { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "builder", namespace: "ns" } });
    const secret = item("v1", "Secret", { type: "kubernetes.io/service-account-token", data: { token: "t" } }, { name: "builder-token-x1" });
    expect((await run(new SecretAction(deps(kube)), secret)).skipRestore).toBe(true);
  });

  it("clears token data of other token secrets so the controller refills them", async () => {
    const secret = item("v1", "Secret", { type: "kubernetes.io/service-account-token", data: { token: "t", "ca.crt": "c", namespace: "n" } }, { name: "custom", annotations: { "kubernetes.io/service-account.uid": "u", "kubernetes.io/service-account.name": "sa" } });
    const out = await run(new SecretAction(deps()), secret);
    expect(out.skipRestore).toBe(false);
    expect(out.item.data).toEqual({ namespace: "n" });
    expect(out.item.metadata.annotations).toEqual({ "kubernetes.io/service-account.name": "sa" });
  });
});

describe("velero.io/apiservice", () => {
  it("applies only to auto-managed APIServices and skips them", async () => {
    const action = new ApiServiceAction();
    expect((await action.appliesTo()).selector).toBe("kube-aggregator.kubernetes.io/automanaged");
    expect((await run(action, item("apiregistration.k8s.io/v1", "APIService", {}))).skipRestore).toBe(true);
  });
});

describe("velero.io/change-storage-class", () => {
  it.each([
    { name: "a PVC", input: item("v1", "PersistentVolumeClaim", { spec: { storageClassName: "old" } }), path: (o: UnstructuredItem) => (o.spec as { storageClassName: string }).storageClassName },
    { name: "a PV", input: item("v1", "PersistentVolume", { spec: { storageClassName: "old" } }), path: (o: UnstructuredItem) => (o.spec as { storageClassName: string }).storageClassName },
    {
      name: "a StatefulSet's volumeClaimTemplates",
      input: item("apps/v1", "StatefulSet", { spec: { volumeClaimTemplates: [{ spec: { storageClassName: "old" } }] } }),
      path: (o: UnstructuredItem) => (o.spec as { volumeClaimTemplates: { spec: { storageClassName: string } }[] }).volumeClaimTemplates[0]?.spec.storageClassName,
    },
  ])("rewrites $name", async ({ input, path }) => {
    const kube = new RestoreFakeKube();
    pluginConfig(kube, "velero.io/change-storage-class", { old: "fast" });
    kube.seed(gvrOf("storage.k8s.io", "v1", "storageclasses"), { apiVersion: "storage.k8s.io/v1", kind: "StorageClass", metadata: { name: "fast" } });
    expect(path((await run(new ChangeStorageClassAction(deps(kube)), input)).item)).toBe("fast");
  });

  it("fails when the new storage class does not exist", async () => {
    const kube = new RestoreFakeKube();
    pluginConfig(kube, "velero.io/change-storage-class", { old: "missing" });
    await expect(run(new ChangeStorageClassAction(deps(kube)), item("v1", "PersistentVolumeClaim", { spec: { storageClassName: "old" } }))).rejects.toThrow(
      'error getting storage class missing from API: storageclasses.storage.k8s.io "missing" not found',
    );
  });

  it("leaves items alone without a mapping, and refuses two config maps", async () => {
    const kube = new RestoreFakeKube();
    const pvc = item("v1", "PersistentVolumeClaim", { spec: { storageClassName: "old" } });
    expect((await run(new ChangeStorageClassAction(deps(kube)), pvc)).item).toEqual(pvc);
    pluginConfig(kube, "velero.io/change-storage-class", { old: "a" }, "one");
    pluginConfig(kube, "velero.io/change-storage-class", { old: "b" }, "two");
    await expect(run(new ChangeStorageClassAction(deps(kube)), pvc)).rejects.toThrow(/found more than one ConfigMap matching label selector "velero.io\/plugin-config,velero.io\/change-storage-class=RestoreItemAction": \[one two\]/);
  });
});

describe("velero.io/change-image-name", () => {
  it.each([
    { image: "docker.io/library/nginx:1.25", rules: { a: "docker.io/library,mirror.local/lib" }, want: "mirror.local/lib/nginx:1.25" },
    { image: "nginx:1.25", rules: { a: "nginx:1.25,nginx:1.27" }, want: "nginx:1.27" },
    { image: "redis:7", rules: { a: "nginx,other" }, want: undefined },
    { image: "redis:7", rules: { a: "no-delimiter" }, want: undefined },
  ])("maps $image with $rules", ({ image, rules, want }) => {
    expect(replaceImage(image, rules)).toBe(want);
  });

  it.each([
    { kind: "Pod", apiVersion: "v1", body: { spec: { containers: [{ name: "c", image: "old/app:1" }], initContainers: [{ name: "i", image: "old/init:1" }] } }, pick: (o: UnstructuredItem) => (o.spec as { containers: { image: string }[] }).containers[0]?.image },
    { kind: "Deployment", apiVersion: "apps/v1", body: { spec: { template: { spec: { containers: [{ name: "c", image: "old/app:1" }] } } } }, pick: (o: UnstructuredItem) => (o.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0]?.image },
    {
      kind: "CronJob",
      apiVersion: "batch/v1",
      body: { spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: "c", image: "old/app:1" }] } } } } } },
      pick: (o: UnstructuredItem) => (o.spec as { jobTemplate: { spec: { template: { spec: { containers: { image: string }[] } } } } }).jobTemplate.spec.template.spec.containers[0]?.image,
    },
  ])("rewrites the images of a $kind", async ({ kind, apiVersion, body, pick }) => {
    const kube = new RestoreFakeKube();
    pluginConfig(kube, "velero.io/change-image-name", { rule: "old/,new/" });
    expect(pick((await run(new ChangeImageNameAction(deps(kube)), item(apiVersion, kind, body))).item)).toBe("new/app:1");
  });
});

describe("velero.io/init-restore-hook", () => {
  it("adds the annotation init container after Velero's restore-wait container", async () => {
    const pod = item("v1", "Pod", { spec: { initContainers: [{ name: "restore-wait" }, { name: "own" }], containers: [{ name: "c" }] } }, {
      annotations: { "init.hook.restore.velero.io/container-image": "busybox", "init.hook.restore.velero.io/container-name": "hook", "init.hook.restore.velero.io/command": '["sh","-c","ls"]' },
    });
    const out = await run(new InitRestoreHookPodAction(), pod);
    expect((out.item.spec as { initContainers: { name: string }[] }).initContainers.map((c) => c.name)).toEqual(["restore-wait", "hook", "own"]);
  });

  it("adds spec init containers of hooks matching the mapped namespace and labels", async () => {
    const pod = item("v1", "Pod", { spec: { containers: [{ name: "c" }] } }, { labels: { app: "db" } });
    const spec: Partial<RestoreSpec> = {
      namespaceMapping: { ns: "target" },
      hooks: {
        resources: [
          { name: "match", includedNamespaces: ["target"], labelSelector: { matchLabels: { app: "db" } }, postHooks: [{ init: { initContainers: [{ name: "seed", image: "busybox", command: ["true"] }] } }] },
          { name: "other-ns", includedNamespaces: ["ns"], postHooks: [{ init: { initContainers: [{ name: "nope", image: "busybox", command: ["true"] }] } }] },
        ],
      },
    };
    const out = await run(new InitRestoreHookPodAction(), pod, spec);
    expect((out.item.spec as { initContainers: { name: string }[] }).initContainers.map((c) => c.name)).toEqual(["seed"]);
  });
});

describe("builtinRestoreItemActions", () => {
  it("lists Velero's built-ins in registration order, usable as v2 actions", async () => {
    const all = builtinRestoreItemActions(deps());
    expect(all.map((a) => a.name)).toEqual([
      "velero.io/job",
      "velero.io/pod",
      "velero.io/pod-volume-restore",
      "velero.io/init-restore-hook",
      "velero.io/service",
      "velero.io/service-account",
      "velero.io/add-pvc-from-pod",
      "velero.io/change-storage-class",
      "velero.io/change-image-name",
      "velero.io/role-bindings",
      "velero.io/cluster-role-bindings",
      "velero.io/crd-preserve-fields",
      "velero.io/pvc",
      "velero.io/apiservice",
      "velero.io/admission-webhook-configuration",
      "velero.io/secret",
      "velero.io/dataupload",
    ]);
    const v2 = asRestoreItemActionV2(all[0]!.create());
    const out = await v2.execute({ item: item("batch/v1", "Job", { spec: {} }), itemFromBackup: item("batch/v1", "Job", { spec: {} }), restore: forRestoreObject() });
    expect(out).toMatchObject({ operationId: "", waitForAdditionalItems: false, skipRestore: false });
    expect(await v2.areAdditionalItemsReady([], forRestoreObject())).toBe(true);
  });
});
