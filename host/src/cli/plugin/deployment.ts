/** Finds the Velero Deployment the way Velero's CLI does: label component=velero and a container named "velero". */
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import { NotFoundError } from "@velero-ts/plugin-sdk";
import type { Factory } from "../factory.js";
import { GVR } from "../resources.js";

export interface PodSpecLike {
  initContainers?: { name: string; image: string; [k: string]: unknown }[];
  containers: { name: string; volumeMounts?: { name: string; mountPath: string }[]; [k: string]: unknown }[];
  volumes?: { name: string; [k: string]: unknown }[];
}

export function podSpecOf(deploy: UnstructuredItem): PodSpecLike {
  return ((deploy.spec as { template?: { spec?: PodSpecLike } } | undefined)?.template?.spec ?? { containers: [] }) as PodSpecLike;
}

export async function findVeleroDeployment(f: Factory): Promise<UnstructuredItem> {
  const kube = await f.kube();
  const { items } = await kube.list(GVR.deployments, { namespace: f.namespace(), labelSelector: "component=velero" });
  const deploy = items.find((d) => podSpecOf(d).containers.some((c) => c.name === "velero"));
  if (!deploy) {
    throw new NotFoundError(
      `Velero deployment not found in namespace "${f.namespace()}"; install Velero with 'velero install' (or pass -n for another namespace)`,
    );
  }
  return deploy;
}
