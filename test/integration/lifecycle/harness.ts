// Shared setup for the lifecycle suites (schedules, deletion, GC, sync, download and server-status
// requests) against the REAL control plane of the test environment: each LifecycleServer is
// `velero server`'s composition root (startServer: every controller, built-in plugins) in its own
// Velero namespace, with a BackupStorageLocation on the velero.io/filesystem object store (a
// directory on this machine). Backups and restores are made by the real backup and restore
// controllers; the location is validated by the real BSL controller.
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, type Dirent } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Backup, BackupSpec, BackupStorageLocation, Restore, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { FILESYSTEM_OBJECT_STORE, FilesystemObjectStore } from "../../../host/src/builtin-plugins/filesystem-object-store.ts";
import { installCrds } from "../../../host/src/kube/crds.ts";
import { GVR } from "../../../host/src/kube/gvr.ts";
import { HttpKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import { loadKubeConfig } from "../../../host/src/kube/kube-config.ts";
import type { BackupStore } from "../../../host/src/persistence/backup-store.ts";
import { ObjectBackupStore } from "../../../host/src/persistence/object-backup-store.ts";
import { startServer, type RunningServer } from "../../../host/src/server/server.ts";
import { createLogger, createSilentLogger } from "../../../host/src/shared/logging.ts";
import { loadEndpoints } from "../../helpers/endpoints.ts";
import { releaseRestores } from "../../helpers/velero-server.ts";

export const SERVER_VERSION = "v1.18.0-velero-ts-lifecycle";
const TERMINAL_BACKUP_PHASES = ["Completed", "PartiallyFailed", "Failed", "FailedValidation"];
const TERMINAL_RESTORE_PHASES = ["Completed", "PartiallyFailed", "Failed", "FailedValidation"];

let crdsInstalled: Promise<unknown> | undefined;

/** A client of the test environment's API server, with Velero's CRDs installed (once per worker). */
export async function connect(): Promise<HttpKubeClient> {
  const kube = new HttpKubeClient(loadKubeConfig({ kubeconfig: loadEndpoints().kubeconfig }));
  crdsInstalled ??= installCrds(kube);
  await crdsInstalled;
  return kube;
}

/** A fresh namespace. */
export async function createNamespace(kube: HttpKubeClient, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString("hex")}`;
  await kube.create(GVR.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
  return name;
}

/** A namespace with two ConfigMaps: what the suites back up. */
export async function createAppNamespace(kube: HttpKubeClient): Promise<string> {
  const ns = await createNamespace(kube, "vt-lc-app");
  for (const name of ["cm1", "cm2"]) {
    await kube.create(GVR.configMaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { namespace: ns, name }, data: { k: name } });
  }
  return ns;
}

/** A directory that plays the object storage service (`<root>/<bucket>/<key>`). */
export async function createBucketRoot(): Promise<string> {
  return mkdtemp(join(tmpdir(), "vt-lifecycle-bucket-"));
}

export interface LifecycleServerOptions {
  kube: HttpKubeClient;
  bucketRoot: string;
  bucket: string;
  /** Name of the BackupStorageLocation; default "default". */
  location?: string;
  accessMode?: "ReadWrite" | "ReadOnly";
  /** spec.backupSyncPeriod of the location. */
  backupSyncPeriod?: string;
  /** --garbage-collection-frequency. */
  garbageCollectionFrequency?: string;
  /** --disable-controllers. */
  disableControllers?: string[];
  /** --restore-only. */
  restoreOnly?: boolean;
  /** --features. */
  features?: string[];
  /** --item-operation-sync-frequency. */
  itemOperationSyncFrequency?: string;
}

/** `velero server` in its own namespace. VT_LIFECYCLE_LOG=1 prints its log. */
export class LifecycleServer {
  readonly kube: HttpKubeClient;
  readonly namespace: string;
  readonly location: string;
  readonly bucketRoot: string;
  readonly bucket: string;
  /** The location's store, for arranging bucket content "written by another cluster". */
  readonly store: BackupStore;
  readonly #server: RunningServer;

  private constructor(options: LifecycleServerOptions, namespace: string, server: RunningServer, store: BackupStore) {
    this.kube = options.kube;
    this.namespace = namespace;
    this.location = options.location ?? "default";
    this.bucketRoot = options.bucketRoot;
    this.bucket = options.bucket;
    this.#server = server;
    this.store = store;
  }

  static async start(options: LifecycleServerOptions): Promise<LifecycleServer> {
    const { kube } = options;
    const namespace = await createNamespace(kube, "vt-lc-velero");
    const locationName = options.location ?? "default";
    const bsl: BackupStorageLocation = {
      apiVersion: "velero.io/v1",
      kind: "BackupStorageLocation",
      metadata: { namespace, name: locationName },
      spec: {
        provider: FILESYSTEM_OBJECT_STORE,
        config: { path: options.bucketRoot },
        objectStorage: { bucket: options.bucket },
        default: true,
        accessMode: options.accessMode ?? "ReadWrite",
        ...(options.backupSyncPeriod !== undefined ? { backupSyncPeriod: options.backupSyncPeriod } : {}),
      },
    };
    await kube.create(GVR.backupStorageLocations, bsl as unknown as UnstructuredItem);
    const server = await startServer({
      kubeconfig: loadEndpoints().kubeconfig,
      namespace,
      pluginDir: join(options.bucketRoot, "no-plugins"),
      metricsAddress: "127.0.0.1:0",
      storeValidationFrequency: "1s",
      serverVersion: SERVER_VERSION,
      ...(options.garbageCollectionFrequency ? { garbageCollectionFrequency: options.garbageCollectionFrequency } : {}),
      ...(options.disableControllers ? { disableControllers: options.disableControllers } : {}),
      ...(options.restoreOnly ? { restoreOnly: true } : {}),
      ...(options.features ? { features: options.features } : {}),
      ...(options.itemOperationSyncFrequency ? { itemOperationSyncFrequency: options.itemOperationSyncFrequency } : {}),
      logger: process.env.VT_LIFECYCLE_LOG === "1" ? createLogger({ level: "debug" }).child({ server: namespace }) : createSilentLogger(),
    });
    await eventually(`location ${namespace}/${locationName} to be Available`, async () => {
      const l = (await kube.get(GVR.backupStorageLocations, locationName, namespace)) as unknown as BackupStorageLocation;
      return l.status?.phase === "Available";
    });
    const objectStore = new FilesystemObjectStore();
    await objectStore.init({ path: options.bucketRoot, bucket: options.bucket });
    return new LifecycleServer(options, namespace, server, new ObjectBackupStore({ objectStore, bucket: options.bucket }));
  }

  /** The server's /metrics URL (its metrics listen on a free port). */
  get metricsUrl(): string | undefined {
    return this.#server.metricsUrl;
  }

  async stop(): Promise<void> {
    await this.#server.stop();
    await releaseRestores(this.kube, this.namespace);
    await this.kube.delete(GVR.namespaces, this.namespace);
  }

  /** Keys (relative to the bucket) of every stored object under `prefix`. */
  keysUnder(prefix: string): string[] {
    const bucketDir = join(this.bucketRoot, this.bucket);
    const root = join(bucketDir, prefix);
    if (!existsSync(root)) return [];
    return (readdirSync(root, { recursive: true, withFileTypes: true }) as Dirent[])
      .filter((d) => d.isFile())
      .map((d) => join(d.parentPath, d.name).slice(bucketDir.length + 1))
      .sort();
  }

  async getBackup(name: string): Promise<Backup | undefined> {
    return (await this.kube.get(GVR.backups, name, this.namespace)) as unknown as Backup | undefined;
  }

  /** Creates a Backup (as `velero backup create` does) and waits for the backup controller to finish it. */
  async backup(name: string, spec: Partial<BackupSpec>): Promise<Backup> {
    const backup: Backup = { apiVersion: "velero.io/v1", kind: "Backup", metadata: { namespace: this.namespace, name }, spec };
    await this.kube.create(GVR.backups, backup as unknown as UnstructuredItem);
    return eventually(`backup ${name} to finish`, async () => {
      const b = await this.getBackup(name);
      return b && TERMINAL_BACKUP_PHASES.includes(b.status?.phase ?? "") ? b : undefined;
    }, 60_000);
  }

  /** Creates a Restore of `backupName` into a mapped namespace and waits for the restore controller. */
  async restore(name: string, backupName: string, namespaceMapping: Record<string, string>): Promise<Restore> {
    const restore: Restore = { apiVersion: "velero.io/v1", kind: "Restore", metadata: { namespace: this.namespace, name }, spec: { backupName, namespaceMapping } };
    await this.kube.create(GVR.restores, restore as unknown as UnstructuredItem);
    return eventually(`restore ${name} to finish`, async () => {
      const r = (await this.kube.get(GVR.restores, name, this.namespace)) as unknown as Restore | undefined;
      return r && TERMINAL_RESTORE_PHASES.includes(r.status?.phase ?? "") ? r : undefined;
    }, 60_000);
  }
}

/** Polls `probe` until it returns a value other than undefined/false, or fails with `what`. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
