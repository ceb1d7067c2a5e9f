/** ServerStatusRequest round trip: the server answers with its version and plugin list. */
import type { ServerStatusRequest } from "@velero-ts/plugin-sdk";
import { ClusterError } from "../shared/errors.js";
import type { Factory } from "./factory.js";
import { ObjectChanges } from "./object-changes.js";
import { GVR, VELERO_API_VERSION } from "./resources.js";

export const SERVER_STATUS_POLL_MS = 250;

export async function getServerStatus(f: Factory, timeoutMs: number): Promise<ServerStatusRequest> {
  const kube = await f.kube();
  const namespace = f.namespace();
  const created = await kube.create(GVR.serverStatusRequests, {
    apiVersion: VELERO_API_VERSION,
    kind: "ServerStatusRequest",
    metadata: { namespace, name: "", generateName: "velero-cli-" },
    spec: {},
  } as never);
  const name = created.metadata.name;
  const deadline = f.deps.now().getTime() + timeoutMs;
  return new ObjectChanges(kube, GVR.serverStatusRequests, { namespace, name }).until(SERVER_STATUS_POLL_MS, f.deps.sleep, async () => {
    const current = (await kube.get(GVR.serverStatusRequests, name, namespace)) as ServerStatusRequest | undefined;
    if (current?.status?.phase === "Processed") return current;
    if (f.deps.now().getTime() >= deadline) {
      throw new ClusterError(
        `timed out waiting for server status request to be processed; is the Velero server running in namespace "${namespace}"? Run 'velero server --kubeconfig <file> -n ${namespace}' or check 'kubectl logs deployment/velero -n ${namespace}'`,
      );
    }
    return undefined;
  });
}
