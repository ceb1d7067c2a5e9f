/** JSON and YAML output of API objects (Velero's encode.Encode with the pretty serializer). */
import { stringify } from "yaml";

export type OutputFormat = "table" | "json" | "yaml";

export function encodeObject(obj: unknown, format: "json" | "yaml"): string {
  if (format === "json") return JSON.stringify(obj, null, 4) + "\n";
  return stringify(obj, { sortMapEntries: true, lineWidth: 0 });
}

/**
 * Wraps items in a List the way Velero prints `get -o json|yaml`; a single item prints on its own.
 */
export function listOrItem(kind: string, apiVersion: string, items: unknown[]): unknown {
  if (items.length === 1) return items[0];
  return { apiVersion, items, kind: `${kind}List`, metadata: { resourceVersion: "" } };
}
