// Migration to a second cluster: a second server (its own namespace, controllers and BSL) pointed
// at the same bucket through a ReadOnly location lists the first server's backups as Backup CRs of
// its own location; when a backup leaves the bucket, its synced CR goes too. Against the real API
// server and the filesystem object store.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Backup, BackupStorageLocation, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { newDeleteBackupRequest } from "../../../host/src/controllers/gc-controller.ts";
import { GVR } from "../../../host/src/kube/gvr.ts";
import type { HttpKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import { connect, createBucketRoot, createNamespace, eventually, LifecycleServer } from "./harness.ts";

describe("backup sync to a second server (real API server, filesystem store)", () => {
  let kube: HttpKubeClient;
  let primary: LifecycleServer;
  let replica: LifecycleServer;
  let primaryNs: string;
  let replicaNs: string;

  beforeAll(async () => {
    kube = await connect();
    const bucketRoot = await createBucketRoot();
    primaryNs = await createNamespace(kube, "vt-sync-a");
    replicaNs = await createNamespace(kube, "vt-sync-b");
    primary = await LifecycleServer.start({ kube, namespace: primaryNs, bucketRoot, bucket: "shared", backupSyncPeriod: "0s" });
    replica = await LifecycleServer.start({
      kube,
      namespace: replicaNs,
      bucketRoot,
      bucket: "shared",
      location: "from-primary",
      accessMode: "ReadOnly",
      backupSyncPeriod: "2s",
    });
  });
  afterAll(async () => {
    await replica?.stop();
    await primary?.stop();
    for (const ns of [primaryNs, replicaNs]) if (ns) await kube.delete(GVR.namespaces, ns);
  });

  it("the second server lists the first one's backup as its own, then drops it when it leaves the bucket", async () => {
    const original = await primary.putCompletedBackup("nightly-1");

    const synced = await eventually(
      "the backup to appear on the second server",
      async () => (await kube.get(GVR.backups, "nightly-1", replicaNs)) as unknown as Backup | undefined,
      30_000,
    );
    expect(synced.metadata.namespace).toBe(replicaNs);
    expect(synced.metadata.uid).not.toBe(original.metadata.uid);
    expect(synced.spec.storageLocation).toBe("from-primary");
    expect(synced.metadata.labels?.["velero.io/storage-location"]).toBe("from-primary");
    expect(synced.status?.phase).toBe("Completed");
    expect(synced.spec.includedNamespaces).toEqual(["app"]);
    expect(synced.status?.expiration).toBe(original.status?.expiration);

    const bsl = (await kube.get(GVR.backupStorageLocations, "from-primary", replicaNs)) as unknown as BackupStorageLocation;
    expect(bsl.status?.lastSyncedTime).toBeDefined();
    // A ReadOnly location is never written to: the bucket holds only the primary's objects.
    expect(replica.keysUnder("")).toEqual(primary.keysUnder(""));

    // Deleted on the primary (bucket objects gone) → the replica's CR is removed by the next sync.
    await kube.create(GVR.deleteBackupRequests, newDeleteBackupRequest(original) as unknown as UnstructuredItem);
    await eventually("the primary to delete the backup", async () => (await kube.get(GVR.backups, "nightly-1", primaryNs)) === undefined);
    expect(primary.keysUnder("backups/nightly-1")).toEqual([]);
    await eventually("the replica's synced CR to be removed", async () => (await kube.get(GVR.backups, "nightly-1", replicaNs)) === undefined, 30_000);
  });

  it("a location with backupSyncPeriod 0 never syncs", async () => {
    await replica.putCompletedBackup("replica-only");
    // The primary's location has backupSyncPeriod 0s: a backup present only in the bucket stays out.
    await new Promise((r) => setTimeout(r, 4_000));
    expect(await kube.get(GVR.backups, "replica-only", primaryNs)).toBeUndefined();
  });
});
