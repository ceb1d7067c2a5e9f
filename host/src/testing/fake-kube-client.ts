/**
 * An in-memory KubeClient: objects per resource, merge patches, resourceVersions, watches fed by
 * every write, label-selector lists, and a programmable exec. Records every write for assertions.
 */
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import type { ApiResource, DiscoveryFailure, GroupVersionResource, KubeClient, ListOptions, ListPage, WatchEvent, WatchHandle } from "../kube/client.js";
import { KubeApiError } from "../kube/errors.js";
import { parseLabelSelector } from "../kube/labels.js";
import { applyMergePatch } from "../kube/merge-patch.js";

export interface RecordedAction {
  verb: "create" | "update" | "patch" | "patchStatus" | "apply" | "delete";
  resource: string;
  namespace: string | undefined;
  name: string;
  patch?: object;
}

export type ExecHandler = (input: {
  namespace: string;
  pod: string;
  container: string;
  command: string[];
  timeoutMs: number;
}) => Promise<{ stdout: string; stderr: string; exitCode: number }>;

interface Watcher {
  gvrKey: string;
  namespace?: string;
  selector?: string;
  onEvent: (event: WatchEvent) => void;
  resolve: () => void;
}

/** Default discovery: the core kinds the engine and the controllers touch, plus Velero's CRDs. */
export const DEFAULT_FAKE_RESOURCES: ApiResource[] = [
  res("", "v1", "namespaces", "Namespace", false),
  res("", "v1", "pods", "Pod", true),
  res("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true),
  res("", "v1", "persistentvolumes", "PersistentVolume", false),
  res("", "v1", "configmaps", "ConfigMap", true),
  res("", "v1", "secrets", "Secret", true),
  res("", "v1", "services", "Service", true),
  res("", "v1", "serviceaccounts", "ServiceAccount", true),
  res("apps", "v1", "deployments", "Deployment", true),
  res("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false),
  res("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", false),
  res("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", false),
  ...[
    ["backups", "Backup"],
    ["restores", "Restore"],
    ["schedules", "Schedule"],
    ["backupstoragelocations", "BackupStorageLocation"],
    ["volumesnapshotlocations", "VolumeSnapshotLocation"],
    ["deletebackuprequests", "DeleteBackupRequest"],
    ["downloadrequests", "DownloadRequest"],
    ["serverstatusrequests", "ServerStatusRequest"],
    ["podvolumebackups", "PodVolumeBackup"],
  ].map(([r, k]) => res("velero.io", "v1", r as string, k as string, true)),
];

export function res(group: string, version: string, resource: string, kind: string, namespaced: boolean, preferred = true): ApiResource {
  return {
    group,
    version,
    resource,
    kind,
    namespaced,
    verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
    shortNames: [],
    preferred,
  };
}

const gvrKey = (gvr: GroupVersionResource): string => `${gvr.group}/${gvr.resource}`;
const objKey = (namespace: string | undefined, name: string): string => `${namespace ?? ""}/${name}`;

export class FakeKubeClient implements KubeClient {
  readonly actions: RecordedAction[] = [];
  resources: ApiResource[];
  version = { gitVersion: "v1.36.3", major: "1", minor: "36" };
  execHandler: ExecHandler = async () => ({ stdout: "", stderr: "", exitCode: 0 });
  /** Makes the next matching call fail: (verb, resource) → error. */
  failures: { verb: string; resource: string; error: Error; times: number }[] = [];
  discoverCalls = 0;
  readonly #store = new Map<string, Map<string, UnstructuredItem>>();
  readonly #watchers = new Set<Watcher>();
  #rv = 1;
  #uid = 1;

  constructor(resources: ApiResource[] = DEFAULT_FAKE_RESOURCES) {
    this.resources = resources;
  }

  // ---- test helpers --------------------------------------------------------------------------

  /** Puts objects in place without recording actions or firing watches. */
  seed(gvr: GroupVersionResource, ...objects: (UnstructuredItem | { apiVersion?: string; kind?: string; metadata?: object })[]): this {
    for (const o of objects) this.#put(gvr, this.#stamp(structuredClone(o) as UnstructuredItem), false);
    return this;
  }

  /** The stored object (a copy), or undefined. */
  peek<T = UnstructuredItem>(gvr: GroupVersionResource, name: string, namespace?: string): T | undefined {
    const o = this.#bucket(gvr).get(objKey(namespace, name));
    return o ? (structuredClone(o) as T) : undefined;
  }

  all(gvr: GroupVersionResource): UnstructuredItem[] {
    return [...this.#bucket(gvr).values()].map((o) => structuredClone(o));
  }

  failNext(verb: string, resource: string, error: Error, times = 1): void {
    this.failures.push({ verb, resource, error, times });
  }

  // ---- KubeClient ----------------------------------------------------------------------------

  /** What discoveryFailures() answers (a group version whose API service is down, say). */
  failedDiscovery: DiscoveryFailure[] = [];

  async discoveryFailures(): Promise<DiscoveryFailure[]> {
    return this.failedDiscovery.map((f) => ({ ...f }));
  }

  async discover(): Promise<ApiResource[]> {
    this.discoverCalls++;
    this.#maybeFail("discover", "*");
    return this.resources.map((r) => ({ ...r }));
  }

  invalidateDiscovery(): void {}

  async serverVersion(): Promise<{ gitVersion: string; major: string; minor: string }> {
    return { ...this.version };
  }

  async get(gvr: GroupVersionResource, name: string, namespace?: string): Promise<UnstructuredItem | undefined> {
    this.#maybeFail("get", gvr.resource);
    const o = this.#bucket(gvr).get(objKey(namespace, name));
    return o ? this.#withVersion(gvr, o) : undefined;
  }

  async list(gvr: GroupVersionResource, options: ListOptions = {}): Promise<{ items: UnstructuredItem[]; resourceVersion: string }> {
    this.#maybeFail("list", gvr.resource);
    const selector = options.labelSelector ? parseLabelSelector(options.labelSelector) : undefined;
    const items = [...this.#bucket(gvr).values()]
      .filter((o) => !options.namespace || o.metadata.namespace === options.namespace)
      .filter((o) => !selector || selector.matches(o.metadata.labels))
      .sort((a, b) => objKey(a.metadata.namespace, a.metadata.name).localeCompare(objKey(b.metadata.namespace, b.metadata.name)))
      .map((o) => this.#withVersion(gvr, o));
    return { items: options.maxItems !== undefined ? items.slice(0, options.maxItems) : items, resourceVersion: String(this.#rv) };
  }

  /** The page size listPages uses (--client-page-size; 0: one page). Undefined: 500. */
  listPageSize: number | undefined = undefined;
  /** Pages listPages has produced (each one LIST request to a real API server). */
  pagesListed = 0;

  /** list()'s items as of the first page, `limit` (else listPageSize) at a time; "list-page" failures hit the pages after the first. */
  async *listPages(gvr: GroupVersionResource, options: ListOptions = {}): AsyncGenerator<ListPage> {
    const { items, resourceVersion } = await this.list(gvr, options);
    const size = options.limit ?? this.listPageSize ?? 500;
    const step = size > 0 ? size : Math.max(items.length, 1);
    for (let i = 0; i === 0 || i < items.length; i += step) {
      if (i > 0) this.#maybeFail("list-page", gvr.resource);
      this.pagesListed++;
      yield { items: items.slice(i, i + step), resourceVersion };
    }
  }

  async create(gvr: GroupVersionResource, object: UnstructuredItem): Promise<UnstructuredItem> {
    this.#maybeFail("create", gvr.resource);
    const o = structuredClone(object);
    if (!o.metadata.name && o.metadata.generateName) o.metadata.name = `${o.metadata.generateName}${(this.#uid++).toString(36)}`;
    if (this.#bucket(gvr).has(objKey(o.metadata.namespace, o.metadata.name))) {
      throw new KubeApiError({ statusCode: 409, reason: "AlreadyExists", message: `${gvr.resource} "${o.metadata.name}" already exists` });
    }
    this.#record("create", gvr, o.metadata.namespace, o.metadata.name);
    return this.#put(gvr, this.#stamp(o), true);
  }

  async update(gvr: GroupVersionResource, object: UnstructuredItem): Promise<UnstructuredItem> {
    this.#maybeFail("update", gvr.resource);
    const current = this.#require(gvr, object.metadata.name, object.metadata.namespace);
    if (object.metadata.resourceVersion && object.metadata.resourceVersion !== current.metadata.resourceVersion) {
      throw new KubeApiError({ statusCode: 409, reason: "Conflict", message: `the object has been modified` });
    }
    this.#record("update", gvr, object.metadata.namespace, object.metadata.name);
    const next = structuredClone(object);
    next.metadata.uid = current.metadata.uid;
    next.metadata.creationTimestamp = current.metadata.creationTimestamp;
    return this.#put(gvr, next, true);
  }

  async patch(gvr: GroupVersionResource, name: string, namespace: string | undefined, patch: object): Promise<UnstructuredItem> {
    this.#maybeFail("patch", gvr.resource);
    const current = this.#require(gvr, name, namespace);
    // as the API server: metadata.uid is immutable, so a patch naming another uid is refused
    const uid = (patch as { metadata?: { uid?: string } }).metadata?.uid;
    if (uid !== undefined && uid !== current.metadata.uid) {
      throw new KubeApiError({ statusCode: 422, reason: "Invalid", message: `${gvr.resource} "${name}" is invalid: metadata.uid: Invalid value: "${uid}": field is immutable` });
    }
    // as the API server: a patch naming a resourceVersion applies only to that version
    const resourceVersion = (patch as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion;
    if (resourceVersion !== undefined && resourceVersion !== current.metadata.resourceVersion) {
      throw new KubeApiError({ statusCode: 409, reason: "Conflict", message: `Operation cannot be fulfilled on ${gvr.resource} "${name}": the object has been modified; please apply your changes to the latest version and try again` });
    }
    this.#record("patch", gvr, namespace, name, patch);
    return this.#put(gvr, applyMergePatch(current, patch) as UnstructuredItem, true);
  }

  async patchStatus(gvr: GroupVersionResource, name: string, namespace: string | undefined, patch: object): Promise<UnstructuredItem> {
    this.#maybeFail("patchStatus", gvr.resource);
    const current = this.#require(gvr, name, namespace);
    this.#record("patchStatus", gvr, namespace, name, patch);
    const status = (patch as { status?: unknown }).status;
    return this.#put(gvr, applyMergePatch(current, { status }) as UnstructuredItem, true);
  }

  async apply(gvr: GroupVersionResource, object: UnstructuredItem): Promise<UnstructuredItem> {
    this.#maybeFail("apply", gvr.resource);
    this.#record("apply", gvr, object.metadata.namespace, object.metadata.name);
    const current = this.#bucket(gvr).get(objKey(object.metadata.namespace, object.metadata.name));
    const merged = current ? (applyMergePatch(current, object) as UnstructuredItem) : this.#stamp(structuredClone(object));
    if (gvr.resource === "customresourcedefinitions") {
      merged.status = { conditions: [{ type: "Established", status: "True" }] };
    }
    return this.#put(gvr, merged, true);
  }

  async delete(gvr: GroupVersionResource, name: string, namespace?: string): Promise<void> {
    this.#maybeFail("delete", gvr.resource);
    const key = objKey(namespace, name);
    const current = this.#bucket(gvr).get(key);
    if (!current) return;
    this.#record("delete", gvr, namespace, name);
    this.#bucket(gvr).delete(key);
    this.#notify(gvr, { type: "DELETED", object: this.#withVersion(gvr, current) });
  }

  async watch(
    gvr: GroupVersionResource,
    options: ListOptions & { resourceVersion?: string },
    onEvent: (event: WatchEvent) => void,
  ): Promise<WatchHandle> {
    this.#maybeFail("watch", gvr.resource);
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    const watcher: Watcher = { gvrKey: gvrKey(gvr), namespace: options.namespace, selector: options.labelSelector, onEvent, resolve };
    this.#watchers.add(watcher);
    return {
      stop: () => {
        this.#watchers.delete(watcher);
        resolve();
      },
      done,
    };
  }

  /** Ends every open watch as if the server closed it. */
  closeWatches(): void {
    for (const w of this.#watchers) w.resolve();
    this.#watchers.clear();
  }

  get openWatches(): number {
    return this.#watchers.size;
  }

  /** Container logs served by podLogs(): "namespace/pod/container" → text. */
  readonly containerLogs = new Map<string, string>();

  async podLogs(namespace: string, pod: string, container: string): Promise<string> {
    this.#maybeFail("logs", "pods");
    if (!this.#bucket({ group: "", version: "v1", resource: "pods" }).has(objKey(namespace, pod))) {
      throw new KubeApiError({ statusCode: 404, reason: "NotFound", message: `pods "${pod}" not found` });
    }
    const text = this.containerLogs.get(`${namespace}/${pod}/${container}`);
    if (text === undefined) throw new KubeApiError({ statusCode: 400, reason: "BadRequest", message: `container ${container} is not valid for pod ${pod}` });
    return text;
  }

  async exec(input: { namespace: string; pod: string; container: string; command: string[]; timeoutMs: number }): Promise<{
    stdout: string;
    stderr: string;
    exitCode: number;
  }> {
    return this.execHandler(input);
  }

  // ---- internals -----------------------------------------------------------------------------

  #bucket(gvr: GroupVersionResource): Map<string, UnstructuredItem> {
    let b = this.#store.get(gvrKey(gvr));
    if (!b) this.#store.set(gvrKey(gvr), (b = new Map()));
    return b;
  }

  #stamp(o: UnstructuredItem): UnstructuredItem {
    o.metadata.uid ??= `uid-${this.#uid++}`;
    o.metadata.creationTimestamp ??= new Date(Date.UTC(2024, 0, 1)).toISOString().replace(".000Z", "Z");
    return o;
  }

  #put(gvr: GroupVersionResource, o: UnstructuredItem, notify: boolean): UnstructuredItem {
    const key = objKey(o.metadata.namespace, o.metadata.name);
    const existed = this.#bucket(gvr).has(key);
    o.metadata.resourceVersion = String(++this.#rv);
    this.#bucket(gvr).set(key, o);
    const out = this.#withVersion(gvr, o);
    if (notify) this.#notify(gvr, { type: existed ? "MODIFIED" : "ADDED", object: out });
    return structuredClone(out);
  }

  #withVersion(gvr: GroupVersionResource, o: UnstructuredItem): UnstructuredItem {
    const c = structuredClone(o);
    const r = this.resources.find((x) => x.group === gvr.group && x.resource === gvr.resource && x.version === gvr.version);
    c.apiVersion = gvr.group ? `${gvr.group}/${gvr.version}` : gvr.version;
    if (r) c.kind = r.kind;
    return c;
  }

  #require(gvr: GroupVersionResource, name: string, namespace: string | undefined): UnstructuredItem {
    const o = this.#bucket(gvr).get(objKey(namespace, name));
    if (!o) throw new KubeApiError({ statusCode: 404, reason: "NotFound", message: `${gvr.resource} "${name}" not found` });
    return o;
  }

  #record(verb: RecordedAction["verb"], gvr: GroupVersionResource, namespace: string | undefined, name: string, patch?: object): void {
    this.actions.push({ verb, resource: gvr.resource, namespace, name, ...(patch ? { patch: structuredClone(patch) } : {}) });
  }

  #notify(gvr: GroupVersionResource, event: WatchEvent): void {
    for (const w of this.#watchers) {
      if (w.gvrKey !== gvrKey(gvr)) continue;
      if (w.namespace && event.object.metadata.namespace !== w.namespace) continue;
      if (w.selector && !parseLabelSelector(w.selector).matches(event.object.metadata.labels)) continue;
      w.onEvent({ type: event.type, object: structuredClone(event.object) });
    }
  }

  #maybeFail(verb: string, resource: string): void {
    const f = this.failures.find((x) => x.verb === verb && (x.resource === resource || x.resource === "*"));
    if (!f) return;
    if (--f.times <= 0) this.failures = this.failures.filter((x) => x !== f);
    throw f.error;
  }
}
