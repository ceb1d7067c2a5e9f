/**
 * The served resources a backup iterates over (Velero's discovery helper): the preferred version
 * of every resource that supports list/create/get/delete (for a resource the group's preferred
 * version does not serve, its first served version, as client-go's ServerPreferredResources), core
 * group first (pods, PVCs, PVs leading), "extensions" last; plus name resolution for filters
 * (resourcesNamed: plural, singular and short names, with or without ".group").
 */
import type { ApiResource, DiscoveryFailure, KubeClient } from "../kube/client.js";
import { groupResourceString } from "../kube/gvr.js";
import { resourcesNamed } from "../kube/resource-names.js";

const REQUIRED_VERBS = ["list", "create", "get", "delete"];

export class ResourceCatalog {
  /** Each resource at its preferred version, in backup order. */
  readonly resources: readonly ApiResource[];
  /** Every served (group, version, resource), all versions. */
  readonly all: readonly ApiResource[];
  /**
   * Every version of every backup-able resource, in backup order: groups as in `resources`, each
   * group's versions in discovery order (used with EnableAPIGroupVersions).
   */
  readonly allVersions: readonly ApiResource[];
  readonly #byGR = new Map<string, ApiResource>();
  readonly #resolved = new Map<string, ApiResource | null>();

  /** The group versions discovery could not read (their resources are not backed up). */
  readonly failures: readonly DiscoveryFailure[];

  constructor(discovered: ApiResource[], failures: readonly DiscoveryFailure[] = []) {
    this.all = discovered;
    this.failures = failures;
    const atPreferredVersion = new Set(discovered.filter((r) => r.preferred).map((r) => groupResourceString(r.group, r.resource)));
    const firstServed = new Set<string>();
    const preferred = discovered.filter((r) => {
      if (r.preferred) return true;
      const gr = groupResourceString(r.group, r.resource);
      if (atPreferredVersion.has(gr) || firstServed.has(gr)) return false;
      firstServed.add(gr);
      return true;
    });
    const backupable = (r: ApiResource): boolean => REQUIRED_VERBS.every((v) => r.verbs.includes(v));
    this.resources = orderForBackup(preferred.filter(backupable));
    this.allVersions = orderForBackup(discovered.filter(backupable));
    for (const r of this.resources) this.#byGR.set(groupResourceString(r.group, r.resource), r);
  }

  static async load(client: KubeClient): Promise<ResourceCatalog> {
    const resources = await client.discover();
    return new ResourceCatalog(resources, (await client.discoveryFailures?.()) ?? []);
  }

  /**
   * The preferred resource for a "resource[.group]" (plural, singular or short name, any case; the
   * group exactly as served), as client-go's RESTMapper resolves it; undefined when unknown.
   */
  resolve(name: string): ApiResource | undefined {
    const exact = this.#byGR.get(name);
    if (exact) return exact;
    let resolved = this.#resolved.get(name);
    if (resolved === undefined) {
      // Prefer the core group, then the first group in discovery order (kubectl's behaviour).
      const candidates = resourcesNamed(this.resources, name);
      resolved = candidates.find((c) => c.group === "") ?? candidates[0] ?? null;
      this.#resolved.set(name, resolved);
    }
    return resolved ?? undefined;
  }

  byGroupResource(gr: string): ApiResource | undefined {
    return this.#byGR.get(gr);
  }

  /** Canonical "resource.group" for a filter entry; the input itself when unknown (Velero keeps it). */
  canonical(name: string): string {
    const r = this.resolve(name);
    return r ? groupResourceString(r.group, r.resource) : name;
  }
}

function corePriority(resource: string): number {
  switch (resource) {
    case "pods":
      return 0;
    case "persistentvolumeclaims":
      return 1;
    case "persistentvolumes":
      return 2;
    default:
      return 3;
  }
}

function orderForBackup(resources: ApiResource[]): ApiResource[] {
  const groups: string[] = [];
  for (const r of resources) if (!groups.includes(r.group)) groups.push(r.group);
  groups.sort((a, b) => rank(a) - rank(b));
  const out: ApiResource[] = [];
  for (const g of groups) {
    const members = resources.filter((r) => r.group === g);
    if (g === "") members.sort((a, b) => corePriority(a.resource) - corePriority(b.resource));
    out.push(...members);
  }
  return out;
}

function rank(group: string): number {
  if (group === "") return 0;
  if (group === "extensions") return 2;
  return 1;
}
