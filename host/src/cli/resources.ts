/** The API resources the CLI reads and writes: the host's (kube/gvr.ts) plus the ones only `install` touches. */
import type { GroupVersionResource } from "../kube/client.js";
import { GVR as HOST_GVR } from "../kube/gvr.js";

export const GVR = {
  ...HOST_GVR,
  crds: HOST_GVR.customResourceDefinitions,
  deployments: { group: "apps", version: "v1", resource: "deployments" },
  daemonSets: { group: "apps", version: "v1", resource: "daemonsets" },
} as const satisfies Record<string, GroupVersionResource>;

export const VELERO_API_VERSION = "velero.io/v1";
