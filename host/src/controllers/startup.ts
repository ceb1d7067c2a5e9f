/**
 * What `velero server` does once as it starts, before its controllers run (Velero v1.18.1
 * markInProgressCRsFailed, pkg/cmd/server/server.go): a Backup or Restore still InProgress was
 * being run by a server that is gone, so it is marked Failed with Velero's reason. Only then: an
 * InProgress one that appears later (synced from a bucket, say) is left as it is, as in Velero.
 */
import { getErrorMessage, type Backup, type UnstructuredItem } from "@velero-ts/plugin-sdk";
import { GVR } from "../kube/gvr.js";
import type { GroupVersionResource, KubeClient } from "../kube/client.js";
import { isAlreadyExists, isConflict } from "../kube/errors.js";
import { toKubeTime, type Clock } from "../shared/clock.js";
import { withDeadline } from "../shared/deadline.js";
import type { Logger } from "../shared/logging.js";

/**
 * The status of the backup as its bucket holds it (velero-backup.json), when that is the same
 * backup (same UID); undefined when there is none or it cannot be read.
 */
export type StoredBackupStatus = (backup: Backup) => Promise<Backup["status"] | undefined>;

/**
 * Terminal phases, which the bucket's metadata gets in the upload's last write (after the tarball
 * and every side file): an InProgress CR whose bucket says one of these was finished by the server
 * that died, before it could patch the CR. Not Finalizing or WaitingForPluginOperations: the
 * upload's first metadata write (before the tarball, as Velero orders it) has those.
 */
const STORED_FINISHED_PHASES = new Set(["Completed", "PartiallyFailed", "Failed"]);

/** How long the start waits for one location to say whether it holds a backup's final status (a silent store must not hold the start). */
export const STORED_STATUS_WAIT_MS = 20_000;

export async function markInProgressFailed(o: {
  kube: KubeClient;
  namespace: string;
  clock: Clock;
  logger: Logger;
  storedBackupStatus?: StoredBackupStatus;
  storedStatusWaitMs?: number;
  /** The namespace's objects of a resource as the server's watch cache holds them (read only); default: a LIST. */
  cached?: (gvr: GroupVersionResource) => Promise<readonly UnstructuredItem[] | undefined>;
}): Promise<void> {
  for (const [gvr, kind] of [
    [GVR.backups, "backup"],
    [GVR.restores, "restore"],
  ] as const) {
    let items;
    try {
      items = (await o.cached?.(gvr)) ?? (await o.kube.list(gvr, { namespace: o.namespace })).items;
    } catch (err) {
      o.logger.error({ err: getErrorMessage(err) }, `failed to list ${kind}s`);
      continue;
    }
    for (const item of items) {
      const phase = (item["status"] as { phase?: string } | undefined)?.phase ?? "";
      if (phase !== "InProgress") continue;
      if (kind === "backup" && o.storedBackupStatus && (await takeStoredStatus(o, item as unknown as Backup, o.storedBackupStatus, o.storedStatusWaitMs ?? STORED_STATUS_WAIT_MS))) continue;
      const reason = `found a ${kind} with status "InProgress" during the server starting, mark it as "Failed"`;
      try {
        // conditional on the version read: a CR that moved on meanwhile is refused (409) and left alone
        await o.kube.patch(gvr, item.metadata.name, o.namespace, {
          metadata: { resourceVersion: item.metadata.resourceVersion },
          status: { phase: "Failed", failureReason: reason, completionTimestamp: toKubeTime(o.clock.now()) },
        });
      } catch (err) {
        if (!isConflict(err)) o.logger.error({ err: getErrorMessage(err) }, `failed to patch ${kind} "${item.metadata.name}"`);
        continue;
      }
      o.logger.warn({ [kind]: item.metadata.name }, reason);
    }
  }
}

/**
 * A backup whose files the dying server had all written (the bucket's metadata says so) gets the
 * stored status instead of Failed: the cluster and the bucket then agree (Velero, whose CR is
 * Finalizing by then, resumes it; a Failed CR over a Completed bucket would refuse restores that
 * another cluster, syncing the bucket, allows).
 */
async function takeStoredStatus(o: { kube: KubeClient; namespace: string; logger: Logger }, backup: Backup, stored: StoredBackupStatus, waitMs: number): Promise<boolean> {
  let status: Backup["status"] | undefined;
  try {
    status = await withDeadline(stored(backup), waitMs, () => new Error(`its location did not answer within ${waitMs / 1000} s`));
  } catch (err) {
    o.logger.warn({ backup: backup.metadata.name, err: getErrorMessage(err) }, "cannot read the backup's metadata from its location; marking it Failed");
    return false;
  }
  if (!status?.phase || !STORED_FINISHED_PHASES.has(status.phase)) return false;
  try {
    await o.kube.patch(GVR.backups, backup.metadata.name, o.namespace, { metadata: { resourceVersion: backup.metadata.resourceVersion }, status });
  } catch (err) {
    if (!isConflict(err)) o.logger.error({ err: getErrorMessage(err) }, `failed to patch backup "${backup.metadata.name}"`);
    return true;
  }
  o.logger.warn(
    { backup: backup.metadata.name, phase: status.phase },
    `found a backup with status "InProgress" during the server starting whose files and metadata were all uploaded (phase "${status.phase}" in object storage); taking that status`,
  );
  return true;
}

/** The Secret Velero keeps its backup repositories' password in, and its key. */
export const REPOSITORY_KEY_SECRET = { name: "velero-repo-credentials", key: "repository-password" } as const;
/** Velero's password for the repositories of file-system backups and data movement (pkg/repository/keys). */
const REPOSITORY_PASSWORD = "static-passw0rd";

/**
 * At server start, as Velero's initRepoManager: the repository password Secret exists in the
 * server's namespace (a backup of that namespace holds it, and a Velero node agent sharing the
 * namespace finds it). An existing one is left alone.
 */
export async function ensureRepositoryKey(o: { kube: KubeClient; namespace: string }): Promise<void> {
  if (await o.kube.get(GVR.secrets, REPOSITORY_KEY_SECRET.name, o.namespace)) return;
  try {
    await o.kube.create(GVR.secrets, {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { namespace: o.namespace, name: REPOSITORY_KEY_SECRET.name },
      type: "Opaque",
      data: { [REPOSITORY_KEY_SECRET.key]: Buffer.from(REPOSITORY_PASSWORD).toString("base64") },
    });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
}
