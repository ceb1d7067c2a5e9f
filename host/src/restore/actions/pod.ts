/**
 * velero.io/pod: the restored pod gets scheduled afresh: nodeName and priority are cleared, the
 * legacy service-account token volume (`<sa>-token-*`) and its mounts are dropped, and the pod's
 * PriorityClass is restored first as an additional item.
 */
import type { RestoreItemAction, RestoreItemActionInput, RestoreItemActionOutput } from "@velero-ts/plugin-sdk";
import { actionLog } from "../../shared/action-log.js";
import { asObj, clone, output, selectorFor, type Obj } from "./common.js";

export class PodAction implements RestoreItemAction {
  async appliesTo() {
    return selectorFor(["pods"]);
  }

  async execute(input: RestoreItemActionInput): Promise<RestoreItemActionOutput> {
    const pod = clone(input.item);
    const spec = (asObj(pod.spec) ?? {}) as Obj & { volumes?: Obj[]; containers?: Obj[]; initContainers?: Obj[] };
    delete spec.nodeName;
    delete spec.priority;
    const tokenPrefix = `${typeof spec.serviceAccountName === "string" ? spec.serviceAccountName : ""}-token-`;
    const keep = (v: Obj): boolean => !String(v.name ?? "").startsWith(tokenPrefix);
    if (Array.isArray(spec.volumes)) spec.volumes = spec.volumes.filter(keep);
    for (const list of [spec.containers, spec.initContainers]) {
      for (const c of list ?? []) {
        if (Array.isArray(c.volumeMounts)) c.volumeMounts = (c.volumeMounts as Obj[]).filter(keep);
      }
    }
    pod.spec = spec;
    const priorityClass = typeof spec.priorityClassName === "string" ? spec.priorityClassName : "";
    if (priorityClass) actionLog()?.info(`Adding priorityclass ${priorityClass} to AdditionalItems`);
    const additional = priorityClass ? [{ group: "scheduling.k8s.io", resource: "priorityclasses", namespace: "", name: priorityClass }] : [];
    return output(pod, additional);
  }
}
