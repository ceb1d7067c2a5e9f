import { describe, expect, it } from "vitest";
import type { Backup, Restore } from "@velero-ts/plugin-sdk";
import { GVR } from "../kube/gvr.js";
import { createSilentLogger } from "../shared/logging.js";
import { forBackup } from "../testing/builders.js";
import { FakeClock } from "../testing/fake-clock.js";
import { FakeKubeClient } from "../testing/fake-kube-client.js";
import { ensureRepositoryKey, markInProgressFailed } from "./startup.js";

const restore = (namespace: string, name: string, phase: string) => ({
  apiVersion: "velero.io/v1",
  kind: "Restore",
  metadata: { namespace, name },
  spec: { backupName: "b" },
  status: { phase },
});

describe("markInProgressFailed (the server's start)", () => {
  it("fails the backups and restores of its namespace left InProgress, with Velero's reasons, and nothing else", async () => {
    const kube = new FakeKubeClient();
    kube.seed(
      GVR.backups,
      forBackup("velero", "interrupted").phase("InProgress").build(),
      forBackup("velero", "done").phase("Completed").build(),
      forBackup("velero", "queued").phase("Queued").build(),
      forBackup("other", "not-ours").phase("InProgress").build(),
    );
    kube.seed(GVR.restores, restore("velero", "r-interrupted", "InProgress"), restore("velero", "r-done", "Completed"));
    await markInProgressFailed({ kube, namespace: "velero", clock: new FakeClock("2026-11-26T10:00:00Z"), logger: createSilentLogger() });
    expect(kube.peek<Backup>(GVR.backups, "interrupted", "velero")?.status).toMatchObject({
      phase: "Failed",
      failureReason: 'found a backup with status "InProgress" during the server starting, mark it as "Failed"',
      completionTimestamp: "2026-11-26T10:00:00Z",
    });
    expect(kube.peek<Restore>(GVR.restores, "r-interrupted", "velero")?.status).toMatchObject({
      phase: "Failed",
      failureReason: 'found a restore with status "InProgress" during the server starting, mark it as "Failed"',
    });
    expect(kube.peek<Backup>(GVR.backups, "done", "velero")?.status?.phase).toBe("Completed");
    expect(kube.peek<Backup>(GVR.backups, "queued", "velero")?.status?.phase).toBe("Queued");
    expect(kube.peek<Backup>(GVR.backups, "not-ours", "other")?.status?.phase).toBe("InProgress");
    expect(kube.peek<Restore>(GVR.restores, "r-done", "velero")?.status?.phase).toBe("Completed");
  });

  it("reads the objects from the server's watch cache when given one: no LIST, and the patch is conditional on the cached version", async () => {
    const kube = new FakeKubeClient();
    kube.seed(GVR.backups, forBackup("velero", "interrupted").phase("InProgress").build(), forBackup("velero", "moved-on").phase("InProgress").build());
    kube.seed(GVR.restores, restore("velero", "r-interrupted", "InProgress"));
    const cache = new Map([GVR.backups, GVR.restores].map((gvr) => [gvr.resource, kube.all(gvr)]));
    // the CR moved on after the cache saw it: its patch is refused and it is left alone
    await kube.patch(GVR.backups, "moved-on", "velero", { status: { phase: "Completed" } });
    const lists: string[] = [];
    const list = kube.list.bind(kube);
    kube.list = (gvr, options) => (lists.push(gvr.resource), list(gvr, options));
    await markInProgressFailed({ kube, namespace: "velero", clock: new FakeClock("2026-11-26T10:00:00Z"), logger: createSilentLogger(), cached: async (gvr) => cache.get(gvr.resource) });
    expect(lists).toEqual([]);
    expect(kube.peek<Backup>(GVR.backups, "interrupted", "velero")?.status?.phase).toBe("Failed");
    expect(kube.peek<Restore>(GVR.restores, "r-interrupted", "velero")?.status?.phase).toBe("Failed");
    expect(kube.peek<Backup>(GVR.backups, "moved-on", "velero")?.status?.phase).toBe("Completed");
  });

  it("takes the bucket's status for a backup whose files were all uploaded before the server died (the bucket said Completed, the CR InProgress)", async () => {
    const kube = new FakeKubeClient();
    kube.seed(
      GVR.backups,
      forBackup("velero", "uploaded").phase("InProgress").build(),
      forBackup("velero", "half").phase("InProgress").build(),
      forBackup("velero", "unreadable").phase("InProgress").build(),
    );
    const stored: Record<string, Backup["status"] | Error | undefined> = {
      uploaded: { phase: "Completed", completionTimestamp: "2026-11-26T09:59:00Z", progress: { totalItems: 3, itemsBackedUp: 3 } },
      // the upload's first metadata write, before the tarball: not finished
      half: { phase: "Finalizing" },
      unreadable: new Error("bucket unreachable"),
    };
    kube.seed(GVR.backups, forBackup("velero", "silent").phase("InProgress").build());
    await markInProgressFailed({
      kube,
      namespace: "velero",
      clock: new FakeClock("2026-11-26T10:00:00Z"),
      logger: createSilentLogger(),
      storedBackupStatus: async (b) => {
        // a store that never answers must not hold the start
        if (b.metadata.name === "silent") return new Promise<never>(() => undefined);
        const s = stored[b.metadata.name];
        if (s instanceof Error) throw s;
        return s;
      },
      storedStatusWaitMs: 50,
    });
    expect(kube.peek<Backup>(GVR.backups, "silent", "velero")?.status?.phase).toBe("Failed");
    expect(kube.peek<Backup>(GVR.backups, "uploaded", "velero")?.status).toMatchObject({ phase: "Completed", completionTimestamp: "2026-11-26T09:59:00Z", progress: { itemsBackedUp: 3 } });
    expect(kube.peek<Backup>(GVR.backups, "half", "velero")?.status?.phase).toBe("Failed");
    expect(kube.peek<Backup>(GVR.backups, "unreadable", "velero")?.status?.phase).toBe("Failed");
  });
});

describe("ensureRepositoryKey (Velero's EnsureCommonRepositoryKey at server start)", () => {
  it("creates velero-repo-credentials with Velero's repository password when missing, and leaves an existing one alone", async () => {
    const kube = new FakeKubeClient();
    await ensureRepositoryKey({ kube, namespace: "velero" });
    const secret = kube.peek(GVR.secrets, "velero-repo-credentials", "velero") as unknown as { type: string; data: Record<string, string> };
    expect(secret.type).toBe("Opaque");
    expect(Buffer.from(secret.data["repository-password"] ?? "", "base64").toString()).toBe("static-passw0rd");
    await kube.patch(GVR.secrets, "velero-repo-credentials", "velero", { data: { "repository-password": Buffer.from("mine").toString("base64") } });
    await ensureRepositoryKey({ kube, namespace: "velero" });
    expect((kube.peek(GVR.secrets, "velero-repo-credentials", "velero") as unknown as { data: Record<string, string> }).data["repository-password"]).toBe(Buffer.from("mine").toString("base64"));
  });
});
