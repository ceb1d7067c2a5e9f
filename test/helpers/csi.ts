// Cleanup for the CSI suites: the VolumeSnapshotContents a restore creates (deletion policy Retain,
// cluster-scoped) outlive the namespaces of their VolumeSnapshots, as they do under Velero.
import { GVR } from "../../host/src/kube/gvr.ts";
import type { HttpKubeClient } from "../../host/src/kube/http-kube-client.ts";

/** Deletes the VolumeSnapshotContents whose VolumeSnapshot is (or was) in one of `namespaces`. */
export async function deleteContentsOf(kube: Pick<HttpKubeClient, "list" | "delete">, namespaces: string[]): Promise<void> {
  const contents = await kube.list(GVR.volumeSnapshotContents).catch(() => ({ items: [] }));
  for (const c of contents.items) {
    const ref = (c["spec"] as { volumeSnapshotRef?: { namespace?: string } } | undefined)?.volumeSnapshotRef;
    if (ref?.namespace && namespaces.includes(ref.namespace)) await kube.delete(GVR.volumeSnapshotContents, c.metadata.name).catch(() => undefined);
  }
}
