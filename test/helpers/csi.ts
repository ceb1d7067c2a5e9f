// Helpers of the CSI suites (test/integration/csi, velero-compat/csi): claims of the test
// environment's CSI driver (test/peers/go/csihostpath: a volume is the directory
// <dataDir>/<volumeHandle>, a snapshot the tar file <dataDir>/.vt/snapshots/<handle>.tar), and the
// cleanup of what their restores leave.
import { join } from "node:path";
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import { GVR } from "../../host/src/kube/gvr.ts";
import type { HttpKubeClient } from "../../host/src/kube/http-kube-client.ts";
import { eventually } from "./velero-server.ts";

/** Waits for a claim to be Bound; returns it with its volume's handle (the volume's directory name). */
export async function boundClaim(kube: Pick<HttpKubeClient, "get">, namespace: string, name: string, timeoutMs = 120_000): Promise<{ claim: UnstructuredItem; volumeHandle: string }> {
  const claim = await eventually(`PVC ${namespace}/${name} to be Bound`, async () => {
    const c = await kube.get(GVR.persistentVolumeClaims, name, namespace);
    return (c?.["status"] as { phase?: string } | undefined)?.phase === "Bound" ? c : undefined;
  }, timeoutMs);
  const pv = await kube.get(GVR.persistentVolumes, (claim["spec"] as { volumeName: string }).volumeName);
  return { claim, volumeHandle: (pv?.["spec"] as { csi: { volumeHandle: string } }).csi.volumeHandle };
}

/** The driver's file of a storage snapshot. */
export function snapshotTar(dataDir: string, handle: string): string {
  return join(dataDir, ".vt", "snapshots", `${handle}.tar`);
}

/** Deletes the VolumeSnapshotContents whose VolumeSnapshot is (or was) in one of `namespaces`: a restore's (Retain, cluster-scoped) outlive their namespaces, as they do under Velero. */
export async function deleteContentsOf(kube: Pick<HttpKubeClient, "list" | "delete">, namespaces: string[]): Promise<void> {
  const contents = await kube.list(GVR.volumeSnapshotContents).catch(() => ({ items: [] }));
  for (const c of contents.items) {
    const ref = (c["spec"] as { volumeSnapshotRef?: { namespace?: string } } | undefined)?.volumeSnapshotRef;
    if (ref?.namespace && namespaces.includes(ref.namespace)) await kube.delete(GVR.volumeSnapshotContents, c.metadata.name).catch(() => undefined);
  }
}
