import { describe, expect, it } from "vitest";
import type { ServerStatusRequest } from "@velero-ts/plugin-sdk";
import { GVR } from "../kube/gvr.js";
import type { RegisteredPlugin } from "../plugins/manager.js";
import { createSilentLogger } from "../shared/logging.js";
import { FakeClock } from "../testing/fake-clock.js";
import { FakeKubeClient } from "../testing/fake-kube-client.js";
import { u } from "../testing/lifecycle-builders.js";
import { SERVER_STATUS_REQUEST_RESYNC_MS, ServerStatusRequestReconciler } from "./server-status-request-controller.js";

const NS = "velero";
const PLUGINS: RegisteredPlugin[] = [
  { kind: "BackupItemAction", name: "velero.io/pod" },
  { kind: "RestoreItemActionV2", name: "velero.io/csi-pvc-restorer" },
  { kind: "ObjectStore", name: "velero.io/aws", command: "/plugins/velero-plugin-aws" },
];

function forRequest(name: string, status?: ServerStatusRequest["status"]): ServerStatusRequest {
  return { apiVersion: "velero.io/v1", kind: "ServerStatusRequest", metadata: { namespace: NS, name }, spec: {}, ...(status ? { status } : {}) };
}

function setup() {
  const clock = new FakeClock("2024-03-09T10:00:00.400Z");
  const kube = new FakeKubeClient();
  const reconciler = new ServerStatusRequestReconciler({ kube, log: createSilentLogger(), clock, plugins: { list: () => PLUGINS }, serverVersion: "v1.18.0" });
  const request = (name: string) => kube.peek<ServerStatusRequest>(GVR.serverStatusRequests, name, NS);
  return { clock, kube, reconciler, request };
}

describe("ServerStatusRequestReconciler", () => {
  it.each([{ phase: undefined }, { phase: "New" as const }])("answers a request in phase $phase with the version and plugins", async ({ phase }) => {
    const { kube, reconciler, request } = setup();
    kube.seed(GVR.serverStatusRequests, u(forRequest("s1", phase ? { phase } : undefined)));
    const result = await reconciler.reconcile(`${NS}/s1`);
    expect(request("s1")?.status).toEqual({
      phase: "Processed",
      processedTimestamp: "2024-03-09T10:00:00Z",
      serverVersion: "v1.18.0",
      plugins: [
        { kind: "BackupItemAction", name: "velero.io/pod" },
        { kind: "RestoreItemActionV2", name: "velero.io/csi-pvc-restorer" },
        { kind: "ObjectStore", name: "velero.io/aws" },
      ],
    });
    // Looked at again in five minutes, as Velero's
    expect(result).toEqual({ kind: "requeue", afterMs: SERVER_STATUS_REQUEST_RESYNC_MS });
  });

  it("keeps a processed request younger than a minute (looking again every five minutes, as Velero), then deletes it", async () => {
    const { kube, reconciler, request, clock } = setup();
    kube.seed(GVR.serverStatusRequests, u(forRequest("s1", { phase: "Processed", processedTimestamp: "2024-03-09T09:59:30Z" })));
    expect(await reconciler.reconcile(`${NS}/s1`)).toEqual({ kind: "requeue", afterMs: SERVER_STATUS_REQUEST_RESYNC_MS });
    expect(request("s1")).toBeDefined();
    clock.advance(30_000);
    expect(await reconciler.reconcile(`${NS}/s1`)).toEqual({ kind: "done" });
    expect(request("s1")).toBeUndefined();
  });

  it("is done for a request that no longer exists", async () => {
    const { reconciler } = setup();
    expect(await reconciler.reconcile(`${NS}/gone`)).toEqual({ kind: "done" });
  });
});
