/**
 * Restore order (velero-compat.md 6.1): the high-priority list first, then every other resource
 * of the backup alphabetically by its tarball directory name, then the low-priority list.
 */

export interface RestorePriorities {
  high: string[];
  low: string[];
}

export const DEFAULT_RESTORE_PRIORITIES: Readonly<RestorePriorities> = Object.freeze({
  high: [
    "customresourcedefinitions",
    "namespaces",
    "storageclasses",
    "volumesnapshotclass.snapshot.storage.k8s.io",
    "volumesnapshotcontents.snapshot.storage.k8s.io",
    "volumesnapshots.snapshot.storage.k8s.io",
    "datauploads.velero.io",
    "persistentvolumes",
    "persistentvolumeclaims",
    "clusterroles",
    "roles",
    "serviceaccounts",
    "clusterrolebindings",
    "rolebindings",
    "secrets",
    "configmaps",
    "limitranges",
    "priorityclasses",
    "pods",
    "replicasets.apps",
    "clusterclasses.cluster.x-k8s.io",
    "endpoints",
    "services",
  ],
  low: [
    "clusterbootstraps.run.tanzu.vmware.com",
    "clusters.cluster.x-k8s.io",
    "clusterresourcesets.addons.cluster.x-k8s.io",
    "apps.kappctrl.k14s.io",
    "packageinstalls.packaging.carvel.dev",
  ],
});

/**
 * Parses the `--restore-resource-priorities` value as Velero's Priorities.Set does, over the
 * defaults: a comma list where a single `-` separates the high list from the low list, and only
 * the part given replaces its default (`a,b` replaces the high list and keeps the default low
 * list; `-,x` replaces the low list alone; `-` alone keeps both).
 */
export function parseRestorePriorities(value: string, base: Readonly<RestorePriorities> = DEFAULT_RESTORE_PRIORITIES): RestorePriorities {
  const out = { high: [...base.high], low: [...base.low] };
  if (value === "") return out;
  const items = value.split(",").map((s) => s.trim());
  if (items.filter((s) => s === "-").length > 1) throw new Error(`multiple priority separator "-" found in --restore-resource-priorities "${value}"`);
  const at = items.indexOf("-");
  if (at < 0) return { ...out, high: items };
  if (at > 0) out.high = items.slice(0, at);
  if (at < items.length - 1) out.low = items.slice(at + 1);
  return out;
}

/**
 * The resources to walk, in order. Entries may appear twice (a priority name that is not yet
 * resolved, and the backup's directory name); the restorer de-duplicates after resolving.
 */
export function orderedResources(priorities: RestorePriorities, backupResources: Iterable<string>): string[] {
  const prioritized = new Set([...priorities.high, ...priorities.low]);
  const rest = [...backupResources].filter((r) => !prioritized.has(r)).sort();
  return [...priorities.high, ...rest, ...priorities.low];
}
