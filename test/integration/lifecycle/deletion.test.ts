// Deleting a backup through a DeleteBackupRequest (what `velero backup delete` creates) against the
// real API server, `velero server` and the filesystem object store: its keys leave the bucket, its
// restores (files and CRs) and its CR are gone; TTL expiry does the same through the GC
// controller; a ReadOnly location refuses with the reason and keeps everything.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Backup, DeleteBackupRequest, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { newDeleteBackupRequest } from "../../../host/src/controllers/gc-controller.ts";
import { GVR } from "../../../host/src/kube/gvr.ts";
import type { HttpKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import { connect, createAppNamespace, createBucketRoot, eventually, LifecycleServer } from "./harness.ts";

describe("backup deletion and garbage collection (real API server, velero server, filesystem store)", () => {
  let kube: HttpKubeClient;
  let server: LifecycleServer;
  let app: string;
  const mapped: string[] = [];

  beforeAll(async () => {
    kube = await connect();
    app = await createAppNamespace(kube);
    server = await LifecycleServer.start({ kube, bucketRoot: await createBucketRoot(), bucket: "velero", garbageCollectionFrequency: "1s" });
  });
  afterAll(async () => {
    await server?.stop();
    for (const ns of [app, ...mapped]) if (ns) await kube.delete(GVR.namespaces, ns);
  });

  it("a DeleteBackupRequest removes the backup's keys, its restores and its CR, and nothing else", async () => {
    const doomed = await server.backup("doomed", { includedNamespaces: [app] });
    const bystander = await server.backup("bystander", { includedNamespaces: [app] });
    expect([doomed.status?.phase, bystander.status?.phase]).toEqual(["Completed", "Completed"]);
    mapped.push(`${app}-r1`, `${app}-r2`);
    expect((await server.restore("doomed-restore", "doomed", { [app]: `${app}-r1` })).status?.phase).toBe("Completed");
    expect((await server.restore("bystander-restore", "bystander", { [app]: `${app}-r2` })).status?.phase).toBe("Completed");
    expect(server.keysUnder("backups/doomed")).toEqual(expect.arrayContaining(["backups/doomed/velero-backup.json", "backups/doomed/doomed.tar.gz"]));
    expect(server.keysUnder("restores/doomed-restore")).toContain("restores/doomed-restore/restore-doomed-restore-logs.gz");

    // What `velero backup delete doomed` creates.
    await kube.create(GVR.deleteBackupRequests, newDeleteBackupRequest(doomed) as unknown as UnstructuredItem);

    await eventually("the Backup CR to be deleted", async () => (await server.getBackup("doomed")) === undefined);
    expect(server.keysUnder("backups/doomed")).toEqual([]);
    await eventually("the restore CR to be deleted", async () => (await kube.get(GVR.restores, "doomed-restore", server.namespace)) === undefined);
    expect(server.keysUnder("restores/doomed-restore")).toEqual([]);
    await eventually("the DeleteBackupRequests to be removed", async () => {
      const { items } = await kube.list(GVR.deleteBackupRequests, { namespace: server.namespace, labelSelector: "velero.io/backup-name=doomed" });
      return items.length === 0;
    });

    expect((await server.getBackup("bystander"))?.status?.phase).toBe("Completed");
    expect(server.keysUnder("backups/bystander")).toContain("backups/bystander/velero-backup.json");
    expect(await kube.get(GVR.restores, "bystander-restore", server.namespace)).toBeDefined();
    expect(server.keysUnder("restores/bystander-restore").length).toBeGreaterThan(0);
  });

  it("an expired backup (ttl 2s) is garbage-collected: CR and keys gone", async () => {
    const shortLived = await server.backup("short-lived", { includedNamespaces: [app], ttl: "2s" });
    expect(shortLived.status?.phase).toBe("Completed");
    const expiresAt = Date.parse(shortLived.status?.expiration ?? "");
    expect(expiresAt - Date.parse(shortLived.status?.startTimestamp ?? "")).toBeLessThanOrEqual(3_000);
    await server.backup("long-lived", { includedNamespaces: [app] });

    await eventually("the expired backup to be collected", async () => (await server.getBackup("short-lived")) === undefined, 30_000);
    expect(server.keysUnder("backups/short-lived")).toEqual([]);
    expect(await server.getBackup("long-lived")).toBeDefined();
    expect(server.keysUnder("backups/long-lived")).toContain("backups/long-lived/long-lived.tar.gz");
  });

  it("a ReadOnly location refuses the deletion with the reason and keeps everything", async () => {
    const ro = await LifecycleServer.start({ kube, bucketRoot: server.bucketRoot, bucket: "velero", accessMode: "ReadOnly", backupSyncPeriod: "1s" });
    try {
      const synced = await eventually("the backup to be synced", async () => (await ro.getBackup("bystander")) as Backup | undefined);
      await kube.create(GVR.deleteBackupRequests, newDeleteBackupRequest(synced) as unknown as UnstructuredItem);
      const status = await eventually("the request to be processed", async () => {
        const { items } = await kube.list(GVR.deleteBackupRequests, { namespace: ro.namespace });
        const dbr = items[0] as unknown as DeleteBackupRequest | undefined;
        return dbr?.status?.phase === "Processed" ? dbr.status : undefined;
      });
      expect(status.errors).toEqual(["cannot delete backup because backup storage location default is currently in read-only mode"]);
      expect(await ro.getBackup("bystander")).toBeDefined();
      expect(server.keysUnder("backups/bystander")).toContain("backups/bystander/velero-backup.json");
    } finally {
      await ro.stop();
    }
  });
});
