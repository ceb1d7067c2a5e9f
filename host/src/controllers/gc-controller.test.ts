import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { Backup, DeleteBackupRequest } from "@velero-ts/plugin-sdk";
import { GVR } from "../kube/gvr.js";
import { createSilentLogger } from "../shared/logging.js";
import { FakeClock } from "../testing/fake-clock.js";
import { FakeKubeClient } from "../testing/fake-kube-client.js";
import { forBackup, forLocation, u } from "../testing/lifecycle-builders.js";
import { DEFAULT_GC_FREQUENCY_MS, GarbageCollectionReconciler, newDeleteBackupRequest } from "./gc-controller.js";

const NS = "velero";
const EXPIRED = "2024-03-09T09:59:59Z";
const NOT_EXPIRED = "2024-03-09T10:00:01Z";

function setup() {
  const clock = new FakeClock("2024-03-09T10:00:00Z");
  const kube = new FakeKubeClient();
  const reconciler = new GarbageCollectionReconciler({ kube, log: createSilentLogger(), clock, frequencyMs: 2_000 });
  const dbrs = () => kube.all(GVR.deleteBackupRequests) as unknown as DeleteBackupRequest[];
  const backup = (name: string) => kube.peek(GVR.backups, name, NS) as unknown as Backup;
  return { clock, kube, reconciler, dbrs, backup };
}

describe("newDeleteBackupRequest", () => {
  it("labels the request with the backup's (valid) name and uid", () => {
    const longName = "b".repeat(70);
    const dbr = newDeleteBackupRequest({ metadata: { name: longName, namespace: NS, uid: "u-1" } });
    expect(dbr.metadata.generateName).toBe(`${longName}-`);
    const digest = createHash("sha256").update(longName).digest("hex").slice(0, 6);
    expect(dbr.metadata.labels).toEqual({ "velero.io/backup-name": "b".repeat(57) + digest, "velero.io/backup-uid": "u-1" });
    expect(dbr.spec).toEqual({ backupName: longName });
  });
});

describe("GarbageCollectionReconciler", () => {
  it("resyncs at the configured frequency and defaults to one hour", () => {
    const clock = new FakeClock();
    const kube = new FakeKubeClient();
    expect(new GarbageCollectionReconciler({ kube, log: createSilentLogger(), frequencyMs: 2_000 }).resyncPeriodMs).toBe(2_000);
    expect(new GarbageCollectionReconciler({ kube, log: createSilentLogger() }).resyncPeriodMs).toBe(DEFAULT_GC_FREQUENCY_MS);
    expect(new GarbageCollectionReconciler({ kube, log: createSilentLogger(), frequencyMs: 0 }).resyncPeriodMs).toBe(DEFAULT_GC_FREQUENCY_MS);
  });

  it("creates a DeleteBackupRequest for an expired backup", async () => {
    const { kube, reconciler, dbrs } = setup();
    kube.seed(GVR.backupStorageLocations, u(forLocation(NS, "default")));
    kube.seed(GVR.backups, u(forBackup(NS, "b1", { location: "default", expiration: EXPIRED, uid: "uid-b1", phase: "Completed" })));
    expect(await reconciler.reconcile(`${NS}/b1`)).toEqual({ kind: "done" });
    expect(dbrs().map((d) => ({ ns: d.metadata.namespace, gen: d.metadata.generateName, labels: d.metadata.labels, spec: d.spec }))).toEqual([
      { ns: NS, gen: "b1-", labels: { "velero.io/backup-name": "b1", "velero.io/backup-uid": "uid-b1" }, spec: { backupName: "b1" } },
    ]);
  });

  it.each([
    { name: "no expiration", expiration: undefined },
    { name: "a future expiration", expiration: NOT_EXPIRED },
  ])("leaves a backup with $name alone", async ({ expiration }) => {
    const { kube, reconciler, dbrs } = setup();
    kube.seed(GVR.backupStorageLocations, u(forLocation(NS, "default")));
    kube.seed(GVR.backups, u(forBackup(NS, "b1", { location: "default", ...(expiration ? { expiration } : {}) })));
    await reconciler.reconcile(`${NS}/b1`);
    expect(dbrs()).toEqual([]);
    expect(kube.actions).toEqual([]);
  });

  it.each([
    { name: "New", phase: "New", creates: false },
    { name: "InProgress", phase: "InProgress", creates: false },
    { name: "no phase yet", phase: undefined, creates: false },
    { name: "Processed", phase: "Processed", creates: true },
  ] as const)("with an existing request in phase $name creates another: $creates", async ({ phase, creates }) => {
    const { kube, reconciler, dbrs, backup } = setup();
    kube.seed(GVR.backupStorageLocations, u(forLocation(NS, "default")));
    kube.seed(GVR.backups, u(forBackup(NS, "b1", { location: "default", expiration: EXPIRED, uid: "uid-b1" })));
    const existing = newDeleteBackupRequest(backup("b1"));
    existing.metadata.name = "b1-old";
    if (phase) existing.status = { phase };
    kube.seed(GVR.deleteBackupRequests, u(existing));
    await reconciler.reconcile(`${NS}/b1`);
    expect(dbrs()).toHaveLength(creates ? 2 : 1);
  });

  it("ignores requests for another backup with the same name but another uid", async () => {
    const { kube, reconciler, dbrs } = setup();
    kube.seed(GVR.backupStorageLocations, u(forLocation(NS, "default")));
    kube.seed(GVR.backups, u(forBackup(NS, "b1", { location: "default", expiration: EXPIRED, uid: "uid-new" })));
    const stale = newDeleteBackupRequest({ metadata: { name: "b1", namespace: NS, uid: "uid-old" } });
    stale.metadata.name = "b1-stale";
    kube.seed(GVR.deleteBackupRequests, u(stale));
    await reconciler.reconcile(`${NS}/b1`);
    expect(dbrs()).toHaveLength(2);
  });

  it.each([
    // read-only: done (nothing changes until the location does); missing: an error, so the work
    // queue tries again with backoff, as Velero's controller-runtime does
    { name: "read-only", location: forLocation(NS, "default", { accessMode: "ReadOnly" }), label: "BSLReadOnly", error: undefined },
    { name: "missing", location: undefined, label: "BSLNotFound", error: 'error getting backup storage location: BackupStorageLocation.velero.io "default" not found' },
  ])("labels the backup instead of deleting it when the location is $name", async ({ location, label, error }) => {
    const { kube, reconciler, dbrs, backup } = setup();
    if (location) kube.seed(GVR.backupStorageLocations, u(location));
    kube.seed(GVR.backups, u(forBackup(NS, "b1", { location: "default", expiration: EXPIRED })));
    if (error) await expect(reconciler.reconcile(`${NS}/b1`)).rejects.toThrow(error);
    else expect(await reconciler.reconcile(`${NS}/b1`)).toEqual({ kind: "done" });
    expect(dbrs()).toEqual([]);
    expect(backup("b1").metadata.labels?.["velero.io/gc-failure"]).toBe(label);
  });

  it("fails (the work queue tries again with backoff, not at the next pass) while the location is unavailable, then collects the backup once it is back", async () => {
    const { kube, reconciler, dbrs } = setup();
    kube.seed(GVR.backupStorageLocations, u(forLocation(NS, "default", { phase: "Unavailable" })));
    kube.seed(GVR.backups, u(forBackup(NS, "b1", { location: "default", expiration: EXPIRED })));
    await expect(reconciler.reconcile(`${NS}/b1`)).rejects.toThrow("bsl default is unavailable, cannot gc backup");
    expect(dbrs()).toEqual([]);
    await kube.patch(GVR.backupStorageLocations, "default", NS, { status: { phase: "Available" } });
    expect(await reconciler.reconcile(`${NS}/b1`)).toEqual({ kind: "done" });
    expect(dbrs()).toHaveLength(1);
  });

  it("removes a stale gc-failure label once the backup can be collected", async () => {
    const { kube, reconciler, dbrs, backup } = setup();
    kube.seed(GVR.backupStorageLocations, u(forLocation(NS, "default")));
    kube.seed(GVR.backups, u(forBackup(NS, "b1", { location: "default", expiration: EXPIRED, labels: { "velero.io/gc-failure": "BSLReadOnly" } })));
    await reconciler.reconcile(`${NS}/b1`);
    expect(backup("b1").metadata.labels).toEqual({ "velero.io/storage-location": "default" });
    expect(dbrs()).toHaveLength(1);
  });

  it("is done for a backup that no longer exists", async () => {
    const { reconciler } = setup();
    expect(await reconciler.reconcile(`${NS}/gone`)).toEqual({ kind: "done" });
  });
});
