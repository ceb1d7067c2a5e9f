/**
 * The composition root of `velero server`: the only place that constructs the real adapters
 * (kube client, plugin manager, backup stores, metrics endpoint) and wires every controller.
 */
import { createServer, type Server } from "node:http";
import { getErrorMessage, type Backup, type BackupStorageLocation, type UnstructuredItem } from "@velero-ts/plugin-sdk";
import { BUILTIN_BACKUP_ITEM_ACTIONS, createBuiltinBackupItemAction, CRD_REMAP_VERSION_ACTION } from "../backup/actions/index.js";
import { builtinCsiBackupItemActions } from "../backup/actions/csi.js";
import { builtinCsiRestoreItemActions } from "../restore/actions/csi/index.js";
import { createCsiVolumeSnapshotContentDeleteAction, CSI_VSC_DELETE } from "../controllers/csi-volume-snapshot-content-delete.js";
import { BUILTIN_ITEM_BLOCK_ACTIONS, createBuiltinItemBlockAction } from "../backup/item-block-actions/index.js";
import { formatGoDuration, parseGoDuration } from "../shared/duration.js";
import { API_GROUP_VERSIONS_FEATURE, FeatureFlags } from "../shared/features.js";
import { FILESYSTEM_CONFIG, FILESYSTEM_OBJECT_STORE } from "../builtin-plugins/filesystem-object-store.js";
import { createBuiltinPlugins } from "../builtin-plugins/registry.js";
import { BackupReconciler } from "../controllers/backup-controller.js";
import { BackupOperationsReconciler, BackupPostProcessingTracker, DEFAULT_ITEM_OPERATION_SYNC_MS } from "../controllers/backup-operations-controller.js";
import { BackupStorageLocationReconciler, setDefaultBackupLocation } from "../controllers/backup-storage-location-controller.js";
import { createLifecycleReconcilers } from "../controllers/lifecycle.js";
import { scheduleOf } from "../controllers/lifecycle-common.js";
import { RestoreReconciler } from "../controllers/restore-controller.js";
import { RestoreOperationsReconciler, RestoreRunTracker } from "../controllers/restore-operations-controller.js";
import { cachedListOf, type Informer } from "../controllers/runtime/informer.js";
import { ControllerManager } from "../controllers/runtime/manager.js";
import { ensureRepositoryKey, markInProgressFailed } from "../controllers/startup.js";
import { disabledControllers } from "./controller-names.js";
import { checkNamespaceExists, checkVeleroResourcesPatiently, CRD_PATIENCE_MS, warnUnusedInstallCredentials } from "./crd-check.js";
import type { KubeClient } from "../kube/client.js";
import { GVR } from "../kube/gvr.js";
import { createKubeClient, HttpKubeClient, kubeUserAgent } from "../kube/http-kube-client.js";
import { isInClusterConfig } from "../kube/kube-config.js";
import { CredentialFileStore } from "../persistence/credentials.js";
import { createBackupStoreGetter } from "../persistence/location.js";
import { DefaultPluginManager } from "../plugins/default-manager.js";
import type { PluginManager } from "../plugins/manager.js";
import { discoverPlugins, pluginArgs } from "../plugins/registry.js";
import { builtinRestoreItemActions } from "../restore/actions/index.js";
import { DEFAULT_RESOURCE_TERMINATING_TIMEOUT_MS, DEFAULT_RESOURCE_TIMEOUT_MS } from "../restore/restorer.js";
import { parseRestorePriorities } from "../restore/priorities.js";
import { realClock, type Clock } from "../shared/clock.js";
import { createLogger, type Logger, type LogLevel } from "../shared/logging.js";
import { VELERO_TS_VERSION } from "../shared/version.js";
import { API_SERVER_UNREACHABLE } from "../shared/errors.js";
import { removeOwnScratchRoot, removeStaleScratch } from "../shared/scratch.js";
import { ServerMetrics } from "./metrics.js";

/** A duration option: a Go duration string ("720h0m0s", "1m") or milliseconds. */
export type DurationOption = string | number;

/** Options of `velero server` (the CLI maps its flags onto these; all optional). */
export interface ServerOptions {
  /** --namespace; default $VELERO_NAMESPACE, else "velero". */
  namespace?: string;
  /** --plugin-dir; default "/plugins" (a missing directory means no external plugins). */
  pluginDir?: string;
  /** --log-level (panic|fatal|error|warning|info|debug|trace); default "info". */
  logLevel?: string;
  /** --log-format; default "text". */
  logFormat?: "text" | "json";
  /** --default-backup-storage-location; default "default". */
  defaultBackupStorageLocation?: string;
  /** --default-volume-snapshot-locations: "provider:name,..." or a map. */
  defaultVolumeSnapshotLocations?: string | Record<string, string>;
  /** --backup-sync-period; default 1m; 0 disables sync. */
  backupSyncPeriod?: DurationOption;
  /** --garbage-collection-frequency; default 1h. */
  garbageCollectionFrequency?: DurationOption;
  /** --default-backup-ttl; default 720h. */
  defaultBackupTtl?: DurationOption;
  /** --store-validation-frequency; default 1m. */
  storeValidationFrequency?: DurationOption;
  /** --metrics-address; default defaultMetricsAddress() (Velero's ":8085" in a pod, else 127.0.0.1:8085); "" disables. */
  metricsAddress?: string;
  /** --features, e.g. ["EnableCSI"]. */
  features?: string[];
  /**
   * The arguments every plugin executable is started with. `velero server` passes its own command
   * line (without "server"), as Velero does; plugins built on Velero's framework read the server's
   * settings from it. Default: --log-level, --log-format and --features only.
   */
  pluginArgs?: readonly string[];
  /** --kubeconfig / --kubecontext. */
  kubeconfig?: string;
  kubecontext?: string;
  /** --concurrent-backups: backups running at once; default 1. */
  concurrency?: number;
  /** --item-block-worker-count: item blocks each backup backs up at once; default 1. */
  itemBlockWorkerCount?: number;
  /** --item-operation-sync-frequency: how often backup/restore item operations are checked; default 10s. */
  itemOperationSyncFrequency?: DurationOption;
  /** --default-item-operation-timeout: for Backups and Restores whose spec.itemOperationTimeout is unset or zero; default 4h. */
  defaultItemOperationTimeout?: DurationOption;
  /** --resource-timeout: how long a restore waits for a resource it depends on (a CRD to be ready...); default 10m. */
  resourceTimeout?: DurationOption;
  /**
   * --object-store-timeout (velero-ts): how long a call to an object store plugin may go without
   * progress before it is cancelled and fails, naming the plugin and the call; default 5m, 0 turns
   * the limit off (Velero has none: a store that stops answering hangs the backup for ever).
   */
  objectStoreTimeout?: DurationOption;
  /** --terminating-resource-timeout: how long a restore waits for a terminating namespace or PV to go; default 10m. */
  terminatingResourceTimeout?: DurationOption;
  /** --default-snapshot-move-data: for Backups without spec.snapshotMoveData. */
  defaultSnapshotMoveData?: boolean;
  /** --volume-group-snapshot-label-key: for Backups without spec.volumeGroupSnapshotLabelKey; default velero.io/volume-group. */
  volumeGroupSnapshotLabelKey?: string;
  /** --disable-controllers (Velero controller names: backup, restore, schedule, gc, ...). */
  disableControllers?: string[];
  /** --restore-only: no backup, backup-deletion, backup-finalizer, backup-operations, gc or schedule controllers. */
  restoreOnly?: boolean;
  /** --default-volumes-to-fs-backup: for a Backup that does not say (spec.defaultVolumesToFsBackup unset). */
  defaultVolumesToFsBackup?: boolean;
  /** --restore-resource-priorities: the order restores create resources in. */
  restoreResourcePriorities?: string;
  /** --schedule-skip-immediately. */
  scheduleSkipImmediately?: boolean;
  /** --client-page-size; default 500. */
  clientPageSize?: number;
  /** --client-qps / --client-burst: the API request rate limit (unset: none client-side). */
  clientQps?: number;
  clientBurst?: number;
  /** --max-concurrent-k8s-connections: connections to the API server at most (default 30). */
  maxConcurrentK8sConnections?: number;
  /** Reported as status.serverVersion of ServerStatusRequests. */
  serverVersion?: string;
  /** Injection points (tests): replace the real adapters. */
  logger?: Logger;
  kube?: KubeClient;
  plugins?: PluginManager;
  clock?: Clock;
}

export interface RunningServer {
  readonly namespace: string;
  /** "http://127.0.0.1:<port>/metrics", or undefined when disabled. */
  readonly metricsUrl: string | undefined;
  readonly metrics: ServerMetrics;
  readonly plugins: PluginManager;
  /** Stops controllers, watches, plugin processes and the metrics endpoint. */
  stop(): Promise<void>;
}

/** The metrics endpoint's address outside a cluster: this machine only. */
export const DEFAULT_METRICS_ADDRESS = "127.0.0.1:8085";

/** For a stop requested while startServer() runs: the plugin processes it has started so far. */
export { killStartedPluginProcesses } from "../plugins/plugin-process.js";

/** --object-store-timeout's default: above the AWS plugin's own retries of a silent endpoint (3 tries of 60 s). */
export const DEFAULT_OBJECT_STORE_TIMEOUT_MS = 5 * 60_000;
/** In a pod, Velero's default (every interface): Prometheus scrapes the pod's IP (the Deployment's prometheus.io annotations). */
export const IN_CLUSTER_METRICS_ADDRESS = ":8085";

/** --metrics-address when not given: Velero's ":8085" in a pod, 127.0.0.1:8085 elsewhere. */
export function defaultMetricsAddress(kube: KubeClient): string {
  return kube instanceof HttpKubeClient && isInClusterConfig(kube.kubeConfig) ? IN_CLUSTER_METRICS_ADDRESS : DEFAULT_METRICS_ADDRESS;
}
/** How long the server's requests wait out an API server that refuses connections. */
const SERVER_CONNECT_RETRY_MS = 30_000;


function toMs(value: DurationOption | undefined, fallbackMs: number, flag: string): number {
  if (value === undefined || value === "") return fallbackMs;
  if (typeof value === "number") return value;
  try {
    return parseGoDuration(value);
  } catch {
    throw new Error(`invalid ${flag} "${value}": expected a duration such as 1h30m`);
  }
}

/** Parses "aws:default,gcp:main" (Velero's --default-volume-snapshot-locations). */
export function parseProviderMap(value: string | Record<string, string> | undefined): Record<string, string> {
  if (!value) return {};
  if (typeof value !== "string") return { ...value };
  const out: Record<string, string> = {};
  for (const pair of value.split(",").filter(Boolean)) {
    const [provider, name] = pair.split(":");
    if (!provider || !name) throw new Error(`invalid --default-volume-snapshot-locations entry "${pair}": expected provider:name`);
    out[provider.includes("/") ? provider : `velero.io/${provider}`] = name;
    out[provider] = name;
  }
  return out;
}

export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const namespace = options.namespace || process.env.VELERO_NAMESPACE || "velero";
  const logger = options.logger ?? createLogger({ level: (options.logLevel ?? "info") as LogLevel, format: options.logFormat, batch: true });
  const log = logger.child({ cmd: "server" });
  const clock = options.clock ?? realClock;
  const disabled = disabledControllers(options, log);
  const restorePriorities = options.restoreResourcePriorities ? parseRestorePriorities(options.restoreResourcePriorities) : undefined;
  const gcFrequencyMs = toMs(options.garbageCollectionFrequency, 3_600_000, "--garbage-collection-frequency");
  // Velero v1.18.1: zero or negative means the default minute; a location's spec.backupSyncPeriod
  // of 0 is what turns sync off for it.
  const backupSyncPeriodFlagMs = toMs(options.backupSyncPeriod, 60_000, "--backup-sync-period");
  const backupSyncPeriodMs = backupSyncPeriodFlagMs > 0 ? backupSyncPeriodFlagMs : 60_000;
  const defaultBackupTtlMs = toMs(options.defaultBackupTtl, 720 * 3_600_000, "--default-backup-ttl");
  const validationMs = toMs(options.storeValidationFrequency, 60_000, "--store-validation-frequency");
  const itemOperationSyncMs = toMs(options.itemOperationSyncFrequency, DEFAULT_ITEM_OPERATION_SYNC_MS, "--item-operation-sync-frequency");
  const itemOperationTimeout = formatGoDuration(toMs(options.defaultItemOperationTimeout, 4 * 3_600_000, "--default-item-operation-timeout"));
  const resourceTimeoutMs = toMs(options.resourceTimeout, DEFAULT_RESOURCE_TIMEOUT_MS, "--resource-timeout");
  const objectStoreTimeoutMs = toMs(options.objectStoreTimeout, DEFAULT_OBJECT_STORE_TIMEOUT_MS, "--object-store-timeout");
  const resourceTerminatingTimeoutMs = toMs(options.terminatingResourceTimeout, DEFAULT_RESOURCE_TERMINATING_TIMEOUT_MS, "--terminating-resource-timeout");
  const itemBlockWorkers = options.itemBlockWorkerCount ?? 1;
  if (!Number.isInteger(itemBlockWorkers) || itemBlockWorkers < 1) {
    throw new Error(`invalid --item-block-worker-count ${itemBlockWorkers}: it must be a whole number of at least 1`);
  }
  const defaultVsls = parseProviderMap(options.defaultVolumeSnapshotLocations);
  const features = new FeatureFlags(options.features ?? []);
  // Velero's first lines
  log.info(`setting log-level to ${logLevelName(options.logLevel ?? "info")}`);
  log.info(`Starting Velero server ${options.serverVersion ?? VELERO_TS_VERSION} (velero-ts)`);
  // the Node options the executable carries (its young generation, say) and any NODE_OPTIONS added
  log.debug({ node: process.version, execArgv: process.execArgv }, "Node.js runtime");
  if (features.all().length > 0) log.info(`${features.all().length} feature flags enabled [${features.all().join(" ")}]`);
  else log.info("No feature flags enabled");

  const ownKube = options.kube === undefined;
  const kube =
    options.kube ??
    createKubeClient({
      kubeconfig: options.kubeconfig,
      context: options.kubecontext,
      logger,
      pageSize: options.clientPageSize,
      ...(options.clientQps !== undefined ? { qps: options.clientQps } : {}),
      ...(options.clientBurst !== undefined ? { burst: options.clientBurst } : {}),
      ...(options.maxConcurrentK8sConnections !== undefined ? { maxConnections: options.maxConcurrentK8sConnections } : {}),
      // As Velero's: the API server records the server's writes under the field manager "velero-server".
      userAgent: kubeUserAgent("velero-server", options.serverVersion ?? VELERO_TS_VERSION),
      // An API server restart (seconds) does not fail what the controllers are doing meanwhile.
      connectRetryMs: SERVER_CONNECT_RETRY_MS,
    });
  try {
    const reaching = Date.now();
    await kube.serverVersion().catch((err: unknown) => {
      throw new Error(`${API_SERVER_UNREACHABLE}: ${getErrorMessage(err)}; check --kubeconfig/--kubecontext or $KUBECONFIG and that the cluster is running`, { cause: err });
    });
    await checkNamespaceExists(kube, namespace, logger);
    // an API server the start had to wait for may not serve the CRDs yet
    const apiServerWasDown = Date.now() - reaching > 1000;
    await checkVeleroResourcesPatiently(kube as KubeClient & { invalidateDiscovery?(): void }, logger, apiServerWasDown ? CRD_PATIENCE_MS : 0);
    await warnUnusedInstallCredentials(kube, namespace, { inCluster: kube instanceof HttpKubeClient && isInClusterConfig(kube.kubeConfig), env: process.env }, logger);
  } catch (err) {
    if (ownKube) await (kube as { close?: () => Promise<void> }).close?.();
    throw err;
  }

  let plugins = options.plugins;
  if (!plugins) {
    const builtins = createBuiltinPlugins(logger);
    for (const name of BUILTIN_BACKUP_ITEM_ACTIONS) {
      if (name === CRD_REMAP_VERSION_ACTION && features.isEnabled(API_GROUP_VERSIONS_FEATURE)) continue;
      builtins.registerBackupItemAction(name, () => createBuiltinBackupItemAction(name, kube));
    }
    // Velero registers its CSI actions always; the engines skip them without EnableCSI.
    for (const a of builtinCsiBackupItemActions(kube)) builtins.registerBackupItemActionV2(a.name, () => a.create());
    for (const name of BUILTIN_ITEM_BLOCK_ACTIONS) builtins.registerItemBlockAction(name, () => createBuiltinItemBlockAction(name, kube));
    for (const a of builtinRestoreItemActions({ kube, veleroNamespace: namespace, logger })) builtins.registerRestoreItemAction(a.name, () => a.create());
    for (const a of builtinCsiRestoreItemActions({ kube, veleroNamespace: namespace, logger })) builtins.registerRestoreItemActionV2(a.name, () => a.create());
    builtins.registerDeleteItemAction(CSI_VSC_DELETE, () => createCsiVolumeSnapshotContentDeleteAction({ kube, logger }));
    const registry = await discoverPlugins({
      pluginDir: options.pluginDir ?? "/plugins",
      builtins: builtins.list(),
      args: options.pluginArgs ? [...options.pluginArgs] : pluginArgs({ logLevel: options.logLevel, logFormat: options.logFormat, features: options.features }),
      logger,
    });
    plugins = new DefaultPluginManager({ registry, builtins, logger, clientOptions: { objectStoreTimeoutMs } });
  }

  const metrics = new ServerMetrics({ defaultMetrics: true });
  // Velero starts with the series of backups of no schedule at 0
  metrics.initSchedule("");
  const credentials = new CredentialFileStore({ kube, namespace });
  const getBackupStore = createBackupStoreGetter({
    plugins,
    credentials,
    logger,
    // a new filesystem location gets its bucket directory; a missing one later is an error
    firstValidationConfig: { [FILESYSTEM_OBJECT_STORE]: { [FILESYSTEM_CONFIG.createBucket]: "true" } },
  });
  const manager = new ControllerManager({ client: kube, clock, logger, namespace, metrics });
  // the watch caches the controllers read instead of LISTs and GETs (ADR 0008)
  const cachedBackups = cachedListOf(manager.informer(GVR.backups), namespace);
  const cachedLocations = cachedListOf(manager.informer(GVR.backupStorageLocations), namespace);
  const cachedRestores = cachedListOf(manager.informer(GVR.restores), namespace);

  // the backups this process ran that wait for their plugin operations (Velero's backup tracker)
  const postProcessing = new BackupPostProcessingTracker();
  const backupReconciler = new BackupReconciler({
    kube,
    namespace,
    logger,
    plugins,
    postProcessing,
    resourceTimeoutMs,
    getBackupStore,
    credentials,
    clock,
    defaultBackupLocation: options.defaultBackupStorageLocation ?? "default",
    defaultVolumeSnapshotLocations: defaultVsls,
    defaultBackupTtlMs,
    concurrency: options.concurrency ?? 1,
    itemBlockWorkers,
    ...(options.defaultVolumesToFsBackup ? { defaultVolumesToFsBackup: true } : {}),
    defaultItemOperationTimeout: itemOperationTimeout,
    ...(options.defaultSnapshotMoveData ? { defaultSnapshotMoveData: true } : {}),
    ...(options.volumeGroupSnapshotLabelKey ? { defaultVolumeGroupSnapshotLabelKey: options.volumeGroupSnapshotLabelKey } : {}),
    backupLogLevel: options.logLevel,
    metrics,
    features,
    cachedLocations,
  });
  {
    // As in Velero, the location controller always runs (it is not one --disable-controllers names).
    manager.add(
      new BackupStorageLocationReconciler({
        kube,
        logger,
        getBackupStore,
        clock,
        defaultValidationFrequencyMs: validationMs,
        metrics,
        cachedLocations,
      }),
      { concurrency: 2 },
    );
  }
  if (!disabled.has("backup")) manager.add(backupReconciler);
  if (!disabled.has("backup-operations")) manager.add(new BackupOperationsReconciler({ kube, logger, plugins, getBackupStore, clock, metrics, syncPeriodMs: itemOperationSyncMs, postProcessing, features }));
  const restoreTracker = new RestoreRunTracker();
  let restoreReconciler: RestoreReconciler | undefined;
  if (!disabled.has("restore")) {
    manager.add(
      (restoreReconciler = new RestoreReconciler({
        kube,
        namespace,
        log: logger,
        cachedBackups,
        cachedLocations,
        plugins,
        getBackupStore,
        credentials,
        clock,
        metrics,
        tracker: restoreTracker,
        features,
        defaultItemOperationTimeout: itemOperationTimeout,
        restorerOptions: { ...(restorePriorities ? { priorities: restorePriorities } : {}), resourceTimeoutMs, resourceTerminatingTimeoutMs },
        // Velero's per-restore log follows --log-level/--log-format (the version choice is logged at debug).
        ...(options.logLevel ? { restoreLogLevel: options.logLevel as LogLevel } : {}),
        ...(options.logFormat ? { restoreLogFormat: options.logFormat } : {}),
      })),
    );
  }
  // Velero's restore operations and restore finalizer controllers, run as one here.
  if (!disabled.has("restore-operations") && !disabled.has("restore-finalizer")) {
    manager.add(new RestoreOperationsReconciler({ kube, namespace, logger, plugins, getBackupStore, clock, metrics, tracker: restoreTracker, syncPeriodMs: itemOperationSyncMs, resourceTimeoutMs }));
  }
  for (const r of createLifecycleReconcilers({
    kube,
    logger,
    clock,
    getBackupStore,
    plugins,
    credentials,
    serverVersion: options.serverVersion ?? VELERO_TS_VERSION,
    gcFrequencyMs,
    backupSyncPeriodMs,
    cachedBackups,
    cachedRestores,
    cachedDeleteBackupRequests: cachedListOf(manager.informer(GVR.deleteBackupRequests), namespace),
    cachedLocations,
    scheduleSkipImmediately: options.scheduleSkipImmediately,
    isBackupInProgress: (b: Backup) => backupReconciler.isRunning(b) || postProcessing.has(b),
    deletionMetrics: metrics,
    scheduleMetrics: metrics,
    disabled,
  })) {
    manager.add(r);
  }

  const { server: metricsServer, url: metricsUrl } = await serveMetrics(options.metricsAddress ?? defaultMetricsAddress(kube), metrics, log);
  // what a server killed earlier left in $TMPDIR (its tarballs, a restore's extracted items)
  const removedScratch = await removeStaleScratch();
  if (removedScratch.length > 0) log.info({ directories: removedScratch.join(",") }, "removed scratch directories of velero-ts processes that no longer run");
  // and the credentials temp files a server killed mid-write left (copies of credentials files)
  const removedTemp = await credentials.sweepStaleTempFiles().catch((error: unknown) => {
    log.warn({ error: (error as Error).message }, "could not remove stale credentials temp files; they are removed at the next start");
    return [];
  });
  if (removedTemp.length > 0) log.info({ directory: credentials.directory, files: removedTemp.length }, "removed credentials temp files a killed server left");
  // The watches start (their first lists fill the caches the start-up work below reads); the
  // controllers after it.
  await manager.startInformers();
  // As Velero: whatever an earlier server left InProgress is Failed before the controllers start.
  await markInProgressFailed({
    kube,
    namespace,
    clock,
    logger: log,
    cached: (gvr) => cachedListOf(manager.informer(gvr), namespace)(namespace),
    storedBackupStatus: async (backup) => {
      const location = (await kube.get(GVR.backupStorageLocations, backup.spec.storageLocation ?? "", namespace)) as unknown as BackupStorageLocation | undefined;
      if (!location) return undefined;
      const store = await getBackupStore(location);
      if (!(await store.backupExists(backup.metadata.name))) return undefined;
      const stored = await store.getBackupMetadata(backup.metadata.name);
      if (stored.metadata.uid !== backup.metadata.uid) return undefined;
      // and the tarball is there (a success without it would be a lie restores find out)
      if (stored.status?.phase !== "Failed" && !(await store.fileExists("BackupContents", backup.metadata.name))) return undefined;
      return stored.status;
    },
  });
  await ensureRepositoryKey({ kube, namespace }).catch((err: unknown) =>
    log.error({ err: getErrorMessage(err) }, "error creating the velero-repo-credentials secret (the backup repositories' password)"),
  );
  await setDefaultBackupLocation({ kube, namespace, name: options.defaultBackupStorageLocation ?? "default", logger: log }).catch((err: unknown) =>
    log.error({ err: getErrorMessage(err) }, "failed to set the default backup storage location"),
  );
  log.info("Starting controllers");
  if (!disabled.has("backup")) {
    await backupReconciler.resumeQueued(await cachedBackups(namespace)).catch((err: unknown) => log.error({ err: getErrorMessage(err) }, "error taking up the backups queued by an earlier server; they start as the watch finds them"));
  }
  await manager.start();
  // velero_backup_total / velero_restore_total follow the informer caches (no extra LISTs). As in
  // Velero, where the backup and restore controllers compute them, not with those controllers
  // disabled (--restore-only, say: a cluster syncing another's backups must not report them).
  for (const [controller, gvr, set] of [
    ["backup", GVR.backups, (n: number) => metrics.setBackupTotal(n)],
    ["restore", GVR.restores, (n: number) => metrics.setRestoreTotal(n)],
  ] as const) {
    if (disabled.has(controller)) continue;
    const informer = manager.informer(gvr);
    informer.addHandler(() => set(informer.keys().length));
    void informer.hasSynced().then(() => set(informer.keys().length));
  }
  // velero_backup_last_successful_timestamp from every Completed backup in the namespace, as
  // Velero recomputes it (every minute there; here once the cache is filled and a second after
  // backups change): right after a restart, and for backups synced from a bucket too, not only for
  // the backups this process ran.
  let lastSuccessTimer: NodeJS.Timeout | undefined;
  if (!disabled.has("backup")) {
    const backupInformer = manager.informer(GVR.backups);
    const recomputeLastSuccess = (): void => {
      lastSuccessTimer = undefined;
      for (const [schedule, at] of lastSuccessBySchedule(backupInformer.list() as unknown as Backup[])) metrics.backupLastSuccessfulTimestamp(schedule, at);
    };
    void backupInformer.hasSynced().then(() => {
      recomputeLastSuccess();
      // Only what can move the gauge: a backup reaching Completed, or one going away (progress
      // patches of running backups, every second each, do not list the whole cache again).
      backupInformer.addHandler((event) => {
        const completed = (event.object as unknown as Backup).status?.phase === "Completed";
        if (stopped || lastSuccessTimer || (event.type !== "deleted" && !completed)) return;
        lastSuccessTimer = setTimeout(recomputeLastSuccess, LAST_SUCCESS_DEBOUNCE_MS);
        lastSuccessTimer.unref();
      });
    });
  }
  log.info("Server starting...");
  log.info({ namespace, metrics: metricsUrl, backupTtl: formatGoDuration(defaultBackupTtlMs), plugins: plugins.list().length }, "server started");

  let stopped = false;
  return {
    namespace,
    metricsUrl,
    metrics,
    plugins,
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      clearTimeout(lastSuccessTimer);
      await manager.stop();
      backupReconciler.close();
      restoreReconciler?.close();
      await Promise.all([backupReconciler.idle(), restoreReconciler?.idle()]);
      if (!options.plugins) await plugins.close();
      await new Promise<void>((r) => (metricsServer ? metricsServer.close(() => r()) : r()));
      // An injected client belongs to the caller (it may still have watches open).
      if (ownKube) await (kube as { close?: () => Promise<void> }).close?.();
      await removeOwnScratchRoot();
      log.info("server stopped");
    },
  };
}

/** velero_backup_last_successful_timestamp is recomputed this long after backups change (at most once per period). */
const LAST_SUCCESS_DEBOUNCE_MS = 1_000;

/** Per schedule label ("" for ad-hoc backups): the newest completion time of a Completed backup. */
export function lastSuccessBySchedule(backups: readonly Backup[]): Map<string, Date> {
  const out = new Map<string, Date>();
  for (const b of backups) {
    const completed = b.status?.phase === "Completed" ? b.status.completionTimestamp : undefined;
    if (!completed) continue;
    const at = new Date(completed);
    if (Number.isNaN(at.getTime())) continue;
    const schedule = scheduleOf(b);
    const seen = out.get(schedule);
    if (!seen || at > seen) out.set(schedule, at);
  }
  return out;
}

/**
 * --metrics-address as Go's net.Listen reads it: "host:port", the host optional (":8085", Velero's
 * default, listens on every interface) and an IPv6 host in brackets ("[::1]:8085").
 */
export function parseMetricsAddress(address: string): { host: string | undefined; port: number } {
  const i = address.lastIndexOf(":");
  const rawHost = i >= 0 ? address.slice(0, i) : "";
  const host = rawHost.startsWith("[") && rawHost.endsWith("]") ? rawHost.slice(1, -1) : rawHost;
  const portText = address.slice(i + 1);
  const port = /^\d+$/.test(portText) ? Number(portText) : NaN;
  if (i < 0 || !Number.isInteger(port) || port > 65535 || (host !== rawHost ? !host.includes(":") : host.includes(":"))) {
    throw new Error(`invalid --metrics-address "${address}": expected host:port (":8085" for every interface, "127.0.0.1:8085", "[::1]:8085") with a port from 0 to 65535`);
  }
  return { host: host || undefined, port };
}

/** A log level as logrus prints it in "setting log-level to INFO" (warn is its warning). */
function logLevelName(level: string): string {
  return (level === "warn" ? "warning" : level).toUpperCase();
}

async function serveMetrics(address: string, metrics: ServerMetrics, log: Logger): Promise<{ server: Server | undefined; url: string | undefined }> {
  if (!address) return { server: undefined, url: undefined };
  const { host, port } = parseMetricsAddress(address);
  const server = createServer((req, res) => {
    // the path alone, as Go's ServeMux routes it: a scraper's query parameters do not matter
    if ((req.url ?? "").split("?")[0] !== "/metrics") {
      res.writeHead(404).end();
      return;
    }
    metrics
      .text()
      .then((body) => res.writeHead(200, { "content-type": metrics.registry.contentType }).end(body))
      .catch((err: unknown) => res.writeHead(500).end(getErrorMessage(err)));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err) => reject(new Error(`cannot listen on --metrics-address "${address}": ${err.message}`)));
    // no host: every interface, as Go's listener for ":8085"
    server.listen(port, host, () => resolve());
  });
  const actual = server.address();
  const boundPort = typeof actual === "object" && actual ? actual.port : port;
  log.info(`Starting metric server at address [${host === undefined ? "" : host.includes(":") ? `[${host}]` : host}:${boundPort}]`);
  // what this process scrapes itself through: loopback when it listens everywhere
  const local = host === undefined || host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  return { server, url: `http://${local}:${boundPort}/metrics` };
}
