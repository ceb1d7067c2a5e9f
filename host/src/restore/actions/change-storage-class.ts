/**
 * velero.io/change-storage-class: rewrites storageClassName of PVs, PVCs and StatefulSet
 * volumeClaimTemplates per the plugin-config ConfigMap (`<old-class>: <new-class>`). The new
 * class must exist, or the item fails.
 */
import type { RestoreItemAction, RestoreItemActionInput, RestoreItemActionOutput } from "@velero-ts/plugin-sdk";
import type { Logger } from "../../shared/logging.js";
import { asObj, clone, getPluginConfig, logged, output, selectorFor, type BuiltinActionDeps, type Obj } from "./common.js";

export const CHANGE_STORAGE_CLASS = "velero.io/change-storage-class";
const STORAGE_CLASSES = { group: "storage.k8s.io", version: "v1", resource: "storageclasses" };

export class ChangeStorageClassAction implements RestoreItemAction {
  readonly #deps: BuiltinActionDeps;

  constructor(deps: BuiltinActionDeps) {
    this.#deps = deps;
  }

  async appliesTo() {
    return selectorFor(["persistentvolumeclaims", "persistentvolumes", "statefulsets"]);
  }

  async #mapped(current: unknown, mapping: Record<string, string>): Promise<string | undefined> {
    if (typeof current !== "string" || current === "") return undefined;
    const next = mapping[current];
    if (next === undefined) return undefined;
    try {
      if (!(await this.#deps.kube.get(STORAGE_CLASSES, next))) throw new Error(`storageclasses.storage.k8s.io "${next}" not found`);
    } catch (err) {
      throw new Error(`error getting storage class ${next} from API: ${(err as Error).message}`, { cause: err });
    }
    return next;
  }

  execute(input: RestoreItemActionInput): Promise<RestoreItemActionOutput> {
    return logged("Executing ChangeStorageClassAction", "Done executing ChangeStorageClassAction", (log) => this.#execute(input, log ?? this.#deps.logger));
  }

  async #execute(input: RestoreItemActionInput, actionLog: Logger): Promise<RestoreItemActionOutput> {
    const config = await getPluginConfig(this.#deps, CHANGE_STORAGE_CLASS);
    const mapping = (config?.data ?? {}) as Record<string, string>;
    if (Object.keys(mapping).length === 0) return output(input.item);
    const item = clone(input.item);
    const log = actionLog.child({ kind: item.kind, namespace: item.metadata.namespace ?? "", name: item.metadata.name });
    if (item.kind === "StatefulSet") {
      for (const t of (asObj(item.spec)?.volumeClaimTemplates as Obj[] | undefined) ?? []) {
        const spec = asObj(t.spec);
        const next = await this.#mapped(spec?.storageClassName, mapping);
        if (spec && next) {
          log.info(`Updating item's storage class name to ${next}`);
          spec.storageClassName = next;
        }
      }
      return output(item);
    }
    const spec = asObj(item.spec);
    const next = await this.#mapped(spec?.storageClassName, mapping);
    if (spec && next) {
      log.info(`Updating item's storage class name to ${next}`);
      spec.storageClassName = next;
    }
    return output(item);
  }
}
