// External (out-of-process) plugin item actions take part in backups and restores, end to end
// against the REAL control plane: `velero server`'s composition root (startServer) discovers the
// fixture plugin executable (test/fixtures/plugins/fixture-plugin.ts, built by the SDK's serve())
// in its plugin dir and runs its actions over the go-plugin gRPC protocol, next to Velero's
// built-in actions. Backups go to a velero.io/filesystem location (a directory on this machine).
//
// Fixture behaviour used here: test.io/bia-v1 annotates pods `fixture/bia-v1=<backup>` and adds
// `<pod>-pvc` as an additional item, and throws for a pod named "explode"; test.io/ria-v1
// annotates every non-secret item `fixture/ria-v1=<restore>:<name>` and skips items labelled
// skip=true; test.io/ria-v2 (PVCs) starts an async operation (its Progress answers "completed" at
// once) and asks the restorer to wait for its additional item `<pvc>-pvc`, which is never in the
// backup, so areAdditionalItemsReady([]) stays false until its 30s timeout: a restore including a
// PVC ends PartiallyFailed by design of the fixture (asserted on its own below). test.io/bia-v2
// only applies in namespace ns1, which this suite never uses.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Backup, BackupSpec, Restore, RestoreSpec, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { GVR } from "../../../host/src/kube/gvr.ts";
import type { HttpKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import type { RunningServer } from "../../../host/src/server/server.ts";
import type { TarEntry } from "../../helpers/velero-tarball.ts";
import { backupDir as bucketBackupDir, backupTarball, createNamespaces, deleteRestoresWhileServing, eventually, restoreDir as bucketRestoreDir, runToEnd, setUpVeleroEnv, startVeleroServer, tearDownVelero, type VeleroTestEnv } from "../../helpers/velero-server.ts";

const suffix = randomBytes(3).toString("hex");
const APP = `vt-pa-app-${suffix}`;
const BOOM = `vt-pa-boom-${suffix}`;
const VELERO = `vt-pa-velero-${suffix}`;
const TOKEN_VOLUME = "default-token-legacy";

const meta = (name: string, namespace: string | undefined, extra: Record<string, unknown> = {}) => ({ name, ...(namespace ? { namespace } : {}), ...extra });

const pod = (name: string, namespace: string): UnstructuredItem =>
  ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: meta(name, namespace, { labels: { app: name, suite: "pa", "fixture/log": "yes" } }),
    spec: {
      serviceAccountName: "default",
      containers: [{ name: "main", image: "busybox", volumeMounts: [{ name: TOKEN_VOLUME, mountPath: "/var/run/legacy-token" }] }],
      // A legacy service-account token volume: Velero's built-in velero.io/pod restore action drops it.
      volumes: [{ name: TOKEN_VOLUME, secret: { secretName: "creds" } }],
    },
  }) as unknown as UnstructuredItem;

const annotations = (item: UnstructuredItem | undefined): Record<string, string> => item?.metadata.annotations ?? {};

function gunzipJson(path: string): unknown {
  return JSON.parse(gunzipSync(readFileSync(path)).toString("utf8"));
}

describe("external plugin item actions in backups and restores (real API server)", () => {
  let env: VeleroTestEnv | undefined;
  let kube: HttpKubeClient;
  let server: RunningServer;
  let bucketRoot: string;

  const backupDir = (name: string) => bucketBackupDir(bucketRoot, name);
  const restoreDir = (name: string) => bucketRestoreDir(bucketRoot, name);
  const tarOf = (backup: string): TarEntry[] => backupTarball(bucketRoot, backup);
  const itemOf = (entries: TarEntry[], path: string): UnstructuredItem | undefined => {
    const e = entries.find((x) => x.name === path);
    return e ? (JSON.parse(e.data.toString("utf8")) as UnstructuredItem) : undefined;
  };

  const runBackup = (name: string, spec: Partial<BackupSpec>): Promise<Backup> => runToEnd<Backup>(kube, "Backup", VELERO, name, spec, { timeoutMs: 120_000 });
  const runRestore = (name: string, spec: Partial<RestoreSpec>, phases: string[]): Promise<Restore> =>
    runToEnd<Restore>(kube, "Restore", VELERO, name, spec, { timeoutMs: 180_000, phases });

  beforeAll(async () => {
    env = await setUpVeleroEnv("vt-plugin-actions-", { fixturePlugin: true });
    ({ kube, bucketRoot } = env);

    await createNamespaces(kube, [APP, BOOM, VELERO]);
    await kube.create(GVR.secrets, { apiVersion: "v1", kind: "Secret", metadata: meta("creds", APP, { labels: { suite: "pa" } }), type: "Opaque", data: { password: Buffer.from("hunter2").toString("base64") } } as unknown as UnstructuredItem);
    await kube.create(GVR.configMaps, { apiVersion: "v1", kind: "ConfigMap", metadata: meta("settings", APP, { labels: { suite: "pa" } }), data: { k: "v" } } as unknown as UnstructuredItem);
    await kube.create(GVR.configMaps, { apiVersion: "v1", kind: "ConfigMap", metadata: meta("cm-skip", APP, { labels: { skip: "true", suite: "pa" } }), data: { k: "skip" } } as unknown as UnstructuredItem);
    // restored together (the restorer has several items in flight): test.io/ria-v1 fails a call that overlaps another
    for (let i = 0; i < 6; i++) await kube.create(GVR.configMaps, { apiVersion: "v1", kind: "ConfigMap", metadata: meta(`batch-${i}`, APP, { labels: { suite: "pa" } }), data: { i: String(i) } } as unknown as UnstructuredItem);
    // web-pvc: not referenced by the pod and not matching the backup's label selector
    // (suite=pa), so only test.io/bia-v1's additional item can bring it into the backup. (An
    // additional item of an excluded resource or namespace stays out, as in Velero.) Its class is
    // one no PV has, so it stays Pending: with "" the PV controller binds it to any Available PV
    // without a class that another test running beside this one has created.
    await kube.create(GVR.persistentVolumeClaims, {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: meta("web-pvc", APP),
      spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, storageClassName: `vt-unbound-${suffix}` },
    } as unknown as UnstructuredItem);
    // The ServiceAccount admission plugin refuses pods until the namespace's "default" SA exists.
    await eventually("pod web to be created", () => kube.create(GVR.pods, pod("web", APP)).then(() => true));
    await eventually("pod explode to be created", () => kube.create(GVR.pods, pod("explode", BOOM)).then(() => true));
    await eventually("pod web to be scheduled", async () => Boolean(((await kube.get(GVR.pods, "web", APP))?.spec as { nodeName?: string })?.nodeName));

    server = await startVeleroServer(env, VELERO, { logEnv: "VT_PLUGIN_ACTIONS_LOG", backupSyncPeriod: "5s" });
  }, 300_000);

  afterAll(async () => {
    if (kube && server) await deleteRestoresWhileServing(kube, VELERO);
    await tearDownVelero(env, server, [APP, BOOM, VELERO], async (k) => {
      // Whatever the stopped server left behind must not keep its namespace Terminating.
      for (const gvr of [GVR.restores, GVR.backups]) {
        for (const o of (await k.list(gvr, { namespace: VELERO }).catch(() => ({ items: [] }))).items) {
          if (o.metadata.finalizers?.length) await k.patch(gvr, o.metadata.name, VELERO, { metadata: { finalizers: null } }).catch(() => undefined);
        }
      }
    });
  });

  it("lists the external plugins with their kinds (plugin manager and ServerStatusRequest)", async () => {
    const expected = [
      { name: "test.io/store", kind: "ObjectStore" },
      { name: "test.io/snapshotter", kind: "VolumeSnapshotter" },
      { name: "test.io/bia-v1", kind: "BackupItemAction" },
      { name: "test.io/bia-v2", kind: "BackupItemActionV2" },
      { name: "test.io/ria-v1", kind: "RestoreItemAction" },
      { name: "test.io/ria-v2", kind: "RestoreItemActionV2" },
      { name: "test.io/dia", kind: "DeleteItemAction" },
      { name: "test.io/iba", kind: "ItemBlockAction" },
    ];
    const listed = server.plugins.list().map((p) => ({ name: p.name, kind: p.kind }));
    expect(listed).toEqual(expect.arrayContaining([...expected, { name: "velero.io/pod", kind: "RestoreItemAction" }]));

    await kube.create(GVR.serverStatusRequests, { apiVersion: "velero.io/v1", kind: "ServerStatusRequest", metadata: { namespace: VELERO, name: `ssr-${suffix}` }, spec: {} } as unknown as UnstructuredItem);
    const status = await eventually("the ServerStatusRequest to be Processed", async () => {
      const s = (await kube.get(GVR.serverStatusRequests, `ssr-${suffix}`, VELERO))?.status as { phase?: string; plugins?: { name: string; kind: string }[] } | undefined;
      return s?.phase === "Processed" ? s : undefined;
    });
    expect(status.plugins).toEqual(expect.arrayContaining(expected));
  });

  it("backup: test.io/bia-v1 annotates the pod and brings its PVC in as an additional item", async () => {
    const b = await runBackup("pa-backup", { includedNamespaces: [APP], labelSelector: { matchLabels: { suite: "pa" } } });
    expect(b.status).toMatchObject({ phase: "Completed" });
    // zero counts left out, as Go writes them (omitempty)
    expect(b.status).not.toHaveProperty("errors");
    const entries = tarOf("pa-backup");
    const web = itemOf(entries, `resources/pods/namespaces/${APP}/web.json`);
    expect(annotations(web)["fixture/bia-v1"]).toBe("pa-backup");
    expect((web?.spec as { nodeName?: string }).nodeName).toBeTruthy();
    expect(((web?.spec as { volumes?: { name: string }[] }).volumes ?? []).map((v) => v.name)).toContain(TOKEN_VOLUME);
    const pvc = itemOf(entries, `resources/persistentvolumeclaims/namespaces/${APP}/web-pvc.json`);
    expect(pvc?.metadata).toMatchObject({ name: "web-pvc", namespace: APP });
    // ConfigMaps are not pods: bia-v1 leaves them alone.
    expect(annotations(itemOf(entries, `resources/configmaps/namespaces/${APP}/settings.json`))["fixture/bia-v1"]).toBeUndefined();
    // What the plugin logged during the backup's calls is in the backup's log, as under Velero.
    const log = gunzipSync(readFileSync(join(backupDir("pa-backup"), "pa-backup-logs.gz"))).toString("utf8");
    expect(log).toMatch(/level=info msg="fixture bia-v1 executing for backup pa-backup" .*backup=vt-pa-velero-[^ /]*\/pa-backup .*pod=web/);
    expect(log).not.toContain("pa-boom");
  });

  it("backup: a pod the plugin refuses makes the backup PartiallyFailed with the plugin's message", async () => {
    const b = await runBackup("pa-boom", { includedNamespaces: [BOOM] });
    expect(b.status?.phase).toBe("PartiallyFailed");
    expect(b.status?.errors ?? 0).toBeGreaterThan(0);
    const results = JSON.stringify(gunzipJson(join(backupDir("pa-boom"), "pa-boom-results.gz")));
    expect(results).toContain(`refusing to back up pod \\"explode\\"`);
    const log = gunzipSync(readFileSync(join(backupDir("pa-boom"), "pa-boom-logs.gz"))).toString("utf8");
    expect(log).toContain(`refusing to back up pod \\"explode\\"`);
    // As Velero: the refused pod is not in the tarball, but it is in the resource list and counted
    // (Velero adds an item to its backed-up set before running the actions)
    expect(tarOf("pa-boom").map((e) => e.name)).not.toContain(`resources/pods/namespaces/${BOOM}/explode.json`);
    const list = gunzipJson(join(backupDir("pa-boom"), "pa-boom-resource-list.json.gz")) as Record<string, string[]>;
    expect(list["v1/Pod"]).toContain(`${BOOM}/explode`);
    expect(b.status?.progress?.itemsBackedUp).toBe(b.status?.progress?.totalItems);
  });

  it("restore: test.io/ria-v1 annotates items, skips skip=true, leaves secrets; built-in velero.io/pod still runs", async () => {
    await kube.delete(GVR.namespaces, APP);
    await eventually(`namespace ${APP} to be deleted`, async () => ((await kube.get(GVR.namespaces, APP)) ? undefined : true), 180_000);
    // PVCs are left out here: test.io/ria-v2 on a PVC makes the restore PartiallyFailed by the
    // fixture's design (see the next test).
    const phases: string[] = [];
    const r = await runRestore("pa-restore", { backupName: "pa-backup", excludedResources: ["persistentvolumeclaims"] }, phases);
    expect(r.status).toMatchObject({ phase: "Completed" });
    expect(r.status, "a zero count is left out, as Go writes it").not.toHaveProperty("errors");
    expect(phases).not.toContain("WaitingForPluginOperations");

    const cm = await kube.get(GVR.configMaps, "settings", APP);
    expect(annotations(cm)["fixture/ria-v1"]).toBe("pa-restore:settings");
    // one call at a time into the plugin process, as Velero makes them (the fixture refuses overlapping calls)
    for (let i = 0; i < 6; i++) expect(annotations(await kube.get(GVR.configMaps, `batch-${i}`, APP))["fixture/ria-v1"]).toBe(`pa-restore:batch-${i}`);
    const web = await kube.get(GVR.pods, "web", APP);
    expect(annotations(web)["fixture/ria-v1"]).toBe("pa-restore:web");
    expect(annotations(web)["fixture/bia-v1"]).toBe("pa-backup");
    // velero.io/pod (built-in) dropped the legacy token volume (the backed-up pod had it).
    expect(((web?.spec as { volumes?: { name: string }[] }).volumes ?? []).map((v) => v.name)).not.toContain(TOKEN_VOLUME);
    const secret = await kube.get(GVR.secrets, "creds", APP);
    expect(secret).toBeDefined();
    expect(annotations(secret)["fixture/ria-v1"]).toBeUndefined();
    expect(await kube.get(GVR.configMaps, "cm-skip", APP)).toBeUndefined();
    expect(await kube.get(GVR.persistentVolumeClaims, "web-pvc", APP)).toBeUndefined();

    const list = gunzipJson(join(restoreDir("pa-restore"), "restore-pa-restore-resource-list.json.gz")) as Record<string, string[]>;
    const cmEntries = list["v1/ConfigMap"] ?? [];
    expect(cmEntries.some((e) => e.startsWith(`${APP}/settings`))).toBe(true);
    expect(cmEntries.filter((e) => e.includes("cm-skip")).every((e) => e.includes("skipped"))).toBe(true);
    const log = gunzipSync(readFileSync(join(restoreDir("pa-restore"), "restore-pa-restore-logs.gz"))).toString("utf8");
    expect(log).toContain("skipping restore because a registered plugin discarded it");
    expect(log).toContain("test.io/ria-v1");
    expect(log, "the plugin's own log lines during the restore's calls").toContain('msg="fixture ria-v1 executing for restore pa-restore"');
  });

  it("restore: test.io/ria-v2 on a PVC runs its async operation, then fails waiting for an additional item the backup lacks", async () => {
    const phases: string[] = [];
    // "0s" is what `velero restore create` writes without --item-operation-timeout: the server's default applies.
    const r = await runRestore("pa-restore-pvc", { backupName: "pa-backup", includedResources: ["persistentvolumeclaims"], itemOperationTimeout: "0s" }, phases);
    expect(r.spec.itemOperationTimeout).toBe("4h0m0s");
    expect(r.status).toMatchObject({ phase: "PartiallyFailed", restoreItemOperationsAttempted: 1, restoreItemOperationsCompleted: 1 });
    const pvc = await kube.get(GVR.persistentVolumeClaims, "web-pvc", APP);
    expect(annotations(pvc)["fixture/ria-v1"]).toBe("pa-restore-pvc:web-pvc");
    const results = JSON.stringify(gunzipJson(join(restoreDir("pa-restore-pvc"), "restore-pa-restore-pvc-results.gz")));
    expect(results).toContain("web-pvc-pvc: it is not in the backup");
    expect(results).toContain("are not ready to use");
    const ops = gunzipJson(join(restoreDir("pa-restore-pvc"), "restore-pa-restore-pvc-itemoperations.json.gz")) as { spec: Record<string, unknown>; status: Record<string, unknown> }[];
    expect(ops).toEqual([
      expect.objectContaining({
        spec: expect.objectContaining({ restoreItemAction: "test.io/ria-v2", operationID: "rop-web-pvc" }),
        status: expect.objectContaining({ phase: "Completed", description: "done rop-web-pvc" }),
      }),
    ]);
  });
});
