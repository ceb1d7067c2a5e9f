/**
 * What Go plugins get from Velero's plugin framework besides their calls: the server's flags
 * (both hosts start a plugin with the server's own command-line arguments) and Velero's
 * plugin-config ConfigMaps (common.GetPluginConfig), which RestoreItemActions read their settings
 * from. No Kubernetes client here: getPluginConfig takes the caller's LIST function.
 */

/** The server flags a plugin may want, as the host passed them. */
export interface VeleroServerFlags {
  /** The Velero namespace: `--namespace`, else $VELERO_NAMESPACE (set in Velero's Deployment), else "velero". */
  namespace: string;
  kubeconfig?: string;
  kubecontext?: string;
  /** `--log-level` as given (logrus names). */
  logLevel?: string;
  /** `--features`, split on commas. */
  features: string[];
}

const STRING_FLAGS = new Set(["namespace", "kubeconfig", "kubecontext", "log-level", "features"]);

/**
 * The server flags among `argv` (default: this process's arguments), read as Go's flag package
 * reads them: `--name=value`, `--name value`, one or two dashes; the last one given wins.
 */
export function veleroServerFlags(argv: readonly string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): VeleroServerFlags {
  const seen = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const m = /^--?([a-z-]+)(?:=(.*))?$/s.exec(argv[i] ?? "");
    if (!m || !STRING_FLAGS.has(m[1] ?? "")) continue;
    const value = m[2] ?? argv[++i];
    if (value !== undefined) seen.set(m[1] as string, value);
  }
  const features = seen.get("features");
  return {
    namespace: seen.get("namespace") || env["VELERO_NAMESPACE"] || "velero",
    ...(seen.has("kubeconfig") ? { kubeconfig: seen.get("kubeconfig") } : {}),
    ...(seen.has("kubecontext") ? { kubecontext: seen.get("kubecontext") } : {}),
    ...(seen.has("log-level") ? { logLevel: seen.get("log-level") } : {}),
    features: features ? features.split(",").map((f) => f.trim()).filter((f) => f !== "") : [],
  };
}

/** The label selector of a plugin's config ConfigMaps: `velero.io/plugin-config,<name>=<kind>` (Go's PluginConfigLabelSelector). */
export function pluginConfigLabelSelector(kind: string, name: string): string {
  return `velero.io/plugin-config,${name}=${kind}`;
}

/** A ConfigMap as a LIST returns it (the fields getPluginConfig reads). */
export interface PluginConfigMap {
  metadata: { name?: string; namespace?: string };
  data?: Record<string, string>;
}

/**
 * The plugin's config ConfigMap in the Velero namespace, as Go's common.GetPluginConfig finds it:
 * `list(labelSelector)` should LIST ConfigMaps there with that selector. Undefined when there is
 * none; an error naming them when there is more than one.
 */
export async function getPluginConfig<T extends PluginConfigMap>(kind: string, name: string, list: (labelSelector: string) => Promise<T[]>): Promise<T | undefined> {
  const selector = pluginConfigLabelSelector(kind, name);
  const items = await list(selector);
  if (items.length > 1) {
    throw new Error(`found more than one ConfigMap matching label selector "${selector}": [${items.map((i) => i.metadata.name ?? "").join(" ")}]`);
  }
  return items[0];
}
