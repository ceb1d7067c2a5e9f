import { describe, expect, it } from "vitest";
import type { DownloadRequest, DownloadTargetKind, Restore } from "@velero-ts/plugin-sdk";
import { GVR } from "../kube/gvr.js";
import { createSilentLogger } from "../shared/logging.js";
import { FakeBackupStore } from "../testing/fake-backup-store.js";
import { FakeClock } from "../testing/fake-clock.js";
import { FakeKubeClient } from "../testing/fake-kube-client.js";
import { forBackup, forLocation, u } from "../testing/lifecycle-builders.js";
import { TIMER_MARGIN_MS } from "./lifecycle-common.js";
import { DOWNLOAD_URL_TTL_MS, DownloadRequestReconciler } from "./download-request-controller.js";

const NS = "velero";

function forDownloadRequest(name: string, kind: DownloadTargetKind, target: string): DownloadRequest {
  return { apiVersion: "velero.io/v1", kind: "DownloadRequest", metadata: { namespace: NS, name }, spec: { target: { kind, name: target } } };
}

function setup() {
  const clock = new FakeClock("2024-03-09T10:00:00Z");
  const kube = new FakeKubeClient();
  const store = new FakeBackupStore();
  const opened: string[] = [];
  const reconciler = new DownloadRequestReconciler({
    kube,
    log: createSilentLogger(),
    clock,
    getBackupStore: async (location) => {
      opened.push(location.metadata.name ?? "");
      return store;
    },
  });
  kube.seed(GVR.backupStorageLocations, u(forLocation(NS, "primary")));
  kube.seed(GVR.backups, u(forBackup(NS, "b1", { location: "primary", phase: "Completed" })));
  const request = (name: string) => kube.peek<DownloadRequest>(GVR.downloadRequests, name, NS);
  return { clock, kube, store, reconciler, request, opened };
}

describe("DownloadRequestReconciler", () => {
  it.each(["BackupLog", "BackupContents", "BackupResourceList", "BackupResults", "BackupVolumeInfos", "BackupItemOperations", "BackupVolumeSnapshots", "CSIBackupVolumeSnapshots"] as const)(
    "answers a %s request with a 10-minute signed URL of the backup's file",
    async (kind) => {
      const { kube, reconciler, request, opened } = setup();
      kube.seed(GVR.downloadRequests, u(forDownloadRequest("d1", kind, "b1")));
      const result = await reconciler.reconcile(`${NS}/d1`);
      expect(request("d1")?.status).toEqual({
        phase: "Processed",
        downloadURL: `memory://bucket/${kind}/b1?ttlMs=${DOWNLOAD_URL_TTL_MS}`,
        expiration: "2024-03-09T10:10:00Z",
      });
      expect(opened).toEqual(["primary"]);
      expect(result).toEqual({ kind: "requeue", afterMs: DOWNLOAD_URL_TTL_MS + TIMER_MARGIN_MS });
    },
  );

  it.each(["RestoreLog", "RestoreResults", "RestoreResourceList", "RestoreItemOperations", "RestoreVolumeInfo"] as const)(
    "finds the location of a %s request through the restore's backup",
    async (kind) => {
      const { kube, reconciler, request } = setup();
      const restore: Restore = { apiVersion: "velero.io/v1", kind: "Restore", metadata: { namespace: NS, name: "r1" }, spec: { backupName: "b1" } };
      kube.seed(GVR.restores, u(restore));
      kube.seed(GVR.downloadRequests, u(forDownloadRequest("d1", kind, "r1")));
      await reconciler.reconcile(`${NS}/d1`);
      expect(request("d1")?.status?.downloadURL).toBe(`memory://bucket/${kind}/r1?ttlMs=${DOWNLOAD_URL_TTL_MS}`);
    },
  );

  it.each([
    { name: "backup", kind: "BackupLog" as const, target: "nope" },
    { name: "restore", kind: "RestoreLog" as const, target: "nope" },
  ])("gives up on a request whose $name is missing: expiration only, deleted after it", async ({ kind, target }) => {
    const { kube, reconciler, request, clock } = setup();
    kube.seed(GVR.downloadRequests, u(forDownloadRequest("d1", kind, target)));
    expect(await reconciler.reconcile(`${NS}/d1`)).toEqual({ kind: "requeue", afterMs: DOWNLOAD_URL_TTL_MS + TIMER_MARGIN_MS });
    expect(request("d1")?.status).toEqual({ expiration: "2024-03-09T10:10:00Z" });
    // A second pass before expiry does not retry (no patch loop).
    const writes = kube.actions.length;
    await reconciler.reconcile(`${NS}/d1`);
    expect(kube.actions).toHaveLength(writes);
    clock.advance(DOWNLOAD_URL_TTL_MS + 1_000);
    expect(await reconciler.reconcile(`${NS}/d1`)).toEqual({ kind: "done" });
    expect(request("d1")).toBeUndefined();
  });

  it("deletes a processed request once it has expired, not before", async () => {
    const { kube, reconciler, request, clock } = setup();
    kube.seed(GVR.downloadRequests, u(forDownloadRequest("d1", "BackupLog", "b1")));
    await reconciler.reconcile(`${NS}/d1`);
    clock.advance(DOWNLOAD_URL_TTL_MS - 1_000);
    expect(await reconciler.reconcile(`${NS}/d1`)).toEqual({ kind: "requeue", afterMs: 1_000 + TIMER_MARGIN_MS });
    expect(request("d1")).toBeDefined();
    clock.advance(2_000);
    expect(await reconciler.reconcile(`${NS}/d1`)).toEqual({ kind: "done" });
    expect(request("d1")).toBeUndefined();
  });

  it("retries (throws) when the store cannot sign the URL", async () => {
    const { kube, reconciler, request, store, clock } = setup();
    kube.seed(GVR.downloadRequests, u(forDownloadRequest("d1", "BackupLog", "b1")));
    store.failures.set("getDownloadUrl", new Error("object store unreachable"));
    await expect(reconciler.reconcile(`${NS}/d1`)).rejects.toThrow("object store unreachable");
    // not answered yet, but it has an expiration (as Velero's deferred patch gives it): never left for good
    expect(request("d1")?.status).toEqual({ expiration: expect.any(String) });
    expect(request("d1")?.status?.expiration).toBe("2024-03-09T10:10:00Z");
    // answered five minutes later: the expiration restarts with the URL (Velero), else the request
    // would be deleted while its URL is still good
    clock.advance(5 * 60_000);
    expect(await reconciler.reconcile(`${NS}/d1`)).toEqual({ kind: "requeue", afterMs: DOWNLOAD_URL_TTL_MS + TIMER_MARGIN_MS });
    expect(request("d1")?.status).toMatchObject({ phase: "Processed", expiration: "2024-03-09T10:15:00Z" });
  });

  it("gives a request it cannot look at (an empty target name) an expiration, once, so it is deleted in the end", async () => {
    const { kube, reconciler, request } = setup();
    kube.seed(GVR.downloadRequests, u(forDownloadRequest("d1", "BackupLog", "")));
    await reconciler.reconcile(`${NS}/d1`).catch((e: unknown) => e);
    const expiration = request("d1")?.status?.expiration;
    expect(expiration).toBeDefined();
    await reconciler.reconcile(`${NS}/d1`).catch((e: unknown) => e);
    expect(request("d1")?.status?.expiration, "not pushed back by a later look").toBe(expiration);
  });

  it("is done for a request that no longer exists", async () => {
    const { reconciler } = setup();
    expect(await reconciler.reconcile(`${NS}/gone`)).toEqual({ kind: "done" });
  });
});
