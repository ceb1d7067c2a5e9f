/**
 * Resolves user-facing resource names ("po", "deploy", "deployments.apps",
 * "volumesnapshotclass.snapshot.storage.k8s.io") to served group/version/resources through
 * discovery, the way Velero's discovery helper (a shortcut-expanding priority REST mapper) does:
 * the core group wins ties, then discovery order, and the group's preferred version is returned.
 */
import type { ApiResource, GroupVersionResource, KubeClient } from "../kube/client.js";
import { resourcesNamed } from "../kube/resource-names.js";
import { groupResourceString, parseApiVersion, parseGroupResource } from "../kube/gvr.js";

export { groupResourceString, parseApiVersion, parseGroupResource };

export interface ResolvedResource {
  gvr: GroupVersionResource;
  namespaced: boolean;
  kind: string;
  /** "resource.group" as used by filters and the tarball layout. */
  groupResource: string;
}

export interface ServedGroup {
  name: string;
  preferredVersion: string;
  /** Served versions, preferred first. */
  versions: string[];
}

export class ResourceResolver {
  readonly #kube: KubeClient;
  #resources: ApiResource[] | undefined;
  #loadedOnce = false;
  /** First resource per "group/version/resource" and per "group/version/Kind", for the per-item lookups; rebuilt when the list changes. */
  #index: { of: ApiResource[]; byResource: Map<string, ApiResource>; byKind: Map<string, ApiResource> } | undefined;

  constructor(kube: KubeClient) {
    this.#kube = kube;
  }

  /** Forgets cached discovery (after restoring CRDs). */
  async refresh(): Promise<void> {
    this.#kube.invalidateDiscovery();
    this.#resources = undefined;
    await this.#load();
  }

  async #load(): Promise<ApiResource[]> {
    if (!this.#resources) {
      // Each restore starts from fresh discovery: a CRD or an aggregated API may have come or gone
      // since the client's cached answer.
      if (!this.#loadedOnce) this.#kube.invalidateDiscovery();
      this.#loadedOnce = true;
      this.#resources = (await this.#kube.discover()).filter((r) => !r.resource.includes("/"));
    }
    return this.#resources;
  }

  /** Resolves a resource name as Velero does (resourcesNamed: plural, singular or short name, optionally ".group"). */
  async resolve(name: string): Promise<ResolvedResource | undefined> {
    const candidates = resourcesNamed(await this.#load(), name);
    if (candidates.length === 0) return undefined;
    const byPriority = (r: ApiResource): number => (r.group === "" ? 0 : 1) * 2 + (r.preferred ? 0 : 1);
    const best = [...candidates].sort((a, b) => byPriority(a) - byPriority(b))[0] as ApiResource;
    return toResolved(best);
  }

  /** The served resource for a group/version/kind (used when an action changed an item's kind). */
  async kindFor(group: string, version: string, kind: string): Promise<ResolvedResource | undefined> {
    const match = (await this.#indexed()).byKind.get(`${group}/${version}/${kind}`);
    return match ? toResolved(match) : undefined;
  }

  /** The resource as served at an exact group/version, if it is. */
  async served(group: string, version: string, resource: string): Promise<ResolvedResource | undefined> {
    const match = (await this.#indexed()).byResource.get(`${group}/${version}/${resource}`);
    return match ? toResolved(match) : undefined;
  }

  async #indexed(): Promise<{ byResource: Map<string, ApiResource>; byKind: Map<string, ApiResource> }> {
    const all = await this.#load();
    if (this.#index?.of !== all) {
      const byResource = new Map<string, ApiResource>();
      const byKind = new Map<string, ApiResource>();
      for (const r of all) {
        const gv = `${r.group}/${r.version}/`;
        if (!byResource.has(gv + r.resource)) byResource.set(gv + r.resource, r);
        if (!byKind.has(gv + r.kind)) byKind.set(gv + r.kind, r);
      }
      this.#index = { of: all, byResource, byKind };
    }
    return this.#index;
  }

  /** Served versions of an API group (empty when the group is not served). */
  async group(name: string): Promise<ServedGroup | undefined> {
    const all = (await this.#load()).filter((r) => r.group === name);
    if (all.length === 0) return undefined;
    const preferred = all.find((r) => r.preferred)?.version ?? (all[0] as ApiResource).version;
    const versions = [preferred, ...new Set(all.map((r) => r.version).filter((v) => v !== preferred))];
    return { name, preferredVersion: preferred, versions };
  }
}

function toResolved(r: ApiResource): ResolvedResource {
  return {
    gvr: { group: r.group, version: r.version, resource: r.resource },
    namespaced: r.namespaced,
    kind: r.kind,
    groupResource: groupResourceString(r.group, r.resource),
  };
}
