import { describe, expect, it } from "vitest";
import { createSilentLogger } from "../shared/logging.js";
import { FakeBackupStore } from "../testing/fake-backup-store.js";
import { FakeKubeClient } from "../testing/fake-kube-client.js";
import { GVR } from "../kube/gvr.js";
import { createLifecycleReconcilers, LIFECYCLE_CONTROLLERS } from "./lifecycle.js";

function deps(disabled?: string[]) {
  return {
    kube: new FakeKubeClient(),
    logger: createSilentLogger(),
    getBackupStore: async () => new FakeBackupStore(),
    plugins: { list: () => [], getDeleteItemActions: async () => [], getVolumeSnapshotter: async () => Promise.reject(new Error("none")) },
    serverVersion: "v1.18.0",
    gcFrequencyMs: 5_000,
    ...(disabled ? { disabled: new Set(disabled) } : {}),
  };
}

describe("createLifecycleReconcilers", () => {
  it("builds one reconciler per lifecycle controller, named as Velero names them, watching its kind", () => {
    const reconcilers = createLifecycleReconcilers(deps());
    expect(reconcilers.map((r) => r.name)).toEqual([...LIFECYCLE_CONTROLLERS]);
    expect(reconcilers.map((r) => r.watches.resource)).toEqual([
      GVR.schedules.resource,
      GVR.backups.resource,
      GVR.deleteBackupRequests.resource,
      GVR.backupStorageLocations.resource,
      GVR.downloadRequests.resource,
      GVR.serverStatusRequests.resource,
    ]);
    expect(reconcilers.find((r) => r.name === "gc")?.resyncPeriodMs).toBe(5_000);
  });

  it("leaves out the controllers named in --disable-controllers", () => {
    expect(createLifecycleReconcilers(deps(["gc", "backup-sync"])).map((r) => r.name)).toEqual(["schedule", "backup-deletion", "download-request", "server-status-request"]);
  });
});
