/**
 * velero.io/service: clusterIP(s) are cleared (except headless services) so the apiserver
 * allocates new ones; nodePorts and healthCheckNodePort are dropped unless preserveNodePorts,
 * except those the user set explicitly (found in last-applied-configuration or managedFields).
 */
import { actionLog } from "../../shared/action-log.js";
import type { RestoreItemAction, RestoreItemActionInput, RestoreItemActionOutput } from "@velero-ts/plugin-sdk";
import { asObj, clone, output, selectorFor, type Obj } from "./common.js";

const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

interface Port extends Obj {
  name?: string;
  port?: number;
  protocol?: string;
  nodePort?: number;
}

function managedSpecFields(item: Obj): Obj[] {
  const meta = asObj(item.metadata) ?? {};
  const entries = Array.isArray(meta.managedFields) ? (meta.managedFields as Obj[]) : [];
  return entries.map((e) => asObj(asObj(e.fieldsV1)?.["f:spec"])).filter((s): s is Obj => s !== undefined);
}

/** Node ports the user asked for explicitly, by port name or (unnamed) by value. */
function explicitNodePorts(service: Obj): { names: Set<string>; values: Set<number>; keys: Set<string> } | undefined {
  const annotations = (asObj(asObj(service.metadata)?.annotations) ?? {}) as Record<string, string>;
  const lastApplied = annotations[LAST_APPLIED];
  if (lastApplied !== undefined) {
    const applied = JSON.parse(lastApplied) as Obj;
    const names = new Set<string>();
    const values = new Set<number>();
    for (const p of (asObj(applied.spec)?.ports as Port[] | undefined) ?? []) {
      const np = Number(p.nodePort ?? 0);
      if (np > 0) {
        if (p.name !== undefined) names.add(p.name);
        else values.add(np);
      }
    }
    return { names, values, keys: new Set() };
  }
  const keys = new Set<string>();
  for (const f of managedSpecFields(service)) {
    for (const [key, p] of Object.entries(asObj(f["f:ports"]) ?? {})) if (asObj(p)?.["f:nodePort"] !== undefined) keys.add(key);
  }
  return { names: new Set(), values: new Set(), keys };
}

function deleteNodePorts(service: Obj, spec: Obj): void {
  if (spec.type === "ExternalName") return;
  const explicit = explicitNodePorts(service);
  const viaAnnotation = (asObj(asObj(service.metadata)?.annotations) ?? {})[LAST_APPLIED] !== undefined;
  for (const p of (spec.ports as Port[] | undefined) ?? []) {
    const keep = viaAnnotation
      ? p.name
        ? explicit?.names.has(p.name)
        : explicit?.values.has(Number(p.nodePort ?? 0))
      : explicit?.keys.has(`k:{"port":${p.port ?? 0},"protocol":"${p.protocol ?? ""}"}`);
    if (!keep) delete p.nodePort;
  }
}

function deleteHealthCheckNodePort(service: Obj, spec: Obj): void {
  if (spec.externalTrafficPolicy !== "Local" || spec.type !== "LoadBalancer" || !spec.healthCheckNodePort) return;
  const lastApplied = ((asObj(asObj(service.metadata)?.annotations) ?? {}) as Record<string, string>)[LAST_APPLIED];
  if (lastApplied !== undefined) {
    const applied = JSON.parse(lastApplied) as Obj;
    if (Number(asObj(applied.spec)?.healthCheckNodePort ?? 0) !== 0) return;
  }
  if (managedSpecFields(service).some((f) => f["f:healthCheckNodePort"] !== undefined)) return;
  delete spec.healthCheckNodePort;
}

export class ServiceAction implements RestoreItemAction {
  async appliesTo() {
    return selectorFor(["services"]);
  }

  async execute(input: RestoreItemActionInput): Promise<RestoreItemActionOutput> {
    const service = clone(input.item);
    const spec = (asObj(service.spec) ?? {}) as Obj;
    if (spec.clusterIP !== "None") {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    if (input.restore.spec.preserveNodePorts === true) {
      actionLog()?.info("Restoring Services with original NodePort(s)");
    } else {
      deleteNodePorts(service, spec);
      deleteHealthCheckNodePort(service, spec);
    }
    service.spec = spec;
    return output(service);
  }
}
