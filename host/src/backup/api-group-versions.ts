/**
 * The served versions a backup lists. By default only each resource's preferred version (Velero's
 * discovery helper uses ServerPreferredResources). With the EnableAPIGroupVersions feature every
 * served version of each group is listed (ServerGroupsAndResources): the items of the preferred
 * version go to `resources/<gr>/…` and `resources/<gr>/<v>-preferredversion/…`, the items of any
 * other version only to `resources/<gr>/<v>/…` (the item backupper decides that from `preferred`).
 */
import type { ApiResource } from "../kube/client.js";
import { groupResourceString } from "../kube/gvr.js";
import type { ResourceCatalog } from "./resources.js";

export interface ResourceVersion {
  /** The resource at the version to LIST. */
  listed: ApiResource;
  /**
   * The resource at its preferred version (the catalog's): the group's preferred version, or, for a
   * resource the preferred version does not serve, its first served version.
   */
  preferred: ApiResource;
}

/**
 * In backup order; with every version, each resource's other versions (in discovery order) follow
 * its preferred one. Velero lists group version after group version, but adds all versions of an
 * item to the item block of its first one, so its items are backed up in this order too.
 */
export function resourceVersionsToBackUp(catalog: ResourceCatalog, allGroupVersions: boolean): ResourceVersion[] {
  if (!allGroupVersions) return catalog.resources.map((r) => ({ listed: r, preferred: r }));
  const others = new Map<string, ApiResource[]>();
  for (const r of catalog.allVersions) {
    const gr = groupResourceString(r.group, r.resource);
    if (catalog.byGroupResource(gr)?.version === r.version) continue;
    others.set(gr, [...(others.get(gr) ?? []), r]);
  }
  return catalog.resources.flatMap((preferred) => [
    { listed: preferred, preferred },
    ...(others.get(groupResourceString(preferred.group, preferred.resource)) ?? []).map((listed) => ({ listed, preferred })),
  ]);
}
