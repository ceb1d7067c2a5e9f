// `velero server --restore-only` and `--disable-controllers` against the real API server: a
// restore-only server (a disaster-recovery cluster sharing the bucket) syncs and restores backups
// but never runs one; an unknown controller name stops the server before it starts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Backup, ServerStatusRequest, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { GVR } from "../../../host/src/kube/gvr.ts";
import type { HttpKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import { connect, createAppNamespace, createBucketRoot, eventually, LifecycleServer } from "./harness.ts";

describe("velero server --restore-only and --disable-controllers (real API server)", () => {
  let kube: HttpKubeClient;
  let app: string;
  let bucketRoot: string;
  let dr: LifecycleServer | undefined;

  beforeAll(async () => {
    kube = await connect();
    app = await createAppNamespace(kube);
    bucketRoot = await createBucketRoot();
    // the production cluster's server makes a backup, then goes away
    const prod = await LifecycleServer.start({ kube, bucketRoot, bucket: "velero" });
    expect((await prod.backup("prod-1", { includedNamespaces: [app] })).status?.phase).toBe("Completed");
    await prod.stop();
    dr = await LifecycleServer.start({ kube, bucketRoot, bucket: "velero", restoreOnly: true, backupSyncPeriod: "1s" });
  });
  afterAll(async () => {
    await dr?.stop();
    for (const ns of [app, `${app}-dr`]) if (ns) await kube.delete(GVR.namespaces, ns);
  });

  it("a restore-only server syncs and restores the bucket's backups", async () => {
    const server = dr as LifecycleServer;
    await eventually("backup prod-1 to be synced", async () => (await server.getBackup("prod-1"))?.status?.phase === "Completed");
    const restore = await server.restore("dr-1", "prod-1", { [app]: `${app}-dr` });
    expect(restore.status?.phase).toBe("Completed");
    expect(await kube.get(GVR.configMaps, "cm1", `${app}-dr`)).toBeDefined();
  });

  it("a restore-only server runs no backup: a new Backup is left as created", async () => {
    const server = dr as LifecycleServer;
    await kube.create(GVR.backups, { apiVersion: "velero.io/v1", kind: "Backup", metadata: { namespace: server.namespace, name: "not-here" }, spec: { includedNamespaces: [app] } } as unknown as UnstructuredItem);
    // A ServerStatusRequest answered after it shows the server's controllers have been running meanwhile.
    await kube.create(GVR.serverStatusRequests, { apiVersion: "velero.io/v1", kind: "ServerStatusRequest", metadata: { namespace: server.namespace, name: "ping" }, spec: {} } as unknown as UnstructuredItem);
    await eventually("the ServerStatusRequest to be processed", async () => ((await kube.get(GVR.serverStatusRequests, "ping", server.namespace)) as unknown as ServerStatusRequest).status?.phase === "Processed");
    await new Promise((r) => setTimeout(r, 2000));
    const backup = (await kube.get(GVR.backups, "not-here", server.namespace)) as unknown as Backup;
    expect(backup.status?.phase).toBeUndefined();
  });

  it("serves /metrics whatever the query string (a scrape config's params), as Go's ServeMux does", async () => {
    const url = (dr as LifecycleServer).metricsUrl as string;
    const res = await fetch(`${url}?collect[]=velero&x=1`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain("velero_backup_total");
    expect((await fetch(url.replace("/metrics", "/other"))).status).toBe(404);
    // Without a backup controller (Velero's computes them) the synced backup is neither counted
    // nor a "last successful backup": a DR cluster must not fire or silence backup alerts.
    expect(await (dr as LifecycleServer).getBackup("prod-1")).toBeDefined();
    expect(text).toMatch(/^velero_backup_total 0$/m);
    expect(text).not.toMatch(/^velero_backup_last_successful_timestamp\{/m);
  });

  it("an unknown --disable-controllers name stops the server at start, naming the valid ones", async () => {
    await expect(LifecycleServer.start({ kube, bucketRoot, bucket: "other", disableControllers: ["backups"] })).rejects.toThrow(
      /^Invalid value for --disable-controllers flag provided: backups\. Valid values are: backup-queue,backup,backup-operations,/,
    );
  });
});
