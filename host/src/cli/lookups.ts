/** Small reads the commands share: existence checks with errors that name the fix. */
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import { NotFoundError } from "@velero-ts/plugin-sdk";
import type { GroupVersionResource } from "../kube/client.js";
import type { Factory } from "./factory.js";

const LIST_HINT: Record<string, string> = {
  backups: "velero backup get",
  restores: "velero restore get",
  schedules: "velero schedule get",
  backupstoragelocations: "velero backup-location get",
  volumesnapshotlocations: "velero snapshot-location get",
  backuprepositories: "velero repo get",
};

const SINGULAR: Record<string, string> = {
  backups: "backup",
  restores: "restore",
  schedules: "schedule",
  backupstoragelocations: "backup storage location",
  volumesnapshotlocations: "volume snapshot location",
  backuprepositories: "backup repository",
};

/** Gets a namespaced object or throws NotFoundError naming it and how to list what exists. */
export async function mustGet<T = UnstructuredItem>(f: Factory, gvr: GroupVersionResource, name: string): Promise<T> {
  const kube = await f.kube();
  const namespace = f.namespace();
  const obj = await kube.get(gvr, name, namespace);
  if (!obj) {
    const what = SINGULAR[gvr.resource] ?? gvr.resource;
    const hint = LIST_HINT[gvr.resource];
    throw new NotFoundError(
      `${what} "${name}" not found in namespace "${namespace}"${hint ? `; run '${hint}' to list them (and check -n/--namespace)` : ""}`,
    );
  }
  return obj as T;
}

/** Lists objects in the Velero namespace with an optional label selector string. */
export async function listNamespaced<T = UnstructuredItem>(f: Factory, gvr: GroupVersionResource, labelSelector?: string): Promise<T[]> {
  const kube = await f.kube();
  const result = await kube.list(gvr, { namespace: f.namespace(), ...(labelSelector ? { labelSelector } : {}) });
  return result.items as T[];
}
