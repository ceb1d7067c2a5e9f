/**
 * Plugins that run inside the host process (Velero's built-ins): resolved behind the same contract
 * interfaces as external plugins, with no gRPC round trip per item. Implemented by
 * host/src/builtin-plugins; injected by the composition root.
 */
import type { PluginKind, PluginKindMap } from "@velero-ts/plugin-sdk";
import type { PluginId } from "./registry.js";

export interface InProcessPlugins {
  /** Every built-in (kind, name), in registration order. */
  list(): readonly PluginId[];
  /** A new instance of the built-in; rejects when (kind, name) is not one of list(). */
  create<K extends PluginKind>(kind: K, name: string): Promise<PluginKindMap[K]>;
}
