// Asynchronous BackupItemAction v2 operations are followed to the end against the REAL control
// plane: `velero server` (startServer) runs the fixture plugin (test/fixtures/plugins/fixture-plugin.ts)
// whose test.io/bia-v2 applies to pods labelled app=x in namespace ns1, starts operation
// "op-<pod>" and names `<pod>-pvc` as its post-operation item; its Progress answers "completed".
// The backup goes WaitingForPluginOperations → Finalizing → Completed; the backup-operations
// controller records the operation's progress in <b>-itemoperations.json.gz and the finalizer
// re-backs-up the PVC into the tarball (the backup itself only includes pods), then rewrites
// velero-backup.json with the final phase.
//
// The server runs with --item-operation-sync-frequency 1s. A second pod ("slow-…") has an operation
// that is still running at the first check; its PVC carries app=x, so when the finalizer backs it
// up again test.io/bia-v2 runs on it (Velero re-runs the backup item actions on post-operation
// items): it annotates the PVC and names the ConfigMap "<pvc>-cm" as an additional item.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
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
/** The claims' class: one no PV has, so they stay Pending (with "" the PV controller binds them to any Available PV without a class that another test running beside this one has created). */
const UNBOUND_CLASS = `vt-unbound-${suffix}`;
/** The fixture's test.io/bia-v2 only applies in this namespace. */
const NS = "ns1";
const POD = `web-${suffix}`;
const SLOW = `slow-${suffix}`;
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
      spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, storageClassName: UNBOUND_CLASS },
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
    // The slow operation's pod, its PVC (app=x: test.io/bia-v2 applies to it) and the ConfigMap the action adds.
    await kube.create(GVR.persistentVolumeClaims, {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: `${SLOW}-pvc`, namespace: NS, labels: { app: "x", suite: `${suffix}-slow` } },
      spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, storageClassName: UNBOUND_CLASS },
    } as unknown as UnstructuredItem);
    await kube.create(GVR.configMaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `${SLOW}-pvc-cm`, namespace: NS }, data: { k: "v" } } as unknown as UnstructuredItem);
    await eventually("slow pod to be created", () =>
      kube
        .create(GVR.pods, {
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name: SLOW, namespace: NS, labels: { app: "x", suite: `${suffix}-slow` } },
          spec: { containers: [{ name: "main", image: "busybox" }] },
        } as unknown as UnstructuredItem)
        .then(() => true),
    );
    server = await startVeleroServer(env, VELERO, { logEnv: "VT_BACKUP_OPERATIONS_LOG", backupSyncPeriod: "5s", itemOperationSyncFrequency: "1s" });
  }, 300_000);

  afterAll(async () => {
    await tearDownVelero(env, server, [...(createdNs ? [NS] : []), VELERO], async (k) => {
      await k.delete(GVR.pods, POD, NS).catch(() => undefined);
      await k.delete(GVR.persistentVolumeClaims, `${POD}-pvc`, NS).catch(() => undefined);
      await k.delete(GVR.pods, SLOW, NS).catch(() => undefined);
      await k.delete(GVR.pods, `${SLOW}-cut`, NS).catch(() => undefined);
      await k.delete(GVR.persistentVolumeClaims, `${SLOW}-pvc`, NS).catch(() => undefined);
      await k.delete(GVR.configMaps, `${SLOW}-pvc-cm`, NS).catch(() => undefined);
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
      backupItemOperationsAttempted: 1,
      backupItemOperationsCompleted: 1,
    });
    // zero counts left out, as Go writes them (omitempty)
    expect(b.status).not.toHaveProperty("errors");
    expect(b.status).not.toHaveProperty("backupItemOperationsFailed");
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

  it("a waiting backup whose tarball disappeared from the bucket ends Failed with the reason, not Completed", async () => {
    const name = `bo-cut-${suffix}`;
    // a slow operation of its own (the fixture counts the calls per operation)
    const pod = `${SLOW}-cut`;
    await eventually("the pod to be created", () =>
      kube
        .create(GVR.pods, {
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name: pod, namespace: NS, labels: { app: "x", suite: `${suffix}-cut` } },
          spec: { containers: [{ name: "main", image: "busybox" }] },
        } as unknown as UnstructuredItem)
        .then(() => true),
    );
    await kube.create(GVR.backups, {
      apiVersion: "velero.io/v1",
      kind: "Backup",
      metadata: { namespace: VELERO, name },
      spec: { includedNamespaces: [NS], includedResources: ["pods"], labelSelector: { matchLabels: { suite: `${suffix}-cut` } } },
    } as unknown as UnstructuredItem);
    await eventually("the backup to wait for its operation", async () => ((await kube.get(GVR.backups, name, VELERO))?.status as { phase?: string } | undefined)?.phase === "WaitingForPluginOperations", 60_000);
    await rm(join(backupDir(name), `${name}.tar.gz`));
    const b = await eventually(
      "the backup to end",
      async () => {
        const cur = (await kube.get(GVR.backups, name, VELERO)) as unknown as Backup;
        return ["Completed", "PartiallyFailed", "Failed"].includes(cur.status?.phase ?? "") ? cur : undefined;
      },
      60_000,
    );
    expect(b.status).toMatchObject({ phase: "Failed", failureReason: `backup cannot be finished: its tarball (${name}.tar.gz) is missing from object storage` });
  });

  it("checks a running operation again after --item-operation-sync-frequency, and the finalizer runs the backup item actions on its post-operation item (annotation, additional item)", async () => {
    const name = `bo-slow-${suffix}`;
    const phases: string[] = [];
    let waitingSince = 0;
    const watch = setInterval(() => {
      void kube.get(GVR.backups, name, VELERO).then((b) => {
        if (!waitingSince && (b?.status as { phase?: string } | undefined)?.phase === "WaitingForPluginOperations") waitingSince = Date.now();
      });
    }, 100);
    let b: Backup;
    try {
      b = await runToEnd<Backup>(
        kube,
        "Backup",
        VELERO,
        name,
        { includedNamespaces: [NS], includedResources: ["pods"], labelSelector: { matchLabels: { suite: `${suffix}-slow` } } },
        { timeoutMs: 120_000, phases },
      );
    } finally {
      clearInterval(watch);
    }
    const finishedAfterMs = Date.now() - waitingSince;
    expect(b.status).toMatchObject({ phase: "Completed", backupItemOperationsAttempted: 1, backupItemOperationsCompleted: 1 });
    // zero counts left out, as Go writes them (omitempty)
    expect(b.status).not.toHaveProperty("errors");
    expect(phases).toContain("WaitingForPluginOperations");
    // The first check finds the operation running; the next one comes after 1s (the default would be 10s).
    expect(waitingSince).toBeGreaterThan(0);
    expect(finishedAfterMs).toBeLessThan(8_000);
    const ops = JSON.parse(gunzipSync(readFileSync(join(backupDir(name), `${name}-itemoperations.json.gz`))).toString("utf8")) as { status: { phase: string } }[];
    expect(ops.map((o) => o.status.phase)).toEqual(["Completed"]);

    const entries = readVeleroTarball(readFileSync(join(backupDir(name), `${name}.tar.gz`)));
    const item = (path: string) => {
      const e = entries.find((x) => x.name === path);
      return e ? (JSON.parse(e.data.toString("utf8")) as UnstructuredItem) : undefined;
    };
    // Re-backed-up through test.io/bia-v2 (the cluster's PVC carries no such annotation).
    for (const path of [`resources/persistentvolumeclaims/namespaces/${NS}/${SLOW}-pvc.json`, `resources/persistentvolumeclaims/v1-preferredversion/namespaces/${NS}/${SLOW}-pvc.json`]) {
      expect(item(path)?.metadata.annotations).toMatchObject({ "fixture/bia-v2": name });
    }
    expect((await kube.get(GVR.persistentVolumeClaims, `${SLOW}-pvc`, NS))?.metadata.annotations?.["fixture/bia-v2"]).toBeUndefined();
    // Its additional item is added although the backup only includes pods (finalize skips the exclusion checks).
    expect(item(`resources/configmaps/namespaces/${NS}/${SLOW}-pvc-cm.json`)?.data).toEqual({ k: "v" });
    expect(entries.filter((e) => e.name.startsWith("resources/pods/")).map((e) => e.name)).toEqual([
      `resources/pods/namespaces/${NS}/${SLOW}.json`,
      `resources/pods/v1-preferredversion/namespaces/${NS}/${SLOW}.json`,
    ]);
  });
});
