/**
 * What choosing the copy of a resource to restore needs (EnableAPIGroupVersions; the choice by
 * Velero's priorities is in api-group-versions.ts): the chosen version and its directory, Kubernetes
 * version order, and a resource directory's group. Without the feature every item is read at its
 * plain path, as in Velero.
 */
import { parseGroupResource } from "./discovery.js";

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

