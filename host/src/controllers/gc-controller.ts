/**
 * Garbage collection (Velero's gcReconciler): every --garbage-collection-frequency each Backup is
 * checked; an expired one gets a DeleteBackupRequest (unless one is already pending), which the
 * deletion controller carries out. Backups whose location is missing or read-only are labelled
 * velero.io/gc-failure instead; an unavailable location is retried on the next pass.
 */
import type { Backup, BackupStorageLocation, DeleteBackupRequest, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { LABELS } from "@velero-ts/plugin-sdk";
import type { KubeClient } from "../kube/client.js";
import { GVR } from "../kube/gvr.js";
import { realClock, type Clock } from "../shared/clock.js";
import type { Logger } from "../shared/logging.js";
import { labelSelectorOf, parseKubeTime, splitKey, validLabelValue } from "./lifecycle-common.js";
import type { ObjectKey, ReconcileResult, Reconciler } from "./runtime/types.js";

/** Velero's default --garbage-collection-frequency. */
export const DEFAULT_GC_FREQUENCY_MS = 60 * 60 * 1000;

export const GC_FAILURE_LABEL = "velero.io/gc-failure";
export const GC_FAILURE = {
  bslNotFound: "BSLNotFound",
  bslCannotGet: "BSLCannotGet",
  bslReadOnly: "BSLReadOnly",
} as const;

export interface GarbageCollectionReconcilerOptions {
  kube: KubeClient;
  log: Logger;
  clock?: Clock;
  /** --garbage-collection-frequency in ms; 0 or less means the default (1h), like Velero. */
  frequencyMs?: number;
}

/** A DeleteBackupRequest for the backup, labelled so it can be found by backup name and uid. */
export function newDeleteBackupRequest(backup: { metadata: { name?: string; namespace?: string; uid?: string } }): DeleteBackupRequest {
  const name = backup.metadata.name ?? "";
  return {
    apiVersion: "velero.io/v1",
    kind: "DeleteBackupRequest",
    metadata: {
      name: "",
      generateName: `${name}-`,
      namespace: backup.metadata.namespace,
      labels: { [LABELS.backupName]: validLabelValue(name), [LABELS.backupUid]: backup.metadata.uid ?? "" },
    },
    spec: { backupName: name },
  };
}

const PENDING_DBR_PHASES = new Set<string | undefined>([undefined, "", "New", "InProgress"]);

export class GarbageCollectionReconciler implements Reconciler {
  readonly name = "gc";
  readonly watches = GVR.backups;
  readonly resyncPeriodMs: number;
  /**
   * As Velero's GC controller: new backups and the periodic resync only. Reacting to updates raced
   * with the deletion controller (a second DeleteBackupRequest for a backup whose first request had
   * just been processed, left behind with "backup not found").
   */
  readonly watchEvents = ["added"] as const;
  /** Backups whose expiration has passed (the periodic resync looks at the others again). */
  wants(object: UnstructuredItem): boolean {
    const expiration = parseKubeTime((object as unknown as Backup).status?.expiration);
    return expiration !== undefined && expiration <= this.#clock.now();
  }
  readonly #kube: KubeClient;
  readonly #log: Logger;
  readonly #clock: Clock;

  constructor(options: GarbageCollectionReconcilerOptions) {
    this.#kube = options.kube;
    this.#log = options.log.child({ controller: "gc" });
    this.#clock = options.clock ?? realClock;
    this.resyncPeriodMs = options.frequencyMs !== undefined && options.frequencyMs > 0 ? options.frequencyMs : DEFAULT_GC_FREQUENCY_MS;
  }

  async reconcile(key: ObjectKey): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const backup = (await this.#kube.get(GVR.backups, name, namespace)) as unknown as Backup | undefined;
    if (!backup) return { kind: "done" };
    const expiration = parseKubeTime(backup.status?.expiration);
    if (!expiration || expiration > this.#clock.now()) return { kind: "done" };

    const log = this.#log.child({ backup: key, expiration: backup.status?.expiration });
    log.info(`backup "${name}" has expired`);
    const locationName = backup.spec.storageLocation ?? "";
    let location: BackupStorageLocation | undefined;
    try {
      location = (await this.#kube.get(GVR.backupStorageLocations, locationName, namespace)) as unknown as BackupStorageLocation | undefined;
    } catch (err) {
      await this.#setFailureLabel(backup, GC_FAILURE.bslCannotGet, log);
      throw err;
    }
    // As Velero: a missing or unavailable location is tried again with backoff (the work queue's,
    // up to 5 minutes apart), so the backup goes soon after the location is back, not at the next
    // --garbage-collection-frequency pass.
    if (!location) {
      log.warn(`backup cannot be garbage-collected because backup storage location "${locationName}" does not exist`);
      await this.#setFailureLabel(backup, GC_FAILURE.bslNotFound, log);
      throw new Error(`error getting backup storage location: BackupStorageLocation.velero.io "${locationName}" not found`);
    }
    if (location.status?.phase !== "Available") {
      log.info(`backup storage location "${locationName}" is unavailable, cannot garbage-collect the backup now`);
      throw new Error(`bsl ${locationName} is unavailable, cannot gc backup`);
    }
    if (location.spec.accessMode === "ReadOnly") {
      log.info(`backup cannot be garbage-collected because backup storage location "${locationName}" is in read-only mode`);
      await this.#setFailureLabel(backup, GC_FAILURE.bslReadOnly, log);
      return { kind: "done" };
    }
    await this.#setFailureLabel(backup, undefined, log);

    if (await this.#hasPendingDeletion(backup)) {
      log.info("backup already has a pending deletion request");
      return { kind: "done" };
    }
    log.info("creating a new deletion request");
    await this.#kube.create(GVR.deleteBackupRequests, newDeleteBackupRequest(backup) as unknown as UnstructuredItem);
    return { kind: "done" };
  }

  async #hasPendingDeletion(backup: Backup): Promise<boolean> {
    const { items } = await this.#kube.list(GVR.deleteBackupRequests, {
      namespace: backup.metadata.namespace,
      labelSelector: labelSelectorOf({
        [LABELS.backupName]: validLabelValue(backup.metadata.name ?? ""),
        [LABELS.backupUid]: backup.metadata.uid ?? "",
      }),
    });
    return items.some((dbr) => PENDING_DBR_PHASES.has((dbr as unknown as DeleteBackupRequest).status?.phase));
  }

  /** Sets (or with undefined removes) the gc-failure label; failures are logged, not fatal. */
  async #setFailureLabel(backup: Backup, value: string | undefined, log: Logger): Promise<void> {
    const current = backup.metadata.labels?.[GC_FAILURE_LABEL];
    if (current === value) return;
    try {
      await this.#kube.patch(GVR.backups, backup.metadata.name ?? "", backup.metadata.namespace, {
        metadata: { labels: { [GC_FAILURE_LABEL]: value ?? null } },
      });
    } catch (err) {
      log.error({ err }, "error updating backup labels");
    }
  }
}
