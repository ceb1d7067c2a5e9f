/**
 * velero server: maps Velero's server flags onto the server composition root's options. Flags
 * Velero has that this server does not act on are accepted (so Velero's Deployment args work)
 * and reported once on stderr.
 */
import { Command, Option } from "commander";
import { DISABLEABLE_CONTROLLERS } from "../server/controller-names.js";
import { UsageError } from "../shared/errors.js";
import { actionFor, addBoolFlag, addValueFlag, type Verb } from "./command-kit.js";
import type { Factory } from "./factory.js";
import type { ServerOptions } from "../server/server.js";
import { parseDurationFlag, parseNonNegativeDurationFlag } from "./flags/duration.js";
import { checkGoFlagValue, parseFloatFlag, parseIntFlag, parseLogFlags, parseMapFlag } from "./flags/values.js";

export interface ServerCliOptions {
  namespace: string;
  kubeconfig?: string;
  kubecontext?: string;
  pluginDir: string;
  logLevel: string;
  logFormat: "text" | "json";
  defaultBackupStorageLocation: string;
  defaultVolumeSnapshotLocations: Record<string, string>;
  backupSyncPeriodMs: number;
  garbageCollectionFrequencyMs: number;
  defaultBackupTtlMs: number;
  storeValidationFrequencyMs: number;
  /** Undefined: the server's default (Velero's ":8085" in a pod, 127.0.0.1:8085 elsewhere). */
  metricsAddress: string | undefined;
  features: string[];
  restoreOnly: boolean;
  defaultVolumesToFsBackup: boolean;
  restoreResourcePriorities?: string;
  clientPageSize?: number;
  clientQps?: number;
  clientBurst?: number;
  maxConcurrentK8sConnections: number;
  uploaderType: string;
  itemBlockWorkerCount: number;
  itemOperationSyncFrequencyMs: number;
  disableControllers: string[];
  concurrentBackups: number;
  scheduleSkipImmediately: boolean;
  defaultItemOperationTimeoutMs: number;
  resourceTimeoutMs: number;
  objectStoreTimeoutMs: number;
  terminatingResourceTimeoutMs: number;
  defaultSnapshotMoveData: boolean;
  volumeGroupSnapshotLabelKey: string;
}

/** client-go's rest.DefaultQPS: what a QPS of 0 means there (Velero passes --client-qps through). */
const CLIENT_GO_DEFAULT_QPS = 5;


/**
 * Flags a Velero server's command line may carry that this server accepts and does not act on,
 * with the Go type their value must parse as (plugins get the same command line, and a Go plugin
 * exits on a value its flag set cannot parse): Velero v1.18's own and those of earlier releases'
 * Deployments (klog's are global flags: flags/klog.ts). Any other flag is refused, as cobra
 * refuses it: a misspelt flag must not leave the server running on a default.
 */
const IGNORED_SERVER_FLAGS: Readonly<Record<string, "bool" | "duration" | "int" | "uint" | "string">> = {
  "fs-backup-timeout": "duration",
  "default-repo-maintain-frequency": "duration",
  "disable-informer-cache": "bool",
  "backup-repository-configmap": "string",
  "repo-maintenance-job-configmap": "string",
  // Velero v1.14 to v1.17
  "keep-latest-maintenance-jobs": "int",
  "maintenance-job-cpu-request": "string",
  "maintenance-job-mem-request": "string",
  "maintenance-job-cpu-limit": "string",
  "maintenance-job-mem-limit": "string",
};

export const SERVER_DEFAULTS = {
  pluginDir: "/plugins",
  logLevel: "info",
  logFormat: "text",
  defaultBackupStorageLocation: "default",
  backupSyncPeriod: 60e9,
  garbageCollectionFrequency: 3600e9,
  defaultBackupTtl: 720 * 3600e9,
  storeValidationFrequency: 60e9,
  itemBlockWorkerCount: 1,
  itemOperationSyncFrequency: 10e9,
  defaultItemOperationTimeout: 4 * 3600e9,
  resourceTimeout: 600e9,
  objectStoreTimeout: 300e9,
  terminatingResourceTimeout: 600e9,
  volumeGroupSnapshotLabelKey: "velero.io/volume-group",
  maxConcurrentK8sConnections: 30,
} as const;

interface ServerFlags {
  pluginDir?: string;
  logLevel?: string;
  logFormat?: string;
  defaultBackupStorageLocation?: string;
  defaultVolumeSnapshotLocations?: Record<string, string>;
  backupSyncPeriod?: number;
  garbageCollectionFrequency?: number;
  defaultBackupTtl?: number;
  storeValidationFrequency?: number;
  metricsAddress?: string;
  restoreOnly?: boolean;
  defaultVolumesToFsBackup?: boolean;
  restoreResourcePriorities?: string;
  clientPageSize?: number;
  clientQps?: number;
  clientBurst?: number;
  maxConcurrentK8sConnections?: number;
  uploaderType?: string;
  itemBlockWorkerCount?: number;
  itemOperationSyncFrequency?: number;
  disableControllers?: string[];
  concurrentBackups?: number;
  scheduleSkipImmediately?: boolean;
  defaultItemOperationTimeout?: number;
  resourceTimeout?: number;
  objectStoreTimeout?: number;
  terminatingResourceTimeout?: number;
  defaultSnapshotMoveData?: boolean;
  volumeGroupSnapshotLabelKey?: string;
}

/** Pure: flags (durations in ns) → the server's options (durations in ms). */
export function buildServerOptions(flags: ServerFlags, globals: { namespace: string; kubeconfig?: string; kubecontext?: string; features: string[] }): ServerCliOptions {
  const { logLevel: level, logFormat: format } = parseLogFlags(flags.logLevel ?? SERVER_DEFAULTS.logLevel, flags.logFormat ?? SERVER_DEFAULTS.logFormat);
  const ms = (ns: number | undefined, def: number): number => Math.round((ns ?? def) / 1e6);
  const workers = flags.itemBlockWorkerCount ?? SERVER_DEFAULTS.itemBlockWorkerCount;
  if (workers < 1) throw new UsageError(`invalid --item-block-worker-count ${workers}: it must be at least 1`);
  // As Velero: a zero or negative sync frequency takes the default, fewer than one concurrent backup is one.
  const givenSyncMs = ms(flags.itemOperationSyncFrequency, SERVER_DEFAULTS.itemOperationSyncFrequency);
  const syncMs = givenSyncMs > 0 ? givenSyncMs : ms(undefined, SERVER_DEFAULTS.itemOperationSyncFrequency);
  const concurrentBackups = Math.max(1, flags.concurrentBackups ?? 1);
  if (flags.clientQps !== undefined && !(flags.clientQps >= 0)) throw new UsageError(`invalid --client-qps ${flags.clientQps}: it must not be negative (for example 100 requests a second)`);
  if (flags.clientBurst !== undefined && flags.clientBurst < 1) throw new UsageError(`invalid --client-burst ${flags.clientBurst}: it must be at least 1`);
  if (flags.clientPageSize !== undefined && flags.clientPageSize < 0) throw new UsageError(`invalid --client-page-size ${flags.clientPageSize}: it must not be negative (0 turns paging off)`);
  const uploaderType = (flags.uploaderType ?? "kopia").trim();
  if (uploaderType !== "kopia") throw new UsageError(`invalid uploader type '${uploaderType}', valid type: 'kopia'`);
  const maxConnections = flags.maxConcurrentK8sConnections ?? SERVER_DEFAULTS.maxConcurrentK8sConnections;
  if (maxConnections < 1) throw new UsageError(`invalid --max-concurrent-k8s-connections ${maxConnections}: it must be at least 1 (default 30)`);
  return {
    namespace: globals.namespace,
    ...(globals.kubeconfig ? { kubeconfig: globals.kubeconfig } : {}),
    ...(globals.kubecontext ? { kubecontext: globals.kubecontext } : {}),
    pluginDir: flags.pluginDir ?? SERVER_DEFAULTS.pluginDir,
    logLevel: level,
    logFormat: format,
    defaultBackupStorageLocation: flags.defaultBackupStorageLocation ?? SERVER_DEFAULTS.defaultBackupStorageLocation,
    defaultVolumeSnapshotLocations: flags.defaultVolumeSnapshotLocations ?? {},
    backupSyncPeriodMs: ms(flags.backupSyncPeriod, SERVER_DEFAULTS.backupSyncPeriod),
    garbageCollectionFrequencyMs: ms(flags.garbageCollectionFrequency, SERVER_DEFAULTS.garbageCollectionFrequency),
    defaultBackupTtlMs: ms(flags.defaultBackupTtl, SERVER_DEFAULTS.defaultBackupTtl),
    storeValidationFrequencyMs: ms(flags.storeValidationFrequency, SERVER_DEFAULTS.storeValidationFrequency),
    metricsAddress: flags.metricsAddress,
    features: globals.features,
    restoreOnly: flags.restoreOnly === true,
    defaultVolumesToFsBackup: flags.defaultVolumesToFsBackup === true,
    ...(flags.restoreResourcePriorities ? { restoreResourcePriorities: flags.restoreResourcePriorities } : {}),
    ...(flags.clientPageSize !== undefined ? { clientPageSize: flags.clientPageSize } : {}),
    // 0 is client-go's default rate (5 a second), as Velero's client takes it
    ...(flags.clientQps !== undefined ? { clientQps: flags.clientQps === 0 ? CLIENT_GO_DEFAULT_QPS : flags.clientQps } : {}),
    ...(flags.clientBurst !== undefined ? { clientBurst: flags.clientBurst } : {}),
    maxConcurrentK8sConnections: maxConnections,
    uploaderType,
    itemBlockWorkerCount: workers,
    itemOperationSyncFrequencyMs: syncMs,
    disableControllers: flags.disableControllers ?? [],
    concurrentBackups,
    scheduleSkipImmediately: flags.scheduleSkipImmediately === true,
    defaultItemOperationTimeoutMs: ms(flags.defaultItemOperationTimeout, SERVER_DEFAULTS.defaultItemOperationTimeout),
    resourceTimeoutMs: ms(flags.resourceTimeout, SERVER_DEFAULTS.resourceTimeout),
    objectStoreTimeoutMs: ms(flags.objectStoreTimeout, SERVER_DEFAULTS.objectStoreTimeout),
    terminatingResourceTimeoutMs: ms(flags.terminatingResourceTimeout, SERVER_DEFAULTS.terminatingResourceTimeout),
    defaultSnapshotMoveData: flags.defaultSnapshotMoveData === true,
    volumeGroupSnapshotLabelKey: flags.volumeGroupSnapshotLabelKey || SERVER_DEFAULTS.volumeGroupSnapshotLabelKey,
  };
}

/** Pure: the command line's options → the composition root's (every flag the server acts on). */
export function serverOptionsFrom(options: ServerCliOptions, serverVersion: string): ServerOptions {
  return {
    namespace: options.namespace,
    kubeconfig: options.kubeconfig,
    kubecontext: options.kubecontext,
    pluginDir: options.pluginDir,
    logLevel: options.logLevel,
    logFormat: options.logFormat,
    defaultBackupStorageLocation: options.defaultBackupStorageLocation,
    defaultVolumeSnapshotLocations: options.defaultVolumeSnapshotLocations,
    backupSyncPeriod: options.backupSyncPeriodMs,
    garbageCollectionFrequency: options.garbageCollectionFrequencyMs,
    defaultBackupTtl: options.defaultBackupTtlMs,
    storeValidationFrequency: options.storeValidationFrequencyMs,
    ...(options.metricsAddress !== undefined ? { metricsAddress: options.metricsAddress } : {}),
    features: options.features,
    ...(options.clientPageSize !== undefined ? { clientPageSize: options.clientPageSize } : {}),
    ...(options.clientQps !== undefined ? { clientQps: options.clientQps } : {}),
    ...(options.clientBurst !== undefined ? { clientBurst: options.clientBurst } : {}),
    maxConcurrentK8sConnections: options.maxConcurrentK8sConnections,
    itemBlockWorkerCount: options.itemBlockWorkerCount,
    itemOperationSyncFrequency: options.itemOperationSyncFrequencyMs,
    restoreOnly: options.restoreOnly,
    defaultVolumesToFsBackup: options.defaultVolumesToFsBackup,
    ...(options.restoreResourcePriorities ? { restoreResourcePriorities: options.restoreResourcePriorities } : {}),
    disableControllers: options.disableControllers,
    concurrency: options.concurrentBackups,
    scheduleSkipImmediately: options.scheduleSkipImmediately,
    defaultItemOperationTimeout: options.defaultItemOperationTimeoutMs,
    resourceTimeout: options.resourceTimeoutMs,
    objectStoreTimeout: options.objectStoreTimeoutMs,
    terminatingResourceTimeout: options.terminatingResourceTimeoutMs,
    defaultSnapshotMoveData: options.defaultSnapshotMoveData,
    volumeGroupSnapshotLabelKey: options.volumeGroupSnapshotLabelKey,
    serverVersion,
  };
}

/**
 * What Velero passes to each plugin executable: its own command line without the program and the
 * "server" verb (the same flags, in the same spelling). `argv` is process.argv without node and script.
 */
export function serverArgsForPlugins(argv: readonly string[]): string[] {
  const verb = argv.indexOf("server");
  return verb < 0 ? [...argv] : [...argv.slice(0, verb), ...argv.slice(verb + 1)];
}

/** How `velero server` reaches the composition root (wired in default-deps.ts). */
export type StartServer = (options: ServerCliOptions) => Promise<void>;

/**
 * Starts the server composition root with these options and keeps it running until SIGINT or
 * SIGTERM, then stops it cleanly (controllers, watches, plugin processes, metrics endpoint).
 */
export async function runServerUntilSignal(options: ServerCliOptions, serverVersion: string): Promise<void> {
  // Loaded on demand so that the other commands never pay for the server's module graph.
  const { startServer, killStartedPluginProcesses } = await import("../server/server.js");
  const { flushPendingLines } = await import("../shared/logging.js");
  // A signal while starting (plugin discovery waits up to a minute for a silent plugin, the API
  // server up to half a minute): there is no server to stop yet, but the plugin processes started
  // so far must not outlive this one.
  const duringStart = (signal: NodeJS.Signals): void => {
    const killed = killStartedPluginProcesses();
    flushPendingLines(); // the server's last log lines before this one
    process.stderr.write(`velero server: ${signal} while starting; stopped ${killed} plugin process(es) started so far, exiting\n`);
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.once("SIGINT", duringStart);
  process.once("SIGTERM", duringStart);
  let server;
  try {
    server = await startServer({ ...serverOptionsFrom(options, serverVersion), pluginArgs: serverArgsForPlugins(process.argv.slice(2)) });
  } finally {
    process.off("SIGINT", duringStart);
    process.off("SIGTERM", duringStart);
  }
  await waitForStopSignal();
  // A second signal, or a stop that does not finish within the grace period (a backup still
  // uploading, a hung storage request), ends the process anyway, as controller-runtime's
  // graceful-shutdown timeout does for Velero. What was left InProgress is failed at the next start.
  const forced = (why: string): void => {
    flushPendingLines();
    process.stderr.write(`velero server: ${why}; exiting now (backups left InProgress are marked Failed when the server starts again)\n`);
    process.exit(1);
  };
  process.once("SIGINT", () => forced("second signal"));
  process.once("SIGTERM", () => forced("second signal"));
  const timer = setTimeout(() => forced(`still stopping after ${SHUTDOWN_GRACE_MS / 1000} s`), SHUTDOWN_GRACE_MS);
  timer.unref();
  await server.stop();
  clearTimeout(timer);
}

/**
 * Resolves at the first SIGINT or SIGTERM. A timer keeps Node running meanwhile (signal handlers
 * alone do not: a process with nothing else to do would exit at once).
 */
export async function waitForStopSignal(): Promise<void> {
  const alive = setInterval(() => undefined, 1 << 30);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  clearInterval(alive);
}

/** How long `velero server` waits for a clean stop after SIGINT/SIGTERM (controller-runtime's default). */
export const SHUTDOWN_GRACE_MS = 30_000;

class Server implements Verb {
  readonly #f: Factory;
  readonly #start: StartServer;
  options: ServerCliOptions | undefined;
  constructor(f: Factory, start: StartServer) {
    this.#f = f;
    this.#start = start;
  }
  complete(_args: string[], flags: ServerFlags, cmd: Command): void {
    const f = this.#f;
    const given = cmd.opts() as Record<string, unknown>;
    const ignored = Object.keys(IGNORED_SERVER_FLAGS)
      .filter((name) => given[ignoredAttribute(name)] !== undefined)
      .map((name) => {
        const value = given[ignoredAttribute(name)];
        return value === true ? `--${name}` : `--${name}=${String(value)}`;
      });
    if (ignored.length > 0) f.err(`velero server: ignoring flags this server does not implement: ${ignored.join(" ")}\n`);
    this.options = buildServerOptions(flags, {
      namespace: f.namespace(),
      kubeconfig: f.globals.kubeconfig,
      kubecontext: f.globals.kubecontext,
      features: f.features(),
    });
  }
  validate(): void {}
  async run(): Promise<void> {
    await this.#start(this.options as ServerCliOptions);
  }
}

const duration = (flag: string) => (v: string) => parseDurationFlag(flag, v);
const nonNegativeDuration = (flag: string, zeroMeans?: string) => (v: string) => parseNonNegativeDurationFlag(flag, v, zeroMeans);

/** commander's attribute for `--name` (camelCase at dashes; klog's underscores stay). */
const ignoredAttribute = (name: string): string => name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());


export function newServerCommand(f: Factory, start: StartServer): Command {
  const cmd = new Command("server")
    .description("Run the velero server")
    .summary("Run the velero server (controllers for backups, restores, schedules, locations)")
    .allowExcessArguments();
  cmd.option("--plugin-dir <dir>", "Directory containing Velero plugins", SERVER_DEFAULTS.pluginDir);
  cmd.option("--log-level <level>", "The level at which to log. Valid values are panic, fatal, error, warning, info, debug, trace.", SERVER_DEFAULTS.logLevel);
  cmd.option("--log-format <format>", "The format for log output. Valid values are text, json.", SERVER_DEFAULTS.logFormat);
  cmd.option("--default-backup-storage-location <name>", "Name of the default backup storage location.", SERVER_DEFAULTS.defaultBackupStorageLocation);
  addValueFlag(cmd, "--default-volume-snapshot-locations <provider:name,...>", "List of unique volume providers and default volume snapshot location (provider1:location-01,provider2:location-02,...)", (v, prev: Record<string, string> | undefined) =>
    parseMapFlag("--default-volume-snapshot-locations", v, prev, ":"),
  );
  addValueFlag(cmd, "--backup-sync-period <duration>", "How often to ensure all Velero backups in object storage exist as Backup API objects in the cluster. (default 1m0s)", duration("--backup-sync-period"));
  addValueFlag(cmd, "--garbage-collection-frequency <duration>", "How often garbage collection is run for expired backups. (default 1h0m0s)", duration("--garbage-collection-frequency"));
  addValueFlag(cmd, "--default-backup-ttl <duration>", "How long to wait by default before backups can be garbage collected. (default 720h0m0s)", nonNegativeDuration("--default-backup-ttl"));
  addValueFlag(cmd, "--store-validation-frequency <duration>", "How often to verify if the storage is valid. (default 1m0s)", duration("--store-validation-frequency"));
  cmd.option("--metrics-address <address>", "The address to expose prometheus metrics (default \"127.0.0.1:8085\"; in a pod, Velero's \":8085\")");
  addBoolFlag(cmd, "--restore-only", "Run in a mode where only restores are allowed; backups, schedules, and garbage-collection are all disabled. DEPRECATED: this flag will be removed in v2.0. Use read-only backup storage locations instead.");
  addBoolFlag(cmd, "--default-volumes-to-fs-backup", "Backup all volumes with pod volume file system backup by default.");
  cmd.option("--restore-resource-priorities <list>", "Desired order of resource restores, the priority list contains two parts which are split by \"-\" element.");
  addValueFlag(cmd, "--client-page-size <n>", "Page size of requests by the server to the Kubernetes API when listing objects during a backup.", (v) => parseIntFlag("--client-page-size", v));
  addValueFlag(cmd, "--client-qps <n>", "Maximum number of requests per second by the server to the Kubernetes API once the burst limit has been reached. (default: no client-side limit; Velero's is 100)", (v) => parseFloatFlag("--client-qps", v));
  addValueFlag(cmd, "--client-burst <n>", "Maximum number of requests by the server to the Kubernetes API in a short period of time. (default: no client-side limit; Velero's is 100)", (v) => parseIntFlag("--client-burst", v));
  addValueFlag(cmd, "--max-concurrent-k8s-connections <n>", "Connections the server opens to the Kubernetes API server at most; requests beyond them wait (default 30)", (v) => parseIntFlag("--max-concurrent-k8s-connections", v));
  cmd.option("--uploader-type <type>", "Type of uploader to handle the transfer of data of pod volumes", "kopia");
  addValueFlag(cmd, "--item-block-worker-count <n>", "Number of worker threads to process ItemBlocks. Default is one. Optional.", (v) => parseIntFlag("--item-block-worker-count", v));
  addValueFlag(cmd, "--item-operation-sync-frequency <duration>", "How often to check status on backup/restore operations after backup/restore processing. Default is 10 seconds", duration("--item-operation-sync-frequency"));
  addValueFlag(cmd, "--disable-controllers <list>", `List of controllers to disable on startup. Valid values are ${DISABLEABLE_CONTROLLERS.join(",")}`, (v, prev: string[] | undefined) => [
    ...(prev ?? []),
    ...v.split(",").map((s) => s.trim()).filter(Boolean),
  ]);
  addValueFlag(cmd, "--concurrent-backups <n>", "Number of backups to process concurrently. (default 1)", (v) => parseIntFlag("--concurrent-backups", v));
  addBoolFlag(cmd, "--schedule-skip-immediately", "Skip the first scheduled backup immediately after creating a schedule. Default is false (don't skip).");
  addValueFlag(cmd, "--default-item-operation-timeout <duration>", "How long to wait on asynchronous BackupItemActions and RestoreItemActions to complete before timing out. (default 4h0m0s)", duration("--default-item-operation-timeout"));
  addValueFlag(cmd, "--resource-timeout <duration>", "How long to wait for resource processes which are not covered by other specific timeout parameters. (default 10m0s)", duration("--resource-timeout"));
  addValueFlag(
    cmd,
    "--object-store-timeout <duration>",
    "velero-ts: how long a call to an object store plugin may go without progress before it is cancelled and fails (0 turns the limit off). (default 5m0s)",
    nonNegativeDuration("--object-store-timeout", "no limit"),
  );
  addValueFlag(cmd, "--terminating-resource-timeout <duration>", "How long to wait on persistent volumes and namespaces to terminate during a restore before timing out. (default 10m0s)", duration("--terminating-resource-timeout"));
  addBoolFlag(cmd, "--default-snapshot-move-data", "Move data by default for all snapshots supporting data movement.");
  cmd.option("--volume-group-snapshot-label-key <key>", "Label key for grouping PVCs into VolumeGroupSnapshot.", SERVER_DEFAULTS.volumeGroupSnapshotLabelKey);
  cmd.addOption(new Option("--profiler-address <address>", "The address to expose the pprof profiler (accepted, not used)").hideHelp());
  for (const [name, kind] of Object.entries(IGNORED_SERVER_FLAGS)) {
    if (kind === "bool") {
      cmd.addOption(new Option(`--${name}`).hideHelp());
      cmd.addOption(new Option(`--no-${name}`).hideHelp());
    } else {
      cmd.addOption(new Option(`--${name} <value>`).hideHelp().argParser((v: string) => checkGoFlagValue(`--${name}`, kind, v)));
    }
  }
  return cmd.action(actionFor(f, () => new Server(f, start)));
}
