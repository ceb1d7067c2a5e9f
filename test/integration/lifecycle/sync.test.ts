// Migration to a second cluster: a second `velero server` (own namespace, controllers and BSL)
// pointed at the same bucket through a ReadOnly location lists the first server's backup as a
// Backup CR of its own location; when the backup leaves the bucket, the synced CR goes too; a
// location whose backupSyncPeriod is 0 never syncs. Real API server, filesystem object store.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Backup, BackupStorageLocation, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { newDeleteBackupRequest } from "../../../host/src/controllers/gc-controller.ts";
import { GVR } from "../../../host/src/kube/gvr.ts";
import type { HttpKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import { connect, createAppNamespace, createBucketRoot, eventually, LifecycleServer } from "./harness.ts";

describe("backup sync to a second server (real API server, velero server, filesystem store)", () => {
  let kube: HttpKubeClient;
  let primary: LifecycleServer;
  let replica: LifecycleServer;
  let app: string;

  beforeAll(async () => {
    kube = await connect();
    app = await createAppNamespace(kube);
    const bucketRoot = await createBucketRoot();
    primary = await LifecycleServer.start({ kube, bucketRoot, bucket: "shared", backupSyncPeriod: "0s" });
    replica = await LifecycleServer.start({ kube, bucketRoot, bucket: "shared", location: "from-primary", accessMode: "ReadOnly", backupSyncPeriod: "2s" });
  });
  afterAll(async () => {
    await replica?.stop();
    await primary?.stop();
    if (app) await kube.delete(GVR.namespaces, app);
  });

  it("the second server lists the first one's backup as its own, then drops it when it leaves the bucket", async () => {
    const original = await primary.backup("nightly-1", { includedNamespaces: [app] });
    expect(original.status?.phase).toBe("Completed");

    const synced = await eventually("the backup to appear on the second server", async () => replica.getBackup("nightly-1"), 30_000);
    expect(synced.metadata.namespace).toBe(replica.namespace);
    expect(synced.metadata.uid).not.toBe(original.metadata.uid);
    expect(synced.spec.storageLocation).toBe("from-primary");
    expect(synced.metadata.labels?.["velero.io/storage-location"]).toBe("from-primary");
    expect(synced.spec.includedNamespaces).toEqual([app]);
    expect(synced.status?.phase).toBe("Completed");
    expect(synced.status?.expiration).toBe(original.status?.expiration);
    // What the bucket says, field for field (apart from where it now lives).
    const stored = JSON.parse(readFileSync(join(primary.bucketRoot, "shared", "backups", "nightly-1", "velero-backup.json"), "utf8")) as Backup;
    expect(synced.status).toEqual(stored.status);

    // The replica never ran it, yet its velero_backup_last_successful_timestamp counts it, as
    // Velero's (recomputed from every Completed backup, so alerts on it survive a restart).
    const completedAt = Math.floor(Date.parse(synced.status?.completionTimestamp ?? "") / 1000);
    await eventually("the replica's last-successful-backup gauge to show the synced backup", async () => {
      const text = await (await fetch(replica.metricsUrl as string)).text();
      return text.includes(`velero_backup_last_successful_timestamp{schedule=""} ${completedAt}`);
    }, 10_000);

    const bsl = (await kube.get(GVR.backupStorageLocations, "from-primary", replica.namespace)) as unknown as BackupStorageLocation;
    expect(bsl.status?.lastSyncedTime).toBeDefined();
    // The replica never wrote to its ReadOnly location: every key is the primary's backup.
    expect(replica.keysUnder("").every((k) => k.startsWith("backups/nightly-1/"))).toBe(true);

    // Deleted on the primary (bucket objects gone) → the replica's CR goes with the next sync.
    await kube.create(GVR.deleteBackupRequests, newDeleteBackupRequest(original) as unknown as UnstructuredItem);
    await eventually("the primary to delete the backup", async () => (await primary.getBackup("nightly-1")) === undefined);
    expect(primary.keysUnder("backups/nightly-1")).toEqual([]);
    await eventually("the replica's synced CR to be removed", async () => (await replica.getBackup("nightly-1")) === undefined, 30_000);
  });

  it("a location with backupSyncPeriod 0 never syncs", async () => {
    // A backup written to the bucket by some other cluster.
    const metadata: Backup = {
      apiVersion: "velero.io/v1",
      kind: "Backup",
      metadata: { namespace: "velero", name: "from-elsewhere" },
      spec: { storageLocation: "default" },
      status: { phase: "Completed", expiration: new Date(Date.now() + 3_600_000).toISOString() },
    };
    await primary.store.putBackup({ name: "from-elsewhere", metadata, contents: Readable.from([Buffer.alloc(0)]) });
    await eventually("the replica (period 2s) to sync it", async () => replica.getBackup("from-elsewhere"), 30_000);
    // The primary's location (backupSyncPeriod 0s) had the same chance and did not.
    expect(await primary.getBackup("from-elsewhere")).toBeUndefined();
  });
});
