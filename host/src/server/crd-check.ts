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

/** The environment variables through which the provider plugins read credentials files or keys. */
const CREDENTIAL_ENV = ["AWS_SHARED_CREDENTIALS_FILE", "AWS_ACCESS_KEY_ID", "GOOGLE_APPLICATION_CREDENTIALS", "AZURE_CREDENTIALS_FILE"];

/**
 * A server run outside the cluster after `velero install --secret-file`: the credentials are in
 * the Secret "cloud-credentials", which only the installed Deployment's pod mounts. Says so once
 * (at warning level) when no credentials variable is set, instead of leaving the user with a
 * location Unavailable for want of credentials. Never fails the start.
 */
export async function warnUnusedInstallCredentials(
  kube: Pick<KubeClient, "get">,
  namespace: string,
  options: { inCluster: boolean; env: NodeJS.ProcessEnv },
  log: Logger,
): Promise<boolean> {
  if (options.inCluster || CREDENTIAL_ENV.some((name) => options.env[name])) return false;
  const secret = await kube.get(GVR.secrets, INSTALL_CREDENTIALS_SECRET, namespace).catch(() => undefined);
  if (!secret) return false;
  log.warn(
    `Secret "${INSTALL_CREDENTIALS_SECRET}" in namespace "${namespace}" (velero install --secret-file) holds the plugins' credentials, which only the installed Deployment's pod mounts; ` +
      `this server runs outside the cluster and does not read it: save it to a file (kubectl -n ${namespace} get secret ${INSTALL_CREDENTIALS_SECRET} -o jsonpath='{.data.cloud}' | base64 -d > credentials-velero) ` +
      "and start the server with AWS_SHARED_CREDENTIALS_FILE=$PWD/credentials-velero (GOOGLE_APPLICATION_CREDENTIALS or AZURE_CREDENTIALS_FILE for those plugins)",
  );
  return true;
}

/** The Secret `velero install --secret-file` creates. */
const INSTALL_CREDENTIALS_SECRET = "cloud-credentials";

/**
 * checkVeleroResources, patient for an API server that has only just come up (one the start had
 * to wait for): it serves CRDs a moment after it answers, so kinds missing then are looked for
 * again, every 2 s for up to `patienceMs`, before the start fails. (Velero fails at once, and
 * outside a pod nothing restarts it.)
 */
export async function checkVeleroResourcesPatiently(
  kube: Pick<KubeClient, "discover"> & { invalidateDiscovery?(): void },
  log: Logger,
  patienceMs: number,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<void> {
  const deadline = Date.now() + patienceMs;
  for (let said = false; ; ) {
    try {
      await checkVeleroResources(kube, log);
      return;
    } catch (err) {
      if (!getErrorMessage(err).includes("Velero custom resources not found") || Date.now() >= deadline) throw err;
      if (!said) log.info("the API server has only just started: waiting for it to serve Velero's custom resources");
      said = true;
      await sleep(2000);
      kube.invalidateDiscovery?.();
    }
  }
}

/** How long a start that had to wait for the API server then waits for it to serve Velero's kinds. */
export const CRD_PATIENCE_MS = 30_000;
