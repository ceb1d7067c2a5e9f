/**
 * Picks which copy of a resource to restore when the tarball holds versioned copies
 * (`<ver>-preferredversion/`, `<ver>/`, format 1.1.0). Priorities, as in Velero's chooser:
 * 1. the target cluster's preferred version, if the backup has it;
 * 2. the backup's preferred version, if the target serves it;
 * 3. another version both sides have (target order);
 * otherwise, and whenever the backup has no versioned copies, the unversioned path.
 */
import { PREFERRED_VERSION_SUFFIX, type BackupResource } from "./backup-contents.js";
import { parseGroupResource, type ServedGroup } from "./discovery.js";

export interface ChosenVersion {
  version: string;
  /** Directory under `resources/<gr>/` holding the chosen copy. */
  dir: string;
}

/** Kubernetes version ordering (GA > beta > alpha, then by number), highest first. */
export function compareKubeVersions(a: string, b: string): number {
  const parse = (v: string): [number, number, number] | undefined => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return undefined;
    const stability = m[2] === undefined ? 2 : m[2] === "beta" ? 1 : 0;
    return [stability, Number(m[1]), Number(m[3] ?? 0)];
  };
  const pa = parse(a);
  const pb = parse(b);
  // Non-Kubernetes versions sort after the others, in byte order (apimachinery's strings.Compare).
  if (!pa && !pb) return a < b ? -1 : a > b ? 1 : 0;
  if (!pa) return 1;
  if (!pb) return -1;
  for (let i = 0; i < 3; i++) {
    const d = (pb[i] as number) - (pa[i] as number);
    if (d !== 0) return d;
  }
  return 0;
}

export function groupOfResourceDir(groupResource: string): string {
  return parseGroupResource(groupResource).group;
}

export function chooseVersion(resource: BackupResource, target: ServedGroup | undefined): ChosenVersion | undefined {
  if (resource.versionDirs.length === 0) return undefined;
  const source = resource.versionDirs.map((dir) =>
    dir.endsWith(PREFERRED_VERSION_SUFFIX) ? { version: dir.slice(0, -PREFERRED_VERSION_SUFFIX.length), dir, preferred: true } : { version: dir, dir, preferred: false },
  );
  const sourcePreferred = source.find((s) => s.preferred);
  if (!target || target.versions.length === 0) return sourcePreferred ? { version: sourcePreferred.version, dir: sourcePreferred.dir } : undefined;
  const find = (version: string): { version: string; dir: string } | undefined => {
    const hit = source.filter((s) => s.version === version);
    return hit.find((s) => s.preferred) ?? hit[0];
  };
  const p1 = find(target.preferredVersion);
  if (p1) return { version: p1.version, dir: p1.dir };
  if (sourcePreferred && target.versions.includes(sourcePreferred.version)) return { version: sourcePreferred.version, dir: sourcePreferred.dir };
  const targetSorted = [...target.versions].sort(compareKubeVersions);
  for (const v of targetSorted) {
    const hit = find(v);
    if (hit) return { version: hit.version, dir: hit.dir };
  }
  return undefined;
}
