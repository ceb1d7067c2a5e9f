/** The common body of `restore delete` and `schedule delete`: select, confirm, delete each CR. */
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import type { GroupVersionResource } from "../kube/client.js";
import { getConfirmation } from "./confirm.js";
import { EXIT_CODES } from "./exit-codes.js";
import type { Factory } from "./factory.js";
import { listNamespaced, mustGet } from "./lookups.js";
import { selectorQuery, type SelectFlags } from "./select-kit.js";

export interface DeleteSpec {
  gvr: GroupVersionResource;
  plural: string;
  deleted(name: string): string;
}

export async function deleteSelected(f: Factory, names: string[], flags: SelectFlags, spec: DeleteSpec): Promise<number> {
  if (!flags.confirm && !(await getConfirmation(f))) return EXIT_CODES.ok;
  const errors: string[] = [];
  const items: UnstructuredItem[] = [];
  if (names.length > 0) {
    for (const name of names) {
      try {
        items.push(await mustGet(f, spec.gvr, name));
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
  } else {
    items.push(...(await listNamespaced(f, spec.gvr, selectorQuery(flags))));
  }
  if (errors.length > 0) throw new Error(errors.join("; "));
  if (items.length === 0) {
    f.out(`No ${spec.plural} found\n`);
    return EXIT_CODES.ok;
  }
  const kube = await f.kube();
  for (const item of items) {
    try {
      await kube.delete(spec.gvr, item.metadata.name, f.namespace());
      f.out(spec.deleted(item.metadata.name));
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  if (errors.length > 0) throw new Error(errors.join("; "));
  return EXIT_CODES.ok;
}
