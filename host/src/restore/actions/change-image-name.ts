/**
 * velero.io/change-image-name: rewrites container images per the plugin-config ConfigMap, whose
 * values are "<old-substring>,<new-substring>"; the first rule whose old part occurs in the image
 * replaces every occurrence. Applies to pods and to the pod templates of workloads.
 */
import type { RestoreItemAction, RestoreItemActionInput, RestoreItemActionOutput } from "@velero-ts/plugin-sdk";
import type { Logger } from "../../shared/logging.js";
import { asObj, clone, getPluginConfig, logged, output, selectorFor, type BuiltinActionDeps, type Obj } from "./common.js";

export const CHANGE_IMAGE_NAME = "velero.io/change-image-name";

function podSpecOf(item: Obj & { kind?: unknown }): Obj | undefined {
  const spec = asObj(item.spec);
  if (item.kind === "Pod") return spec;
  if (item.kind === "CronJob") return asObj(asObj(asObj(asObj(spec?.jobTemplate)?.spec)?.template)?.spec);
  return asObj(asObj(spec?.template)?.spec);
}

/** The new image, or undefined when no rule matches. */
export function replaceImage(image: string, rules: Record<string, string>): string | undefined {
  if (image === "") return undefined;
  for (const row of Object.values(rules)) {
    const at = row.indexOf(",");
    if (at < 0) continue;
    const oldPart = row.slice(0, at).trim();
    const newPart = row.slice(at + 1).trim();
    if (row.length - at > 1 && image.includes(oldPart)) return image.split(oldPart).join(newPart);
  }
  return undefined;
}

export class ChangeImageNameAction implements RestoreItemAction {
  readonly #deps: BuiltinActionDeps;

  constructor(deps: BuiltinActionDeps) {
    this.#deps = deps;
  }

  async appliesTo() {
    return selectorFor(["deployments", "statefulsets", "daemonsets", "replicasets", "replicationcontrollers", "jobs", "cronjobs", "pods"]);
  }

  execute(input: RestoreItemActionInput): Promise<RestoreItemActionOutput> {
    return logged("Executing ChangeImageNameAction", "Done executing ChangeImageNameAction", (log) => this.#execute(input, log ?? this.#deps.logger));
  }

  async #execute(input: RestoreItemActionInput, log: Logger): Promise<RestoreItemActionOutput> {
    const config = await getPluginConfig(this.#deps, CHANGE_IMAGE_NAME);
    const rules = (config?.data ?? {}) as Record<string, string>;
    if (Object.keys(rules).length === 0) {
      log.info("No image name mappings found");
      return output(input.item);
    }
    const item = clone(input.item);
    const podSpec = podSpecOf(item);
    for (const list of [podSpec?.containers, podSpec?.initContainers]) {
      for (const c of (list as Obj[] | undefined) ?? []) {
        if (typeof c.image !== "string") continue;
        const next = replaceImage(c.image, rules);
        if (next !== undefined) {
          log.info({ kind: item.kind, namespace: item.metadata.namespace ?? "", name: item.metadata.name }, `Updating item's image from ${c.image} to ${next}`);
          c.image = next;
        }
      }
    }
    return output(item);
  }
}
