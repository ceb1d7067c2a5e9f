// DownloadRequest and ServerStatusRequest against the real API server and `velero server`: the URL
// a DownloadRequest gets fetches the stored file (a file:// URL of the filesystem store);
// ServerStatusRequest reports the version and the registered plugins.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DownloadRequest, ServerStatusRequest, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { GVR } from "../../../host/src/kube/gvr.ts";
import type { HttpKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import { connect, createAppNamespace, createBucketRoot, eventually, LifecycleServer, SERVER_VERSION } from "./harness.ts";

describe("DownloadRequest and ServerStatusRequest (real API server, velero server)", () => {
  let kube: HttpKubeClient;
  let server: LifecycleServer;
  let app: string;

  beforeAll(async () => {
    kube = await connect();
    app = await createAppNamespace(kube);
    server = await LifecycleServer.start({ kube, bucketRoot: await createBucketRoot(), bucket: "velero" });
    await server.backup("b1", { includedNamespaces: [app] });
    await server.restore("r1", "b1", { [app]: `${app}-restored` });
  });
  afterAll(async () => {
    await server?.stop();
    for (const ns of [app, `${app}-restored`]) if (ns) await kube.delete(GVR.namespaces, ns);
  });

  async function download(kind: DownloadRequest["spec"]["target"]["kind"], name: string): Promise<DownloadRequest> {
    const request: DownloadRequest = {
      apiVersion: "velero.io/v1",
      kind: "DownloadRequest",
      metadata: { namespace: server.namespace, name: `${name}-${kind.toLowerCase()}` },
      spec: { target: { kind, name } },
    };
    await kube.create(GVR.downloadRequests, request as unknown as UnstructuredItem);
    return eventually(`the ${kind} DownloadRequest to be processed`, async () => {
      const r = (await kube.get(GVR.downloadRequests, request.metadata.name ?? "", server.namespace)) as unknown as DownloadRequest;
      return r.status?.phase === "Processed" ? r : undefined;
    });
  }

  const fetchGunzipped = (url: string | undefined): string => gunzipSync(readFileSync(fileURLToPath(url ?? ""))).toString("utf8");

  it("answers BackupLog, BackupResourceList and RestoreLog requests with URLs of the stored files", async () => {
    const log = await download("BackupLog", "b1");
    expect(log.status?.downloadURL).toMatch(/\/backups\/b1\/b1-logs\.gz$/);
    expect(fetchGunzipped(log.status?.downloadURL).length).toBeGreaterThan(0);
    const expiresInMs = Date.parse(log.status?.expiration ?? "") - Date.now();
    expect(expiresInMs).toBeGreaterThan(8 * 60_000);
    expect(expiresInMs).toBeLessThanOrEqual(10 * 60_000);

    const resources = await download("BackupResourceList", "b1");
    expect(JSON.parse(fetchGunzipped(resources.status?.downloadURL))["v1/ConfigMap"]).toEqual(expect.arrayContaining([`${app}/cm1`, `${app}/cm2`]));

    const restoreLog = await download("RestoreLog", "r1");
    expect(restoreLog.status?.downloadURL).toMatch(/\/restores\/r1\/restore-r1-logs\.gz$/);
    expect(fetchGunzipped(restoreLog.status?.downloadURL).length).toBeGreaterThan(0);
  });

  it("answers a ServerStatusRequest with the server version and plugins", async () => {
    const request: ServerStatusRequest = { apiVersion: "velero.io/v1", kind: "ServerStatusRequest", metadata: { namespace: server.namespace, name: "status-1" }, spec: {} };
    await kube.create(GVR.serverStatusRequests, request as unknown as UnstructuredItem);
    const status = await eventually("the ServerStatusRequest to be processed", async () => {
      const r = (await kube.get(GVR.serverStatusRequests, "status-1", server.namespace)) as unknown as ServerStatusRequest;
      return r.status?.phase === "Processed" ? r.status : undefined;
    });
    expect(status.serverVersion).toBe(SERVER_VERSION);
    expect(status.plugins).toEqual(
      expect.arrayContaining([
        { kind: "ObjectStore", name: "velero.io/filesystem" },
        { kind: "BackupItemAction", name: "velero.io/pod" },
        { kind: "RestoreItemAction", name: "velero.io/service" },
      ]),
    );
    expect(Math.abs(Date.parse(status.processedTimestamp ?? "") - Date.now())).toBeLessThan(30_000);
  });
});
