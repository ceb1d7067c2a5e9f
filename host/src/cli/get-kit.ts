/** The shape every `get` command shares: named objects or a filtered list, printed as table/json/yaml. */
import { Command } from "commander";
import type { GroupVersionResource } from "../kube/client.js";
import { actionFor, addOutputFlags, argsVerb, validateOutputFormat } from "./command-kit.js";
import type { Factory } from "./factory.js";
import { mustGet } from "./lookups.js";
import { encodeObject, listOrItem } from "./output/encode.js";
import { renderTable, tableOptions, type Table } from "./output/table.js";
import { VELERO_API_VERSION } from "./resources.js";

export interface GetFlags {
  selector?: string;
  output?: string;
  labelColumns?: string[];
  showLabels?: boolean;
}

/** Fetches by names (each must exist) or lists with the label selector. */
export async function fetchObjects<T>(f: Factory, gvr: GroupVersionResource, names: string[], selector?: string): Promise<T[]> {
  return (await fetchList<T>(f, gvr, names, selector)).items;
}

/** fetchObjects, with the list's resourceVersion ("" for objects fetched by name). */
async function fetchList<T>(f: Factory, gvr: GroupVersionResource, names: string[], selector?: string): Promise<{ items: T[]; resourceVersion: string }> {
  if (names.length > 0) {
    const out: T[] = [];
    for (const name of names) out.push(await mustGet<T>(f, gvr, name));
    return { items: out, resourceVersion: "" };
  }
  const kube = await f.kube();
  const list = await kube.list(gvr, { namespace: f.namespace(), ...(selector ? { labelSelector: selector } : {}) });
  return { items: list.items as T[], resourceVersion: list.resourceVersion };
}

/**
 * Prints as a table (nothing at all when there are no items, as Velero's printer does) or as
 * json/yaml (managed fields included, as Velero prints them).
 */
export function printObjects<T>(f: Factory, kind: string, items: T[], flags: GetFlags, table: (items: T[]) => Table, resourceVersion = ""): void {
  const format = validateOutputFormat(flags.output ?? "table", "get") ?? "table";
  if (format === "table") {
    if (items.length > 0) f.out(renderTable(table(items), tableOptions(flags)));
    return;
  }
  f.out(encodeObject(listOrItem(kind, VELERO_API_VERSION, items, resourceVersion), format));
}

/** What differs between the `get` commands. */
export interface GetCommandSpec<T, F extends GetFlags = GetFlags> {
  gvr: GroupVersionResource;
  /** The kind of the json/yaml list items, e.g. "Backup". */
  kind: string;
  description: string;
  argDescription: string;
  selectorDescription: string;
  table(items: T[]): Table;
  /** Flags added before --selector (e.g. backup-location's --default). */
  addFlags?(cmd: Command): void;
  /** Narrows the fetched objects by the extra flags. */
  filter?(items: T[], flags: F): T[];
}

/** `<resource> get [NAMES...]` with --selector and the table/json/yaml output flags. */
export function newGetCommand<T, F extends GetFlags = GetFlags>(f: Factory, use: string, spec: GetCommandSpec<T, F>): Command {
  const cmd = new Command(use).description(spec.description).argument("[NAMES...]", spec.argDescription);
  spec.addFlags?.(cmd);
  cmd.option("-l, --selector <selector>", spec.selectorDescription);
  addOutputFlags(cmd, { defaultTable: true, labels: true });
  return cmd.action(
    actionFor(f, () =>
      argsVerb<F>({
        validate: (_names, flags) => {
          validateOutputFormat(flags.output, "get");
        },
        run: async (names, flags) => {
          const list = await fetchList<T>(f, spec.gvr, names, flags.selector);
          const items = spec.filter ? spec.filter(list.items, flags) : list.items;
          printObjects(f, spec.kind, items, flags, (i) => spec.table(i), list.resourceVersion);
        },
      }),
    ),
  );
}
