// DownloadRequest and ServerStatusRequest against the real API server: the URL a DownloadRequest
// gets fetches the stored file (here a file:// URL of the filesystem store); ServerStatusRequest
// reports the version and plugins.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DownloadRequest, ServerStatusRequest, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { GVR } from "../../../host/src/kube/gvr.ts";
import type { HttpKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import { connect, createBucketRoot, createNamespace, eventually, LifecycleServer, SERVER_VERSION } from "./harness.ts";

describe("DownloadRequest and ServerStatusRequest (real API server)", () => {
  let kube: HttpKubeClient;
  let server: LifecycleServer;
  let ns: string;

  beforeAll(async () => {
    kube = await connect();
    ns = await createNamespace(kube, "vt-req");
    server = await LifecycleServer.start({ kube, namespace: ns, bucketRoot: await createBucketRoot(), bucket: "velero" });
    await server.putCompletedBackup("b1");
    await server.putCompletedRestore("r1", "b1");
  });
  afterAll(async () => {
    await server?.stop();
    if (ns) await kube.delete(GVR.namespaces, ns);
  });

  async function download(kind: DownloadRequest["spec"]["target"]["kind"], name: string): Promise<DownloadRequest> {
    const request: DownloadRequest = {
      apiVersion: "velero.io/v1",
      kind: "DownloadRequest",
      metadata: { namespace: ns, name: `${name}-${kind.toLowerCase()}` },
      spec: { target: { kind, name } },
    };
    await kube.create(GVR.downloadRequests, request as unknown as UnstructuredItem);
    return eventually(`the ${kind} DownloadRequest to be processed`, async () => {
      const r = (await kube.get(GVR.downloadRequests, request.metadata.name ?? "", ns)) as unknown as DownloadRequest;
      return r.status?.phase === "Processed" ? r : undefined;
    });
  }

  it("answers BackupLog, BackupResourceList and RestoreLog requests with URLs of the stored files", async () => {
    const log = await download("BackupLog", "b1");
    expect(gunzipSync(readFileSync(fileURLToPath(log.status?.downloadURL ?? ""))).toString()).toContain("backup b1 completed");
    const expiresInMs = Date.parse(log.status?.expiration ?? "") - Date.now();
    expect(expiresInMs).toBeGreaterThan(8 * 60_000);
    expect(expiresInMs).toBeLessThanOrEqual(10 * 60_000);

    const resources = await download("BackupResourceList", "b1");
    expect(JSON.parse(gunzipSync(readFileSync(fileURLToPath(resources.status?.downloadURL ?? ""))).toString())).toEqual({ "v1/ConfigMap": ["app/cm1"] });

    const restoreLog = await download("RestoreLog", "r1");
    expect(restoreLog.status?.downloadURL).toMatch(/\/restores\/r1\/restore-r1-logs\.gz$/);
  });

  it("answers a ServerStatusRequest with the server version and plugins", async () => {
    const request: ServerStatusRequest = { apiVersion: "velero.io/v1", kind: "ServerStatusRequest", metadata: { namespace: ns, name: "status-1" }, spec: {} };
    await kube.create(GVR.serverStatusRequests, request as unknown as UnstructuredItem);
    const status = await eventually("the ServerStatusRequest to be processed", async () => {
      const r = (await kube.get(GVR.serverStatusRequests, "status-1", ns)) as unknown as ServerStatusRequest;
      return r.status?.phase === "Processed" ? r.status : undefined;
    });
    expect(status.serverVersion).toBe(SERVER_VERSION);
    expect(status.plugins).toEqual([{ kind: "ObjectStore", name: "velero.io/filesystem" }]);
    expect(Math.abs(Date.parse(status.processedTimestamp ?? "") - Date.now())).toBeLessThan(30_000);
  });
});
