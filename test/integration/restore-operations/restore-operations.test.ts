// Asynchronous RestoreItemAction v2 operations are followed from the bucket against the REAL
// control plane: `velero server` (startServer) runs the fixture plugin
// (test/fixtures/plugins/fixture-plugin.ts) whose test.io/ria-async starts operation
// "rop-async-<name>" on ConfigMaps labelled fixture/async=yes; its Progress answers "running"
// until the Restore carries the annotation fixture/finish=yes, and its Cancel writes a file into
// the directory the Restore's annotation fixture/cancel-dir names.
//
// A restore waiting for such an operation has its log, results, resource list, operations and
// volume info in the bucket already (`velero restore logs` works: a DownloadRequest is answered);
// the server is stopped and a new one started, which picks the restore up from the cluster and
// the bucket and finishes it. A restore whose operation outlives spec.itemOperationTimeout has the
// operation cancelled through the plugin and ends PartiallyFailed. Servers run with
// --item-operation-sync-frequency 1s.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Restore, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { GVR } from "../../../host/src/kube/gvr.ts";
import type { HttpKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import type { RunningServer } from "../../../host/src/server/server.ts";
import { createNamespaces, deleteRestoresWhileServing, eventually, restoreDir as bucketRestoreDir, runToEnd, setUpVeleroEnv, startVeleroServer, tearDownVelero, TERMINAL_PHASES, type VeleroTestEnv } from "../../helpers/velero-server.ts";

const suffix = randomBytes(3).toString("hex");
const APP = `vt-ro-app-${suffix}`;
const VELERO = `vt-ro-velero-${suffix}`;
const BACKUP = `ro-backup-${suffix}`;
const CM = "slow";
const OPERATION = `rop-async-${CM}`;

type StoredOperation = { spec: { restoreItemAction: string; operationID: string }; status: { phase: string; error?: string; description?: string } };

describe("asynchronous restore item operations (real API server, fixture plugin, server restart)", () => {
  let env: VeleroTestEnv | undefined;
  let kube: HttpKubeClient;
  let server: RunningServer | undefined;
  let bucketRoot: string;
  const targets: string[] = [];

  const restoreDir = (name: string) => bucketRestoreDir(bucketRoot, name);
  const restoreFile = (name: string, file: string) => join(restoreDir(name), file);
  const gunzipText = (path: string) => gunzipSync(readFileSync(path)).toString("utf8");
  const operationsOf = (name: string) => JSON.parse(gunzipText(restoreFile(name, `restore-${name}-itemoperations.json.gz`))) as StoredOperation[];
  const getRestore = async (name: string) => (await kube.get(GVR.restores, name, VELERO)) as unknown as Restore | undefined;
  const start = (restart = false) => startVeleroServer(env as VeleroTestEnv, VELERO, { logEnv: "VT_RESTORE_OPERATIONS_LOG", backupSyncPeriod: "5s", itemOperationSyncFrequency: "1s", restart });

  /** Creates a Restore of the backup into a fresh namespace; `annotations` go on the Restore. */
  async function createRestore(name: string, extra: { annotations?: Record<string, string>; itemOperationTimeout?: string } = {}): Promise<void> {
    const target = `${APP}-${name.slice(0, 8)}`;
    targets.push(target);
    await kube.create(GVR.restores, {
      apiVersion: "velero.io/v1",
      kind: "Restore",
      metadata: { namespace: VELERO, name, ...(extra.annotations ? { annotations: extra.annotations } : {}) },
      spec: { backupName: BACKUP, namespaceMapping: { [APP]: target }, ...(extra.itemOperationTimeout ? { itemOperationTimeout: extra.itemOperationTimeout } : {}) },
    } as unknown as UnstructuredItem);
  }

  const phaseOf = async (name: string, wanted: string[], phases: string[], timeoutMs = 120_000): Promise<Restore> =>
    eventually(
      `restore ${name} to reach ${wanted.join("/")}`,
      async () => {
        const r = await getRestore(name);
        const phase = r?.status?.phase ?? "";
        if (phase && !phases.includes(phase)) phases.push(phase);
        return r && wanted.includes(phase) ? r : undefined;
      },
      timeoutMs,
    );

  beforeAll(async () => {
    env = await setUpVeleroEnv("vt-restore-operations-", { fixturePlugin: true });
    ({ kube, bucketRoot } = env);
    await createNamespaces(kube, [APP, VELERO]);
    await kube.create(GVR.configMaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: CM, namespace: APP, labels: { "fixture/async": "yes" } }, data: { k: "v" } } as unknown as UnstructuredItem);
    server = await start();
    const b = await runToEnd<{ status?: { phase?: string } }>(kube, "Backup", VELERO, BACKUP, { includedNamespaces: [APP], includedResources: ["configmaps"], labelSelector: { matchLabels: { "fixture/async": "yes" } } }, { timeoutMs: 120_000 });
    expect(b.status?.phase).toBe("Completed");
  }, 300_000);

  afterAll(async () => {
    if (kube && server) await deleteRestoresWhileServing(kube, VELERO);
    await tearDownVelero(env, server, [APP, ...targets, VELERO]);
  });

  it("waits with its files in the bucket, and a new server (after a restart) finishes it Completed", async () => {
    const name = `ro-restart-${suffix}`;
    const phases: string[] = [];
    await createRestore(name);
    const waiting = await phaseOf(name, ["WaitingForPluginOperations", ...TERMINAL_PHASES], phases);
    expect(waiting.status).toMatchObject({ phase: "WaitingForPluginOperations", restoreItemOperationsAttempted: 1 });
    expect(waiting.status?.completionTimestamp).toBeUndefined();

    // `velero restore logs` / `describe --details` while it waits: the files are stored.
    expect(gunzipText(restoreFile(name, `restore-${name}-logs.gz`))).toContain('msg="restore completed"');
    expect(JSON.parse(gunzipText(restoreFile(name, `restore-${name}-results.gz`)))).toEqual({ errors: {}, warnings: {} });
    expect(existsSync(restoreFile(name, `restore-${name}-resource-list.json.gz`))).toBe(true);
    expect(existsSync(restoreFile(name, `${name}-volumeinfo.json.gz`))).toBe(true);
    expect(operationsOf(name)).toEqual([
      expect.objectContaining({ spec: expect.objectContaining({ restoreItemAction: "test.io/ria-async", operationID: OPERATION }), status: expect.objectContaining({ phase: "InProgress" }) }),
    ]);
    const dr = `dr-${suffix}`;
    await kube.create(GVR.downloadRequests, {
      apiVersion: "velero.io/v1",
      kind: "DownloadRequest",
      metadata: { namespace: VELERO, name: dr },
      spec: { target: { kind: "RestoreLog", name } },
    } as unknown as UnstructuredItem);
    const url = await eventually("the DownloadRequest to be processed", async () => {
      const s = (await kube.get(GVR.downloadRequests, dr, VELERO))?.status as { phase?: string; downloadURL?: string } | undefined;
      return s?.phase === "Processed" ? s.downloadURL : undefined;
    });
    expect(gunzipText(fileURLToPath(url ?? ""))).toContain('msg="restore completed"');

    // The server stops; the operation finishes meanwhile; a new server takes the restore up.
    await server?.stop();
    server = undefined;
    await kube.patch(GVR.restores, name, VELERO, { metadata: { annotations: { "fixture/finish": "yes" } } });
    expect((await getRestore(name))?.status?.phase).toBe("WaitingForPluginOperations");
    server = await start(true);
    const done = await phaseOf(name, TERMINAL_PHASES, phases);
    expect(done.status).toMatchObject({ phase: "Completed", restoreItemOperationsAttempted: 1, restoreItemOperationsCompleted: 1 });
    expect(done.status).not.toHaveProperty("errors");
    expect(done.status?.completionTimestamp).toBeTruthy();
    expect(phases.at(-1)).toBe("Completed");
    expect(operationsOf(name)).toEqual([expect.objectContaining({ status: expect.objectContaining({ phase: "Completed", description: "finished" }) })]);
    expect(await kube.get(GVR.configMaps, CM, targets.at(-1))).toBeDefined();
  }, 240_000);

  it("cancels an operation that outlives spec.itemOperationTimeout through the plugin: PartiallyFailed", async () => {
    const name = `ro-timeout-${suffix}`;
    const cancelDir = env?.root ?? "";
    const phases: string[] = [];
    await createRestore(name, { itemOperationTimeout: "3s", annotations: { "fixture/cancel-dir": cancelDir } });
    const done = await phaseOf(name, TERMINAL_PHASES, phases);
    expect(phases).toContain("WaitingForPluginOperations");
    expect(done.status).toMatchObject({ phase: "PartiallyFailed", errors: 1, restoreItemOperationsAttempted: 1, restoreItemOperationsFailed: 1 });
    expect(done.status).not.toHaveProperty("restoreItemOperationsCompleted");
    expect(operationsOf(name)).toEqual([expect.objectContaining({ status: expect.objectContaining({ phase: "Failed", error: "Asynchronous action timed out" }) })]);
    // Cancel reached the plugin, with the Restore as it is in the cluster.
    const cancelled = JSON.parse(readFileSync(join(cancelDir, `${OPERATION}.cancelled`), "utf8")) as { phase: string; finalizers: string[] };
    expect(cancelled).toEqual({ phase: "WaitingForPluginOperations", finalizers: ["restores.velero.io/external-resources-finalizer"] });
  }, 240_000);
});
