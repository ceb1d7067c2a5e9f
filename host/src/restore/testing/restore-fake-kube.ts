/**
 * FakeKubeClient with the API-server behaviour the restore engine depends on: creates of
 * unserved resources and into missing namespaces fail with 404, `status` is dropped on create,
 * CRDs become Established (and their resources served) on create, and pods can start Running.
 */
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import type { ApiResource, GroupVersionResource } from "../../kube/client.js";
import { KubeApiError } from "../../kube/errors.js";
import { DEFAULT_FAKE_RESOURCES, FakeKubeClient, res } from "../../testing/fake-kube-client.js";

export const RESTORE_FAKE_RESOURCES: ApiResource[] = [
  ...DEFAULT_FAKE_RESOURCES,
  res("", "v1", "endpoints", "Endpoints", true),
  res("", "v1", "events", "Event", true),
  res("", "v1", "nodes", "Node", false),
  res("", "v1", "limitranges", "LimitRange", true),
  res("", "v1", "replicationcontrollers", "ReplicationController", true),
  res("apps", "v1", "replicasets", "ReplicaSet", true),
  res("apps", "v1", "statefulsets", "StatefulSet", true),
  res("apps", "v1", "daemonsets", "DaemonSet", true),
  res("batch", "v1", "jobs", "Job", true),
  res("batch", "v1", "cronjobs", "CronJob", true),
  res("rbac.authorization.k8s.io", "v1", "roles", "Role", true),
  res("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true),
  res("storage.k8s.io", "v1", "storageclasses", "StorageClass", false),
  res("storage.k8s.io", "v1", "csinodes", "CSINode", false),
  res("scheduling.k8s.io", "v1", "priorityclasses", "PriorityClass", false),
  res("events.k8s.io", "v1", "events", "Event", true),
  res("apiregistration.k8s.io", "v1", "apiservices", "APIService", false),
  res("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations", "MutatingWebhookConfiguration", false),
  res("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations", "ValidatingWebhookConfiguration", false),
  res("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", true, true),
  res("autoscaling", "v1", "horizontalpodautoscalers", "HorizontalPodAutoscaler", true, false),
].map((r) => (r.resource === "pods" ? { ...r, shortNames: ["po"] } : r.resource === "deployments" ? { ...r, shortNames: ["deploy"] } : r));

export const gvrOf = (group: string, version: string, resource: string): GroupVersionResource => ({ group, version, resource });

interface CrdSpec {
  group: string;
  names: { plural: string; kind: string; shortNames?: string[] };
  scope: string;
  versions?: { name: string; served?: boolean; storage?: boolean }[];
}

export class RestoreFakeKube extends FakeKubeClient {
  /** When true, created pods get status Running with running, ready containers (kwok-like). */
  podsRunOnCreate = false;
  /** Number of get calls before a created CRD reports Established (simulates the apiserver's delay). */
  crdEstablishAfterGets = 0;
  readonly #crdGets = new Map<string, number>();

  constructor(resources: ApiResource[] = RESTORE_FAKE_RESOURCES) {
    super(resources.map((r) => ({ ...r })));
  }

  #served(gvr: GroupVersionResource): ApiResource | undefined {
    return this.resources.find((r) => r.group === gvr.group && r.version === gvr.version && r.resource === gvr.resource);
  }

  override async create(gvr: GroupVersionResource, object: UnstructuredItem): Promise<UnstructuredItem> {
    const served = this.#served(gvr);
    if (!served) throw new KubeApiError({ statusCode: 404, reason: "NotFound", message: "the server could not find the requested resource" });
    const ns = object.metadata.namespace;
    if (served.namespaced) {
      if (!ns) throw new KubeApiError({ statusCode: 400, reason: "BadRequest", message: "the namespace of the object does not match the request" });
      if (!this.peek(gvrOf("", "v1", "namespaces"), ns)) {
        throw new KubeApiError({ statusCode: 404, reason: "NotFound", message: `namespaces "${ns}" not found` });
      }
    }
    const o = structuredClone(object);
    delete o.status;
    if (gvr.resource === "pods" && this.podsRunOnCreate) o.status = runningPodStatus(o);
    const created = await super.create(gvr, o);
    if (gvr.resource === "customresourcedefinitions") this.#serveCrd(created);
    return created;
  }

  override async get(gvr: GroupVersionResource, name: string, namespace?: string): Promise<UnstructuredItem | undefined> {
    const o = await super.get(gvr, name, namespace);
    if (o && gvr.resource === "customresourcedefinitions" && this.crdEstablishAfterGets > 0) {
      const seen = (this.#crdGets.get(name) ?? 0) + 1;
      this.#crdGets.set(name, seen);
      if (seen <= this.crdEstablishAfterGets) o.status = { conditions: [] };
    }
    return o;
  }

  #serveCrd(crd: UnstructuredItem): void {
    const spec = crd.spec as CrdSpec;
    const versions = spec.versions ?? [{ name: "v1", served: true, storage: true }];
    const storage = versions.find((v) => v.storage)?.name ?? versions[0]?.name;
    for (const v of versions) {
      if (v.served === false) continue;
      this.resources.push({
        ...res(spec.group, v.name, spec.names.plural, spec.names.kind, spec.scope === "Namespaced", v.name === storage),
        shortNames: spec.names.shortNames ?? [],
      });
    }
    this.seed(gvrOf("apiextensions.k8s.io", "v1", "customresourcedefinitions"), {
      ...crd,
      status: {
        conditions: [
          { type: "NamesAccepted", status: "True" },
          { type: "Established", status: "True" },
        ],
      },
    });
  }
}

function runningPodStatus(pod: UnstructuredItem): Record<string, unknown> {
  const containers = ((pod.spec as { containers?: { name: string }[] } | undefined)?.containers ?? []).map((c) => ({
    name: c.name,
    ready: true,
    state: { running: { startedAt: "2024-01-01T00:00:00Z" } },
  }));
  return { phase: "Running", containerStatuses: containers };
}
