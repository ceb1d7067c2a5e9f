/** Arrays up to this length are insertion-sorted in place. */
const INSERTION_SORT_MAX = 24;

/**
 * Sorts `items` in place, stably, like items.sort(compare). Short arrays (object keys, a logger's
 * fields: the per-item hot paths of a backup) are insertion-sorted, which allocates nothing, where
 * Array.prototype.sort copies its input into a work array on every call (for a 10,000-item backup
 * tens of MiB of garbage); longer ones go to Array.prototype.sort.
 */
export function sortInPlace<T>(items: T[], compare: (a: T, b: T) => number): void {
  const n = items.length;
  if (n > INSERTION_SORT_MAX) {
    items.sort(compare);
    return;
  }
  for (let i = 1; i < n; i++) {
    const item = items[i] as T;
    let j = i - 1;
    for (; j >= 0 && compare(items[j] as T, item) > 0; j--) items[j + 1] = items[j] as T;
    items[j + 1] = item;
  }
}
