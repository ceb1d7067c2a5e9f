/**
 * DownloadRequest controller (`velero backup logs|download|describe --details`, `velero restore
 * logs|describe`): answers a New request with a signed URL of the stored file, valid 10 minutes,
 * and deletes the request once it has expired.
 */
import type { Backup, BackupStorageLocation, DownloadRequest, DownloadTargetKind, Restore } from "@velero-ts/plugin-sdk";
import type { KubeClient } from "../kube/client.js";
import { GVR } from "../kube/gvr.js";
import type { BackupStoreGetter } from "../persistence/location.js";
import { realClock, toKubeTime, type Clock } from "../shared/clock.js";
import type { Logger } from "../shared/logging.js";
import { delayUntil, parseKubeTime, patchStatus, splitKey } from "./lifecycle-common.js";
import type { ObjectKey, ReconcileResult, Reconciler } from "./runtime/types.js";

/** Velero's persistence.DownloadURLTTL. */
export const DOWNLOAD_URL_TTL_MS = 10 * 60 * 1000;

const RESTORE_TARGETS = new Set<DownloadTargetKind>(["RestoreLog", "RestoreResults", "RestoreResourceList", "RestoreItemOperations", "RestoreVolumeInfo"]);

export interface DownloadRequestReconcilerOptions {
  kube: KubeClient;
  log: Logger;
  getBackupStore: BackupStoreGetter;
  clock?: Clock;
}

export class DownloadRequestReconciler implements Reconciler {
  readonly name = "download-request";
  readonly watches = GVR.downloadRequests;
  readonly #kube: KubeClient;
  readonly #log: Logger;
  readonly #getBackupStore: BackupStoreGetter;
  readonly #clock: Clock;

  constructor(options: DownloadRequestReconcilerOptions) {
    this.#kube = options.kube;
    this.#log = options.log.child({ controller: "download-request" });
    this.#getBackupStore = options.getBackupStore;
    this.#clock = options.clock ?? realClock;
  }

  async reconcile(key: ObjectKey): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const request = (await this.#kube.get(GVR.downloadRequests, name, namespace)) as unknown as DownloadRequest | undefined;
    if (!request) return { kind: "done" };
    const now = this.#clock.now();
    const expiration = parseKubeTime(request.status?.expiration);
    if (expiration && expiration < now) {
      this.#log.debug({ name: key }, "DownloadRequest has expired, deleting it");
      await this.#kube.delete(GVR.downloadRequests, name, namespace);
      return { kind: "done" };
    }
    // Processed: wait for the expiry, then delete.
    if (request.status?.phase === "Processed") return expiration ? { kind: "requeue", afterMs: delayUntil(expiration, now) } : { kind: "done" };
    // New (perhaps given up on before, with an expiration but no URL): looked at again, as Velero does.
    const log = this.#log.child({ name: key });
    try {
      return await this.#process(request, expiration, now, log);
    } catch (err) {
      // A request that cannot even be looked at (a bad target, the API server away) still gets an
      // expiration, so it is deleted in the end, as Velero's deferred patch does; then retried.
      if (!expiration) await patchStatus(this.#kube, GVR.downloadRequests, request, { expiration: toKubeTime(new Date(now.getTime() + DOWNLOAD_URL_TTL_MS)) }).catch(() => undefined);
      throw err;
    }
  }

  async #process(request: DownloadRequest, known: Date | undefined, now: Date, log: Logger): Promise<ReconcileResult> {
    const namespace = request.metadata.namespace;
    const target = request.spec.target;
    const expiration = known ?? new Date(now.getTime() + DOWNLOAD_URL_TTL_MS);
    const requeueAtExpiry: ReconcileResult = { kind: "requeue", afterMs: delayUntil(expiration, now) };
    // An unanswerable request still gets an expiration so it is cleaned up (Velero does the same);
    // written once, so that its own watch event does not start this again.
    const giveUp = async (message: string): Promise<ReconcileResult> => {
      log.error({ target }, message);
      if (!known) await patchStatus(this.#kube, GVR.downloadRequests, request, { expiration: toKubeTime(expiration) });
      return requeueAtExpiry;
    };

    let backupName = target.name;
    if (RESTORE_TARGETS.has(target.kind)) {
      const restore = (await this.#kube.get(GVR.restores, target.name, namespace)) as unknown as Restore | undefined;
      if (!restore) return giveUp(`restore "${target.name}" for the DownloadRequest was not found`);
      backupName = restore.spec.backupName ?? "";
    }
    const backup = (await this.#kube.get(GVR.backups, backupName, namespace)) as unknown as Backup | undefined;
    if (!backup) return giveUp(`backup "${backupName}" for the DownloadRequest was not found`);
    const locationName = backup.spec.storageLocation ?? "";
    const location = (await this.#kube.get(GVR.backupStorageLocations, locationName, namespace)) as unknown as BackupStorageLocation | undefined;
    if (!location) return giveUp(`backup storage location "${locationName}" for the DownloadRequest was not found`);

    const store = await this.#getBackupStore(location);
    const downloadURL = await store.getDownloadUrl(target.kind, target.name, DOWNLOAD_URL_TTL_MS);
    // As Velero: the expiration restarts with the URL (one an earlier failed attempt set would
    // delete the request before its URL expires).
    const signedUntil = new Date(this.#clock.now().getTime() + DOWNLOAD_URL_TTL_MS);
    await patchStatus(this.#kube, GVR.downloadRequests, request, {
      phase: "Processed",
      downloadURL,
      expiration: toKubeTime(signedUntil),
    });
    log.debug({ target }, "DownloadRequest processed");
    return { kind: "requeue", afterMs: delayUntil(signedUntil, this.#clock.now()) };
  }
}
