/**
 * The Kubernetes human-readable table printer as Velero's `get` commands use it: upper-case
 * headers, tab-separated cells laid out by the tabwriter, optional label columns.
 */
import { TABLE_TABWRITER, tabwrite } from "./tabwriter.js";

export type Cell = string | number | boolean;

export interface TableRow {
  cells: Cell[];
  labels?: Record<string, string>;
}

export interface Table {
  columns: string[];
  rows: TableRow[];
}

export interface TableOptions {
  /** -L/--label-columns: one extra column per label key. */
  labelColumns?: string[];
  /** --show-labels: a trailing LABELS column. */
  showLabels?: boolean;
}

function formatLabels(labels: Record<string, string> | undefined): string {
  const keys = Object.keys(labels ?? {}).sort();
  if (keys.length === 0) return "<none>";
  return keys.map((k) => `${k}=${(labels as Record<string, string>)[k]}`).join(",");
}

/** Prints a table; an empty table still prints its header, as kubectl does. */
/** The -L and --show-labels flags of a command (get, or create with -o table) as table options. */
export function tableOptions(options: object): TableOptions {
  const flags = options as { labelColumns?: string[]; showLabels?: boolean };
  return { ...(flags.labelColumns ? { labelColumns: flags.labelColumns } : {}), ...(flags.showLabels ? { showLabels: flags.showLabels } : {}) };
}

export function renderTable(table: Table, options: TableOptions = {}): string {
  const labelColumns = (options.labelColumns ?? []).flatMap((c) => c.split(",")).filter((c) => c !== "");
  // a label column is headed by the key's last path segment (kubectl's formatLabelHeaders: velero.io/storage-location → STORAGE-LOCATION)
  const header = [...table.columns.map((c) => c.toUpperCase()), ...labelColumns.map((c) => (c.split("/").at(-1) ?? c).toUpperCase())];
  if (options.showLabels) header.push("LABELS");
  const lines = [header.join("\t")];
  for (const row of table.rows) {
    const cells = row.cells.map((c) => String(c));
    for (const key of labelColumns) cells.push(row.labels?.[key] ?? "");
    if (options.showLabels) cells.push(formatLabels(row.labels));
    lines.push(cells.join("\t"));
  }
  return tabwrite(lines.join("\n") + "\n", TABLE_TABWRITER);
}
