/**
 * Which served resources a filter entry such as "deploy", "Deployments", "gizmo" or
 * "hpa.autoscal" names, the way Velero resolves it (its discovery helper: client-go's shortcut
 * expander over a discovery RESTMapper): the plural or singular name as written; else a short
 * name, with its group as written or (short names only) a prefix of it; else the plural or
 * singular name in lower case. Groups are matched as written; the singular name is discovery's,
 * else the kind in lower case (client-go's guess).
 */
import type { ApiResource } from "./client.js";
import { parseGroupResource } from "./gvr.js";

export function resourcesNamed(all: readonly ApiResource[], name: string): ApiResource[] {
  const { resource, group } = parseGroupResource(name);
  const hasGroup = name.includes(".");
  const inGroup = (r: ApiResource): boolean => !hasGroup || r.group === group;
  const named = (r: ApiResource, n: string): boolean => r.resource === n || (r.singularName || r.kind.toLowerCase()) === n;
  const asWritten = all.filter((r) => inGroup(r) && named(r, resource));
  if (asWritten.length > 0) return asWritten;
  const short = all.filter((r) => inGroup(r) && r.shortNames.includes(resource));
  if (short.length > 0) return short;
  if (hasGroup) {
    const prefixed = all.filter((r) => r.group.startsWith(group) && r.shortNames.includes(resource));
    if (prefixed.length > 0) return prefixed;
  }
  const lower = resource.toLowerCase();
  return all.filter((r) => inGroup(r) && named(r, lower));
}
