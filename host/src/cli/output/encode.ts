/**
 * JSON and YAML output of API objects as Velero prints them (`get -o json|yaml`, `create -o ...`).
 *
 * Velero encodes its typed objects: JSON is indented by two spaces with the keys in Go struct
 * order (kind, apiVersion, metadata in ObjectMeta's order, spec, status; lists: kind, apiVersion,
 * metadata, items); YAML is the JSON converted by sigs.k8s.io/yaml, so keys are sorted, sequences
 * are not indented below their key, and strings a YAML 1.1 reader would take for something else
 * (timestamps, yes/no/on/off) are quoted. Backups and Schedules (and their lists) are encoded as
 * their typed Go values (persistence/go-backup-json.ts): byte for byte Velero's. For the other
 * kinds, what differs: within spec and status velero-ts keeps the API server's key order (Go: the
 * struct's) and prints what is stored (Go: zero values of fields without omitempty, and no
 * omitempty zeros); long YAML strings are not folded.
 */
import { Document, visit } from "../../shared/yaml.js";
import { encodeTypedVeleroObject } from "../../persistence/go-backup-json.js";

export type OutputFormat = "table" | "json" | "yaml";

/** ObjectMeta's fields in Go struct order. */
const OBJECT_META_ORDER = [
  "name",
  "generateName",
  "namespace",
  "selfLink",
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "labels",
  "annotations",
  "ownerReferences",
  "finalizers",
  "managedFields",
];
const TOP_LEVEL_ORDER = ["kind", "apiVersion", "metadata", "spec", "status", "items"];
/** ManagedFieldsEntry's fields in Go struct order. */
const MANAGED_FIELDS_ORDER = ["manager", "operation", "apiVersion", "time", "fieldsType", "fieldsV1", "subresource"];

function ordered(obj: Record<string, unknown>, order: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of order) if (key in obj) out[key] = obj[key];
  for (const [key, value] of Object.entries(obj)) if (!(key in out)) out[key] = value;
  return out;
}

/** An API object (or list) with its top-level and metadata keys in Go struct order. */
function goOrdered(obj: unknown): unknown {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) return obj;
  const top = ordered(obj as Record<string, unknown>, TOP_LEVEL_ORDER);
  if (top["metadata"] && typeof top["metadata"] === "object") {
    const metadata = ordered(top["metadata"] as Record<string, unknown>, OBJECT_META_ORDER);
    if (Array.isArray(metadata["managedFields"])) {
      metadata["managedFields"] = (metadata["managedFields"] as Record<string, unknown>[]).map((entry) => ordered(entry, MANAGED_FIELDS_ORDER));
    }
    top["metadata"] = metadata;
  }
  if (Array.isArray(top["items"])) top["items"] = (top["items"] as unknown[]).map(goOrdered);
  return top;
}

/**
 * Strings a YAML reader would take for something else: go-yaml writes them double-quoted (other
 * strings that need quotes, single-quoted). YAML 1.1 booleans and timestamps, and the 1.2 core
 * schema's null, booleans and numbers.
 */
const NOT_A_STRING = new RegExp(
  [
    "^$",
    "^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|true|True|TRUE|false|False|FALSE|null|Null|NULL|~)$",
    "^\\d{4}-\\d{1,2}-\\d{1,2}(?:(?:[Tt]|[ \\t]+)\\d{1,2}:\\d{2}:\\d{2}(?:\\.\\d*)?(?:[ \\t]*Z|[-+]\\d{1,2}(?::\\d{2})?)?)?$",
    "^[-+]?(?:\\d+|0o[0-7]+|0x[0-9a-fA-F]+|(?:\\.\\d+|\\d+(?:\\.\\d*)?)(?:[eE][-+]?\\d+)?|\\.(?:inf|Inf|INF)|\\.(?:nan|NaN|NAN))$",
  ].join("|"),
);

export function encodeObject(obj: unknown, format: "json" | "yaml"): string {
  // Backups and Schedules as their typed Go values (field order and zero values); other kinds in
  // Go's top-level and metadata order, spec and status as stored
  const typed = obj && typeof obj === "object" ? encodeTypedVeleroObject(obj as { kind?: unknown }) : undefined;
  if (format === "json") return (typed ?? JSON.stringify(goOrdered(obj), null, 2)) + "\n";
  // YAML 1.2 plain scalars, like go-yaml's, except strings 1.1 would misread, which go-yaml quotes;
  // an object met twice is written twice (go-yaml writes no anchors or aliases)
  const doc = new Document(typed !== undefined ? JSON.parse(typed) : obj, { sortMapEntries: true, aliasDuplicateObjects: false });
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === "string" && NOT_A_STRING.test(node.value)) node.type = "QUOTE_DOUBLE";
    },
  });
  // Multi-line strings as literal blocks, as go-yaml writes them; long lines are not folded (go-yaml
  // folds past column 80 by rules of its own). Velero prints a blank line after the document.
  return doc.toString({ lineWidth: 0, indentSeq: false, blockQuote: "literal", singleQuote: true }) + "\n";
}

/**
 * A new object (`create ... -o json|yaml`) as Velero prints its typed value: with
 * `metadata.creationTimestamp: null` and `status: {}` (Go zero values without omitempty).
 */
export function encodeNewObject(obj: { metadata?: object; status?: unknown }, format: "json" | "yaml"): string {
  const metadata = { ...(obj.metadata ?? {}) } as Record<string, unknown>;
  if (!("creationTimestamp" in metadata)) metadata["creationTimestamp"] = null;
  return encodeObject({ ...obj, metadata, status: obj.status ?? {} }, format);
}

/**
 * Wraps items in a List the way Velero prints `get -o json|yaml` (with the list's resourceVersion);
 * a single item prints on its own.
 */
export function listOrItem(kind: string, apiVersion: string, items: unknown[], resourceVersion = ""): unknown {
  if (items.length === 1) return items[0];
  return { kind: `${kind}List`, apiVersion, metadata: { resourceVersion }, items };
}
