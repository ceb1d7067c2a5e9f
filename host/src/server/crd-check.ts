/**
 * The server's start-up checks, as Velero's: its namespace exists (namespaceExists), and Velero's
 * custom resources are served (veleroResourcesExist): without them, a server started before
 * `velero install` (or after `velero uninstall`, or with a mistyped --namespace) would wait on its
 * watches for ever instead of saying what is missing.
 */
import { getErrorMessage } from "@velero-ts/plugin-sdk";
import type { KubeClient } from "../kube/client.js";
import { isForbidden } from "../kube/errors.js";
import { GVR } from "../kube/gvr.js";
import type { Logger } from "../shared/logging.js";

/** The kinds Velero v1.18 requires, by group version (its CustomResourceKinds). */
export const REQUIRED_VELERO_KINDS: Readonly<Record<string, readonly string[]>> = {
  "velero.io/v1": [
    "Backup",
    "BackupRepository",
    "BackupStorageLocation",
    "DeleteBackupRequest",
    "DownloadRequest",
    "PodVolumeBackup",
    "PodVolumeRestore",
    "Restore",
    "Schedule",
    "ServerStatusRequest",
    "VolumeSnapshotLocation",
  ],
  "velero.io/v2alpha1": ["DataDownload", "DataUpload"],
};

/** Resolves when discovery serves every required kind; otherwise rejects naming each missing one and the fix. */
export async function checkVeleroResources(kube: Pick<KubeClient, "discover">, log: Logger): Promise<void> {
  log.info("Checking existence of Velero custom resource definitions");
  const missing = new Map<string, Set<string>>(Object.entries(REQUIRED_VELERO_KINDS).map(([gv, kinds]) => [gv, new Set(kinds)]));
  for (const r of await kube.discover()) {
    const kinds = missing.get(`${r.group}/${r.version}`);
    if (kinds?.delete(r.kind)) log.info({ kind: r.kind }, "Found custom resource");
  }
  const problems = [...missing].flatMap(([gv, kinds]) => [...kinds].sort().map((kind) => `custom resource ${kind} not found in Velero API group ${gv}`));
  if (problems.length > 0) {
    throw new Error(`${problems.join("; ")}: Velero custom resources not found; run 'velero install --crds-only' to create (or update) the custom resource definitions`);
  }
  log.info("All Velero custom resource definitions exist");
}

/**
 * The start-up check that the server's namespace exists (Velero's namespaceExists): a mistyped
 * --namespace would otherwise give a server that starts and never sees a Backup.
 */
export async function checkNamespaceExists(kube: Pick<KubeClient, "get">, namespace: string, log: Logger): Promise<void> {
  log.info({ namespace }, "Checking existence of namespace.");
  let found;
  try {
    found = await kube.get(GVR.namespaces, namespace);
  } catch (err) {
    if (!isForbidden(err)) throw err;
    // the API server's own message names the identity it refused; the fix is named here (no
    // cause: the CLI would add its kubeconfig hint, wrong for a pod's service account)
    throw new Error(`${getErrorMessage(err)}: the server's identity may not read its namespace; bind it to a role that may (velero install binds its ServiceAccount "velero" to cluster-admin)`);
  }
  if (!found) {
    throw new Error(`namespaces "${namespace}" not found: the server watches Velero's resources in namespace "${namespace}"; create it (velero install does), or pass the namespace Velero is installed in with --namespace`);
  }
  log.info({ namespace }, "Namespace exists");
}
