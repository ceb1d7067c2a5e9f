/** Shared helpers of the built-in restore item actions. */
import {
  emptyResourceSelector,
  getPluginConfig as getSdkPluginConfig,
  type ResourceIdentifier,
  type ResourceSelector,
  type RestoreItemAction,
  type RestoreItemActionOutput,
  type RestoreItemActionV2,
  type UnstructuredItem,
} from "@velero-ts/plugin-sdk";
import type { KubeClient } from "../../kube/client.js";
import { GVR } from "../../kube/gvr.js";
export { logged } from "../../shared/action-log.js";
import type { Logger } from "../../shared/logging.js";

/** What the built-in restore item actions need from the server. */
export interface BuiltinActionDeps {
  kube: KubeClient;
  /** Velero's namespace: where plugin-config ConfigMaps live. */
  veleroNamespace: string;
  logger: Logger;
}

export function selectorFor(resources: string[], labelSelector = ""): ResourceSelector {
  return { ...emptyResourceSelector(), includedResources: resources, selector: labelSelector };
}

export function output(item: UnstructuredItem, additionalItems: ResourceIdentifier[] = [], skipRestore = false): RestoreItemActionOutput {
  return { item, additionalItems, skipRestore };
}

/**
 * The plugin-config ConfigMap of a plugin (labels `velero.io/plugin-config` and
 * `<name>: RestoreItemAction`), or undefined. More than one is an error, like Velero.
 */
export async function getPluginConfig(deps: BuiltinActionDeps, pluginName: string): Promise<UnstructuredItem | undefined> {
  return getSdkPluginConfig("RestoreItemAction", pluginName, async (labelSelector) => (await deps.kube.list(GVR.configMaps, { namespace: deps.veleroNamespace, labelSelector })).items);
}

/** Wraps a v1 action as v2 (no async operations, never waits for additional items). */
export function asRestoreItemActionV2(v1: RestoreItemAction): RestoreItemActionV2 {
  return {
    appliesTo: () => v1.appliesTo(),
    execute: async (input) => ({ ...(await v1.execute(input)), operationId: "", waitForAdditionalItems: false, additionalItemsReadyTimeoutMs: 0 }),
    progress: () => Promise.reject(new Error("restore item action v1 has no asynchronous operations")),
    cancel: async () => undefined,
    areAdditionalItemsReady: async () => true,
  };
}

export function clone<T>(v: T): T {
  return structuredClone(v);
}

export type Obj = Record<string, unknown>;

export function asObj(v: unknown): Obj | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Obj) : undefined;
}
