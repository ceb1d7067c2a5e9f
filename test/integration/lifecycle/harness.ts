// Shared setup for the lifecycle suites (schedules, deletion, GC, sync, download and server-status
// requests) against the REAL control plane of the test environment, with backups kept in a
// velero.io/filesystem object store (a directory on this machine).
//
// LifecycleServer wires the lifecycle controllers exactly as `velero server` registers them: the
// real KubeClient adapter, the controller runtime (informers, keyed work queue, requeue timers),
// the real BackupStore (Velero's layout) over the filesystem ObjectStore. Until the server's
// composition root lands, two stand-ins are marked below: the BSL is marked Available here (the
// BSL controller's job) and backups are written with the real BackupStore (the backup
// controller's job).
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { pack } from "tar-stream";
import type { Backup, BackupStorageLocation, Restore, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { FILESYSTEM_OBJECT_STORE, FilesystemObjectStore } from "../../../host/src/builtin-plugins/filesystem-object-store.ts";
import { createLifecycleReconcilers } from "../../../host/src/controllers/lifecycle.ts";
import { ControllerManager } from "../../../host/src/controllers/runtime/manager.ts";
import { installCrds } from "../../../host/src/kube/crds.ts";
import { GVR } from "../../../host/src/kube/gvr.ts";
import { HttpKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import { loadKubeConfig } from "../../../host/src/kube/kube-config.ts";
import type { BackupStore } from "../../../host/src/persistence/backup-store.ts";
import { CredentialFileStore } from "../../../host/src/persistence/credentials.ts";
import { createBackupStoreGetter } from "../../../host/src/persistence/location.ts";
import { realClock, toKubeTime } from "../../../host/src/shared/clock.ts";
import { createLogger, createSilentLogger, type Logger } from "../../../host/src/shared/logging.ts";
import { loadEndpoints } from "../../helpers/endpoints.ts";

export const SERVER_VERSION = "v1.18.0-velero-ts";

let crdsInstalled: Promise<unknown> | undefined;

/** A client of the test environment's API server, with Velero's CRDs installed (once per worker). */
export async function connect(): Promise<HttpKubeClient> {
  const endpoints = loadEndpoints();
  const kube = new HttpKubeClient(loadKubeConfig({ kubeconfig: endpoints.kubeconfig }));
  crdsInstalled ??= installCrds(kube);
  await crdsInstalled;
  return kube;
}

/** A fresh namespace (the Velero namespace of one server under test). */
export async function createNamespace(kube: HttpKubeClient, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString("hex")}`;
  await kube.create(GVR.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
  return name;
}

/** A directory that plays the object storage service (`<root>/<bucket>/<key>`). */
export async function createBucketRoot(): Promise<string> {
  return mkdtemp(join(tmpdir(), "vt-lifecycle-bucket-"));
}

export interface LifecycleServerOptions {
  kube: HttpKubeClient;
  namespace: string;
  bucketRoot: string;
  bucket: string;
  /** Name of the BackupStorageLocation this server creates; default "default". */
  location?: string;
  accessMode?: "ReadWrite" | "ReadOnly";
  /** spec.backupSyncPeriod of the location. */
  backupSyncPeriod?: string;
  gcFrequencyMs?: number;
  /** VT_LIFECYCLE_LOG=1 prints the server log. */
  logger?: Logger;
}

export class LifecycleServer {
  readonly kube: HttpKubeClient;
  readonly namespace: string;
  readonly location: string;
  readonly bucketRoot: string;
  readonly bucket: string;
  readonly store: BackupStore;
  readonly #manager: ControllerManager;

  private constructor(options: LifecycleServerOptions, store: BackupStore, manager: ControllerManager) {
    this.kube = options.kube;
    this.namespace = options.namespace;
    this.location = options.location ?? "default";
    this.bucketRoot = options.bucketRoot;
    this.bucket = options.bucket;
    this.store = store;
    this.#manager = manager;
  }

  static async start(options: LifecycleServerOptions): Promise<LifecycleServer> {
    const { kube, namespace } = options;
    const logger =
      options.logger ?? (process.env.VT_LIFECYCLE_LOG === "1" ? createLogger({ level: "debug" }).child({ server: namespace }) : createSilentLogger());
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
    // STAND-IN for the BackupStorageLocation controller (validation marks it Available).
    await kube.patch(GVR.backupStorageLocations, locationName, namespace, { status: { phase: "Available", lastValidationTime: toKubeTime(new Date()) } });

    const getBackupStore = createBackupStoreGetter({
      plugins: {
        getObjectStore: async (_provider, config) => {
          const store = new FilesystemObjectStore();
          await store.init(config);
          return store;
        },
      },
      credentials: new CredentialFileStore({ kube, namespace }),
      logger,
    });
    const plugins = {
      list: () => [{ kind: "ObjectStore" as const, name: FILESYSTEM_OBJECT_STORE }],
      getDeleteItemActions: async () => [],
      getVolumeSnapshotter: async (provider: string) => {
        throw new Error(`no volume snapshotter "${provider}" in the lifecycle harness`);
      },
    };
    const manager = new ControllerManager({ client: kube, clock: realClock, logger, namespace, backoff: { baseMs: 200, maxMs: 2_000 } });
    // The same set `velero server` registers.
    for (const reconciler of createLifecycleReconcilers({ kube, logger, getBackupStore, plugins, serverVersion: SERVER_VERSION, gcFrequencyMs: options.gcFrequencyMs })) {
      manager.add(reconciler);
    }
    await manager.start();
    return new LifecycleServer(options, await getBackupStore(bsl), manager);
  }

  async stop(): Promise<void> {
    await this.#manager.stop();
  }

  /** Keys (relative to the bucket) of every stored object under `prefix`. */
  keysUnder(prefix: string): string[] {
    const root = join(this.bucketRoot, this.bucket, prefix);
    if (!existsSync(root)) return [];
    return (readdirSync(root, { recursive: true, withFileTypes: true }) as import("node:fs").Dirent[])
      .filter((d) => d.isFile())
      .map((d) => join(d.parentPath, d.name).slice(join(this.bucketRoot, this.bucket).length + 1))
      .sort();
  }

  /**
   * STAND-IN for the backup controller: writes a finished backup to the bucket through the real
   * BackupStore (Velero's keys and encodings) and creates its Completed Backup CR.
   */
  async putCompletedBackup(name: string, options: { ttlMs?: number } = {}): Promise<Backup> {
    const now = new Date();
    const backup: Backup = {
      apiVersion: "velero.io/v1",
      kind: "Backup",
      metadata: { namespace: this.namespace, name, labels: { "velero.io/storage-location": this.location } },
      spec: { includedNamespaces: ["app"], storageLocation: this.location, ttl: "720h0m0s" },
      status: {
        phase: "Completed",
        version: 1,
        formatVersion: "1.1.0",
        startTimestamp: toKubeTime(now),
        completionTimestamp: toKubeTime(now),
        expiration: toKubeTime(new Date(now.getTime() + (options.ttlMs ?? 720 * 3_600_000))),
        progress: { totalItems: 1, itemsBackedUp: 1 },
      },
    };
    await this.store.putBackup({
      name,
      metadata: backup,
      contents: Readable.from([await tarball({ "metadata/version": "1.1.0\n", "resources/configmaps/namespaces/app/cm1.json": JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { namespace: "app", name: "cm1" } }) })]),
      log: Readable.from([`time="${now.toISOString()}" level=info msg="backup ${name} completed"\n`]),
      resourceList: { "v1/ConfigMap": ["app/cm1"] },
      results: { errors: {}, warnings: {} },
      volumeSnapshots: [],
      podVolumeBackups: [],
    });
    const created = await this.kube.create(GVR.backups, backup as unknown as UnstructuredItem);
    return created as unknown as Backup;
  }

  /** A Completed restore of `backupName` with its files in the bucket (as the restore controller leaves it). */
  async putCompletedRestore(name: string, backupName: string): Promise<void> {
    await this.store.putRestoreFiles({ restoreName: name, log: Readable.from(["restore log\n"]), results: { errors: {}, warnings: {} }, resourceList: {} });
    const restore: Restore = {
      apiVersion: "velero.io/v1",
      kind: "Restore",
      metadata: { namespace: this.namespace, name },
      spec: { backupName },
      status: { phase: "Completed" },
    };
    await this.kube.create(GVR.restores, restore as unknown as UnstructuredItem);
  }
}

async function tarball(entries: Record<string, string>): Promise<Buffer> {
  const p = pack();
  for (const [name, body] of Object.entries(entries)) p.entry({ name, mode: 0o755 }, body);
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

/** Polls `probe` until it returns a value other than undefined/false, or fails with `what`. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000, everyMs = 250): Promise<T> {
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
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
