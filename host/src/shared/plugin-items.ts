/**
 * What is wrong with an item a backup or restore item action returned, or undefined when it is a
 * usable Kubernetes object (apiVersion, kind and metadata.name set). A plugin bug otherwise surfaces
 * as a TypeError deep in the engine, or (in Velero) as an entry with an empty name in the tarball.
 */
export function returnedItemProblem(item: unknown): string | undefined {
  if (item === null || typeof item !== "object" || Array.isArray(item)) return `no Kubernetes object (got ${item === null ? "null" : Array.isArray(item) ? "an array" : typeof item})`;
  const { apiVersion, kind, metadata } = item as { apiVersion?: unknown; kind?: unknown; metadata?: unknown };
  if (metadata === null || typeof metadata !== "object" || Array.isArray(metadata)) return "an item without metadata";
  const missing = [
    typeof apiVersion === "string" && apiVersion ? undefined : "apiVersion",
    typeof kind === "string" && kind ? undefined : "kind",
    typeof (metadata as { name?: unknown }).name === "string" && (metadata as { name: string }).name ? undefined : "metadata.name",
  ].filter((f): f is string => f !== undefined);
  return missing.length > 0 ? `an item without ${missing.join(", ")}` : undefined;
}

/** The advice every such error ends with. */
export const RETURNED_ITEM_ADVICE = "an action must return the item it was given, changed or not (fix the plugin)";
