/** Loads cluster access the way Velero does: --kubeconfig, then $KUBECONFIG, in-cluster, ~/.kube/config. */
import { existsSync } from "node:fs";
import { delimiter } from "node:path";
import type { Cluster, Context, User } from "@kubernetes/client-node";
import { jsonSyntaxMessage } from "@velero-ts/plugin-sdk";
import { ClusterError } from "../shared/errors.js";
import { KubeConfig } from "./vendor.js";

export interface KubeConfigOptions {
  /** Path of a kubeconfig file; empty means $KUBECONFIG, then in-cluster, then ~/.kube/config. */
  kubeconfig?: string;
  /** Context to use instead of the file's current context. */
  context?: string;
}

export function loadKubeConfig(options: KubeConfigOptions = {}): KubeConfig {
  const kc = new KubeConfig();
  try {
    const listed = process.env["KUBECONFIG"];
    if (options.kubeconfig) kc.loadFromFile(options.kubeconfig);
    else if (listed) loadKubeconfigList(kc, listed.split(delimiter));
    else kc.loadFromDefault();
    if (options.context) kc.setCurrentContext(options.context);
  } catch (err) {
    throw new ClusterError(
      `failed to load kubeconfig ${options.kubeconfig ? `"${options.kubeconfig}"` : "(default locations)"}: ${loadErrorMessage(err)}; ${
        options.kubeconfig ? "fix that file or pass another --kubeconfig" : "pass --kubeconfig or set KUBECONFIG"
      }`,
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

/**
 * Why a kubeconfig did not load, quoting none of the file: js-yaml's message (the loader
 * client-node uses) ends with a code frame of the lines around the mistake, which in a kubeconfig
 * are tokens, keys and passwords. Like client-go's "yaml: line N: ...", only the reason and the
 * line are kept; a JSON file's syntax error loses its quoted snippet the same way.
 */
function loadErrorMessage(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const yaml = err as Error & { reason?: unknown; mark?: { line?: unknown } };
  if (err.name === "YAMLException" && typeof yaml.reason === "string") {
    return typeof yaml.mark?.line === "number" ? `yaml: line ${yaml.mark.line + 1}: ${yaml.reason}` : `yaml: ${yaml.reason}`;
  }
  return jsonSyntaxMessage(err.message.split("\n")[0] ?? "");
}

/**
 * The files of $KUBECONFIG merged as client-go (and so kubectl and Velero) merges them: missing
 * files are skipped; a cluster, user or context named in several files is the first file's; the
 * current context is the first that sets one. (client-node's loadFromDefault lets the last file's
 * current-context win and refuses repeated names, so another cluster than kubectl's could be used.)
 */
function loadKubeconfigList(kc: KubeConfig, paths: string[]): void {
  const files = [...new Set(paths.filter((p) => p !== ""))];
  const existing = files.filter((p) => existsSync(p));
  if (existing.length === 0) throw new Error(`none of the files KUBECONFIG names exists (${files.join(delimiter)})`);
  const clusters = new Map<string, Cluster>();
  const users = new Map<string, User>();
  const contexts = new Map<string, Context>();
  let currentContext = "";
  for (const path of existing) {
    const one = new KubeConfig();
    one.loadFromFile(path); // relative certificate paths resolved against the file's directory
    for (const c of one.getClusters()) if (!clusters.has(c.name)) clusters.set(c.name, c);
    for (const u of one.getUsers()) if (!users.has(u.name)) users.set(u.name, u);
    for (const c of one.getContexts()) if (!contexts.has(c.name)) contexts.set(c.name, c);
    currentContext ||= one.getCurrentContext() ?? "";
  }
  kc.loadFromOptions({ clusters: [...clusters.values()], users: [...users.values()], contexts: [...contexts.values()], currentContext });
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
