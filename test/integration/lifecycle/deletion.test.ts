// Deleting a backup through a DeleteBackupRequest (what `velero backup delete` creates) against the
// real API server and the filesystem object store: its keys leave the bucket, its restores (files
// and CRs) and its CR are gone; a ReadOnly location refuses with the reason. TTL expiry goes the
// same way through the GC controller.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Backup, DeleteBackupRequest, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { newDeleteBackupRequest } from "../../../host/src/controllers/gc-controller.ts";
import { GVR } from "../../../host/src/kube/gvr.ts";
import type { HttpKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import { connect, createBucketRoot, createNamespace, eventually, LifecycleServer } from "./harness.ts";

describe("backup deletion and garbage collection (real API server, filesystem store)", () => {
  let kube: HttpKubeClient;
  let server: LifecycleServer;
  let ns: string;

  beforeAll(async () => {
    kube = await connect();
    ns = await createNamespace(kube, "vt-del");
    server = await LifecycleServer.start({ kube, namespace: ns, bucketRoot: await createBucketRoot(), bucket: "velero", gcFrequencyMs: 1_000 });
  });
  afterAll(async () => {
    await server?.stop();
    if (ns) await kube.delete(GVR.namespaces, ns);
  });

  it("a DeleteBackupRequest removes the backup's keys, its restores and its CR", async () => {
    const backup = await server.putCompletedBackup("doomed");
    await server.putCompletedBackup("bystander");
    await server.putCompletedRestore("doomed-restore-1", "doomed");
    await server.putCompletedRestore("bystander-restore", "bystander");
    expect(server.keysUnder("backups/doomed")).toEqual([
      "backups/doomed/doomed-logs.gz",
      "backups/doomed/doomed-podvolumebackups.json.gz",
      "backups/doomed/doomed-resource-list.json.gz",
      "backups/doomed/doomed-results.gz",
      "backups/doomed/doomed-volumesnapshots.json.gz",
      "backups/doomed/doomed.tar.gz",
      "backups/doomed/velero-backup.json",
    ]);
    expect(server.keysUnder("restores/doomed-restore-1").length).toBeGreaterThan(0);

    // What `velero backup delete doomed` creates.
    await kube.create(GVR.deleteBackupRequests, newDeleteBackupRequest(backup) as unknown as UnstructuredItem);

    await eventually("the Backup CR to be deleted", async () => (await kube.get(GVR.backups, "doomed", ns)) === undefined);
    expect(server.keysUnder("backups/doomed")).toEqual([]);
    expect(server.keysUnder("restores/doomed-restore-1")).toEqual([]);
    expect(await kube.get(GVR.restores, "doomed-restore-1", ns)).toBeUndefined();
    // Every request of the backup is cleaned up once it succeeded.
    await eventually("the DeleteBackupRequests to be removed", async () => {
      const { items } = await kube.list(GVR.deleteBackupRequests, { namespace: ns, labelSelector: "velero.io/backup-name=doomed" });
      return items.length === 0;
    });

    // Nothing else was touched.
    expect(await kube.get(GVR.backups, "bystander", ns)).toBeDefined();
    expect(server.keysUnder("backups/bystander")).toContain("backups/bystander/velero-backup.json");
    expect(await kube.get(GVR.restores, "bystander-restore", ns)).toBeDefined();
    expect(server.keysUnder("restores/bystander-restore").length).toBeGreaterThan(0);
  });

  it("an expired backup (ttl) is garbage-collected: CR and keys gone", async () => {
    await server.putCompletedBackup("short-lived", { ttlMs: 2_000 });
    await server.putCompletedBackup("long-lived");
    expect(server.keysUnder("backups/short-lived")).toContain("backups/short-lived/short-lived.tar.gz");

    await eventually("the expired backup to be collected", async () => (await kube.get(GVR.backups, "short-lived", ns)) === undefined, 30_000);
    expect(server.keysUnder("backups/short-lived")).toEqual([]);
    expect(await kube.get(GVR.backups, "long-lived", ns)).toBeDefined();
    expect(server.keysUnder("backups/long-lived")).toContain("backups/long-lived/long-lived.tar.gz");
  });

  it("a ReadOnly location refuses the deletion with the reason and keeps everything", async () => {
    const readOnlyNs = await createNamespace(kube, "vt-del-ro");
    const ro = await LifecycleServer.start({ kube, namespace: readOnlyNs, bucketRoot: server.bucketRoot, bucket: "velero", accessMode: "ReadOnly", backupSyncPeriod: "1s" });
    try {
      // The location's sync brings the bucket's backups in; then try to delete one of them.
      const synced = await eventually("the backup to be synced", async () => (await kube.get(GVR.backups, "bystander", readOnlyNs)) as unknown as Backup | undefined);
      await kube.create(GVR.deleteBackupRequests, newDeleteBackupRequest(synced) as unknown as UnstructuredItem);
      const status = await eventually("the request to be processed", async () => {
        const { items } = await kube.list(GVR.deleteBackupRequests, { namespace: readOnlyNs });
        const dbr = items[0] as unknown as DeleteBackupRequest | undefined;
        return dbr?.status?.phase === "Processed" ? dbr.status : undefined;
      });
      expect(status.errors).toEqual(["cannot delete backup because backup storage location default is currently in read-only mode"]);
      expect(await kube.get(GVR.backups, "bystander", readOnlyNs)).toBeDefined();
      expect(server.keysUnder("backups/bystander")).toContain("backups/bystander/velero-backup.json");
    } finally {
      await ro.stop();
      await kube.delete(GVR.namespaces, readOnlyNs);
    }
  });
});
