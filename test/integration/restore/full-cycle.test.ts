// Backup (real backup engine) → delete the namespace → restore (real restore controller) against
// the real control plane: every object comes back with the same spec, pods run again (kwok), and
// the PVC is bound again to the restored PV.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Restore, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { GVR } from "../../../host/src/kube/gvr.ts";
import { HttpKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import { loadKubeConfig } from "../../../host/src/kube/kube-config.ts";
import { loadEndpoints } from "../../helpers/endpoints.ts";
import type { GroupVersionResource } from "../../../host/src/kube/client.ts";
import { connect, createNamespace, deleteNamespaceAndWait, G, RestoreServer, suffix, waitFor } from "./harness.ts";

let kube: HttpKubeClient;
let server: RestoreServer;

beforeAll(async () => {
  kube = await connect();
  server = await RestoreServer.start({ kube });
});

afterAll(async () => {
  await server?.stop();
});

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c().catch(() => undefined);
});

/** What Velero legitimately changes on restore, removed before comparing. */
function normalize(kind: string, o: UnstructuredItem): Record<string, unknown> {
  const c = structuredClone(o) as Record<string, unknown> & UnstructuredItem;
  const meta = c.metadata as unknown as Record<string, unknown>;
  for (const f of ["uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "ownerReferences", "selfLink"]) delete meta[f];
  const labels = { ...(c.metadata.labels ?? {}) };
  delete labels["velero.io/backup-name"];
  delete labels["velero.io/restore-name"];
  meta.labels = labels;
  const annotations = { ...(c.metadata.annotations ?? {}) };
  for (const a of ["pv.kubernetes.io/bind-completed", "pv.kubernetes.io/bound-by-controller", "volume.kubernetes.io/storage-provisioner", "deployment.kubernetes.io/revision"]) delete annotations[a];
  meta.annotations = annotations;
  delete c.status;
  const spec = c.spec as Record<string, unknown> | undefined;
  if (kind === "Service" && spec) {
    delete spec.clusterIP; // reallocated by the apiserver (velero.io/service)
    delete spec.clusterIPs;
  }
  if (kind === "PersistentVolume" && spec?.claimRef) {
    const ref = spec.claimRef as Record<string, unknown>;
    delete ref.uid; // the claim is a new object
    delete ref.resourceVersion;
  }
  if (kind === "Pod" && spec) delete spec.nodeName; // cleared by velero.io/pod, set again by the scheduler
  return c;
}

describe("backup → delete namespace → restore", () => {
  const ns = `app-${suffix()}`;
  const pvName = `pv-${ns}`;
  const kinds: { kind: string; gvr: GroupVersionResource; name: string; namespaced: boolean }[] = [
    { kind: "ConfigMap", gvr: GVR.configMaps, name: "settings", namespaced: true },
    { kind: "Secret", gvr: GVR.secrets, name: "creds", namespaced: true },
    { kind: "ServiceAccount", gvr: GVR.serviceAccounts, name: "runner", namespaced: true },
    { kind: "Role", gvr: G.roles, name: "reader", namespaced: true },
    { kind: "RoleBinding", gvr: G.rolebindings, name: "reader-binding", namespaced: true },
    { kind: "Service", gvr: G.services, name: "web", namespaced: true },
    { kind: "Deployment", gvr: G.deployments, name: "web", namespaced: true },
    { kind: "Pod", gvr: GVR.pods, name: "standalone", namespaced: true },
    { kind: "PersistentVolumeClaim", gvr: GVR.persistentVolumeClaims, name: "data", namespaced: true },
    { kind: "PersistentVolume", gvr: GVR.persistentVolumes, name: pvName, namespaced: false },
  ];
  const before = new Map<string, UnstructuredItem>();
  let restore: Restore;

  beforeAll(async () => {
    cleanups.push(() => kube.delete(GVR.namespaces, ns), () => kube.delete(GVR.persistentVolumes, pvName));
    await createNamespace(kube, ns, { team: "blue" });
    const create = (gvr: GroupVersionResource, o: Record<string, unknown>) => kube.create(gvr, o as UnstructuredItem);
    // Written by another field manager (the API server names writers by their User-Agent), to see
    // the owners survive the restore.
    const deployer = new HttpKubeClient(loadKubeConfig({ kubeconfig: loadEndpoints().kubeconfig }), { userAgent: "app-deployer/v1.0.0" });
    await deployer.create(GVR.configMaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings", namespace: ns, labels: { app: "web" } }, data: { mode: "prod", "tag.html": "<b>a & b</b>" } } as UnstructuredItem);
    await deployer.close();
    await create(GVR.secrets, { apiVersion: "v1", kind: "Secret", metadata: { name: "creds", namespace: ns }, type: "Opaque", data: { password: Buffer.from("s3cret").toString("base64") } });
    await create(GVR.serviceAccounts, { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "runner", namespace: ns } });
    await create(G.roles, { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: { name: "reader", namespace: ns }, rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list"] }] });
    await create(G.rolebindings, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "reader-binding", namespace: ns },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "reader" },
      subjects: [{ kind: "ServiceAccount", name: "runner", namespace: ns }],
    });
    await create(G.services, { apiVersion: "v1", kind: "Service", metadata: { name: "web", namespace: ns }, spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: 8080, protocol: "TCP" }] } });
    await create(G.deployments, {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: ns, labels: { app: "web" } },
      spec: { replicas: 2, selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image: "nginx:1.25" }] } } },
    });
    await create(GVR.persistentVolumes, {
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: { name: pvName },
      spec: { capacity: { storage: "1Gi" }, accessModes: ["ReadWriteOnce"], persistentVolumeReclaimPolicy: "Retain", storageClassName: "manual", hostPath: { path: `/tmp/${pvName}` }, claimRef: { namespace: ns, name: "data" } },
    });
    await create(GVR.persistentVolumeClaims, {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: "data", namespace: ns },
      spec: { accessModes: ["ReadWriteOnce"], storageClassName: "manual", volumeName: pvName, resources: { requests: { storage: "1Gi" } } },
    });
    await create(GVR.pods, {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "standalone", namespace: ns, labels: { role: "tool" } },
      spec: { serviceAccountName: "runner", containers: [{ name: "tool", image: "busybox:1.36", command: ["sleep", "3600"], volumeMounts: [{ name: "data", mountPath: "/data" }] }], volumes: [{ name: "data", persistentVolumeClaim: { claimName: "data" } }] },
    });
    await waitFor("PVC bound", async () => ((await kube.get(GVR.persistentVolumeClaims, "data", ns))?.status as { phase?: string } | undefined)?.phase === "Bound" || undefined, 60_000);
    await waitFor("pods running", async () => {
      const pods = (await kube.list(GVR.pods, { namespace: ns })).items;
      return pods.length === 3 && pods.every((p) => (p.status as { phase?: string }).phase === "Running") ? true : undefined;
    });
    for (const k of kinds) before.set(k.kind, (await kube.get(k.gvr, k.name, k.namespaced ? ns : undefined)) as UnstructuredItem);

    // The PV comes along as the PVC's additional item (velero.io/pv on backup, velero.io/pvc on restore).
    await server.backupWithEngine(`full-${ns}`, { includedNamespaces: [ns] });
    await deleteNamespaceAndWait(kube, ns);
    await kube.delete(GVR.persistentVolumes, pvName);
    await waitFor("PV deleted", async () => ((await kube.get(GVR.persistentVolumes, pvName)) ? undefined : true));

    restore = await server.restore(`full-${ns}`, { backupName: `full-${ns}`, includedNamespaces: [ns] });
  });

  it("completes without errors and uploads Velero's restore files", async () => {
    const results = await server.restoreFile<{ errors: unknown; warnings: unknown }>(`full-${ns}`, "results");
    expect(results?.errors).toEqual({});
    expect(restore.status?.phase).toBe("Completed");
    expect(restore.status, "no errors (a zero count is left out, as Go writes it)").not.toHaveProperty("errors");
    const list = await server.restoreFile<Record<string, string[]>>(`full-${ns}`, "resource-list");
    expect(list?.["v1/ConfigMap"]).toContain(`${ns}/settings(created)`);
    expect(list?.["v1/PersistentVolume"]).toEqual([`${pvName}(created)`]);
    expect(list?.["v1/Namespace"]).toEqual([`${ns}(created)`]);
    expect(restore.status?.progress?.itemsRestored).toBe(restore.status?.progress?.totalItems);
    expect(await server.restoreFile<string>(`full-${ns}`, "logs")).toMatch(/restore completed/);
  });

  it("recreates the namespace with its labels", async () => {
    const namespace = await kube.get(GVR.namespaces, ns);
    expect(namespace?.metadata.labels).toMatchObject({ team: "blue" });
  });

  it.each(["ConfigMap", "Secret", "ServiceAccount", "Role", "RoleBinding", "Service", "Deployment", "Pod", "PersistentVolumeClaim", "PersistentVolume"])(
    "restores the %s with the same content and the restore labels",
    async (kind) => {
      const k = kinds.find((x) => x.kind === kind)!;
      const after = (await kube.get(k.gvr, k.name, k.namespaced ? ns : undefined)) as UnstructuredItem;
      expect(after, `${kind} ${k.name} exists again`).toBeDefined();
      expect(after.metadata.labels).toMatchObject({ "velero.io/restore-name": `full-${ns}`, "velero.io/backup-name": `full-${ns}` });
      expect(normalize(kind, after)).toEqual(normalize(kind, before.get(kind)!));
    },
  );

  it("puts the backed-up managedFields back, as Velero does (the restore is not recorded as the only writer)", async () => {
    const managers = (o: UnstructuredItem | undefined) => (o?.metadata.managedFields ?? []).map((f) => `${f.manager}:${f.operation}`);
    expect(managers(before.get("ConfigMap"))).toEqual(["app-deployer:Update"]);
    expect(managers(await kube.get(GVR.configMaps, "settings", ns))).toEqual(["app-deployer:Update"]);
    expect((await server.restoreFile<string>(`full-${ns}`, "logs")) ?? "").toContain(`the managed fields for ${ns}/settings is patched`);
  });

  it("runs the pods again (kwok) and rebinds the PVC to the restored PV", async () => {
    await waitFor("restored pods running", async () => {
      const pods = (await kube.list(GVR.pods, { namespace: ns })).items;
      return pods.length >= 3 && pods.every((p) => (p.status as { phase?: string }).phase === "Running") ? true : undefined;
    });
    const pvc = await waitFor("restored PVC bound", async () => {
      const c = await kube.get(GVR.persistentVolumeClaims, "data", ns);
      return (c?.status as { phase?: string } | undefined)?.phase === "Bound" ? c : undefined;
    });
    expect((pvc.spec as { volumeName: string }).volumeName).toBe(pvName);
    const pv = await kube.get(GVR.persistentVolumes, pvName);
    expect((pv?.status as { phase?: string }).phase).toBe("Bound");
    expect((pv?.spec as { claimRef: { uid: string } }).claimRef.uid).toBe(pvc.metadata.uid);
  });
});
