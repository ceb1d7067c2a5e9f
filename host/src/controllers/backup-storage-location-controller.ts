/**
 * BackupStorageLocationReconciler: keeps a single default location (the newest default wins; the
 * one --default-backup-storage-location names is made default once, at server start:
 * setDefaultBackupLocation) and validates each location through its ObjectStore plugin when this
 * server first sees it or its spec changes, then every validationFrequency (server default 1m; 0
 * turns the periodic checks off): phase Available/Unavailable, message, lastValidationTime.
 * Validation only reads the bucket, so ReadOnly locations are never written to.
 */
import { getErrorMessage, type BackupStorageLocation, type UnstructuredItem } from "@velero-ts/plugin-sdk";
import { withDeadline } from "../shared/deadline.js";
import { formatGoDuration, parseGoDuration } from "../shared/duration.js";
import type { KubeClient } from "../kube/client.js";
import { GVR } from "../kube/gvr.js";
import type { BackupStoreGetter } from "../persistence/location.js";
import { realClock, toKubeTime, type Clock } from "../shared/clock.js";
import type { Logger } from "../shared/logging.js";
import { redactStorageSecrets, sanitizeStorageError } from "./storage-error.js";
import type { CachedList } from "./runtime/informer.js";
import type { ObjectKey, ReconcileResult, Reconciler } from "./runtime/types.js";

export const DEFAULT_VALIDATION_FREQUENCY_MS = 60_000;

export interface BslMetrics {
  backupLocationStatus(location: string, available: boolean): void;
}

export interface BackupStorageLocationReconcilerOptions {
  kube: KubeClient;
  logger: Logger;
  getBackupStore: BackupStoreGetter;
  clock?: Clock;
  /** --store-validation-frequency for locations without spec.validationFrequency. */
  defaultValidationFrequencyMs?: number;
  metrics?: BslMetrics;
  /**
   * How long one validation (getting the store, Init, the listing) may take before the location
   * is marked Unavailable and the worker moves on; default VALIDATION_TIMEOUT_MS. (Velero waits
   * for ever, so one store that stops answering stops the validation of every location.)
   */
  validationTimeoutMs?: number;
  /** The watch cache's locations of a namespace, read instead of a LIST at each validation (the single-default check, the summary line). */
  cachedLocations?: CachedList;
}

/** Default time limit of one location's validation. */
export const VALIDATION_TIMEOUT_MS = 60_000;

/** Velero's BSL controller period: how often a location with a negative server frequency is validated. */
export const NEGATIVE_FREQUENCY_RECHECK_MS = 10_000;

export class BackupStorageLocationReconciler implements Reconciler {
  readonly name = "backup-storage-location";
  readonly watches = GVR.backupStorageLocations;
  readonly #o: BackupStorageLocationReconcilerOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  /** The spec each location was last validated with by this server (a new or changed spec is validated at once). */
  readonly #validatedSpecs = new Map<ObjectKey, string>();

  constructor(options: BackupStorageLocationReconcilerOptions) {
    this.#o = options;
    this.#clock = options.clock ?? realClock;
    this.#log = options.logger.child({ controller: "backup-storage-location" });
  }

  forget(key: ObjectKey): void {
    this.#validatedSpecs.delete(key);
  }

  /**
   * As in Velero, a location this server has not validated yet, or whose spec changed (a bucket
   * fixed, credentials replaced), is validated at once; otherwise when its frequency says so. A
   * frequency of 0 turns the periodic checks off. Undefined when it is due now.
   */
  #notDue(key: ObjectKey, location: BackupStorageLocation, frequencyMs: number): ReconcileResult | undefined {
    if (this.#validatedSpecs.get(key) !== JSON.stringify(location.spec)) return undefined;
    const last = location.status?.lastValidationTime ? Date.parse(location.status.lastValidationTime) : NaN;
    if (frequencyMs === 0 && !Number.isNaN(last)) return { kind: "done" };
    const now = this.#clock.now().getTime();
    if (!Number.isNaN(last) && now - last < frequencyMs && location.status?.phase) return { kind: "requeue", afterMs: frequencyMs - (now - last) };
    return undefined;
  }

  async reconcile(key: ObjectKey, cached?: UnstructuredItem): Promise<ReconcileResult> {
    // the watch cache's copy (its own status patches come back as events) says whether anything is due, with no GET
    const early = cached ? this.#notDue(key, cached as unknown as BackupStorageLocation, this.#frequency(cached as unknown as BackupStorageLocation, false)) : undefined;
    if (early) return early;
    const slash = key.indexOf("/");
    const namespace = slash < 0 ? undefined : key.slice(0, slash);
    const name = slash < 0 ? key : key.slice(slash + 1);
    const location = (await this.#o.kube.get(GVR.backupStorageLocations, name, namespace)) as unknown as BackupStorageLocation | undefined;
    if (!location) {
      this.#validatedSpecs.delete(key);
      return { kind: "done" };
    }
    const frequencyMs = this.#frequency(location);
    const notDue = this.#notDue(key, location, frequencyMs);
    if (notDue) return notDue;
    const last = location.status?.lastValidationTime ? Date.parse(location.status.lastValidationTime) : NaN;
    this.#validatedSpecs.set(key, JSON.stringify(location.spec));
    // Only when a location is validated: a second default can only appear by a spec change (its
    // own or another location's), which validates that location at once (not on every event and
    // every requeue, which LISTed all locations each time).
    const { all, defaultFound } = await this.#ensureSingleDefault(namespace);

    // Velero's lines, each validation: what failed, then the verdict, then a summary of all locations
    const log = this.#log.child({ "backup-storage-location": key });
    let phase: "Available" | "Unavailable" = "Available";
    let message = "";
    const limitMs = this.#o.validationTimeoutMs ?? VALIDATION_TIMEOUT_MS;
    try {
      // a store that stops answering must not hold this worker (its calls end at the object store time limit)
      await withDeadline(this.#validate(location, Number.isNaN(last), log), limitMs, () => {
        const err = new Error(
          `validation did not finish within ${formatGoDuration(limitMs)}: the object store did not answer; check the location's endpoint (bucket, config such as s3Url), the network and proxies`,
        );
        log.error({ err: err.message }, "fail to validate backup store");
        return err;
      });
    } catch (err) {
      phase = "Unavailable";
      message = sanitizeStorageError(`BackupStorageLocation "${name}" is unavailable: ${getErrorMessage(err)}`);
    }
    if (phase === "Unavailable") log.info("BackupStorageLocation is invalid, marking as unavailable");
    else log.info("BackupStorageLocations is valid, marking as available");
    this.#o.metrics?.backupLocationStatus(name, phase === "Available");
    await this.#o.kube.patch(GVR.backupStorageLocations, name, namespace, {
      status: { phase, message: message || null, lastValidationTime: toKubeTime(this.#clock.now()) },
    });
    this.#logReconciledPhase(
      all.map((l) => (l.metadata.name === name ? { ...l, status: { ...l.status, phase } } : l)),
      defaultFound,
      message ? [message] : [],
    );
    return frequencyMs === 0 ? { kind: "done" } : { kind: "requeue", afterMs: frequencyMs };
  }

  /** Gets the location's store and checks it; rejects with what is wrong. */
  async #validate(location: BackupStorageLocation, firstValidation: boolean, log: Logger): Promise<void> {
    const objectStorage = location.spec.objectStorage as { caCert?: unknown; caCertRef?: unknown } | undefined;
    if (objectStorage?.caCert !== undefined && objectStorage.caCertRef !== undefined) {
      const err = new Error("cannot specify both caCert and caCertRef in objectStorage");
      log.error({ err: err.message }, "BackupStorageLocation spec is invalid");
      throw err;
    }
    const store = await this.#o.getBackupStore(location, { firstValidation }).catch((err: unknown) => {
      log.error({ err: redactStorageSecrets(getErrorMessage(err)) }, "Error getting a backup store");
      throw err;
    });
    log.info("Validating BackupStorageLocation");
    await store.isValid().catch((err: unknown) => {
      log.error({ err: redactStorageSecrets(getErrorMessage(err)) }, "fail to validate backup store");
      throw err;
    });
  }

  /**
   * Velero's summary after each validation: an error when none is Available, a warning when some
   * are Unavailable, and one when none is the default. The location just validated counts with
   * its new phase (Velero counts the phases listed before the validation, so every server start
   * logs "available/unavailable/unknown: 0/0/1" as an error for a location about to be Available).
   */
  #logReconciledPhase(all: readonly BackupStorageLocation[], defaultFound: boolean, errors: readonly string[]): void {
    const available = all.filter((l) => l.status?.phase === "Available").length;
    const unavailable = all.filter((l) => l.status?.phase === "Unavailable").length;
    const unknown = all.length - available - unavailable;
    const counts = `${available}/${unavailable}/${unknown}`;
    if (unavailable + unknown === all.length) {
      this.#log.error(`Current BackupStorageLocations available/unavailable/unknown: ${counts}${errors.length > 0 ? `, ${errors.join("; ")}` : ""})`);
    } else if (unavailable > 0) {
      this.#log.warn(`Unavailable BackupStorageLocations detected: available/unavailable/unknown: ${counts}, ${errors.join("; ")})`);
    }
    if (!defaultFound) this.#log.warn("There is no existing BackupStorageLocation set as default. Please see `velero backup-location -h` for options.");
  }

  /** spec.validationFrequency, else the server's; a negative one means the server's (Velero), with a warning unless told not to. */
  #frequency(location: BackupStorageLocation, warn = true): number {
    const spec = location.spec.validationFrequency;
    if (spec !== undefined && spec !== null && spec !== "") {
      try {
        const ms = parseGoDuration(spec);
        if (ms >= 0) return ms;
        if (warn) this.#log.warn({ name: location.metadata.name }, `validationFrequency "${spec}" is negative, using the server default`);
      } catch {
        if (warn) this.#log.warn({ name: location.metadata.name }, `invalid validationFrequency "${spec}", using the server default`);
      }
    }
    const server = this.#o.defaultValidationFrequencyMs ?? DEFAULT_VALIDATION_FREQUENCY_MS;
    // A negative --store-validation-frequency makes Velero validate at every look, and it looks
    // every 10 s; here it would requeue at once, in a tight loop of validations and patches.
    return server < 0 ? NEGATIVE_FREQUENCY_RECHECK_MS : server;
  }

  /** Keeps the newest default location only; returns the locations as listed, and whether one is default. */
  async #ensureSingleDefault(namespace: string | undefined): Promise<{ all: readonly BackupStorageLocation[]; defaultFound: boolean }> {
    const cached = namespace ? await this.#o.cachedLocations?.(namespace) : undefined;
    const all = (cached ?? (await this.#o.kube.list(GVR.backupStorageLocations, { namespace })).items) as unknown as readonly BackupStorageLocation[];
    const defaults = all.filter((l) => l.spec?.default);
    if (defaults.length > 1) {
      const newest = [...defaults].sort((a, b) => time(b) - time(a) || (a.metadata.name ?? "").localeCompare(b.metadata.name ?? ""))[0];
      for (const l of defaults) {
        if (l === newest) continue;
        this.#log.info({ name: l.metadata.name }, "unsetting default on an older backup storage location");
        // removed, not false: Velero's Go struct leaves a false `default` out (omitempty), so
        // `kubectl get bsl` shows an empty DEFAULT column for it
        await this.#o.kube.patch(GVR.backupStorageLocations, l.metadata.name ?? "", namespace, { spec: { default: null } });
      }
    }
    return { all, defaultFound: defaults.length > 0 };
  }
}

/**
 * At server start only (Velero's setDefaultBackupLocation): the location --default-backup-storage-location
 * names becomes default if it exists; should another be default too, the reconciler keeps the
 * newest. Later, a user may leave no location default: the flag is not applied again.
 */
export async function setDefaultBackupLocation(o: { kube: KubeClient; namespace: string; name: string; logger: Logger }): Promise<void> {
  if (!o.name) return;
  const location = (await o.kube.get(GVR.backupStorageLocations, o.name, o.namespace)) as unknown as BackupStorageLocation | undefined;
  if (!location) {
    o.logger.warn({ backupStorageLocation: o.name }, "Failed to set default backup storage location at server start: it does not exist");
    return;
  }
  if (location.spec.default) return;
  await o.kube.patch(GVR.backupStorageLocations, o.name, o.namespace, { metadata: { uid: location.metadata.uid }, spec: { default: true } });
  o.logger.info({ backupStorageLocation: o.name }, "Set backup storage location as default");
}

function time(l: BackupStorageLocation): number {
  const t = l.metadata.creationTimestamp;
  return t ? new Date(t).getTime() : 0;
}
