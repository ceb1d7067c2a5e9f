/** Loads cluster access the way Velero does: --kubeconfig, then $KUBECONFIG, in-cluster, ~/.kube/config. */
import { KubeConfig } from "@kubernetes/client-node";
import { ClusterError } from "../shared/errors.js";

export interface KubeConfigOptions {
  /** Path of a kubeconfig file; empty means $KUBECONFIG, then in-cluster, then ~/.kube/config. */
  kubeconfig?: string;
  /** Context to use instead of the file's current context. */
  context?: string;
}

export function loadKubeConfig(options: KubeConfigOptions = {}): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (options.kubeconfig) kc.loadFromFile(options.kubeconfig);
    else kc.loadFromDefault();
    if (options.context) kc.setCurrentContext(options.context);
  } catch (err) {
    throw new ClusterError(
      `failed to load kubeconfig ${options.kubeconfig ? `"${options.kubeconfig}"` : "(default locations)"}: ${String((err as Error).message ?? err)}; pass --kubeconfig or set KUBECONFIG`,
      { cause: err },
    );
  }
  if (!options.kubeconfig && isClientNodeFallback(kc)) {
    // client-node's last resort (http://localhost:8080, no credentials) only ever fails later
    // with a TLS complaint; client-go refuses an empty configuration instead.
    throw new ClusterError(
      "no Kubernetes configuration found: no --kubeconfig, KUBECONFIG is not set, ~/.kube/config does not exist, and this is not a pod with a service account; pass --kubeconfig or set KUBECONFIG",
    );
  }
  if (!kc.getCurrentCluster()) {
    throw new ClusterError(`kubeconfig has no current cluster${options.context ? ` for context "${options.context}"` : ""}; pass --kubecontext`);
  }
  return kc;
}

/** What client-node's loadFromDefault settles on when it finds no configuration at all. */
function isClientNodeFallback(kc: KubeConfig): boolean {
  const cluster = kc.getCurrentCluster();
  return kc.getCurrentContext() === "loaded-context" && cluster?.name === "cluster" && cluster.server === "http://localhost:8080" && kc.getCurrentUser()?.name === "user";
}

/**
 * Whether `kc` is the configuration of a pod (client-node's loadFromCluster: the service
 * account's token and CA, KUBERNETES_SERVICE_HOST/PORT), not a kubeconfig file's.
 */
export function isInClusterConfig(kc: KubeConfig): boolean {
  return kc.getCurrentContext() === "inClusterContext" && kc.getCurrentCluster()?.name === "inCluster";
}
