// Comparing what Velero (Go) writes with what velero-ts writes, modulo Go's zero values.
/**
 * Velero decodes objects into Go structs and encodes them back, which writes zero values of
 * fields without omitempty (`metadata.creationTimestamp: null`, `status: {}`, `resources: {}`,
 * `targetPort: 0`, `updateStrategy: {}`, a zero CRD status) and drops empty maps (`annotations: {}`, `matchLabels: {}`).
 * The API server treats both forms alike. So a key of GO_ZERO_KEYS that holds only empty values on
 * one side and is absent on the other is dropped before comparing; everything else (an
 * `emptyDir: {}`, a value one side sets) must match exactly.
 */
export const GO_ZERO_KEYS: ReadonlySet<string> = new Set(["creationTimestamp", "status", "resources", "annotations", "labels", "selector", "matchLabels", "targetPort", "strategy", "updateStrategy"]);

function holdsNothing(value: unknown, key: string, durations: ReadonlySet<string>): boolean {
  if (value === null || value === undefined || value === "" || value === 0 || value === false) return true;
  if (value === "0s" && durations.has(key)) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === "object") return Object.entries(value).every(([k, v]) => holdsNothing(v, k, durations));
  return false;
}

/**
 * `keys`: the keys that may hold Go zero values (GO_ZERO_KEYS plus a caller's own); `durations`:
 * keys of metav1.Duration fields, whose zero value Go writes as "0s".
 */
export function withoutGoZeroValues(a: unknown, b: unknown, keys: ReadonlySet<string> = GO_ZERO_KEYS, durations: ReadonlySet<string> = new Set()): [unknown, unknown] {
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    const pairs = a.map((x, i) => withoutGoZeroValues(x, b[i], keys, durations));
    return [pairs.map((p) => p[0]), pairs.map((p) => p[1])];
  }
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object" || Array.isArray(a) || Array.isArray(b)) return [a, b];
  const ao: Record<string, unknown> = {};
  const bo: Record<string, unknown> = {};
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  for (const key of new Set([...Object.keys(left), ...Object.keys(right)])) {
    const inLeft = key in left;
    const inRight = key in right;
    if (inLeft && inRight) {
      [ao[key], bo[key]] = withoutGoZeroValues(left[key], right[key], keys, durations);
    } else if (inLeft && !((keys.has(key) || durations.has(key)) && holdsNothing(left[key], key, durations))) {
      ao[key] = left[key];
    } else if (inRight && !((keys.has(key) || durations.has(key)) && holdsNothing(right[key], key, durations))) {
      bo[key] = right[key];
    }
  }
  return [ao, bo];
}
