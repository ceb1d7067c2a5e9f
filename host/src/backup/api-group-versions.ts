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
   * The resource at the version Velero's REST mapper resolves for it: the group's preferred
   * version, or, for a resource the preferred version does not serve, its first served version.
   */
  preferred: ApiResource;
}

export function resourceVersionsToBackUp(catalog: ResourceCatalog, allGroupVersions: boolean): ResourceVersion[] {
  if (!allGroupVersions) return catalog.resources.map((r) => ({ listed: r, preferred: r }));
  const firstServed = new Map<string, ApiResource>();
  return catalog.allVersions.map((listed) => {
    const gr = groupResourceString(listed.group, listed.resource);
    let preferred = catalog.byGroupResource(gr) ?? firstServed.get(gr);
    if (!preferred) firstServed.set(gr, (preferred = listed));
    return { listed, preferred };
  });
}
