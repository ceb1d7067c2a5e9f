// --object-store-timeout against the real control plane: an object store plugin (a real plugin
// process, the fixture plugin) that stops answering fails the backup, the restore or the location's
// validation with the plugin and the call named, and the backups queued behind it still run. (Velero
// waits for ever: one silent store holds every backup and the validation of every location.)
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Backup, BackupStorageLocation, Restore, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { GVR } from "../../../host/src/kube/gvr.ts";
import type { RunningServer } from "../../../host/src/server/server.ts";
import { createNamespaces, eventually, runToEnd, setUpVeleroEnv, startVeleroServer, tearDownVelero, type VeleroTestEnv } from "../../helpers/velero-server.ts";

const VELERO = "vt-ostimeout";
const APP = "vt-ostimeout-app";
const LIMIT = "2s";

describe("object store calls with no answer (--object-store-timeout 2s, fixture plugin)", () => {
  let env: VeleroTestEnv;
  let server: RunningServer;

  /** A location on the fixture plugin's filesystem store, whose calls named in `hang` never answer. */
  const fixtureLocation = async (name: string, hang: string): Promise<void> => {
    await mkdir(join(env.bucketRoot, name));
    await env.kube.create(GVR.backupStorageLocations, {
      apiVersion: "velero.io/v1",
      kind: "BackupStorageLocation",
      metadata: { namespace: VELERO, name },
      spec: { provider: "test.io/store", objectStorage: { bucket: name }, config: { path: env.bucketRoot, hang }, validationFrequency: "1h" },
    } as unknown as UnstructuredItem);
  };
  const location = async (name: string) => (await env.kube.get(GVR.backupStorageLocations, name, VELERO)) as unknown as BackupStorageLocation | undefined;

  beforeAll(async () => {
    env = await setUpVeleroEnv("vt-ostimeout-", { fixturePlugin: true });
    await createNamespaces(env.kube, [VELERO, APP]);
    await env.kube.create(GVR.configMaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { namespace: APP, name: "cm" }, data: { k: "v" } });
    server = await startVeleroServer(env, VELERO, { logEnv: "VT_OSTIMEOUT_LOG", objectStoreTimeout: LIMIT });
  }, 120_000);
  afterAll(async () => {
    await tearDownVelero(env, server, [VELERO, APP]);
  });

  it("a location whose store never answers the listing is Unavailable, naming the call", async () => {
    await fixtureLocation("silent", "list");
    const l = await eventually("location silent to be validated", async () => {
      const got = await location("silent");
      return got?.status?.phase ? got : undefined;
    });
    expect(l.status?.phase).toBe("Unavailable");
    expect(l.status?.message).toBe(
      'BackupStorageLocation "silent" is unavailable: ObjectStore plugin "test.io/store": ListCommonPrefixes got no answer within 2s: the plugin, or the storage it talks to, stopped responding; the call was cancelled',
    );
  });

  it("a backup whose tarball upload stalls fails naming the call; the backup queued behind it completes", async () => {
    await fixtureLocation("stalls", "put:.tar.gz");
    await eventually("location stalls to be Available", async () => (await location("stalls"))?.status?.phase === "Available");
    const stalled = runToEnd<Backup>(env.kube, "Backup", VELERO, "b-stalls", { includedNamespaces: [APP], storageLocation: "stalls" }, { timeoutMs: 60_000 });
    const next = runToEnd<Backup>(env.kube, "Backup", VELERO, "b-after", { includedNamespaces: [APP] }, { timeoutMs: 60_000 });
    const [failed, completed] = await Promise.all([stalled, next]);
    expect(failed.status?.phase).toBe("Failed");
    expect(failed.status?.failureReason).toMatch(/^error uploading backup: .*ObjectStore plugin "test\.io\/store": PutObject made no progress for 2s: the plugin, or the storage it talks to, stopped responding/);
    expect(completed.status?.phase).toBe("Completed");
  });

  it("a restore whose tarball download never starts fails naming the call", async () => {
    await fixtureLocation("nodownload", "get:.tar.gz");
    await eventually("location nodownload to be Available", async () => (await location("nodownload"))?.status?.phase === "Available");
    const backup = await runToEnd<Backup>(env.kube, "Backup", VELERO, "b-nodownload", { includedNamespaces: [APP], storageLocation: "nodownload" }, { timeoutMs: 60_000 });
    expect(backup.status?.phase).toBe("Completed");
    const restore = await runToEnd<Restore>(env.kube, "Restore", VELERO, "r-nodownload", { backupName: "b-nodownload", includedNamespaces: [APP] }, { timeoutMs: 60_000 });
    expect(restore.status?.phase).toBe("Failed");
    expect(restore.status?.failureReason).toMatch(/ObjectStore plugin "test\.io\/store": GetObject sent nothing for 2s: the plugin, or the storage it talks to, stopped responding/);
  });
});
