// EnableAPIGroupVersions against the oracle: real Velero v1.18.1 (Go, with the Go
// velero-plugin-for-aws) and velero-ts (our AWS plugin), both started with
// --features=EnableAPIGroupVersions on one API server and one moto bucket. A CRD serves v1 and
// v2beta1 (conversion None, storage v2beta1) and has one instance. Both back up its namespace: the
// tarballs hold the same entries with the same item JSON. Then each restores the OTHER's backup
// with an `enableapigroupversions` ConfigMap preferring v2beta1: both restore that version.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { CreateBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import { installCrds } from "../../../host/src/kube/crds.ts";
import { GVR } from "../../../host/src/kube/gvr.ts";
import { HttpKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import { loadKubeConfig } from "../../../host/src/kube/kube-config.ts";
import type { RunningServer } from "../../../host/src/server/server.ts";
import { loadEndpoints } from "../../helpers/endpoints.ts";
import { readVeleroTarball } from "../../helpers/velero-tarball.ts";
import { bucketObject, eventually, motoS3, RealVeleroServer, startRealVeleroBeside, startVeleroTsBeside, suffix, tearDownSideBySide, waitTerminal } from "./harness.ts";
import { schemalessCrd } from "../../helpers/crd.ts";

const SFX = suffix();
const BUCKET = `vt-agv-compat-${SFX}`;
const GO_NS = `vt-agv-go-${SFX}`;
const TS_NS = `vt-agv-ts-${SFX}`;
const APP = `vt-agv-capp-${SFX}`;
const GROUP = `agvc${SFX}.example.io`;
const CRD = `widgets.${GROUP}`;
const GO_BACKUP = `agv-by-velero-${SFX}`;
const TS_BACKUP = `agv-by-velero-ts-${SFX}`;
const FEATURE = "EnableAPIGroupVersions";

let kube: HttpKubeClient;
let s3: S3Client;
let work: string;
let velero: RealVeleroServer | undefined;
let ours: RunningServer | undefined;

async function tarEntries(backup: string): Promise<Map<string, string>> {
  const tar = readVeleroTarball(await bucketObject(s3, BUCKET, `backups/${backup}/${backup}.tar.gz`));
  return new Map(tar.filter((e) => e.type === "0").map((e) => [e.name, e.data.toString("utf8")]));
}

async function restoredWidgetVersions(restore: string): Promise<string[]> {
  const list = JSON.parse(gunzipSync(await bucketObject(s3, BUCKET, `restores/${restore}/restore-${restore}-resource-list.json.gz`)).toString("utf8")) as Record<string, string[]>;
  return Object.keys(list).filter((k) => k.startsWith(`${GROUP}/`));
}

function priorityConfigMap(namespace: string): UnstructuredItem {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { namespace, name: "enableapigroupversions" },
    data: { restoreResourcesVersionPriority: `${CRD}=v2beta1,v1\n` },
  } as unknown as UnstructuredItem;
}

function restoreCr(namespace: string, name: string, backupName: string, target: string): UnstructuredItem {
  return {
    apiVersion: "velero.io/v1",
    kind: "Restore",
    metadata: { namespace, name },
    spec: { backupName, includedNamespaces: [APP], excludedResources: ["customresourcedefinitions"], namespaceMapping: { [APP]: target } },
  } as unknown as UnstructuredItem;
}

beforeAll(async () => {
  const ep = loadEndpoints();
  work = await mkdtemp(join(tmpdir(), "vt-agv-compat-"));
  kube = new HttpKubeClient(loadKubeConfig({ kubeconfig: ep.kubeconfig }));
  await installCrds(kube);
  s3 = motoS3(ep);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));

  await kube.apply(
    GVR.customResourceDefinitions,
    schemalessCrd({
      group: GROUP,
      kind: "Widget",
      plural: "widgets",
      versions: [
        { name: "v1", served: true, storage: false },
        { name: "v2beta1", served: true, storage: true },
      ],
    }),
    { fieldManager: "vt-test" },
  );
  await eventually(`${CRD} to be served at v1 and v2beta1`, async () => {
    kube.invalidateDiscovery();
    return (await kube.discover()).filter((r) => r.group === GROUP).length === 2;
  });
  await kube.create(GVR.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: APP } });
  await kube.create({ group: GROUP, version: "v1", resource: "widgets" }, { apiVersion: `${GROUP}/v1`, kind: "Widget", metadata: { namespace: APP, name: "w1" }, spec: { size: 3 } } as unknown as UnstructuredItem);

  // Real Velero with the Go AWS plugin.
  velero = (
    await startRealVeleroBeside(kube, {
      namespace: GO_NS,
      bucket: BUCKET,
      work,
      extraArgs: [`--features=${FEATURE}`, "--backup-sync-period=3s", "--store-validation-frequency=3s"],
      // Velero reads the priority ConfigMap through a client built from the CLIENT configuration
      // ($KUBECONFIG or in-cluster), not from --kubeconfig: out of cluster it needs $KUBECONFIG.
      extraEnv: { KUBECONFIG: ep.kubeconfig },
      beforeStart: async () => void (await kube.create(GVR.configMaps, priorityConfigMap(GO_NS))),
    })
  ).server;

  // velero-ts with our AWS plugin (the priority ConfigMap is read at restore time)
  ours = await startVeleroTsBeside(kube, { namespace: TS_NS, bucket: BUCKET, work, credentialsFile: join(work, "velero", "aws-credentials"), backupSyncPeriod: "2s", logLevel: "debug", features: [FEATURE] });
  await kube.create(GVR.configMaps, priorityConfigMap(TS_NS));
  for (const ns of [GO_NS, TS_NS]) {
    await eventually(`location ${ns}/default to be Available`, async () => ((await kube.get(GVR.backupStorageLocations, "default", ns))?.["status"] as { phase?: string } | undefined)?.phase === "Available", 60_000, () => velero!.logTail());
  }
}, 300_000);

afterAll(async () => {
  await tearDownSideBySide(kube, { serverNamespaces: [GO_NS, TS_NS], otherNamespaces: [APP, `${APP}-ts`, `${APP}-go`], servers: [velero, ours] });
  // Its CRD (uniquely named) stays: deleting a CRD while another suite's real Velero backs up makes
  // that backup PartiallyFailed (Velero LISTs the resources its discovery cached, and gets a 404).
  await kube?.close();
  s3?.destroy();
  if (work && process.env["VT_KEEP_COMPAT"] !== "1") await rm(work, { recursive: true, force: true });
});

describe("EnableAPIGroupVersions: real Velero v1.18.1 and velero-ts side by side", () => {
  it("both back up every served version of the CRD with the same tarball entries and item JSON", async () => {
    for (const [ns, name] of [[GO_NS, GO_BACKUP], [TS_NS, TS_BACKUP]] as const) {
      await kube.create(GVR.backups, {
        apiVersion: "velero.io/v1",
        kind: "Backup",
        metadata: { namespace: ns, name },
        // Only these resources are LISTed: with every group version listed, real Velero fails a backup
        // (PartiallyFailed) when another suite's CRD version disappears between discovery and LIST.
        spec: { includedNamespaces: [APP], includedResources: [CRD, "namespaces"], storageLocation: "default", snapshotVolumes: false, ttl: "24h0m0s" },
      } as unknown as UnstructuredItem);
    }
    for (const [ns, name] of [[GO_NS, GO_BACKUP], [TS_NS, TS_BACKUP]] as const) {
      const b = await waitTerminal(kube, GVR.backups, name, ns, 180_000, () => velero!.logTail());
      expect((b["status"] as { phase: string }).phase, `${ns}/${name}`).toBe("Completed");
    }
    const theirs = await tarEntries(GO_BACKUP);
    const mine = await tarEntries(TS_BACKUP);
    const widgetPaths = [`resources/${CRD}/namespaces/${APP}/w1.json`, `resources/${CRD}/v1-preferredversion/namespaces/${APP}/w1.json`, `resources/${CRD}/v2beta1/namespaces/${APP}/w1.json`];
    expect([...theirs.keys()].filter((k) => k.startsWith(`resources/${CRD}/`)).sort()).toEqual(widgetPaths);
    expect([...mine.keys()].sort()).toEqual([...theirs.keys()].sort());
    expect([...mine.keys()]).toEqual(expect.arrayContaining([`resources/namespaces/cluster/${APP}.json`, `resources/namespaces/v1-preferredversion/cluster/${APP}.json`]));
    for (const path of widgetPaths) expect(JSON.parse(mine.get(path) ?? "null"), path).toEqual(JSON.parse(theirs.get(path) ?? "null"));
    expect((JSON.parse(mine.get(widgetPaths[2]!) ?? "{}") as UnstructuredItem).apiVersion).toBe(`${GROUP}/v2beta1`);
  });

  it("each restores the other's backup at the version the ConfigMap puts first (v2beta1)", async () => {
    const ourCopy = await eventually(`velero-ts to sync ${GO_BACKUP}`, async () => kube.get(GVR.backups, GO_BACKUP, TS_NS), 90_000);
    expect((ourCopy["status"] as { phase?: string }).phase).toBe("Completed");
    const theirCopy = await eventually(`real Velero to sync ${TS_BACKUP}`, async () => kube.get(GVR.backups, TS_BACKUP, GO_NS), 120_000, () => velero!.logTail());
    expect((theirCopy["status"] as { phase?: string }).phase).toBe("Completed");

    await kube.create(GVR.restores, restoreCr(TS_NS, `agv-ts-restores-${SFX}`, GO_BACKUP, `${APP}-ts`));
    await kube.create(GVR.restores, restoreCr(GO_NS, `agv-go-restores-${SFX}`, TS_BACKUP, `${APP}-go`));
    for (const [ns, name] of [[TS_NS, `agv-ts-restores-${SFX}`], [GO_NS, `agv-go-restores-${SFX}`]] as const) {
      const r = await waitTerminal(kube, GVR.restores, name, ns, 180_000, () => velero!.logTail());
      const status = r["status"] as { phase: string; errors?: number };
      expect(status.phase, `${ns}/${name}`).toBe("Completed");
      expect(await restoredWidgetVersions(name), `${ns}/${name}`).toEqual([`${GROUP}/v2beta1/Widget`]);
    }
    expect(velero!.log()).toContain(`APIGroupVersionsFeatureFlag Priority 0: User defined API group version v2beta1 chosen for ${CRD}`);
    for (const target of [`${APP}-ts`, `${APP}-go`]) expect((await kube.get({ group: GROUP, version: "v2beta1", resource: "widgets" }, "w1", target))?.["spec"]).toEqual({ size: 3 });
  });
});
