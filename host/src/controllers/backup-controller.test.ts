import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it, vi } from "vitest";
import type { Backup, BackupItemActionV2, BackupStorageLocation, UnstructuredItem, VolumeSnapshotter } from "@velero-ts/plugin-sdk";
import { GVR } from "../kube/gvr.js";
import { FILESYSTEM_CONFIG, FILESYSTEM_OBJECT_STORE } from "../builtin-plugins/filesystem-object-store.js";
import { CredentialFileStore } from "../persistence/credentials.js";
import { createBackupStoreGetter } from "../persistence/location.js";
import { ObjectBackupStore } from "../persistence/object-backup-store.js";
import { createSilentLogger } from "../shared/logging.js";
import { forBackup, forBackupStorageLocation, forConfigMap, forNamespace, forPV, forPVC, forVolumeSnapshotLocation } from "../testing/builders.js";
import { TarballWriteError, type TarballWriter } from "../backup/tar-writer.js";
import { FakeClock } from "../testing/fake-clock.js";
import { FakeKubeClient } from "../testing/fake-kube-client.js";
import type { GroupVersionResource } from "../kube/client.js";
import { MemoryObjectStore } from "../testing/in-memory-object-store.js";
import { readTarball } from "../testing/read-tarball.js";
import { BackupOperationsReconciler } from "./backup-operations-controller.js";
import type { NamedAction } from "../plugins/manager.js";
import { BackupReconciler, type BackupMetrics, type BackupReconcilerOptions } from "./backup-controller.js";
import { KubernetesBackupper, type Backupper } from "../backup/backupper.js";
import { BackupStorageLocationReconciler, setDefaultBackupLocation } from "./backup-storage-location-controller.js";
import { captureLogger, type LogRecord } from "../testing/capturing-logger.js";
import { filesystemObjectStores } from "../testing/filesystem-object-stores.js";

function setup(
  options: {
    concurrency?: number;
    actions?: NamedAction<BackupItemActionV2>[];
    defaults?: Pick<BackupReconcilerOptions, "defaultItemOperationTimeout" | "defaultSnapshotMoveData" | "defaultVolumeGroupSnapshotLabelKey" | "resourceTimeoutMs" | "defaultVolumeSnapshotLocations">;
    /** Wraps the real engine (e.g. to hold backups while others start). */
    wrapBackupper?: (engine: Backupper) => Backupper;
    /** A credential file store (files under this directory), as the server has. */
    credentialsDir?: string;
    /** Records the config each VolumeSnapshotter is opened with (default: none can be opened). */
    snapshotterConfigs?: Record<string, string>[];
    /** The server's watch cache of locations (read instead of a LIST and a GET); default none. */
    cachedLocations?: BackupReconcilerOptions["cachedLocations"];
  } = {},
) {
  const kube = new FakeKubeClient();
  const clock = new FakeClock("2024-05-01T10:00:00Z");
  const objects = new MemoryObjectStore();
  kube
    .seed(GVR.namespaces, forNamespace("app").build(), forNamespace("velero").build(), forNamespace("noisy").labels({ "velero.io/exclude-from-backup": "true" }).build())
    .seed(GVR.configMaps, forConfigMap("app", "cm1").build(), forConfigMap("noisy", "cm2").build())
    .seed(GVR.backupStorageLocations, forBackupStorageLocation("velero", "default").default().phase("Available").build());
  const metrics: string[] = [];
  const durations: string[] = [];
  const m = (name: string) => (s: string) => metrics.push(`${name}:${s}`);
  const backupMetrics: BackupMetrics = {
    backupAttempt: m("attempt"),
    backupSuccess: m("success"),
    backupPartialFailure: m("partial"),
    backupFailure: m("failure"),
    backupValidationFailure: m("validation"),
    backupDuration: (schedule: string) => durations.push(schedule),
    backupItems: () => undefined,
    backupWarning: () => undefined,
    backupLastStatus: () => undefined,
    backupLastSuccessfulTimestamp: () => undefined,
    backupTarballSize: () => undefined,
    volumeSnapshots: () => undefined,
  };
  const getBackupStore = async (l: BackupStorageLocation) => new ObjectBackupStore({ objectStore: objects, bucket: l.spec.objectStorage.bucket, prefix: l.spec.objectStorage.prefix });
  const reconciler = new BackupReconciler({
    kube,
    namespace: "velero",
    logger: createSilentLogger(),
    clock,
    getBackupStore,
    plugins: {
      getBackupItemActions: async () => options.actions ?? [],
      getItemBlockActions: async () => [],
      getVolumeSnapshotter: async (_provider, config) => {
        if (!options.snapshotterConfigs) throw new Error("none");
        options.snapshotterConfigs.push(config);
        // a volume type it does not handle: the PV is skipped
        return { getVolumeId: async () => "" } as never;
      },
    },
    concurrency: options.concurrency,
    metrics: backupMetrics,
    ...options.defaults,
    ...(options.wrapBackupper ? { backupper: options.wrapBackupper(new KubernetesBackupper(kube)) } : {}),
    ...(options.credentialsDir ? { credentials: new CredentialFileStore({ kube, namespace: "velero", directory: options.credentialsDir }) } : {}),
    ...(options.cachedLocations ? { cachedLocations: options.cachedLocations } : {}),
  });
  const submit = async (b: Backup) => {
    await kube.create(GVR.backups, b as never);
    await reconciler.reconcile(`velero/${b.metadata.name}`);
    await reconciler.idle();
    return kube.peek<Backup>(GVR.backups, b.metadata.name ?? "", "velero") as Backup;
  };
  return { kube, clock, objects, reconciler, submit, metrics, durations, getBackupStore };
}

describe("BackupReconciler", () => {
  it("New → InProgress → Completed, with Velero's defaults, labels, annotations and bucket keys", async () => {
    const t = setup();
    const b = await t.submit(forBackup("velero", "b1").includedNamespaces("app").build());
    expect(b.status).toMatchObject({
      phase: "Completed",
      version: 1,
      formatVersion: "1.1.0",
      expiration: "2024-05-31T10:00:00Z",
      startTimestamp: "2024-05-01T10:00:00Z",
      completionTimestamp: "2024-05-01T10:00:00Z",
      progress: { totalItems: 2, itemsBackedUp: 2 },
    });
    // zero counts left out, as Go writes them (omitempty), not 0
    expect(b.status && "errors" in b.status).toBe(false);
    expect(b.status && "warnings" in b.status).toBe(false);
    expect(b.status?.hookStatus, "zero counts left out, as Go writes them").toEqual({});
    expect(b.spec).toMatchObject({ ttl: "720h0m0s", storageLocation: "default", csiSnapshotTimeout: "10m0s", itemOperationTimeout: "4h0m0s", excludedNamespaces: ["noisy"] });
    expect(b.metadata.labels).toMatchObject({ "velero.io/storage-location": "default" });
    expect(b.metadata.annotations).toMatchObject({ "velero.io/source-cluster-k8s-gitversion": "v1.36.3", "velero.io/source-cluster-k8s-major-version": "1" });
    expect(t.objects.keys("bucket")).toEqual([
      "backups/b1/b1-itemoperations.json.gz",
      "backups/b1/b1-logs.gz",
      "backups/b1/b1-podvolumebackups.json.gz",
      "backups/b1/b1-resource-list.json.gz",
      "backups/b1/b1-results.gz",
      "backups/b1/b1-volumeinfo.json.gz",
      "backups/b1/b1-volumesnapshots.json.gz",
      "backups/b1/b1.tar.gz",
      "backups/b1/velero-backup.json",
    ]);
    // velero-backup.json is written twice; the terminal phase is the last write.
    expect(t.objects.puts.filter((k) => k.endsWith("velero-backup.json"))).toHaveLength(2);
    expect(t.objects.puts.at(-1)).toBe("backups/b1/velero-backup.json");
    expect(JSON.parse(t.objects.get("bucket", "backups/b1/velero-backup.json")?.toString() ?? "").status.phase).toBe("Completed");
    expect(gunzipSync(t.objects.get("bucket", "backups/b1/b1-logs.gz") as Buffer).toString()).toContain('msg="Backed up a total of 2 items"');
    expect(t.metrics).toEqual(["attempt:", "success:"]);
  });

  it("takes the default location from the watch cache when it is Available and writable (no LIST, no GET); a cached copy that is not is read afresh", async () => {
    for (const stale of [false, true]) {
      let cache: readonly UnstructuredItem[] = [];
      const t = setup({ cachedLocations: async () => cache });
      const location = t.kube.peek(GVR.backupStorageLocations, "default", "velero")!;
      // a stale copy: the location was Unavailable when the watch last said
      cache = [stale ? { ...location, status: { phase: "Unavailable" } } : location];
      const reads: string[] = [];
      const list = t.kube.list.bind(t.kube);
      const get = t.kube.get.bind(t.kube);
      // (the backup itself lists every resource of namespace app: not counted)
      t.kube.list = (gvr, o) => (o?.namespace === "velero" && reads.push(`list ${gvr.resource}`), list(gvr, o));
      t.kube.get = (gvr, n, ns) => (ns === "velero" && reads.push(`get ${gvr.resource}`), get(gvr, n, ns));
      const b = await t.submit(forBackup("velero", "b1").includedNamespaces("app").build());
      expect(b.status?.phase, `stale: ${stale}`).toBe("Completed");
      expect(b.spec.storageLocation).toBe("default");
      expect(reads.filter((r) => r.endsWith("backupstoragelocations")), `stale: ${stale}`).toEqual(stale ? ["get backupstoragelocations"] : []);
    }
  });

  it("does not start a Backup another server took between reading and starting it (the start names the resourceVersion read)", async () => {
    const t = setup();
    await t.kube.create(GVR.backups, forBackup("velero", "b1").includedNamespaces("app").build() as never);
    const get = t.kube.get.bind(t.kube);
    let reads = 0;
    t.kube.get = async (gvr, name, namespace) => {
      const found = await get(gvr, name, namespace);
      // the read the run starts from (the reconcile's): another server watching the namespace starts it right then
      if (gvr.resource === "backups" && ++reads === 1) {
        await t.kube.patch(GVR.backups, name, namespace, { status: { phase: "InProgress", startTimestamp: "2024-05-01T09:59:59Z" } });
      }
      return found;
    };
    await t.reconciler.reconcile("velero/b1");
    await t.reconciler.idle();
    const b = t.kube.peek<Backup>(GVR.backups, "b1", "velero") as Backup;
    // left to the other server: not run here (no tarball), its status as the other server wrote it
    expect(b.status).toMatchObject({ phase: "InProgress", startTimestamp: "2024-05-01T09:59:59Z" });
    expect(t.objects.keys("bucket").filter((k) => k.startsWith("backups/b1/"))).toEqual([]);
  });

  it("starts a backup from the watch cache's copy without reading it again; a copy that lags (the backup already ran) is refused by the start's resourceVersion and read afresh", async () => {
    const t = setup();
    await t.kube.create(GVR.backups, forBackup("velero", "b1").includedNamespaces("app").build() as never);
    const cached = structuredClone(t.kube.peek(GVR.backups, "b1", "velero")) as UnstructuredItem;
    const get = t.kube.get.bind(t.kube);
    let backupGets = 0;
    t.kube.get = (gvr, n, ns) => (gvr.resource === "backups" && backupGets++, get(gvr, n, ns));
    await t.reconciler.reconcile("velero/b1", cached);
    await t.reconciler.idle();
    const done = t.kube.peek<Backup>(GVR.backups, "b1", "velero") as Backup;
    expect(done.status?.phase).toBe("Completed");
    // (the one GET: the look after a run, for a Backup created again under its name meanwhile)
    expect(backupGets).toBe(1);
    const stored = t.objects.keys("bucket").filter((k) => k.startsWith("backups/b1/")).length;
    // the watch cache still says New (its events came late): not run again, nothing rewritten
    backupGets = 0;
    await t.reconciler.reconcile("velero/b1", cached);
    await t.reconciler.idle();
    expect(backupGets).toBeGreaterThan(0);
    const after = t.kube.peek<Backup>(GVR.backups, "b1", "velero") as Backup;
    expect(after.metadata.resourceVersion).toBe(done.metadata.resourceVersion);
    expect(after.status).toEqual(done.status);
    expect(t.objects.keys("bucket").filter((k) => k.startsWith("backups/b1/")).length).toBe(stored);
  });

  it("reads (discovery, LISTs) while its InProgress patch is on its way, and backs up, reports and uploads nothing before the patch went through; a patch refused drops the run", async () => {
    for (const refused of [false, true]) {
      const executed: string[] = [];
      const recorder: NamedAction<BackupItemActionV2> = {
        name: "example.io/record",
        action: {
          appliesTo: async () => ({ includedNamespaces: [], excludedNamespaces: [], includedResources: ["configmaps"], excludedResources: [], selector: "" }),
          execute: async (item) => (executed.push(item.metadata.name ?? ""), { item }),
          progress: async () => ({ completed: true, err: "", nCompleted: 0, nTotal: 0, operationUnits: "", description: "" }),
          cancel: async () => undefined,
        },
      };
      const t = setup({ actions: [recorder] });
      await t.kube.create(GVR.backups, forBackup("velero", "b1").includedNamespaces("app").build() as never);
      const lists: string[] = [];
      const listPages = t.kube.listPages.bind(t.kube);
      t.kube.listPages = (gvr, o) => (lists.push(`${gvr.resource} ${o?.namespace ?? ""}`), listPages(gvr, o));
      const patch = t.kube.patch.bind(t.kube);
      const patches: unknown[] = [];
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      t.kube.patch = async (gvr, name, ns, body) => {
        patches.push(body);
        if (gvr.resource === "backups" && (body as { status?: { phase?: string } }).status?.phase === "InProgress") {
          await held;
          // another server took it meanwhile
          if (refused) await patch(gvr, name, ns, { status: { phase: "InProgress", startTimestamp: "2024-05-01T09:59:59Z" } });
        }
        return patch(gvr, name, ns, body);
      };
      await t.reconciler.reconcile("velero/b1");
      await vi.waitFor(() => expect(lists, `refused: ${refused}`).toContain("configmaps app"));
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      expect(executed).toEqual([]);
      expect(patches).toHaveLength(1); // the start patch alone: no progress yet
      expect(t.objects.keys("bucket").filter((k) => k.startsWith("backups/b1/"))).toEqual([]);
      release();
      await t.reconciler.idle();
      const b = t.kube.peek<Backup>(GVR.backups, "b1", "velero") as Backup;
      if (refused) {
        // left to the other server: nothing run, reported or uploaded here
        expect(b.status).toMatchObject({ phase: "InProgress", startTimestamp: "2024-05-01T09:59:59Z" });
        expect(executed).toEqual([]);
        expect(t.objects.keys("bucket").filter((k) => k.startsWith("backups/b1/"))).toEqual([]);
      } else {
        expect(b.status?.phase).toBe("Completed");
        expect(executed).toEqual(["cm1"]);
        // what is stored is the Backup as the start patch left it (its resourceVersion)
        const stored = JSON.parse(t.objects.get("bucket", "backups/b1/velero-backup.json")?.toString() ?? "{}") as Backup;
        expect(Number(stored.metadata.resourceVersion)).toBeGreaterThan(1);
        expect(stored.status?.phase).toBe("Completed");
      }
    }
  });

  it("hands the engine the Backup's resourceVersion from when its run began, as the lower bound of its LISTs", async () => {
    const seen: (string | undefined)[] = [];
    const t = setup({ wrapBackupper: (engine) => ({ backup: (input) => (seen.push(input.listNotOlderThan), engine.backup(input)), finalize: (input) => engine.finalize(input) }) });
    await t.kube.create(GVR.backups, forBackup("velero", "b-rv").includedNamespaces("app").build() as never);
    const atStart = (t.kube.peek<Backup>(GVR.backups, "b-rv", "velero") as Backup).metadata.resourceVersion;
    await t.reconciler.reconcile("velero/b-rv");
    await t.reconciler.idle();
    expect(atStart).toMatch(/^\d+$/);
    // not the InProgress patch's newer one: the LISTs need not wait for the API server's cache to see that write
    expect(seen).toEqual([atStart]);
    expect((t.kube.peek<Backup>(GVR.backups, "b-rv", "velero") as Backup).status?.phase).toBe("Completed");
  });

  it("a failureReason another writer sets while the backup runs (a second server starting) does not outlive its success", async () => {
    let kube: FakeKubeClient | undefined;
    const t = setup({
      wrapBackupper: (engine) => ({
        backup: async (input) => {
          await kube?.patch(GVR.backups, "b-two", "velero", { status: { phase: "Failed", failureReason: 'found a backup with status "InProgress" during the server starting, mark it as "Failed"' } });
          return engine.backup(input);
        },
        finalize: (input) => engine.finalize(input),
      }),
    });
    kube = t.kube;
    await t.kube.create(GVR.backups, forBackup("velero", "b-two").includedNamespaces("app").build() as never);
    await t.reconciler.reconcile("velero/b-two");
    await t.reconciler.idle();
    const b = t.kube.peek<Backup>(GVR.backups, "b-two", "velero") as Backup;
    expect(b.status?.phase).toBe("Completed");
    expect(b.status?.failureReason).toBeUndefined();
  });

  it("FailedValidation lists every reason and writes nothing", async () => {
    const t = setup();
    const b = await t.submit(
      forBackup("velero", "bad")
        .storageLocation("missing")
        .spec({
          includedResources: ["pods"],
          includedClusterScopedResources: ["persistentvolumes"],
          labelSelector: { matchLabels: { a: "b" } },
          orLabelSelectors: [{ matchLabels: { c: "d" } }],
          includedNamespaces: ["Bad_NS"],
        })
        .build(),
    );
    expect(b.status?.phase).toBe("FailedValidation");
    expect(b.status?.validationErrors).toEqual([
      expect.stringContaining("the default missing was not found"),
      expect.stringContaining("They cannot be used together"),
      expect.stringContaining('Invalid included/excluded namespace lists: invalid namespace "Bad_NS"'),
      "encountered labelSelector as well as orLabelSelectors in backup spec, only one can be specified",
    ]);
    expect(t.objects.keys("bucket")).toEqual([]);
    expect(t.metrics).toEqual(["validation:"]);
  });

  it.each([
    { name: "ReadOnly location", bsl: forBackupStorageLocation("velero", "ro").accessMode("ReadOnly").phase("Available").build(), want: "backup can't be created because backup storage location ro is currently in read-only mode" },
    { name: "Unavailable location", bsl: forBackupStorageLocation("velero", "ro").phase("Unavailable").build(), want: "backup can't be created because BackupStorageLocation ro is in Unavailable status." },
  ])("FailedValidation for a $name", async ({ bsl, want }) => {
    const t = setup();
    t.kube.seed(GVR.backupStorageLocations, bsl);
    const b = await t.submit(forBackup("velero", "b").storageLocation("ro").build());
    expect(b.status?.phase).toBe("FailedValidation");
    expect(b.status?.validationErrors).toContain(want);
  });

  it("PartiallyFailed when an item action fails; errors counted and in results", async () => {
    const failing: NamedAction<BackupItemActionV2> = {
      name: "example.io/fail",
      action: {
        appliesTo: async () => ({ includedNamespaces: [], excludedNamespaces: [], includedResources: ["configmaps"], excludedResources: [], selector: "" }),
        execute: async () => {
          throw new Error("boom");
        },
        progress: async () => ({ completed: true, err: "", nCompleted: 0, nTotal: 0, operationUnits: "", description: "" }),
        cancel: async () => undefined,
      },
    };
    const t = setup({ actions: [failing] });
    const b = await t.submit(forBackup("velero", "b1").includedNamespaces("app").build());
    expect(b.status?.phase).toBe("PartiallyFailed");
    expect(b.status?.errors).toBe(1);
    const results = JSON.parse(gunzipSync(t.objects.get("bucket", "backups/b1/b1-results.gz") as Buffer).toString());
    // filed under "Velero" with the item's name, as Velero's block logger writes "Error backing up item"
    expect(results.errors.namespaces).toBeUndefined();
    expect(results.errors.velero[0]).toMatch(/^ name: \/\S+ message: \/Error backing up item error: \/.*boom/);
  });

  it("backs up under a 253-character name, longer than a file name may be (the local tarball is not named after it)", async () => {
    const t = setup();
    const name = `b${"x".repeat(252)}`;
    const b = await t.submit(forBackup("velero", name).includedNamespaces("app").build());
    expect(b.status).toMatchObject({ phase: "Completed", progress: { itemsBackedUp: 2 } });
    expect((t.objects.get("bucket", `backups/${name}/${name}.tar.gz`)?.length ?? 0) > 0).toBe(true);
  });

  it("fails a backup that already exists in object storage", async () => {
    const t = setup();
    await t.submit(forBackup("velero", "b1").includedNamespaces("app").build());
    await t.kube.delete(GVR.backups, "b1", "velero");
    const again = await t.submit(forBackup("velero", "b1").includedNamespaces("app").build());
    expect(again.status).toMatchObject({ phase: "Failed", failureReason: "backup already exists in object storage" });
    expect(t.metrics).toEqual(["attempt:", "success:", "attempt:", "failure:"]);
    expect(t.durations, "a duration sample for the Completed backup only, as in Velero").toEqual([""]);
  });

  it("fails without writing anything when the check for an existing backup fails: a backup of that name in the bucket is never overwritten", async () => {
    const t = setup();
    await t.submit(forBackup("velero", "b1").includedNamespaces("app").build());
    const before = new Map([...t.objects.objects.entries()].map(([k, v]) => [k, Buffer.from(v)]));
    expect(before.size).toBeGreaterThan(0);
    await t.kube.delete(GVR.backups, "b1", "velero");
    const exists = vi.spyOn(t.objects, "objectExists").mockRejectedValue(new Error("HEAD b1/velero-backup.json: 403 AccessDenied"));
    const again = await t.submit(forBackup("velero", "b1").includedNamespaces("app").build());
    exists.mockRestore();
    expect(again.status).toMatchObject({
      phase: "Failed",
      failureReason: "error checking if backup already exists in object storage: HEAD b1/velero-backup.json: 403 AccessDenied",
      completionTimestamp: "2024-05-01T10:00:00Z",
    });
    expect(again.status?.errors, "not an error of the backup's items").toBeUndefined();
    // every key of the first backup is there, byte for byte, and nothing was added
    expect(new Map([...t.objects.objects.entries()].map(([k, v]) => [k, Buffer.from(v)]))).toEqual(before);
  });

  it("records the native snapshots a backup took before it failed (so deleting it deletes them), with their counts", async () => {
    let snapshotted = false;
    const snapshotter = {
      init: async () => undefined,
      getVolumeId: async () => "vol-1",
      getVolumeInfo: async () => ({ volumeType: "gp3", iops: 0 }),
      createSnapshot: async () => ((snapshotted = true), "snap-1"),
      deleteSnapshot: async () => undefined,
      createVolumeFromSnapshot: async () => "",
      setVolumeId: async (pv: never) => pv,
    } as unknown as VolumeSnapshotter;
    const vsl = forVolumeSnapshotLocation("velero", "aws").build();
    const t = setup({
      wrapBackupper: (engine) => ({
        // the real engine with a snapshot location, and a disk that fills up once the snapshot is taken
        backup: (input) =>
          engine.backup({
            ...input,
            snapshotLocations: [vsl],
            volumeSnapshotter: async () => snapshotter,
            tarball: new Proxy(input.tarball, {
              get: (target, prop, receiver) =>
                prop === "appendCopies"
                  ? (...args: Parameters<TarballWriter["appendCopies"]>) => {
                      if (snapshotted) throw new TarballWriteError("contents.tar.gz", Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" }));
                      return target.appendCopies(...args);
                    }
                  : (Reflect.get(target, prop, receiver) as unknown),
            }),
          }),
        finalize: (input) => engine.finalize(input),
      }),
    });
    t.kube
      .seed(GVR.persistentVolumeClaims, forPVC("app", "data", "pv-data").build())
      .seed(GVR.persistentVolumes, forPV("pv-data", { namespace: "app", name: "data" }).build());
    // cluster resources included: the PV is collected itself (no action needed to pull it in)
    const b = await t.submit(forBackup("velero", "disk-full").includedNamespaces("app").spec({ includeClusterResources: true }).build());
    expect(b.status).toMatchObject({ phase: "Failed", volumeSnapshotsAttempted: 1, volumeSnapshotsCompleted: 1 });
    expect(b.status?.failureReason).toContain("ENOSPC");
    // a tarball that could not be written is not uploaded
    expect((t.objects.get("bucket", "backups/disk-full/disk-full.tar.gz") as Buffer).length).toBe(0);
    const stored = t.objects.get("bucket", "backups/disk-full/disk-full-volumesnapshots.json.gz");
    expect(JSON.parse(gunzipSync(stored as Buffer).toString())).toMatchObject([{ spec: { persistentVolumeName: "pv-data", providerVolumeID: "vol-1" }, status: { providerSnapshotID: "snap-1", phase: "Completed" } }]);
  });

  it("uploads the partial tarball of a backup the engine failed (Velero's persistBackup: `backup download` still gets it); a tarball that could not be written is not uploaded", async () => {
    const t = setup({
      wrapBackupper: (engine) => ({
        backup: async (input) => {
          await engine.backup(input);
          throw new Error("cluster went away");
        },
        finalize: (input) => engine.finalize(input),
      }),
    });
    const b = await t.submit(forBackup("velero", "halfway").includedNamespaces("app").build());
    expect(b.status).toMatchObject({ phase: "Failed", failureReason: "cluster went away" });
    const entries = [...(await readTarball(t.objects.get("bucket", "backups/halfway/halfway.tar.gz") as Buffer)).keys()];
    expect(entries).toContain("metadata/version");
    expect(entries).toContain("resources/configmaps/namespaces/app/cm1.json");
  });

  it("a backup whose final metadata write fails stays Finalizing, as the bucket says, and the operations controller completes it (it was Failed with all its data stored)", async () => {
    const t = setup();
    let metadataWrites = 0;
    t.objects.failPutOn = (key) => key.endsWith("/velero-backup.json") && ++metadataWrites === 2;
    const b = await t.submit(forBackup("velero", "flaky").includedNamespaces("app").build());
    expect(b.status?.phase).toBe("Finalizing");
    expect(b.status?.failureReason).toBeUndefined();
    // the first write, as Velero's: Finalizing, with no completionTimestamp yet
    const first = JSON.parse((t.objects.get("bucket", "backups/flaky/velero-backup.json") as Buffer).toString()) as Backup;
    expect(first.status?.phase).toBe("Finalizing");
    expect(first.status).not.toHaveProperty("completionTimestamp");
    const operations = new BackupOperationsReconciler({ kube: t.kube, logger: createSilentLogger(), plugins: { getBackupItemActions: async () => [] }, getBackupStore: t.getBackupStore, clock: t.clock });
    await operations.reconcile("velero/flaky");
    expect(t.kube.peek<Backup>(GVR.backups, "flaky", "velero")?.status?.phase).toBe("Completed");
    const stored = JSON.parse((t.objects.get("bucket", "backups/flaky/velero-backup.json") as Buffer).toString()) as Backup;
    expect(stored.status?.phase).toBe("Completed");
  });

  it("opens the backup's object store through the backup's plugin view, so what the store plugin logs lands in the backup's log (Velero's per-backup plugin manager)", async () => {
    const t = setup();
    const objects = new MemoryObjectStore();
    const opened: string[] = [];
    const base = { getObjectStore: async () => (opened.push("server"), objects) };
    const actions = { getBackupItemActions: async () => [], getItemBlockActions: async () => [], getVolumeSnapshotter: async () => Promise.reject(new Error("none")) };
    const view = { ...actions, getObjectStore: async () => (opened.push("backup view"), objects) };
    const getBackupStore = createBackupStoreGetter({ plugins: base, credentials: new CredentialFileStore({ kube: t.kube, namespace: "velero", directory: tmpdir() }), logger: createSilentLogger() });
    const reconciler = new BackupReconciler({
      kube: t.kube,
      namespace: "velero",
      logger: createSilentLogger(),
      clock: t.clock,
      getBackupStore,
      plugins: { ...actions, withLog: () => view as never },
    });
    await t.kube.create(GVR.backups, forBackup("velero", "viewed").includedNamespaces("app").build() as never);
    await reconciler.reconcile("velero/viewed");
    await reconciler.idle();
    expect(t.kube.peek<Backup>(GVR.backups, "viewed", "velero")?.status, JSON.stringify(t.kube.peek<Backup>(GVR.backups, "viewed", "velero")?.status)).toMatchObject({ phase: "Completed" });
    expect(opened).toEqual(["backup view"]);
  });

  it("fails without writing anything when the backup item actions cannot be had (a plugin that will not start)", async () => {
    const t = setup();
    const failing = new BackupReconciler({
      kube: t.kube,
      namespace: "velero",
      logger: createSilentLogger(),
      clock: t.clock,
      getBackupStore: t.getBackupStore,
      plugins: {
        getBackupItemActions: async () => {
          throw new Error('plugin "velero.io/pod" (/plugins/velero-plugin-x): exited before its handshake');
        },
        getItemBlockActions: async () => [],
        getVolumeSnapshotter: async () => {
          throw new Error("none");
        },
      },
    });
    await t.kube.create(GVR.backups, forBackup("velero", "b2").includedNamespaces("app").build() as never);
    await failing.reconcile("velero/b2");
    await failing.idle();
    expect(t.kube.peek<Backup>(GVR.backups, "b2", "velero")?.status).toMatchObject({
      phase: "Failed",
      failureReason: 'plugin "velero.io/pod" (/plugins/velero-plugin-x): exited before its handshake',
    });
    expect(t.objects.objects.size).toBe(0);
  });

  it("leaves an InProgress backup it did not start alone, as Velero does with one synced from a bucket (an earlier server's are failed at startup: startup.ts)", async () => {
    const t = setup();
    t.kube.seed(GVR.backups, forBackup("velero", "orphan").phase("InProgress").build());
    await t.reconciler.reconcile("velero/orphan");
    const b = t.kube.peek<Backup>(GVR.backups, "orphan", "velero");
    expect(b?.status?.phase).toBe("InProgress");
    expect(b?.status?.failureReason).toBeUndefined();
    expect(t.objects.keys("bucket")).toEqual([]);
  });

  it("gives a Backup that does not say the server's --default-item-operation-timeout, --default-snapshot-move-data and --volume-group-snapshot-label-key", async () => {
    const t = setup({ defaults: { defaultItemOperationTimeout: "1h30m0s", defaultSnapshotMoveData: true, defaultVolumeGroupSnapshotLabelKey: "example.com/group" } });
    const b = await t.submit(forBackup("velero", "defaults").includedNamespaces("app").spec({ itemOperationTimeout: "0s" }).build());
    expect(b.spec).toMatchObject({ itemOperationTimeout: "1h30m0s", snapshotMoveData: true, volumeGroupSnapshotLabelKey: "example.com/group" });
    const own = await t.submit(forBackup("velero", "own").includedNamespaces("app").spec({ itemOperationTimeout: "5m0s", snapshotMoveData: false, volumeGroupSnapshotLabelKey: "mine" }).build());
    expect(own.spec).toMatchObject({ itemOperationTimeout: "5m0s", snapshotMoveData: false, volumeGroupSnapshotLabelKey: "mine" });
    expect(b.metadata.annotations?.["velero.io/resource-timeout"], "Velero's default").toBe("10m0s");
  });

  it("annotates the Backup with the server's --resource-timeout, as Velero", async () => {
    const t = setup({ defaults: { resourceTimeoutMs: 90_000 } });
    const b = await t.submit(forBackup("velero", "rt").includedNamespaces("app").build());
    expect(b.metadata.annotations?.["velero.io/resource-timeout"]).toBe("1m30s");
  });

  it("reports invalid durations and leaves them as written instead of replacing them with defaults", async () => {
    const t = setup();
    const b = await t.submit(forBackup("velero", "bad-durations").includedNamespaces("app").spec({ ttl: "abc", itemOperationTimeout: "soon", csiSnapshotTimeout: "" }).build());
    expect(b.status?.phase).toBe("FailedValidation");
    expect(b.status?.validationErrors).toEqual([
      'invalid ttl "abc": expected a duration such as 720h0m0s',
      'invalid itemOperationTimeout "soon": expected a duration such as 4h0m0s',
    ]);
    expect(b.spec).toMatchObject({ ttl: "abc", itemOperationTimeout: "soon", csiSnapshotTimeout: "10m0s" });
  });

  it("refuses a negative ttl (Velero expires the backup at once and deletes it at the next collection); 0 takes the default", async () => {
    const t = setup();
    const b = await t.submit(forBackup("velero", "neg-ttl").includedNamespaces("app").spec({ ttl: "-1h" }).build());
    expect(b.status?.phase).toBe("FailedValidation");
    expect(b.status?.validationErrors).toEqual([`invalid ttl "-1h": it must not be negative (0 or unset takes the server's --default-backup-ttl)`]);
    const zero = await t.submit(forBackup("velero", "zero-ttl").includedNamespaces("app").spec({ ttl: "0s" }).build());
    expect(zero.status?.phase).toBe("Completed");
    expect(zero.spec.ttl).toBe("720h0m0s");
    expect(zero.status?.expiration).toBe("2024-05-31T10:00:00Z");
  });

  it("does not fail a backup it ran when a stale read still says InProgress (the read raced the final patch)", async () => {
    const t = setup();
    await t.submit(forBackup("velero", "b1").includedNamespaces("app").build());
    // what a GET sent before the final status patch landed answers
    await t.kube.patch(GVR.backups, "b1", "velero", { status: { phase: "InProgress" } });
    await t.reconciler.reconcile("velero/b1");
    const b = t.kube.peek<Backup>(GVR.backups, "b1", "velero");
    expect(b?.status?.phase).toBe("InProgress");
    expect(b?.status?.failureReason).toBeUndefined();
  });

  it("tries again (with backoff) a backup whose start failed on an API error, instead of leaving it New for good", async () => {
    const t = setup();
    await t.kube.create(GVR.backups, forBackup("velero", "b1").includedNamespaces("app").build() as never);
    // the InProgress patch fails twice (API server away), then goes through
    t.kube.failNext("patch", "backups", Object.assign(new Error("connect ECONNREFUSED"), { statusCode: 503 }), 2);
    await t.reconciler.reconcile("velero/b1");
    await t.reconciler.idle();
    expect(t.kube.peek<Backup>(GVR.backups, "b1", "velero")?.status?.phase).toBeUndefined();
    for (const ms of [1000, 2000]) {
      t.clock.advance(ms);
      await new Promise((r) => setTimeout(r, 10));
      await t.reconciler.idle();
    }
    expect(t.kube.peek<Backup>(GVR.backups, "b1", "velero")?.status?.phase).toBe("Completed");
  });

  it("retries the final status patch until the API server takes it (the bucket already holds the backup)", async () => {
    const t = setup();
    await t.kube.create(GVR.backups, forBackup("velero", "b1").includedNamespaces("app").build() as never);
    let patches = 0;
    const patch = t.kube.patch.bind(t.kube);
    t.kube.patch = async (gvr, name, ns, body) => {
      const status = (body as { status?: { phase?: string } }).status;
      if (gvr.resource === "backups" && status?.phase === "Completed" && patches++ < 3) throw Object.assign(new Error("etcdserver: request timed out"), { statusCode: 500 });
      return patch(gvr, name, ns, body);
    };
    await t.reconciler.reconcile("velero/b1");
    for (let i = 0; i < 10 && t.kube.peek<Backup>(GVR.backups, "b1", "velero")?.status?.phase !== "Completed"; i++) {
      await new Promise((r) => setTimeout(r, 20));
      t.clock.advance(4000);
    }
    await t.reconciler.idle();
    expect(patches).toBe(4);
    expect(t.kube.peek<Backup>(GVR.backups, "b1", "velero")?.status?.phase).toBe("Completed");
  });

  it("does not write a run's result into a Backup deleted and created again under the same name meanwhile, and then runs the new one", async () => {
    const t = setup();
    await t.kube.create(GVR.backups, forBackup("velero", "b1").includedNamespaces("app").build() as never);
    // while the first run backs up, the Backup is replaced by another with the same name
    const list = t.kube.list.bind(t.kube);
    let replaced = false;
    t.kube.list = async (gvr, options) => {
      if (gvr.resource === "configmaps" && !replaced) {
        replaced = true;
        await t.kube.delete(GVR.backups, "b1", "velero");
        await t.kube.create(GVR.backups, forBackup("velero", "b1").includedNamespaces("noisy").build() as never);
      }
      return list(gvr, options);
    };
    await t.reconciler.reconcile("velero/b1");
    await t.reconciler.idle();
    for (let i = 0; i < 20 && !["Completed", "Failed", "PartiallyFailed"].includes(t.kube.peek<Backup>(GVR.backups, "b1", "velero")?.status?.phase ?? ""); i++) {
      await new Promise((r) => setTimeout(r, 10));
      await t.reconciler.idle();
    }
    const b = t.kube.peek<Backup>(GVR.backups, "b1", "velero") as Backup;
    expect(b.spec.includedNamespaces).toEqual(["noisy"]);
    // the new Backup was looked at on its own (its namespace is labelled exclude-from-backup, so
    // its own validation refuses it), not marked Completed with the first run's result
    expect(b.status?.phase).toBe("FailedValidation");
    expect(b.status?.validationErrors?.join("\n")).toMatch(/noisy/);
  });

  it("queues backups beyond the concurrency with queuePosition, then runs them", async () => {
    const t = setup({ concurrency: 1 });
    await t.kube.create(GVR.backups, forBackup("velero", "a").includedNamespaces("app").build() as never);
    await t.kube.create(GVR.backups, forBackup("velero", "b").includedNamespaces("app").build() as never);
    await t.reconciler.reconcile("velero/a");
    await t.reconciler.reconcile("velero/b");
    expect(t.kube.peek<Backup>(GVR.backups, "b", "velero")?.status).toMatchObject({ phase: "Queued", queuePosition: 1 });
    await t.reconciler.idle();
    expect(t.kube.peek<Backup>(GVR.backups, "a", "velero")?.status?.phase).toBe("Completed");
    expect(t.kube.peek<Backup>(GVR.backups, "b", "velero")?.status?.phase).toBe("Completed");
  });

  it("a Queued patch that arrives after the backup was started does not turn it back into Queued (conditional on the version read)", async () => {
    const t = setup({ concurrency: 1 });
    await t.kube.create(GVR.backups, forBackup("velero", "a").includedNamespaces("app").build() as never);
    await t.kube.create(GVR.backups, forBackup("velero", "b").includedNamespaces("app").build() as never);
    await t.reconciler.reconcile("velero/a");
    // b's Queued patch is slow: by the time it lands, b was started (another backup finished)
    const patch = t.kube.patch.bind(t.kube);
    t.kube.patch = (async (gvr: GroupVersionResource, name: string, ns: string | undefined, body: { status?: { phase?: string } }) => {
      if (name === "b" && body.status?.phase === "Queued") await patch(gvr, "b", ns, { status: { phase: "InProgress" } });
      return patch(gvr, name, ns, body);
    }) as typeof t.kube.patch;
    await t.reconciler.reconcile("velero/b");
    expect(t.kube.peek<Backup>(GVR.backups, "b", "velero")?.status?.phase).toBe("InProgress");
    t.kube.patch = patch;
    await t.reconciler.idle();
  });

  it("after a restart, runs the backups an earlier server queued in their queue order (ReadyToStart first), not in the watch's order by name", async () => {
    const order: string[] = [];
    const t = setup({ wrapBackupper: (engine) => ({ backup: (input) => (order.push(input.backup.metadata.name ?? ""), engine.backup(input)), finalize: (input) => engine.finalize(input) }) });
    const queued = (name: string, phase: "Queued" | "ReadyToStart", queuePosition?: number) => {
      const b = forBackup("velero", name).includedNamespaces("app").build();
      b.status = { phase, ...(queuePosition ? { queuePosition } : {}) };
      return b;
    };
    t.kube.seed(GVR.backups, queued("a-third", "Queued", 2), queued("b-second", "Queued", 1), queued("c-first", "ReadyToStart"));
    await t.reconciler.resumeQueued();
    // the watch then hands them over by name: nothing is started twice
    for (const name of ["a-third", "b-second", "c-first"]) await t.reconciler.reconcile(`velero/${name}`);
    await t.reconciler.idle();
    expect(order).toEqual(["c-first", "b-second", "a-third"]);
    for (const name of order) expect(t.kube.peek<Backup>(GVR.backups, name, "velero")?.status?.phase).toBe("Completed");
  });
});

describe("BackupReconciler with several backups at once (--concurrent-backups)", () => {
  it("never runs two backups that share a namespace, nor lets one overtake a queued one on a namespace, as Velero's queue; a stopping server starts no more", async () => {
    const started: string[] = [];
    const gates = new Map<string, () => void>();
    const t = setup({
      concurrency: 3,
      wrapBackupper: (engine) => ({
        backup: async (input) => {
          const name = input.backup.metadata.name ?? "";
          started.push(name);
          await new Promise<void>((release) => gates.set(name, release));
          return engine.backup(input);
        },
        finalize: (input) => engine.finalize(input),
      }),
    });
    t.kube.seed(GVR.namespaces, forNamespace("other").build());
    const submit = async (name: string, namespaces: string[]) => {
      await t.kube.create(GVR.backups, forBackup("velero", name).includedNamespaces(...namespaces).build() as never);
      await t.reconciler.reconcile(`velero/${name}`);
    };
    const settle = () => new Promise((r) => setTimeout(r, 50));
    await submit("app-1", ["app"]);
    await submit("other-1", ["oth*"]);
    await submit("app-2", ["app", "other"]); // shares app with app-1, other with other-1
    await submit("app-3", ["app"]); // shares app with app-1 and with app-2, queued ahead
    await submit("velero-1", ["velero"]); // shares nothing: takes the third slot
    // other-1's glob is matched against the namespace list first, so velero-1 may start before it
    const firstThree = () => [...started.slice(0, 3)].sort();
    await vi.waitFor(() => expect(firstThree()).toEqual(["app-1", "other-1", "velero-1"]));
    expect(t.kube.peek<Backup>(GVR.backups, "app-2", "velero")?.status?.phase).toBe("Queued");
    gates.get("app-1")?.();
    await settle();
    expect(started, "app-2 still shares other with other-1; app-3 does not overtake app-2").toHaveLength(3);
    gates.get("other-1")?.();
    await vi.waitFor(() => expect(started.slice(3)).toEqual(["app-2"]));
    expect(firstThree()).toEqual(["app-1", "other-1", "velero-1"]);
    t.reconciler.close();
    gates.get("velero-1")?.();
    gates.get("app-2")?.();
    await t.reconciler.idle();
    await settle();
    expect(started, "a stopping server starts nothing new").toHaveLength(4);
    expect(t.kube.peek<Backup>(GVR.backups, "app-3", "velero")?.status?.phase).toBe("Queued");
  });
});

describe("BackupStorageLocationReconciler", () => {
  it("a negative --store-validation-frequency validates every 10 s, as Velero's controller period does (it was a tight loop of validations and patches)", async () => {
    const t = setup();
    const r = new BackupStorageLocationReconciler({ kube: t.kube, logger: createSilentLogger(), clock: t.clock, getBackupStore: t.getBackupStore, defaultValidationFrequencyMs: -60_000 });
    expect(await r.reconcile("velero/default")).toEqual({ kind: "requeue", afterMs: 10_000 });
    t.clock.advance(4_000);
    // its own status patch brings it back: not validated again before the 10 s are up
    expect(await r.reconcile("velero/default")).toEqual({ kind: "requeue", afterMs: 6_000 });
  });

  it("decides from the watch cache's copy that a validation is not due (its own status patch coming back): no GET; a changed spec there is read afresh and validated", async () => {
    const t = setup();
    const r = new BackupStorageLocationReconciler({ kube: t.kube, logger: createSilentLogger(), clock: t.clock, getBackupStore: t.getBackupStore });
    const gets: string[] = [];
    const get = t.kube.get.bind(t.kube);
    t.kube.get = (gvr, name, namespace) => (gets.push(`${gvr.resource}/${name}`), get(gvr, name, namespace));
    const cached = () => t.kube.peek(GVR.backupStorageLocations, "default", "velero")!;
    expect(await r.reconcile("velero/default", cached())).toEqual({ kind: "requeue", afterMs: 60_000 });
    expect(gets).toEqual(["backupstoragelocations/default"]);
    t.clock.advance(10_000);
    expect(await r.reconcile("velero/default", cached())).toEqual({ kind: "requeue", afterMs: 50_000 });
    expect(gets).toHaveLength(1);
    await t.kube.patch(GVR.backupStorageLocations, "default", "velero", { spec: { config: { region: "eu-west-1" } } });
    expect(await r.reconcile("velero/default", cached())).toEqual({ kind: "requeue", afterMs: 60_000 });
    expect(gets).toHaveLength(2);
    expect(t.kube.peek<BackupStorageLocation>(GVR.backupStorageLocations, "default", "velero")?.status?.lastValidationTime).toBe("2024-05-01T10:00:10Z");
  });

  it("validates through the object store: Available, then Unavailable with a message on a stray top-level dir", async () => {
    const t = setup();
    const r = new BackupStorageLocationReconciler({ kube: t.kube, logger: createSilentLogger(), clock: t.clock, getBackupStore: t.getBackupStore });
    expect(await r.reconcile("velero/default")).toEqual({ kind: "requeue", afterMs: 60_000 });
    expect(t.kube.peek<BackupStorageLocation>(GVR.backupStorageLocations, "default", "velero")?.status).toMatchObject({
      phase: "Available",
      lastValidationTime: "2024-05-01T10:00:00Z",
    });
    t.objects.objects.set("bucket/junk/file", Buffer.from("x"));
    expect(await r.reconcile("velero/default")).toEqual({ kind: "requeue", afterMs: 60_000 });
    t.clock.advance(60_000);
    await r.reconcile("velero/default");
    const status = t.kube.peek<BackupStorageLocation>(GVR.backupStorageLocations, "default", "velero")?.status;
    expect(status?.phase).toBe("Unavailable");
    expect(status?.message).toContain("invalid top-level directories: [junk]");
    expect(t.objects.puts).toEqual([]);
  });

  it("a store that never answers: Unavailable after the validation time limit, and the worker is free for the next location", async () => {
    const t = setup();
    const records: LogRecord[] = [];
    let asked = 0;
    const r = new BackupStorageLocationReconciler({
      kube: t.kube,
      logger: captureLogger(records),
      clock: t.clock,
      validationTimeoutMs: 50,
      // the store (or its plugin) takes the call and never answers
      getBackupStore: () => (asked++, new Promise<never>(() => undefined)),
    });
    expect(await r.reconcile("velero/default")).toEqual({ kind: "requeue", afterMs: 60_000 });
    expect(asked).toBe(1);
    const status = t.kube.peek<BackupStorageLocation>(GVR.backupStorageLocations, "default", "velero")?.status;
    expect(status?.phase).toBe("Unavailable");
    expect(status?.message).toBe(
      `BackupStorageLocation "default" is unavailable: validation did not finish within 50ms: the object store did not answer; check the location's endpoint (bucket, config such as s3Url), the network and proxies`,
    );
    expect(records.map((l) => `${l.level} ${l.message}`).slice(0, 2)).toEqual(["error fail to validate backup store", "info BackupStorageLocation is invalid, marking as unavailable"]);
  });

  it("logs Velero's lines at each validation: the failure, the verdict and the summary of all locations", async () => {
    const t = setup();
    const records: LogRecord[] = [];
    const r = new BackupStorageLocationReconciler({ kube: t.kube, logger: captureLogger(records), clock: t.clock, getBackupStore: t.getBackupStore });
    await r.reconcile("velero/default");
    const lines = () => records.splice(0).map((l) => `${l.level} ${l.message}`);
    expect(lines()).toEqual(["info Validating BackupStorageLocation", "info BackupStorageLocations is valid, marking as available"]);
    t.objects.objects.set("bucket/junk/file", Buffer.from("x"));
    t.clock.advance(60_000);
    await r.reconcile("velero/default");
    const failing = records.slice();
    const failingLines = lines();
    expect(failingLines.slice(0, 3)).toEqual([
      "info Validating BackupStorageLocation",
      "error fail to validate backup store",
      "info BackupStorageLocation is invalid, marking as unavailable",
    ]);
    expect(failing[1]?.fields).toMatchObject({ "backup-storage-location": "velero/default", err: expect.stringContaining("invalid top-level directories") });
    // the summary counts the location just validated with its new phase: none is Available
    expect(failingLines[3]).toMatch(/^error Current BackupStorageLocations available\/unavailable\/unknown: 0\/1\/0, BackupStorageLocation "default" is unavailable: .*invalid top-level directories.*\)$/);
    expect(failingLines).toHaveLength(4);
    // no default location: said after each validation
    const loc = t.kube.peek<BackupStorageLocation>(GVR.backupStorageLocations, "default", "velero") as BackupStorageLocation;
    t.kube.seed(GVR.backupStorageLocations, { ...loc, spec: { ...loc.spec, default: false } } as never);
    t.clock.advance(60_000);
    await r.reconcile("velero/default");
    expect(lines().at(-1)).toBe("warn There is no existing BackupStorageLocation set as default. Please see `velero backup-location -h` for options.");
  });

  it("validationFrequency 0s: validated once (so backups can use it), then never again; a negative one means the server's", async () => {
    const t = setup();
    const loc = t.kube.peek<BackupStorageLocation>(GVR.backupStorageLocations, "default", "velero") as BackupStorageLocation;
    t.kube.seed(GVR.backupStorageLocations, { ...loc, spec: { ...loc.spec, validationFrequency: "0s" }, status: {} } as never);
    const r = new BackupStorageLocationReconciler({ kube: t.kube, logger: createSilentLogger(), clock: t.clock, getBackupStore: t.getBackupStore });
    expect(await r.reconcile("velero/default")).toEqual({ kind: "done" });
    expect(t.kube.peek<BackupStorageLocation>(GVR.backupStorageLocations, "default", "velero")?.status).toMatchObject({ phase: "Available", lastValidationTime: "2024-05-01T10:00:00Z" });
    t.clock.advance(3_600_000);
    expect(await r.reconcile("velero/default")).toEqual({ kind: "done" });
    expect(t.kube.peek<BackupStorageLocation>(GVR.backupStorageLocations, "default", "velero")?.status?.lastValidationTime).toBe("2024-05-01T10:00:00Z");
    t.kube.seed(GVR.backupStorageLocations, { ...loc, spec: { ...loc.spec, validationFrequency: "-5m" }, status: {} } as never);
    expect(await r.reconcile("velero/default")).toEqual({ kind: "requeue", afterMs: 60_000 });
  });

  it("a velero.io/filesystem location: its bucket directory is made at the first validation only; gone later, the location is Unavailable and it is not made again", async () => {
    const t = setup();
    const root = await mkdtemp(join(tmpdir(), "vt-bsl-fs-"));
    try {
      const loc = t.kube.peek<BackupStorageLocation>(GVR.backupStorageLocations, "default", "velero") as BackupStorageLocation;
      t.kube.seed(GVR.backupStorageLocations, { ...loc, spec: { ...loc.spec, provider: FILESYSTEM_OBJECT_STORE, objectStorage: { bucket: "velero" }, config: { path: root } }, status: {} } as never);
      // as the server composes it
      const getBackupStore = createBackupStoreGetter({
        plugins: filesystemObjectStores,
        credentials: new CredentialFileStore({ kube: t.kube, namespace: "velero" }),
        logger: createSilentLogger(),
        firstValidationConfig: { [FILESYSTEM_OBJECT_STORE]: { [FILESYSTEM_CONFIG.createBucket]: "true" } },
      });
      const r = new BackupStorageLocationReconciler({ kube: t.kube, logger: createSilentLogger(), clock: t.clock, getBackupStore });
      const status = () => t.kube.peek<BackupStorageLocation>(GVR.backupStorageLocations, "default", "velero")?.status;
      await r.reconcile("velero/default");
      expect(status()?.phase).toBe("Available");
      expect(existsSync(join(root, "velero"))).toBe(true);
      // the volume holding it is gone (not mounted): never taken for an empty bucket
      await rm(join(root, "velero"), { recursive: true });
      t.clock.advance(60_000);
      await r.reconcile("velero/default");
      expect(status()?.phase).toBe("Unavailable");
      expect(status()?.message).toContain(`bucket "velero" does not exist: directory ${join(root, "velero")} is missing (is the volume that holds it mounted?)`);
      expect(existsSync(join(root, "velero"))).toBe(false);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("chooses among several VolumeSnapshotLocations of a provider by --default-volume-snapshot-locations, the named one fetched by name as Velero does (whatever its provider)", async () => {
    const vsls = (t: ReturnType<typeof setup>) =>
      t.kube.seed(
        GVR.volumeSnapshotLocations,
        forVolumeSnapshotLocation("velero", "aws-1").provider("aws").build(),
        forVolumeSnapshotLocation("velero", "aws-2").provider("aws").build(),
        forVolumeSnapshotLocation("velero", "elsewhere").provider("gcp").build(),
      );
    const none = setup();
    vsls(none);
    expect((await none.submit(forBackup("velero", "b1").includedNamespaces("app").build())).status?.validationErrors).toEqual([
      "provider aws has more than one possible volume snapshot location, and none were specified explicitly or as a default",
    ]);
    const missing = setup({ defaults: { defaultVolumeSnapshotLocations: { aws: "gone" } } });
    vsls(missing);
    expect((await missing.submit(forBackup("velero", "b1").includedNamespaces("app").build())).status?.validationErrors).toEqual([
      'error getting volume snapshot location named gone: VolumeSnapshotLocation.velero.io "gone" not found',
    ]);
    const otherProvider = setup({ defaults: { defaultVolumeSnapshotLocations: { aws: "elsewhere" } } });
    vsls(otherProvider);
    expect((await otherProvider.submit(forBackup("velero", "b1").includedNamespaces("app").build())).status?.phase).toBe("Completed");
  });

  it.each([false, true])("keeps a single default location (the newest); locations read from the watch cache: %s (then no LIST)", async (cache) => {
    const t = setup();
    t.kube.seed(GVR.backupStorageLocations, forBackupStorageLocation("velero", "newer").default().creationTimestamp("2024-06-01T00:00:00Z").build());
    const old = t.kube.peek<BackupStorageLocation>(GVR.backupStorageLocations, "default", "velero") as BackupStorageLocation;
    t.kube.seed(GVR.backupStorageLocations, { ...old, metadata: { ...old.metadata, creationTimestamp: "2024-01-01T00:00:00Z" as never } });
    const lists: string[] = [];
    const list = t.kube.list.bind(t.kube);
    t.kube.list = (gvr, options) => (lists.push(gvr.resource), list(gvr, options));
    const cachedLocations = async (namespace: string) => t.kube.all(GVR.backupStorageLocations).filter((l) => l.metadata.namespace === namespace);
    const r = new BackupStorageLocationReconciler({ kube: t.kube, logger: createSilentLogger(), clock: t.clock, getBackupStore: t.getBackupStore, ...(cache ? { cachedLocations } : {}) });
    await r.reconcile("velero/newer");
    expect(lists).toEqual(cache ? [] : ["backupstoragelocations"]);
    // left out, as Velero's Go struct writes a false default (omitempty)
    expect(t.kube.peek<BackupStorageLocation>(GVR.backupStorageLocations, "default", "velero")?.spec).not.toHaveProperty("default");
    expect(t.kube.peek<BackupStorageLocation>(GVR.backupStorageLocations, "newer", "velero")?.spec.default).toBe(true);
  });
});

describe("BackupStorageLocationReconciler, like Velero's", () => {
  const location = (t: ReturnType<typeof setup>, name = "default") => t.kube.peek<BackupStorageLocation>(GVR.backupStorageLocations, name, "velero") as BackupStorageLocation;

  it("validates a location again at once when its spec changes (a fixed bucket is usable without waiting), even with validationFrequency 0s", async () => {
    const t = setup();
    const loc = location(t);
    t.kube.seed(GVR.backupStorageLocations, { ...loc, spec: { ...loc.spec, validationFrequency: "0s", objectStorage: { bucket: "missing" } }, status: {} } as never);
    const r = new BackupStorageLocationReconciler({ kube: t.kube, logger: createSilentLogger(), clock: t.clock, getBackupStore: async (l) => (l.spec.objectStorage.bucket === "missing" ? Promise.reject(new Error("bucket missing does not exist")) : t.getBackupStore(l)) });
    await r.reconcile("velero/default");
    expect(location(t).status?.phase).toBe("Unavailable");
    await r.reconcile("velero/default");
    expect(location(t).status?.phase, "same spec, frequency 0s: not validated again").toBe("Unavailable");
    t.kube.seed(GVR.backupStorageLocations, { ...location(t), spec: { ...location(t).spec, objectStorage: { bucket: "bucket" } } } as never);
    expect(await r.reconcile("velero/default")).toEqual({ kind: "done" });
    expect(location(t).status?.phase).toBe("Available");
  });

  it("lists the locations (the single-default check) only when it validates one, not on every event or requeue", async () => {
    const t = setup();
    let listed = 0;
    const list = t.kube.list.bind(t.kube);
    t.kube.list = (gvr, options) => {
      if (gvr.resource === "backupstoragelocations") listed++;
      return list(gvr, options);
    };
    const r = new BackupStorageLocationReconciler({ kube: t.kube, logger: createSilentLogger(), clock: t.clock, getBackupStore: t.getBackupStore });
    await r.reconcile("velero/default");
    expect(listed).toBe(1);
    // its own status patch, another event: not due, nothing listed
    expect((await r.reconcile("velero/default")).kind).toBe("requeue");
    expect(listed).toBe(1);
    // a second location made default: its validation (at once, a new spec) takes the flag from the first
    t.kube.seed(GVR.backupStorageLocations, forBackupStorageLocation("velero", "newer").default().creationTimestamp("2099-01-01T00:00:00Z").build());
    await r.reconcile("velero/newer");
    expect(listed).toBe(2);
    expect(location(t).spec).not.toHaveProperty("default");
    expect(location(t, "newer").spec.default).toBe(true);
  });

  it("refuses caCert together with caCertRef (Unavailable, Velero's message)", async () => {
    const t = setup();
    const loc = location(t);
    t.kube.seed(GVR.backupStorageLocations, { ...loc, spec: { ...loc.spec, objectStorage: { bucket: "bucket", caCert: "Zm9v", caCertRef: { name: "ca", key: "ca.crt" } } }, status: {} } as never);
    const r = new BackupStorageLocationReconciler({ kube: t.kube, logger: createSilentLogger(), clock: t.clock, getBackupStore: t.getBackupStore });
    await r.reconcile("velero/default");
    expect(location(t).status).toMatchObject({ phase: "Unavailable", message: 'BackupStorageLocation "default" is unavailable: cannot specify both caCert and caCertRef in objectStorage' });
  });

  it("--default-backup-storage-location is applied at server start only: later a user may leave no location default", async () => {
    const t = setup();
    const loc = location(t);
    t.kube.seed(GVR.backupStorageLocations, { ...loc, spec: { ...loc.spec, default: false } } as never);
    await setDefaultBackupLocation({ kube: t.kube, namespace: "velero", name: "default", logger: createSilentLogger() });
    expect(location(t).spec.default).toBe(true);
    await setDefaultBackupLocation({ kube: t.kube, namespace: "velero", name: "absent", logger: createSilentLogger() });
    t.kube.seed(GVR.backupStorageLocations, { ...location(t), spec: { ...location(t).spec, default: false } } as never);
    const r = new BackupStorageLocationReconciler({ kube: t.kube, logger: createSilentLogger(), clock: t.clock, getBackupStore: t.getBackupStore });
    await r.reconcile("velero/default");
    expect(location(t).spec.default, "the reconciler does not make it default again").toBe(false);
  });
});

describe("BackupReconciler and a volume snapshot location's credential", () => {
  it("fails validation, as Velero does, when the location's Secret or key is missing (snapshots or not); passes once it is there", async () => {
    const dir = await mkdtemp(join(tmpdir(), "vt-vsl-cred-"));
    try {
      const configs: Record<string, string>[] = [];
      const t = setup({ credentialsDir: dir, snapshotterConfigs: configs });
      const vsl = { apiVersion: "velero.io/v1", kind: "VolumeSnapshotLocation", metadata: { namespace: "velero", name: "aws-vsl" }, spec: { provider: "velero.io/aws", config: { region: "us-east-1" }, credential: { name: "cloud-credentials", key: "cloud" } } };
      t.kube.seed(GVR.volumeSnapshotLocations, vsl as never);
      const noSecret = await t.submit(forBackup("velero", "b1").includedNamespaces("app").build());
      expect(noSecret.status?.phase).toBe("FailedValidation");
      expect(noSecret.status?.validationErrors).toEqual(['error adding credentials to volume snapshot location named aws-vsl: unable to get credentials: unable to get key for secret: Secret "cloud-credentials" not found']);
      t.kube.seed(GVR.secrets, { apiVersion: "v1", kind: "Secret", metadata: { namespace: "velero", name: "cloud-credentials" }, data: { other: "eA==" } } as never);
      const noKey = await t.submit(forBackup("velero", "b2").includedNamespaces("app").spec({ snapshotVolumes: false }).build());
      expect(noKey.status?.validationErrors).toEqual([
        'error adding credentials to volume snapshot location named aws-vsl: unable to get credentials: unable to get key for secret: "cloud-credentials" secret is missing data for key "cloud"',
      ]);
      expect(t.objects.keys("bucket")).toEqual([]);
      t.kube.seed(GVR.secrets, { apiVersion: "v1", kind: "Secret", metadata: { namespace: "velero", name: "cloud-credentials" }, data: { cloud: "eA==" } } as never);
      t.kube.seed(GVR.persistentVolumes, { apiVersion: "v1", kind: "PersistentVolume", metadata: { name: "pv-1" }, spec: {} } as never);
      expect((await t.submit(forBackup("velero", "b3").includedNamespaces("*").spec({ includeClusterResources: true }).build())).status?.phase).toBe("Completed");
      // the VolumeSnapshotter is opened with the location's config and the file validation wrote
      expect(configs).toEqual([{ region: "us-east-1", credentialsFile: join(dir, "velero", "cloud-credentials-cloud") }]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("BackupReconciler with resource policies", () => {
  const withPolicy = (name = "policies") => forBackup("velero", "b1").includedNamespaces("app").spec({ resourcePolicy: { kind: "configmap", name } });

  it("fails validation naming the missing ConfigMap", async () => {
    const t = setup();
    const b = await t.submit(withPolicy("missing").build());
    expect(b.status?.phase).toBe("FailedValidation");
    expect(b.status?.validationErrors).toEqual(['fail to get ResourcePolicies velero/missing ConfigMap with error ConfigMap "missing" not found']);
    expect(t.metrics).toContain("validation:");
  });

  it("fails validation on malformed policies", async () => {
    const t = setup();
    t.kube.seed(GVR.configMaps, forConfigMap("velero", "policies", { p: "version: v1\nvolumePolicies:\n- conditions: {storageClass: gp2}\n" }).build());
    const b = await t.submit(withPolicy().build());
    expect(b.status?.phase).toBe("FailedValidation");
    expect(b.status?.validationErrors?.[0]).toContain("fail to read the ResourcePolicies from ConfigMap velero/policies with error failed to decode volume conditions");
  });

  it("refuses an include/exclude policy with the old resource filters", async () => {
    const t = setup();
    t.kube.seed(GVR.configMaps, forConfigMap("velero", "policies", { p: "version: v1\nincludeExcludePolicy:\n  excludedNamespaceScopedResources: [secrets]\n" }).build());
    const b = await t.submit(withPolicy().spec({ includedResources: ["configmaps"] }).build());
    expect(b.status?.validationErrors).toEqual(["include-resources, exclude-resources and include-cluster-resources are old filter parameters.\nThey cannot be used with include-exclude policies."]);
  });

  it("runs the backup with the include/exclude policy applied", async () => {
    const t = setup();
    t.kube.seed(GVR.configMaps, forConfigMap("velero", "policies", { p: "version: v1\nincludeExcludePolicy:\n  excludedNamespaceScopedResources: [configmaps]\n" }).build());
    const b = await t.submit(withPolicy().build());
    expect(b.status?.phase).toBe("Completed");
    expect(b.status?.progress).toEqual({ totalItems: 1, itemsBackedUp: 1 });
  });
});
