import { describe, expect, it } from "vitest";
import type { Backup, BackupStorageLocation, PodVolumeBackup, Schedule } from "@velero-ts/plugin-sdk";
import { GVR } from "../kube/gvr.js";
import { createSilentLogger } from "../shared/logging.js";
import { FakeBackupStore } from "../testing/fake-backup-store.js";
import { FakeClock } from "../testing/fake-clock.js";
import { FakeKubeClient } from "../testing/fake-kube-client.js";
import { forBackup, forLocation, forSchedule, u } from "../testing/lifecycle-builders.js";
import { TIMER_MARGIN_MS } from "./lifecycle-common.js";
import { BackupSyncReconciler, DEFAULT_BACKUP_SYNC_PERIOD_MS } from "./backup-sync-controller.js";

const NS = "velero";

/** A backup as the first cluster wrote it to velero-backup.json. */
function storedBackup(name: string, phase: Backup["status"] extends infer S ? (S extends { phase?: infer P } ? P : never) : never = "Completed", expiration?: string): Backup {
  const b = forBackup("velero-src", name, { location: "source-default", phase, uid: `src-uid-${name}` });
  b.metadata.resourceVersion = "12345";
  b.metadata.creationTimestamp = "2024-03-01T00:00:00Z" as never;
  b.metadata.managedFields = [{ manager: "velero-server" }];
  b.metadata.generation = 3;
  b.metadata.labels = { ...b.metadata.labels, app: "shop" };
  if (expiration) b.status = { ...b.status, expiration };
  return b;
}

function setup(location: Parameters<typeof forLocation>[2] = {}) {
  const clock = new FakeClock("2024-03-09T10:00:00Z");
  const kube = new FakeKubeClient();
  const store = new FakeBackupStore();
  const reconciler = new BackupSyncReconciler({ kube, log: createSilentLogger(), clock, getBackupStore: async () => store });
  kube.seed(GVR.backupStorageLocations, u(forLocation(NS, "replica", { accessMode: "ReadOnly", ...location })));
  const backup = (name: string) => kube.peek<Backup>(GVR.backups, name, NS);
  const bsl = () => kube.peek<BackupStorageLocation>(GVR.backupStorageLocations, "replica", NS);
  return { clock, kube, store, reconciler, backup, bsl };
}

describe("BackupSyncReconciler", () => {
  it("creates Backup CRs for backups only in the bucket, as this cluster's objects", async () => {
    const t = setup();
    t.store.addBackup(storedBackup("b1"));
    const result = await t.reconciler.reconcile(`${NS}/replica`);
    const b1 = t.backup("b1");
    expect(b1?.metadata.namespace).toBe(NS);
    expect(b1?.metadata.labels).toEqual({ app: "shop", "velero.io/storage-location": "replica" });
    expect(b1?.spec.storageLocation).toBe("replica");
    expect(b1?.status?.phase).toBe("Completed");
    expect(b1?.metadata.uid).not.toBe("src-uid-b1");
    expect(b1?.metadata.managedFields).toBeUndefined();
    expect(b1?.metadata.generation).toBeUndefined();
    // What was sent carries no server-owned metadata from the other cluster.
    expect(t.kube.actions.filter((a) => a.verb === "create").map((a) => a.name)).toEqual(["b1"]);
    expect(t.bsl()?.status?.lastSyncedTime).toBe("2024-03-09T10:00:00Z");
    expect(result).toEqual({ kind: "requeue", afterMs: DEFAULT_BACKUP_SYNC_PERIOD_MS });
  });

  it("syncs a backup the default location also holds from the default location, whichever location's sync meets it first", async () => {
    const clock = new FakeClock("2024-03-09T10:00:00Z");
    const kube = new FakeKubeClient();
    const stores = { secondary: new FakeBackupStore(), primary: new FakeBackupStore() };
    const reconciler = new BackupSyncReconciler({ kube, log: createSilentLogger(), clock, getBackupStore: async (l) => stores[l.metadata.name as "secondary" | "primary"] });
    const primary = forLocation(NS, "primary");
    primary.spec.default = true;
    kube.seed(GVR.backupStorageLocations, u(forLocation(NS, "secondary")), u(primary));
    stores.secondary.addBackup(storedBackup("both"));
    stores.primary.addBackup(storedBackup("both"));
    stores.secondary.addBackup(storedBackup("only-secondary"));
    // the secondary location's sync runs first (its name sorts first; its timer may be due first)
    await reconciler.reconcile(`${NS}/secondary`);
    const location = (name: string) => kube.peek<Backup>(GVR.backups, name, NS)?.spec.storageLocation;
    expect(location("both")).toBe("primary");
    expect(kube.peek<Backup>(GVR.backups, "both", NS)?.metadata.labels?.["velero.io/storage-location"]).toBe("primary");
    expect(location("only-secondary")).toBe("secondary");
  });

  it("syncs from the location itself when the default location is unavailable or not synced", async () => {
    for (const primary of [forLocation(NS, "primary", { phase: "Unavailable" }), forLocation(NS, "primary", { syncPeriod: "0s" })]) {
      const clock = new FakeClock("2024-03-09T10:00:00Z");
      const kube = new FakeKubeClient();
      const stores = { secondary: new FakeBackupStore(), primary: new FakeBackupStore() };
      const reconciler = new BackupSyncReconciler({ kube, log: createSilentLogger(), clock, getBackupStore: async (l) => stores[l.metadata.name as "secondary" | "primary"] });
      primary.spec.default = true;
      kube.seed(GVR.backupStorageLocations, u(forLocation(NS, "secondary")), u(primary));
      stores.secondary.addBackup(storedBackup("both"));
      stores.primary.addBackup(storedBackup("both"));
      await reconciler.reconcile(`${NS}/secondary`);
      expect(kube.peek<Backup>(GVR.backups, "both", NS)?.spec.storageLocation).toBe("secondary");
    }
  });

  it("leaves backups that already exist in the cluster alone", async () => {
    const t = setup();
    t.store.addBackup(storedBackup("b1"));
    t.kube.seed(GVR.backups, u(forBackup(NS, "b1", { location: "replica", phase: "Completed" })));
    await t.reconciler.reconcile(`${NS}/replica`);
    expect(t.kube.actions.filter((a) => a.verb === "create")).toEqual([]);
  });

  it.each([
    { phase: "WaitingForPluginOperations" as const, expiration: undefined, synced: undefined },
    { phase: "Finalizing" as const, expiration: "2024-03-10T00:00:00Z", synced: undefined },
    { phase: "FinalizingPartiallyFailed" as const, expiration: "2024-03-09T09:00:00Z", synced: "PartiallyFailed" },
    { phase: "WaitingForPluginOperationsPartiallyFailed" as const, expiration: "2024-03-09T09:00:00Z", synced: "PartiallyFailed" },
    { phase: "PartiallyFailed" as const, expiration: undefined, synced: "PartiallyFailed" },
    { phase: "Failed" as const, expiration: undefined, synced: "Failed" },
  ])("a stored backup in $phase (expiration $expiration) syncs as $synced", async ({ phase, expiration, synced }) => {
    const t = setup();
    t.store.addBackup(storedBackup("b1", phase, expiration));
    await t.reconciler.reconcile(`${NS}/replica`);
    expect(t.backup("b1")?.status?.phase).toBe(synced);
  });

  it("deletes Completed/PartiallyFailed CRs of this location that are gone from the bucket, and nothing else", async () => {
    const t = setup();
    t.store.addBackup(storedBackup("kept"));
    t.kube.seed(
      GVR.backups,
      u(forBackup(NS, "kept", { location: "replica", phase: "Completed" })),
      u(forBackup(NS, "gone-completed", { location: "replica", phase: "Completed" })),
      u(forBackup(NS, "gone-partial", { location: "replica", phase: "PartiallyFailed" })),
      u(forBackup(NS, "gone-failed", { location: "replica", phase: "Failed" })),
      u(forBackup(NS, "gone-running", { location: "replica", phase: "InProgress" })),
      u(forBackup(NS, "other-location", { location: "default", phase: "Completed" })),
    );
    await t.reconciler.reconcile(`${NS}/replica`);
    expect(t.kube.all(GVR.backups).map((b) => b.metadata.name).sort()).toEqual(["gone-failed", "gone-running", "kept", "other-location"]);
  });

  it("reads the cluster's Backups from the watch cache when it has one: no LIST, the same syncs and deletions", async () => {
    const clock = new FakeClock("2024-03-09T10:00:00Z");
    const kube = new FakeKubeClient();
    const store = new FakeBackupStore();
    let reads = 0;
    const cachedBackups = async (namespace: string) => (reads++, kube.all(GVR.backups).filter((b) => b.metadata.namespace === namespace));
    const reconciler = new BackupSyncReconciler({ kube, log: createSilentLogger(), clock, getBackupStore: async () => store, cachedBackups });
    let listed = 0;
    const list = kube.list.bind(kube);
    kube.list = (gvr, options) => {
      if (gvr.resource === "backups") listed++;
      return list(gvr, options);
    };
    kube.seed(GVR.backupStorageLocations, u(forLocation(NS, "replica", { accessMode: "ReadOnly" })));
    kube.seed(GVR.backups, u(forBackup(NS, "orphan", { location: "replica", phase: "Completed" })), u(forBackup(NS, "elsewhere", { location: "other", phase: "Completed" })));
    store.addBackup(storedBackup("b1"));
    await reconciler.reconcile(`${NS}/replica`);
    expect(reads).toBe(2);
    expect(listed).toBe(0);
    expect(kube.peek<Backup>(GVR.backups, "b1", NS)?.spec.storageLocation).toBe("replica");
    expect(kube.peek<Backup>(GVR.backups, "orphan", NS)).toBeUndefined();
    expect(kube.peek<Backup>(GVR.backups, "elsewhere", NS)).toBeDefined();
  });

  it("does not delete a CR whose backup reached the bucket after the listing", async () => {
    const t = setup();
    t.kube.seed(GVR.backups, u(forBackup(NS, "late", { location: "replica", phase: "Completed" })));
    const list = t.store.listBackups.bind(t.store);
    t.store.listBackups = async () => {
      const names = await list();
      t.store.addBackup(storedBackup("late"));
      return names;
    };
    await t.reconciler.reconcile(`${NS}/replica`);
    expect(t.backup("late")).toBeDefined();
  });

  it("keeps a schedule owner reference only when that schedule exists here with the same uid", async () => {
    const t = setup();
    const local = forSchedule(NS, "nightly");
    local.metadata.uid = "local-sched-uid";
    t.kube.seed(GVR.schedules, u(local as Schedule));
    const sameUid = storedBackup("same");
    sameUid.metadata.ownerReferences = [{ apiVersion: "velero.io/v1", kind: "Schedule", name: "nightly", uid: "local-sched-uid", controller: true }];
    const otherUid = storedBackup("other");
    otherUid.metadata.ownerReferences = [{ apiVersion: "velero.io/v1", kind: "Schedule", name: "nightly", uid: "remote-uid", controller: true }];
    const missing = storedBackup("missing");
    missing.metadata.ownerReferences = [{ apiVersion: "velero.io/v1", kind: "Schedule", name: "weekly", uid: "x", controller: true }];
    t.store.addBackup(sameUid).addBackup(otherUid).addBackup(missing);
    await t.reconciler.reconcile(`${NS}/replica`);
    expect(t.backup("same")?.metadata.ownerReferences).toHaveLength(1);
    expect(t.backup("other")?.metadata.ownerReferences).toBeUndefined();
    expect(t.backup("missing")?.metadata.ownerReferences).toBeUndefined();
  });

  it("recreates the backup's PodVolumeBackups pointing at the new backup and this location", async () => {
    const t = setup();
    const pvb: PodVolumeBackup = {
      apiVersion: "velero.io/v1",
      kind: "PodVolumeBackup",
      metadata: {
        namespace: "velero-src",
        name: "b1-abcde",
        resourceVersion: "99",
        uid: "pvb-uid",
        labels: { "velero.io/backup-name": "b1", "velero.io/backup-uid": "src-uid-b1" },
        ownerReferences: [{ apiVersion: "velero.io/v1", kind: "Backup", name: "b1", uid: "src-uid-b1", controller: true }],
      },
      spec: { node: "n1", pod: { namespace: "app", name: "web-0" }, volume: "data", backupStorageLocation: "source-default", repoIdentifier: "" },
      status: { phase: "Completed", snapshotID: "abc" },
    };
    t.store.addBackup(storedBackup("b1"), { podVolumeBackups: [pvb] });
    await t.reconciler.reconcile(`${NS}/replica`);
    const newUid = t.backup("b1")?.metadata.uid;
    const synced = t.kube.peek<PodVolumeBackup>(GVR.podVolumeBackups, "b1-abcde", NS);
    expect(synced?.metadata.labels?.["velero.io/backup-uid"]).toBe(newUid);
    expect(synced?.metadata.ownerReferences?.[0]?.uid).toBe(newUid);
    expect(synced?.spec.backupStorageLocation).toBe("replica");
    expect(synced?.status?.snapshotID).toBe("abc");
  });

  it("waits for the location's own sync period after the last sync", async () => {
    const t = setup({ syncPeriod: "10s", lastSyncedTime: "2024-03-09T09:59:55Z" });
    t.store.addBackup(storedBackup("b1"));
    expect(await t.reconciler.reconcile(`${NS}/replica`)).toEqual({ kind: "requeue", afterMs: 5_000 + TIMER_MARGIN_MS });
    expect(t.backup("b1")).toBeUndefined();
    t.clock.advance(5_001);
    expect(await t.reconciler.reconcile(`${NS}/replica`)).toEqual({ kind: "requeue", afterMs: 10_000 });
    expect(t.backup("b1")).toBeDefined();
  });

  it("decides from the watch cache's copy that a sync is not due (the location controller's status patches coming back): no GET", async () => {
    const t = setup({ syncPeriod: "10s", lastSyncedTime: "2024-03-09T09:59:55Z" });
    t.store.addBackup(storedBackup("b1"));
    const gets: string[] = [];
    const get = t.kube.get.bind(t.kube);
    t.kube.get = (gvr, name, namespace) => (gets.push(`${gvr.resource}/${name}`), get(gvr, name, namespace));
    const cached = () => t.kube.peek(GVR.backupStorageLocations, "replica", NS)!;
    expect(await t.reconciler.reconcile(`${NS}/replica`, cached())).toEqual({ kind: "requeue", afterMs: 5_000 + TIMER_MARGIN_MS });
    expect(gets).toEqual([]);
    t.clock.advance(5_001);
    expect(await t.reconciler.reconcile(`${NS}/replica`, cached())).toEqual({ kind: "requeue", afterMs: 10_000 });
    expect(gets).toEqual(["backupstoragelocations/replica"]);
    expect(t.backup("b1")).toBeDefined();
  });

  it("never syncs a location whose backupSyncPeriod is 0", async () => {
    const t = setup({ syncPeriod: "0s" });
    t.store.addBackup(storedBackup("b1"));
    expect(await t.reconciler.reconcile(`${NS}/replica`)).toEqual({ kind: "done" });
    expect(t.backup("b1")).toBeUndefined();
    expect(t.store.calls).toEqual([]);
  });

  it("does not sync from an unavailable location", async () => {
    const t = setup({ phase: "Unavailable" });
    t.store.addBackup(storedBackup("b1"));
    expect(await t.reconciler.reconcile(`${NS}/replica`)).toEqual({ kind: "requeue", afterMs: DEFAULT_BACKUP_SYNC_PERIOD_MS });
    expect(t.backup("b1")).toBeUndefined();
    expect(t.bsl()?.status?.lastSyncedTime).toBeUndefined();
  });

  it("keeps going past a backup whose metadata cannot be read", async () => {
    const t = setup();
    t.store.addBackup(storedBackup("a-broken")).addBackup(storedBackup("b-fine"));
    t.store.failures.set("getBackupMetadata", new Error("corrupt velero-backup.json"));
    await t.reconciler.reconcile(`${NS}/replica`);
    expect(t.backup("a-broken")).toBeUndefined();
    expect(t.backup("b-fine")).toBeDefined();
  });

  it("does not sync a velero-backup.json naming another backup than its directory (it would be deleted as an orphan and synced again every period)", async () => {
    const t = setup();
    t.store.addBackup(storedBackup("renamed-dir"));
    (t.store.backups.get("renamed-dir") as { metadata: Backup }).metadata.metadata.name = "original-name";
    t.store.addBackup(storedBackup("b-fine"));
    await t.reconciler.reconcile(`${NS}/replica`);
    expect(t.backup("original-name")).toBeUndefined();
    expect(t.backup("renamed-dir")).toBeUndefined();
    expect(t.backup("b-fine")).toBeDefined();
  });

  it("changes nothing in the cluster when the bucket cannot be listed", async () => {
    const t = setup();
    t.kube.seed(GVR.backups, u(forBackup(NS, "b1", { location: "replica", phase: "Completed" })));
    t.store.failures.set("listBackups", new Error("access denied"));
    await t.reconciler.reconcile(`${NS}/replica`);
    expect(t.backup("b1")).toBeDefined();
    expect(t.kube.actions).toEqual([]);
  });
});
