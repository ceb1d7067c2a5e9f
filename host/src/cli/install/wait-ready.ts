/**
 * `install --wait`: waits for the velero Deployment (and node-agent DaemonSet) like Velero does,
 * but says why it is still waiting — in a cluster without a kubelet the pods never start, and the
 * user should run `velero server` locally instead.
 */
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import { ClusterError } from "../../shared/errors.js";
import type { Factory } from "../factory.js";
import { GVR } from "../resources.js";

const POLL_MS = 1000;
const REPORT_EVERY_MS = 10_000;
/** Velero requires the Available condition to be older than 10s and seen 5 times. */
const AVAILABLE_FOR_MS = 10_000;
const OBSERVATIONS = 5;

interface PodLike {
  metadata: { name: string };
  spec?: { nodeName?: string };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    containerStatuses?: { ready?: boolean; state?: { waiting?: { reason?: string; message?: string } } }[];
  };
}

/** Pure: one sentence explaining why the pods behind a workload are not ready. */
export function explainPods(pods: PodLike[]): string {
  if (pods.length === 0) return "no pods have been created yet (is kube-controller-manager running?)";
  const parts: string[] = [];
  const pending = pods.filter((p) => (p.status?.phase ?? "Pending") === "Pending");
  const unscheduled = pending.filter((p) => !p.spec?.nodeName);
  if (unscheduled.length > 0) {
    const cond = unscheduled[0]?.status?.conditions?.find((c) => c.type === "PodScheduled" && c.status === "False");
    const why = cond?.message ? `: ${cond.message}` : "";
    parts.push(`${unscheduled.length} pod(s) Pending, not scheduled${why} (no nodes/kubelet in this cluster?)`);
  }
  const scheduledPending = pending.filter((p) => p.spec?.nodeName);
  if (scheduledPending.length > 0) {
    const waiting = scheduledPending[0]?.status?.containerStatuses?.find((c) => c.state?.waiting)?.state?.waiting;
    const why = waiting?.reason ? ` (${waiting.reason}${waiting.message ? `: ${waiting.message}` : ""})` : " (no kubelet is starting the containers?)";
    parts.push(`${scheduledPending.length} pod(s) Pending on node ${scheduledPending[0]?.spec?.nodeName}${why}`);
  }
  const notReady = pods.filter((p) => p.status?.phase === "Running" && !p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True"));
  if (notReady.length > 0) parts.push(`${notReady.length} pod(s) Running but not Ready`);
  const failed = pods.filter((p) => p.status?.phase === "Failed");
  if (failed.length > 0) parts.push(`${failed.length} pod(s) Failed`);
  return parts.length > 0 ? parts.join("; ") : "pods are Ready, waiting for the deployment to report Available";
}

function conditionAvailableSince(deploy: UnstructuredItem | undefined): number | undefined {
  const conditions = (deploy?.status as { conditions?: { type: string; status: string; lastTransitionTime?: string }[] } | undefined)?.conditions ?? [];
  const available = conditions.find((c) => c.type === "Available" && c.status === "True");
  return available?.lastTransitionTime ? new Date(available.lastTransitionTime).getTime() : undefined;
}

async function explain(f: Factory, namespace: string, selector: string): Promise<string> {
  const kube = await f.kube();
  const { items } = await kube.list(GVR.pods, { namespace, labelSelector: selector });
  return explainPods(items as unknown as PodLike[]);
}

async function waitFor(f: Factory, opts: { namespace: string; name: string; kind: "deployment" | "daemonset"; selector: string; timeoutMs: number }): Promise<void> {
  const kube = await f.kube();
  const start = f.deps.now().getTime();
  let lastReport = start;
  let observations = 0;
  for (;;) {
    const now = f.deps.now().getTime();
    const obj = await kube.get(opts.kind === "deployment" ? GVR.deployments : GVR.daemonSets, opts.name, opts.namespace);
    let ready = false;
    if (opts.kind === "deployment") {
      const since = conditionAvailableSince(obj);
      ready = since !== undefined && since + AVAILABLE_FOR_MS < now;
    } else {
      const s = (obj?.status ?? {}) as { numberAvailable?: number; desiredNumberScheduled?: number };
      ready = obj !== undefined && (s.numberAvailable ?? 0) === (s.desiredNumberScheduled ?? 0) && (s.desiredNumberScheduled ?? 0) > 0;
    }
    if (ready && ++observations >= OBSERVATIONS) return;
    if (now - start >= opts.timeoutMs) {
      const why = await explain(f, opts.namespace, opts.selector);
      throw new ClusterError(
        `timed out after ${Math.round(opts.timeoutMs / 1000)}s waiting for ${opts.kind} ${opts.name} to be ready: ${why}; Velero's resources are installed — to run the server without in-cluster pods, start 'velero server --kubeconfig <file> -n ${opts.namespace}' locally`,
      );
    }
    if (now - lastReport >= REPORT_EVERY_MS) {
      lastReport = now;
      f.out(`waiting for ${opts.kind} ${opts.name}: ${await explain(f, opts.namespace, opts.selector)}\n`);
    }
    await f.deps.sleep(POLL_MS);
  }
}

export function waitForDeployment(f: Factory, namespace: string, name: string, timeoutMs: number): Promise<void> {
  return waitFor(f, { namespace, name, kind: "deployment", selector: "deploy=velero", timeoutMs });
}

export function waitForDaemonSet(f: Factory, namespace: string, name: string, timeoutMs: number): Promise<void> {
  return waitFor(f, { namespace, name, kind: "daemonset", selector: `name=${name}`, timeoutMs });
}
