/**
 * The Kubernetes port. Only host/src/kube may import runtime values from @kubernetes/client-node;
 * everything else talks to the cluster through this interface (and FakeKubeClient in unit tests).
 */
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";

/** A served API resource as discovery reports it. */
export interface ApiResource {
  group: string;
  version: string;
  /** Plural lowercase name, e.g. "deployments". */
  resource: string;
  kind: string;
  namespaced: boolean;
  verbs: string[];
  shortNames: string[];
  /** The singular name discovery reports (CRDs may choose it); absent: the kind in lowercase, as client-go guesses. */
  singularName?: string;
  /** True when `version` is the group's preferred version. */
  preferred: boolean;
}

/** Identifies a resource type: group ("" for core), version and plural resource. */
export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

export interface ListOptions {
  /** Stop after this many items in total (no further pages). */
  maxItems?: number;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size; the client follows continue tokens until the list is complete. */
  limit?: number;
  /**
   * A lower bound on the list's state: the API server answers with the objects as of this
   * resourceVersion or newer (resourceVersionMatch=NotOlderThan). Without it, a LIST is a
   * consistent read of the latest state, as it also is where the server cannot serve the bound
   * promptly (before Kubernetes 1.31, or a resource that refused it).
   */
  notOlderThan?: string;
}

/** One page of a LIST. */
export interface ListPage {
  items: UnstructuredItem[];
  /** The list's resourceVersion as of this page. */
  resourceVersion: string;
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK";

export interface WatchEvent {
  type: WatchEventType;
  object: UnstructuredItem;
}

/** A running watch; stop() ends it. */
export interface WatchHandle {
  stop(): void;
  /** Resolves when the watch ends (stopped, or the server closed it); rejects on error. */
  done: Promise<void>;
}

/** A group version discovery could not read (an aggregated API whose server is down, say). */
export interface DiscoveryFailure {
  /** "group/version". */
  groupVersion: string;
  /** As client-go reports it, e.g. "stale GroupVersion discovery: metrics.k8s.io/v1beta1". */
  error: string;
}

export interface KubeClient {
  /** Discovery of every served resource (all versions), cached until invalidateDiscovery(). */
  discover(): Promise<ApiResource[]>;
  /** The LIST page size (--client-page-size; 0: no paging). Undefined: the default, 500. */
  readonly listPageSize?: number;
  /** The group versions the discovery that discover() answers from could not read. */
  discoveryFailures?(): Promise<DiscoveryFailure[]>;
  invalidateDiscovery(): void;
  /** Server version (gitVersion, major, minor). */
  serverVersion(): Promise<{ gitVersion: string; major: string; minor: string }>;
  get(gvr: GroupVersionResource, name: string, namespace?: string): Promise<UnstructuredItem | undefined>;
  list(gvr: GroupVersionResource, options?: ListOptions): Promise<{ items: UnstructuredItem[]; resourceVersion: string }>;
  /**
   * The same LIST a page at a time (`limit` items, else listPageSize), so that a large resource
   * is never held whole: each page is asked for when the consumer asks for it. A continue token
   * that expires while the pages are consumed does not fail the list.
   */
  listPages(gvr: GroupVersionResource, options?: ListOptions): AsyncIterable<ListPage>;
  /**
   * The size in bytes of the responses of the last complete LIST of `gvr` with these options
   * (namespace, selectors) this client made; undefined when it has made none it remembers. A hint
   * for how much a LIST will hold before it is made.
   */
  lastListBytes?(gvr: GroupVersionResource, options?: Pick<ListOptions, "namespace" | "labelSelector" | "fieldSelector">): number | undefined;
  create(gvr: GroupVersionResource, object: UnstructuredItem): Promise<UnstructuredItem>;
  /** Replaces the object (optimistic concurrency through metadata.resourceVersion). */
  update(gvr: GroupVersionResource, object: UnstructuredItem): Promise<UnstructuredItem>;
  /** JSON merge patch of the main resource. */
  patch(gvr: GroupVersionResource, name: string, namespace: string | undefined, patch: object): Promise<UnstructuredItem>;
  /** JSON merge patch of the status subresource. */
  patchStatus(gvr: GroupVersionResource, name: string, namespace: string | undefined, patch: object): Promise<UnstructuredItem>;
  /** Deleting a missing object succeeds. */
  delete(gvr: GroupVersionResource, name: string, namespace?: string, options?: { propagationPolicy?: "Foreground" | "Background" | "Orphan" }): Promise<void>;
  watch(
    gvr: GroupVersionResource,
    options: ListOptions & { resourceVersion?: string },
    onEvent: (event: WatchEvent) => void,
  ): Promise<WatchHandle>;
  /**
   * Server-side apply (PATCH application/apply-patch+yaml) of a whole object: creates it when
   * missing, otherwise takes ownership of the given fields. Used to install CRDs.
   */
  apply(gvr: GroupVersionResource, object: UnstructuredItem, options: { fieldManager: string; force?: boolean }): Promise<UnstructuredItem>;
  /** A container's log as the kubelet serves it (pods/log; the current container, not the previous one). */
  podLogs(namespace: string, pod: string, container: string): Promise<string>;
  /** Runs a command in a pod's container (pods/exec); resolves with its output and exit code. */
  exec(input: { namespace: string; pod: string; container: string; command: string[]; timeoutMs: number }): Promise<{ stdout: string; stderr: string; exitCode: number }>;
}
