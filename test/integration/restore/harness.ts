// Shared setup for the restore suites against the REAL control plane of the test environment
// (kube-apiserver + controller-manager + scheduler + kwok), with backups in a velero.io/filesystem
// object store (a directory on this machine) read through the real BackupStore (Velero's layout).
//
// RestoreServer runs the restore controller the way `velero server` will: the real KubeClient
// adapter, the controller runtime (informer, keyed work queue), the real KubernetesRestorer and
// Velero's built-in restore item actions. Two stand-ins are marked below until their owners land
// in the composition root: the BSL is marked Available here (the BSL controller's job), and backups
// are made by calling the real backup engine (KubernetesBackupper) directly (the backup
// controller's job) — or written from fixture tarballs for crafted content.
import { randomBytes } from "node:crypto";
import { readFileSync, existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { gunzipSync } from "node:zlib";
import type { Backup, BackupStorageLocation, Restore, RestoreSpec, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { FILESYSTEM_OBJECT_STORE } from "../../../host/src/builtin-plugins/filesystem-object-store.ts";
import { RestoreReconciler } from "../../../host/src/controllers/restore-controller.ts";
import { ControllerManager } from "../../../host/src/controllers/runtime/manager.ts";
import { KubernetesBackupper } from "../../../host/src/backup/backupper.ts";
import { BUILTIN_BACKUP_ITEM_ACTIONS, createBuiltinBackupItemAction } from "../../../host/src/backup/actions/index.ts";
import { adaptBackupItemActionV1 } from "@velero-ts/plugin-sdk/host";
import { TarballWriter } from "../../../host/src/backup/tar-writer.ts";
import { installCrds } from "../../../host/src/kube/crds.ts";
import type { GroupVersionResource } from "../../../host/src/kube/client.ts";
import { GVR } from "../../../host/src/kube/gvr.ts";
import { HttpKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import { loadKubeConfig } from "../../../host/src/kube/kube-config.ts";
import type { BackupStore } from "../../../host/src/persistence/backup-store.ts";
import { CredentialFileStore } from "../../../host/src/persistence/credentials.ts";
import { createBackupStoreGetter } from "../../../host/src/persistence/location.ts";
import { asRestoreItemActionV2, builtinRestoreItemActions } from "../../../host/src/restore/index.ts";
import { realClock, toKubeTime } from "../../../host/src/shared/clock.ts";
import { createLogger, createSilentLogger, type Logger } from "../../../host/src/shared/logging.ts";
import { loadEndpoints } from "../../helpers/endpoints.ts";
import { releaseRestores } from "../../helpers/velero-server.ts";
import { filesystemObjectStores } from "../../../host/src/testing/filesystem-object-stores.ts";

let crdsInstalled: Promise<unknown> | undefined;

/** A client of the test environment's API server, with Velero's CRDs installed (once per worker). */
export async function connect(): Promise<HttpKubeClient> {
  const endpoints = loadEndpoints();
  const kube = new HttpKubeClient(loadKubeConfig({ kubeconfig: endpoints.kubeconfig }));
  crdsInstalled ??= installCrds(kube);
  await crdsInstalled;
  return kube;
}

export const suffix = (): string => randomBytes(3).toString("hex");

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` returns a value (not undefined) or the timeout passes. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await sleep(200);
  }
}

export async function createNamespace(kube: HttpKubeClient, name: string, labels?: Record<string, string>): Promise<void> {
  await kube.create(GVR.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name, ...(labels ? { labels } : {}) } });
}

/** Deletes a namespace and waits until the namespace controller has removed it and its contents. */
export async function deleteNamespaceAndWait(kube: HttpKubeClient, name: string): Promise<void> {
  await kube.delete(GVR.namespaces, name);
  await waitFor(`namespace ${name} to be deleted`, async () => ((await kube.get(GVR.namespaces, name)) ? undefined : true), 120_000);
}

export interface RestoreServerOptions {
  kube: HttpKubeClient;
  logger?: Logger;
}

export class RestoreServer {
  readonly kube: HttpKubeClient;
  readonly namespace: string;
  readonly bucketRoot: string;
  readonly bucket = "restores";
  readonly store: BackupStore;
  readonly #manager: ControllerManager;
  readonly #logger: Logger;

  private constructor(kube: HttpKubeClient, namespace: string, bucketRoot: string, store: BackupStore, manager: ControllerManager, logger: Logger) {
    this.kube = kube;
    this.namespace = namespace;
    this.bucketRoot = bucketRoot;
    this.store = store;
    this.#manager = manager;
    this.#logger = logger;
  }

  static async start(options: RestoreServerOptions): Promise<RestoreServer> {
    const { kube } = options;
    const namespace = `velero-${suffix()}`;
    await createNamespace(kube, namespace);
    const logger = options.logger ?? (process.env.VT_RESTORE_LOG === "1" ? createLogger({ level: "debug" }).child({ server: namespace }) : createSilentLogger());
    const bucketRoot = await mkdtemp(join(tmpdir(), "vt-restore-bucket-"));
    // the bucket exists, as an S3 bucket would (the stand-in below skips the first validation, which creates it)
    await mkdir(join(bucketRoot, "restores"));
    const bsl: BackupStorageLocation = {
      apiVersion: "velero.io/v1",
      kind: "BackupStorageLocation",
      metadata: { namespace, name: "default" },
      spec: { provider: FILESYSTEM_OBJECT_STORE, config: { path: bucketRoot }, objectStorage: { bucket: "restores" }, default: true, accessMode: "ReadWrite" },
    };
    await kube.create(GVR.backupStorageLocations, bsl as unknown as UnstructuredItem);
    // STAND-IN for the BackupStorageLocation controller (validation marks it Available).
    await kube.patch(GVR.backupStorageLocations, "default", namespace, { status: { phase: "Available", lastValidationTime: toKubeTime(new Date()) } });
    const getBackupStore = createBackupStoreGetter({
      plugins: filesystemObjectStores,
      credentials: new CredentialFileStore({ kube, namespace }),
      logger,
    });
    const builtinActions = builtinRestoreItemActions({ kube, veleroNamespace: namespace, logger }).map((b) => ({ name: b.name, action: asRestoreItemActionV2(b.create()) }));
    const reconciler = new RestoreReconciler({
      kube,
      namespace,
      log: logger,
      plugins: { getRestoreItemActions: async () => [], getVolumeSnapshotter: () => Promise.reject(new Error("no volume snapshotter in the restore harness")) },
      getBackupStore,
      builtinActions,
      restorerOptions: { resourceTimeoutMs: 60_000, resourceTerminatingTimeoutMs: 120_000 },
      progressIntervalMs: 500,
    });
    const manager = new ControllerManager({ client: kube, clock: realClock, logger, namespace, backoff: { baseMs: 200, maxMs: 2_000 } });
    manager.add(reconciler);
    await manager.start();
    return new RestoreServer(kube, namespace, bucketRoot, await getBackupStore(bsl), manager, logger);
  }

  async stop(): Promise<void> {
    await this.#manager.stop();
    await releaseRestores(this.kube, this.namespace);
    await this.kube.delete(GVR.namespaces, this.namespace).catch(() => undefined);
    await rm(this.bucketRoot, { recursive: true, force: true });
  }

  #backupObject(name: string, spec: Backup["spec"]): Backup {
    const now = toKubeTime(new Date());
    return {
      apiVersion: "velero.io/v1",
      kind: "Backup",
      metadata: { namespace: this.namespace, name, uid: `uid-${name}`, labels: { "velero.io/storage-location": "default" } },
      spec: { storageLocation: "default", ttl: "720h0m0s", ...spec },
      status: { phase: "Completed", version: 1, formatVersion: "1.1.0", startTimestamp: now, completionTimestamp: now },
    };
  }

  async #publish(backup: Backup, contents: Readable, extra: { resourceList?: Record<string, string[]>; volumeInfo?: unknown[] } = {}): Promise<void> {
    await this.store.putBackup({ name: backup.metadata.name ?? "", metadata: backup, contents, log: Readable.from(["backup log\n"]), results: { errors: {}, warnings: {} }, volumeSnapshots: [], ...extra });
    await this.kube.create(GVR.backups, backup as unknown as UnstructuredItem);
  }

  /**
   * STAND-IN for the backup controller: backs the live cluster up with the real backup engine
   * (KubernetesBackupper with Velero's built-in backup item actions) and publishes the result.
   */
  async backupWithEngine(name: string, spec: Backup["spec"]): Promise<Backup> {
    const backup = this.#backupObject(name, spec);
    const dir = await mkdtemp(join(tmpdir(), "vt-restore-backup-"));
    try {
      const file = join(dir, `${name}.tar.gz`);
      const tarball = new TarballWriter(file);
      const actions = BUILTIN_BACKUP_ITEM_ACTIONS.map((n) => ({ name: n, action: adaptBackupItemActionV1(createBuiltinBackupItemAction(n, this.kube)) }));
      const out = await new KubernetesBackupper(this.kube).backup({ backup, snapshotLocations: [], tarball, log: this.#logger, actions });
      await tarball.close();
      await this.#publish(backup, Readable.from([readFileSync(file)]), { resourceList: out.resourceList, volumeInfo: out.volumeInfo });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    return backup;
  }

  /** Publishes a backup made of a fixture tarball (crafted content, or objects not in the cluster). */
  async backupFromTarball(name: string, tarball: Buffer, spec: Backup["spec"] = {}): Promise<Backup> {
    const backup = this.#backupObject(name, spec);
    await this.#publish(backup, Readable.from([tarball]));
    return backup;
  }

  /** Creates a Restore and waits until it reaches a terminal phase. */
  async restore(name: string, spec: Partial<RestoreSpec>, timeoutMs = 180_000): Promise<Restore> {
    const restore: Restore = { apiVersion: "velero.io/v1", kind: "Restore", metadata: { namespace: this.namespace, name }, spec };
    await this.kube.create(GVR.restores, restore as unknown as UnstructuredItem);
    const terminal = new Set(["Completed", "PartiallyFailed", "Failed", "FailedValidation"]);
    return waitFor(
      `restore ${name} to finish`,
      async () => {
        const r = (await this.kube.get(GVR.restores, name, this.namespace)) as unknown as Restore | undefined;
        return r && terminal.has(r.status?.phase ?? "") ? r : undefined;
      },
      timeoutMs,
    );
  }

  /** A gzip-JSON file of `restores/<name>/`, decoded (undefined when absent). */
  async restoreFile<T>(name: string, file: "results" | "resource-list" | "volumeinfo" | "logs"): Promise<T | undefined> {
    const key =
      file === "volumeinfo" ? `restores/${name}/${name}-volumeinfo.json.gz` : file === "resource-list" ? `restores/${name}/restore-${name}-resource-list.json.gz` : file === "logs" ? `restores/${name}/restore-${name}-logs.gz` : `restores/${name}/restore-${name}-results.gz`;
    const path = join(this.bucketRoot, this.bucket, key);
    if (!existsSync(path)) return undefined;
    const text = gunzipSync(await readFile(path)).toString("utf8");
    return (file === "logs" ? text : JSON.parse(text)) as T;
  }
}

export const G = {
  deployments: { group: "apps", version: "v1", resource: "deployments" },
  replicasets: { group: "apps", version: "v1", resource: "replicasets" },
  services: { group: "", version: "v1", resource: "services" },
  roles: { group: "rbac.authorization.k8s.io", version: "v1", resource: "roles" },
  rolebindings: { group: "rbac.authorization.k8s.io", version: "v1", resource: "rolebindings" },
  storageclasses: { group: "storage.k8s.io", version: "v1", resource: "storageclasses" },
} satisfies Record<string, GroupVersionResource>;
