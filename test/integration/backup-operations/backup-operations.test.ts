// Asynchronous BackupItemAction v2 operations are followed to the end against the REAL control
// plane: `velero server` (startServer) runs the fixture plugin (test/fixtures/plugins/fixture-plugin.ts)
// whose test.io/bia-v2 applies to pods labelled app=x in namespace ns1, starts operation
// "op-<pod>" and names `<pod>-pvc` as its post-operation item; its Progress answers "completed".
// The backup goes WaitingForPluginOperations → Finalizing → Completed; the backup-operations
// controller records the operation's progress in <b>-itemoperations.json.gz and the finalizer
// re-backs-up the PVC into the tarball (the backup itself only includes pods), then rewrites
// velero-backup.json with the final phase.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Backup, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { GVR } from "../../../host/src/kube/gvr.ts";
import type { HttpKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import type { RunningServer } from "../../../host/src/server/server.ts";
import { readVeleroTarball } from "../../helpers/velero-tarball.ts";
import { backupDir as bucketBackupDir, createNamespaces, eventually, runToEnd, setUpVeleroEnv, startVeleroServer, tearDownVelero, type VeleroTestEnv } from "../../helpers/velero-server.ts";

const suffix = randomBytes(3).toString("hex");
/** The fixture's test.io/bia-v2 only applies in this namespace. */
const NS = "ns1";
const POD = `web-${suffix}`;
const VELERO = `vt-bo-velero-${suffix}`;

describe("asynchronous backup item operations (real API server, fixture plugin)", () => {
  let env: VeleroTestEnv | undefined;
  let kube: HttpKubeClient;
  let server: RunningServer | undefined;
  let bucketRoot: string;
  let createdNs = false;

  const backupDir = (name: string) => bucketBackupDir(bucketRoot, name);

  beforeAll(async () => {
    env = await setUpVeleroEnv("vt-backup-operations-", { fixturePlugin: true });
    ({ kube, bucketRoot } = env);

    await createNamespaces(kube, [VELERO]);
    if (!(await kube.get(GVR.namespaces, NS))) {
      await kube.create(GVR.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } });
      createdNs = true;
    }
    await kube.create(GVR.persistentVolumeClaims, {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: `${POD}-pvc`, namespace: NS, labels: { suite: suffix } },
      spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, storageClassName: "" },
    } as unknown as UnstructuredItem);
    await eventually("pod to be created", () =>
      kube
        .create(GVR.pods, {
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name: POD, namespace: NS, labels: { app: "x", suite: suffix } },
          spec: { containers: [{ name: "main", image: "busybox" }] },
        } as unknown as UnstructuredItem)
        .then(() => true),
    );
    server = await startVeleroServer(env, VELERO, { logEnv: "VT_BACKUP_OPERATIONS_LOG", backupSyncPeriod: "5s" });
  }, 300_000);

  afterAll(async () => {
    await tearDownVelero(env, server, [...(createdNs ? [NS] : []), VELERO], async (k) => {
      await k.delete(GVR.pods, POD, NS).catch(() => undefined);
      await k.delete(GVR.persistentVolumeClaims, `${POD}-pvc`, NS).catch(() => undefined);
    });
  });

  it("WaitingForPluginOperations → Completed, operation Completed in the bucket, post-operation PVC in the tarball", async () => {
    const name = `bo-${suffix}`;
    const phases: string[] = [];
    const b = await runToEnd<Backup>(
      kube,
      "Backup",
      VELERO,
      name,
      { includedNamespaces: [NS], includedResources: ["pods"], labelSelector: { matchLabels: { suite: suffix } } },
      { timeoutMs: 120_000, phases },
    );
    expect(b.status).toMatchObject({
      phase: "Completed",
      errors: 0,
      backupItemOperationsAttempted: 1,
      backupItemOperationsCompleted: 1,
      backupItemOperationsFailed: 0,
    });
    expect(b.status?.completionTimestamp).toBeTruthy();
    expect(phases.at(-1)).toBe("Completed");

    const stored = JSON.parse(readFileSync(join(backupDir(name), "velero-backup.json"), "utf8")) as Backup;
    expect(stored).toMatchObject({ apiVersion: "velero.io/v1", kind: "Backup", status: { phase: "Completed", backupItemOperationsCompleted: 1 } });

    const ops = JSON.parse(gunzipSync(readFileSync(join(backupDir(name), `${name}-itemoperations.json.gz`))).toString("utf8")) as unknown[];
    expect(ops).toEqual([
      {
        spec: expect.objectContaining({
          backupName: name,
          backupItemAction: "test.io/bia-v2",
          operationID: `op-${POD}`,
          resourceIdentifier: { Group: "", Resource: "pods", Namespace: NS, Name: POD },
          postOperationItems: [{ Group: "", Resource: "persistentvolumeclaims", Namespace: NS, Name: `${POD}-pvc` }],
        }),
        status: expect.objectContaining({
          phase: "Completed",
          nCompleted: 5,
          nTotal: 5,
          operationUnits: "bytes",
          description: `done op-${POD}`,
          started: "2024-01-02T03:04:05Z",
          updated: "2024-01-02T03:04:06Z",
        }),
      },
    ]);

    const entries = readVeleroTarball(readFileSync(join(backupDir(name), `${name}.tar.gz`)));
    const names = entries.map((e) => e.name);
    const pod = entries.find((e) => e.name === `resources/pods/namespaces/${NS}/${POD}.json`);
    expect(JSON.parse(pod?.data.toString("utf8") ?? "{}").metadata.annotations).toMatchObject({ "fixture/bia-v2": name });
    // The PVC is not in the backup's resources: only the finalizer's re-backup brings it in.
    for (const path of [`resources/persistentvolumeclaims/namespaces/${NS}/${POD}-pvc.json`, `resources/persistentvolumeclaims/v1-preferredversion/namespaces/${NS}/${POD}-pvc.json`]) {
      expect(names).toContain(path);
    }
    expect(names.filter((n) => n === `resources/pods/namespaces/${NS}/${POD}.json`)).toHaveLength(1);
    expect(names).toContain("metadata/version");
  });
});
