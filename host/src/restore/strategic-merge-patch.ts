/**
 * Strategic merge patch for built-in Kubernetes kinds. Kubernetes derives the list merge keys
 * from the Go types' `patchMergeKey` tags; we carry the table of the lists that have one (by
 * field name, which is unambiguous for the built-in types except `ports`, resolved by shape).
 * Lists without a merge key are replaced, like in Kubernetes. Supported directives: `$patch`
 * (replace / delete / merge), `$retainKeys`, `$deleteFromPrimitiveList/<field>` and
 * `$setElementOrder/<field>` (accepted, order kept as merged). Custom resources have no schema in
 * Kubernetes either: they are rejected, as Velero does ("no kind registered").
 */
import { stringifyLosslessJson } from "@velero-ts/plugin-sdk";
import { deepClone } from "./metadata.js";
import { parseApiVersion } from "./discovery.js";

/** list field name -> merge key (or "" for merged primitive lists such as finalizers). */
const MERGE_KEYS: Readonly<Record<string, string>> = {
  containers: "name",
  initContainers: "name",
  ephemeralContainers: "name",
  volumes: "name",
  env: "name",
  volumeMounts: "mountPath",
  volumeDevices: "devicePath",
  imagePullSecrets: "name",
  hostAliases: "ip",
  ownerReferences: "uid",
  conditions: "type",
  topologySpreadConstraints: "topologyKey",
  resourceClaims: "name",
  schedulingGates: "name",
  secrets: "name",
  finalizers: "",
  subsets: "",
};

function mergeKeyFor(field: string, sample: unknown[]): string | undefined {
  if (field === "ports") {
    const first = sample.find((e) => typeof e === "object" && e !== null) as Record<string, unknown> | undefined;
    if (!first) return undefined;
    return "containerPort" in first ? "containerPort" : "port";
  }
  return Object.hasOwn(MERGE_KEYS, field) ? MERGE_KEYS[field] : undefined;
}

/** Groups whose kinds are compiled into Kubernetes (the only ones with a strategic-merge schema). */
export function isBuiltinApiGroup(group: string): boolean {
  return group === "" || !group.includes(".") || group.endsWith(".k8s.io");
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export class StrategicMergePatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StrategicMergePatchError";
  }
}

/** Applies a strategic merge patch to an item of a built-in kind, returning the new object. */
export function applyStrategicMergePatch(item: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const apiVersion = typeof item.apiVersion === "string" ? item.apiVersion : "";
  const { group } = parseApiVersion(apiVersion);
  if (!isBuiltinApiGroup(group)) {
    throw new StrategicMergePatchError(
      `strategic merge patch is not supported for ${apiVersion}/${String(item.kind)}: no kind registered in the scheme (use mergePatches or patches for custom resources)`,
    );
  }
  return mergeMap(deepClone(item), patch);
}

function mergeMap(original: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const directive = patch.$patch;
  if (directive === "replace") {
    const rest = { ...patch };
    delete rest.$patch;
    return deepClone(rest);
  }
  if (directive === "delete") return {};
  let out = original;
  const retain = patch.$retainKeys;
  if (Array.isArray(retain)) {
    out = Object.fromEntries(Object.entries(out).filter(([k]) => retain.includes(k)));
  }
  for (const [key, value] of Object.entries(patch)) {
    if (key === "$patch" || key === "$retainKeys" || key.startsWith("$setElementOrder/")) continue;
    if (key.startsWith("$deleteFromPrimitiveList/")) {
      const field = key.slice("$deleteFromPrimitiveList/".length);
      const current = out[field];
      if (Array.isArray(current) && Array.isArray(value)) out[field] = current.filter((e) => !value.includes(e));
      continue;
    }
    if (value === null) {
      delete out[key];
      continue;
    }
    const current = out[key];
    if (isObject(value)) {
      out[key] = isObject(value) && value.$patch === "delete" ? undefined : mergeMap(isObject(current) ? current : {}, value);
      if (out[key] === undefined) delete out[key];
    } else if (Array.isArray(value)) {
      out[key] = mergeList(key, Array.isArray(current) ? current : [], value);
    } else {
      out[key] = value;
    }
  }
  return out;
}

function mergeList(field: string, original: unknown[], patch: unknown[]): unknown[] {
  const replaceAll = patch.some((e) => isObject(e) && e.$patch === "replace");
  if (replaceAll) return deepClone(patch.filter((e) => !(isObject(e) && e.$patch === "replace")));
  const key = mergeKeyFor(field, [...patch, ...original]);
  if (key === undefined) return deepClone(patch);
  if (key === "") {
    const out = [...original];
    for (const e of patch) if (!out.some((o) => stringifyLosslessJson(o) === stringifyLosslessJson(e))) out.push(deepClone(e));
    return out;
  }
  const out = original.map((e) => deepClone(e));
  for (const element of patch) {
    if (!isObject(element) || !(key in element)) {
      throw new StrategicMergePatchError(`strategic merge patch: every element of "${field}" must have the merge key "${key}"`);
    }
    const at = out.findIndex((o) => isObject(o) && o[key] === element[key]);
    if (element.$patch === "delete") {
      if (at >= 0) out.splice(at, 1);
      continue;
    }
    if (at >= 0) out[at] = mergeMap(out[at] as Record<string, unknown>, element);
    else out.push(mergeMap({}, element));
  }
  return out;
}
