// EnableAPIGroupVersions end to end against the REAL API server: `velero server`'s composition root
// (startServer) with the velero.io/filesystem object store, a CRD serving v1 and v2beta1
// (conversion None, storage v2beta1) and one instance. Without the flag only the preferred version
// is backed up; with it every served version, the preferred one marked `-preferredversion`. Restores
// (into mapped namespaces) follow Velero's priorities as the CRD's served versions change: cluster
// preferred, the user's ConfigMap (and a malformed one), backup preferred, the common version, and
// nothing in common. The version restored is read from the restore's resource list and log.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Backup, Restore, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { GVR } from "../../../host/src/kube/gvr.ts";
import { createKubeClient, type HttpKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import { startServer, type RunningServer } from "../../../host/src/server/server.ts";
import { createLogger, createSilentLogger } from "../../../host/src/shared/logging.ts";
import {
  backupDir,
  backupTarball,
  createFilesystemLocation,
  createNamespaces,
  eventually,
  locationAvailable,
  restoreDir,
  runToEnd,
  setUpVeleroEnv,
  tearDownVelero,
  type VeleroTestEnv,
} from "../../helpers/velero-server.ts";
import { schemalessCrd, type CrdVersion } from "../../helpers/crd.ts";

const suffix = randomBytes(3).toString("hex");
const APP = `vt-agv-app-${suffix}`;
const VELERO = `vt-agv-velero-${suffix}`;
const GROUP = `agv${suffix}.example.io`;
const CRD = `widgets.${GROUP}`;
const widgets = (version: string) => ({ group: GROUP, version, resource: "widgets" });
const dst = (n: string) => `vt-agv-${n}-${suffix}`;

const crd = (versions: CrdVersion[]): UnstructuredItem => schemalessCrd({ group: GROUP, kind: "Widget", plural: "widgets", versions });

describe("EnableAPIGroupVersions (real API server, filesystem object store)", () => {
  let env: VeleroTestEnv | undefined;
  let kube: HttpKubeClient;
  let server: RunningServer | undefined;

  async function start(features: string[]): Promise<void> {
    await server?.stop();
    server = await startServer({
      kube,
      namespace: VELERO,
      pluginDir: env!.pluginDir,
      metricsAddress: "127.0.0.1:0",
      storeValidationFrequency: "1s",
      // The per-restore log follows --log-level: the version choice is logged at debug.
      logLevel: "debug",
      features,
      logger: process.env.VT_APIGV_LOG === "1" ? createLogger({ level: "debug" }) : createSilentLogger(),
    });
    await locationAvailable(kube, VELERO);
  }

  /** Applies the CRD and waits until discovery serves exactly `served` with `preferred` preferred. */
  async function serveVersions(versions: CrdVersion[], preferred: string): Promise<void> {
    await kube.apply(GVR.customResourceDefinitions, crd(versions), { fieldManager: "vt-test", force: true });
    const want = versions.filter((v) => v.served).map((v) => v.name).sort();
    // Watched through a client of its own: the server's (shared) client keeps its cached discovery,
    // so each restore must refresh discovery itself to see the new versions.
    const probe = createKubeClient({ kubeconfig: env!.endpoints.kubeconfig });
    try {
      await eventually(`discovery to serve ${CRD} at ${want.join(",")} (preferred ${preferred})`, async () => {
        probe.invalidateDiscovery();
        const found = (await probe.discover()).filter((r) => r.group === GROUP && r.resource === "widgets");
        return found.map((r) => r.version).sort().join(",") === want.join(",") && found.some((r) => r.preferred && r.version === preferred);
      });
    } finally {
      await probe.close();
    }
  }

  const widgetEntries = (backup: string) =>
    backupTarball(env!.bucketRoot, backup)
      .filter((e) => e.name.startsWith(`resources/${CRD}/`))
      .map((e) => ({ name: e.name, item: JSON.parse(e.data.toString("utf8")) as UnstructuredItem }))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  const gunzipped = (path: string): string => (existsSync(path) ? gunzipSync(readFileSync(path)).toString("utf8") : "");
  const restoreResourceList = (name: string): Record<string, string[]> =>
    JSON.parse(gunzipped(join(restoreDir(env!.bucketRoot, name), `restore-${name}-resource-list.json.gz`)) || "{}") as Record<string, string[]>;
  const restoreLog = (name: string): string => gunzipped(join(restoreDir(env!.bucketRoot, name), `restore-${name}-logs.gz`));

  /** Restores the flagged backup's app namespace into `target` (CRDs left alone) and returns the restore. */
  async function restoreInto(name: string, target: string, backupName = "with-flag"): Promise<Restore> {
    return runToEnd<Restore>(kube, "Restore", VELERO, name, { backupName, namespaceMapping: { [APP]: target }, excludedResources: ["customresourcedefinitions"] });
  }

  beforeAll(async () => {
    env = await setUpVeleroEnv("vt-apigv-");
    kube = env.kube;
    await createNamespaces(kube, [APP, VELERO]);
    await createFilesystemLocation(kube, VELERO, env.bucketRoot);
    await serveVersions(
      [
        { name: "v1", served: true, storage: false },
        { name: "v2beta1", served: true, storage: true },
      ],
      "v1",
    );
    await kube.create(widgets("v1"), { apiVersion: `${GROUP}/v1`, kind: "Widget", metadata: { name: "w1", namespace: APP }, spec: { size: 3 } } as unknown as UnstructuredItem);

    await start([]);
    const plain = await runToEnd<Backup>(kube, "Backup", VELERO, "without-flag", { includedNamespaces: [APP] });
    expect(plain.status?.phase).toBe("Completed");
    await start(["EnableAPIGroupVersions"]);
    const flagged = await runToEnd<Backup>(kube, "Backup", VELERO, "with-flag", { includedNamespaces: [APP] });
    expect(flagged.status?.phase).toBe("Completed");
  });

  afterAll(async () => {
    // Its CRD (uniquely named) stays: deleting a CRD while another suite's real Velero backs up makes
    // that backup PartiallyFailed (Velero LISTs the resources its discovery cached, and gets a 404).
    await tearDownVelero(env, server, [APP, VELERO, ...["p1", "cm", "badcm", "p2", "p3", "none"].map(dst)]);
  });

  it("backs up only the preferred version without the flag", () => {
    const entries = widgetEntries("without-flag");
    expect(entries.map((e) => e.name)).toEqual([`resources/${CRD}/namespaces/${APP}/w1.json`, `resources/${CRD}/v1-preferredversion/namespaces/${APP}/w1.json`]);
    expect(entries.map((e) => e.item.apiVersion)).toEqual([`${GROUP}/v1`, `${GROUP}/v1`]);
  });

  it("backs up every served version with the flag, the preferred one also at the plain path", () => {
    const entries = widgetEntries("with-flag");
    expect(entries.map((e) => e.name)).toEqual([
      `resources/${CRD}/namespaces/${APP}/w1.json`,
      `resources/${CRD}/v1-preferredversion/namespaces/${APP}/w1.json`,
      `resources/${CRD}/v2beta1/namespaces/${APP}/w1.json`,
    ]);
    expect(entries.map((e) => e.item.apiVersion)).toEqual([`${GROUP}/v1`, `${GROUP}/v1`, `${GROUP}/v2beta1`]);
    for (const { item } of entries) expect(item).toMatchObject({ kind: "Widget", metadata: { name: "w1", namespace: APP }, spec: { size: 3 } });
    const resourceList = JSON.parse(gunzipped(join(backupDir(env!.bucketRoot, "with-flag"), "with-flag-resource-list.json.gz"))) as Record<string, string[]>;
    expect(resourceList[`${GROUP}/v1/Widget`]).toEqual([`${APP}/w1`]);
    expect(resourceList[`${GROUP}/v2beta1/Widget`]).toEqual([`${APP}/w1`]);
    expect(gunzipped(join(backupDir(env!.bucketRoot, "with-flag"), "with-flag-logs.gz"))).toContain("The 'EnableAPIGroupVersions' feature flag was specified, using all API group versions.");
  });

  // The cases below run in order: each changes the CRD's served versions for the next.

  it("priority 1: restores the cluster's preferred version (v1, the backup's preferred copy)", async () => {
    const r = await restoreInto("p1", dst("p1"));
    expect(r.status?.phase).toBe("Completed");
    const list = restoreResourceList("p1");
    expect(list[`${GROUP}/v1/Widget`]).toEqual([`${dst("p1")}/w1(created)`]);
    expect(Object.keys(list).filter((k) => k.startsWith(GROUP))).toEqual([`${GROUP}/v1/Widget`]);
    expect(restoreLog("p1")).toContain(`APIGroupVersionsFeatureFlag Priority 1: Cluster preferred API group version v1 found in backup for ${CRD}`);
    expect((await kube.get(widgets("v2beta1"), "w1", dst("p1")))?.spec).toEqual({ size: 3 });
  });

  it("priority 0: the enableapigroupversions ConfigMap puts v2beta1 first", async () => {
    await kube.create(GVR.configMaps, {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "enableapigroupversions", namespace: VELERO },
      data: { restoreResourcesVersionPriority: `${CRD}=v2beta1,v1\nrockbands.music.example.io=v2\n` },
    } as unknown as UnstructuredItem);
    try {
      const r = await restoreInto("cm", dst("cm"));
      expect(r.status?.phase).toBe("Completed");
      expect(restoreResourceList("cm")[`${GROUP}/v2beta1/Widget`]).toEqual([`${dst("cm")}/w1(created)`]);
      expect(restoreResourceList("cm")[`${GROUP}/v1/Widget`]).toBeUndefined();
      expect(restoreLog("cm")).toContain(`APIGroupVersionsFeatureFlag Priority 0: User defined API group version v2beta1 chosen for ${CRD}`);
    } finally {
      await kube.delete(GVR.configMaps, "enableapigroupversions", VELERO);
    }
  });

  it("a malformed ConfigMap is ignored line by line: the default priorities apply", async () => {
    await kube.create(GVR.configMaps, {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "enableapigroupversions", namespace: VELERO },
      data: { restoreResourcesVersionPriority: `${CRD}\n=v2beta1\n${CRD}=v2beta1=v1` },
    } as unknown as UnstructuredItem);
    try {
      const r = await restoreInto("badcm", dst("badcm"));
      expect(r.status?.phase).toBe("Completed");
      expect(Object.keys(restoreResourceList("badcm"))).toContain(`${GROUP}/v1/Widget`);
      const log = restoreLog("badcm");
      expect(log).toContain("Unable to validate user priority versions");
      expect(log).toContain("line must have one and only one equal sign");
      expect(log).toContain("No valid user version priorities found in enableapigroupversion config map. Using pre-defined priorities.");
    } finally {
      await kube.delete(GVR.configMaps, "enableapigroupversions", VELERO);
    }
  });

  it("priority 2: the cluster now prefers v2, which the backup lacks: the backup's preferred v1", async () => {
    await serveVersions(
      [
        { name: "v1", served: true, storage: false },
        { name: "v2", served: true, storage: false },
        { name: "v2beta1", served: true, storage: true },
      ],
      "v2",
    );
    const r = await restoreInto("p2", dst("p2"));
    expect(r.status?.phase).toBe("Completed");
    expect(Object.keys(restoreResourceList("p2"))).toContain(`${GROUP}/v1/Widget`);
    const log = restoreLog("p2");
    expect(log).toContain(`Cannot find cluster preferred API group version in backup. Ignoring version v2 for ${CRD}`);
    expect(log).toContain(`APIGroupVersionsFeatureFlag Priority 2: Cluster preferred API group version not found in backup. Using backup preferred version v1 for ${CRD}`);
  });

  it("priority 3: v1 no longer served: the common non-preferred version v2beta1", async () => {
    await serveVersions(
      [
        { name: "v1", served: false, storage: false },
        { name: "v2", served: true, storage: false },
        { name: "v2beta1", served: true, storage: true },
      ],
      "v2",
    );
    const r = await restoreInto("p3", dst("p3"));
    expect(r.status?.phase).toBe("Completed");
    expect(restoreResourceList("p3")[`${GROUP}/v2beta1/Widget`]).toEqual([`${dst("p3")}/w1(created)`]);
    expect(restoreLog("p3")).toContain(`APIGroupVersionsFeatureFlag Priority 3: Common supported but not preferred API group version v2beta1 chosen for ${CRD}`);
    expect((await kube.get(widgets("v2"), "w1", dst("p3")))?.spec).toEqual({ size: 3 });
  });

  it("nothing in common (a backup made without the flag): the backup's preferred copy, which the cluster rejects", async () => {
    const r = await restoreInto("none", dst("none"), "without-flag");
    expect(r.status?.phase).toBe("PartiallyFailed");
    const log = restoreLog("none");
    expect(log).toContain(`Cannot find non-preferred a common supported API group version. Using v1 (default behavior without feature flag) for ${CRD}`);
    expect(log).toMatch(/error restoring widgets\.[^ ]+\/w1: POST \/apis\/agv[0-9a-f]+\.example\.io\/v1\/namespaces\/[^ ]+\/widgets: 404/);
    expect(await kube.get(widgets("v2"), "w1", dst("none"))).toBeUndefined();
  });
});
