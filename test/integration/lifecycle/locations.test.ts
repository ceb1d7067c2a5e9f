// Backup storage locations as Velero's controller keeps them: a changed spec is validated at once
// (even with validationFrequency 0s), caCert with caCertRef is refused, and the location named by
// --default-backup-storage-location is made default at server start only. Real API server,
// velero server, filesystem object store.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BackupStorageLocation, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { FILESYSTEM_OBJECT_STORE } from "../../../host/src/builtin-plugins/filesystem-object-store.ts";
import { GVR } from "../../../host/src/kube/gvr.ts";
import type { HttpKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import { connect, createBucketRoot, eventually, LifecycleServer } from "./harness.ts";

describe("backup storage locations (real API server, velero server, filesystem store)", () => {
  let kube: HttpKubeClient;
  let server: LifecycleServer;
  let bucketRoot: string;
  const get = async (name: string) => (await kube.get(GVR.backupStorageLocations, name, server.namespace)) as unknown as BackupStorageLocation;

  beforeAll(async () => {
    kube = await connect();
    bucketRoot = await createBucketRoot();
    server = await LifecycleServer.start({ kube, bucketRoot, bucket: "main" });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("refuses caCert with caCertRef, and validates the location again as soon as its spec is fixed (validationFrequency 0s)", async () => {
    await kube.create(GVR.backupStorageLocations, {
      apiVersion: "velero.io/v1",
      kind: "BackupStorageLocation",
      metadata: { namespace: server.namespace, name: "second" },
      spec: {
        provider: FILESYSTEM_OBJECT_STORE,
        config: { path: bucketRoot },
        objectStorage: { bucket: "second", caCert: Buffer.from("not a certificate").toString("base64"), caCertRef: { name: "ca", key: "ca.crt" } },
        validationFrequency: "0s",
      },
    } as unknown as UnstructuredItem);
    const refused = await eventually("the location to be Unavailable", async () => {
      const l = await get("second");
      return l.status?.phase === "Unavailable" ? l : undefined;
    });
    expect(refused.status?.message).toBe('BackupStorageLocation "second" is unavailable: cannot specify both caCert and caCertRef in objectStorage');
    await mkdir(join(bucketRoot, "second"));
    await kube.patch(GVR.backupStorageLocations, "second", server.namespace, { spec: { objectStorage: { caCert: null, caCertRef: null } } });
    await eventually("the fixed location to be Available", async () => (await get("second")).status?.phase === "Available", 10_000);
  });

  it("a filesystem location whose prefix climbs out of its bucket is Unavailable, naming the prefix (it was Available, failed every backup and listed a sibling bucket)", async () => {
    await kube.create(GVR.backupStorageLocations, {
      apiVersion: "velero.io/v1",
      kind: "BackupStorageLocation",
      metadata: { namespace: server.namespace, name: "climbs" },
      spec: { provider: FILESYSTEM_OBJECT_STORE, config: { path: bucketRoot }, objectStorage: { bucket: "main", prefix: "../second" } },
    } as unknown as UnstructuredItem);
    const l = await eventually("location climbs to be validated", async () => {
      const got = await get("climbs");
      return got.status?.phase ? got : undefined;
    });
    expect(l.status?.phase).toBe("Unavailable");
    expect(l.status?.message).toBe(
      'BackupStorageLocation "climbs" is unavailable: object store "velero.io/filesystem": invalid prefix "../second" (spec.objectStorage.prefix): contains a ".." segment; use a path inside the bucket such as "cluster-a"',
    );
  });

  it("has created Velero's repository password Secret in its namespace at start (velero-repo-credentials)", async () => {
    const secret = (await kube.get(GVR.secrets, "velero-repo-credentials", server.namespace)) as unknown as { data?: Record<string, string> } | undefined;
    expect(Buffer.from(secret?.data?.["repository-password"] ?? "", "base64").toString()).toBe("static-passw0rd");
  });

  it("does not make the --default-backup-storage-location location default again once a user unset it (only at server start)", async () => {
    expect((await get("default")).spec.default).toBe(true);
    await kube.patch(GVR.backupStorageLocations, "default", server.namespace, { spec: { default: false } });
    const validated = (await get("default")).status?.lastValidationTime;
    // several reconciles later (the server validates every second here)
    await eventually("the location to be validated again", async () => (await get("default")).status?.lastValidationTime !== validated, 10_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await get("default")).spec.default).toBe(false);
  });
});
