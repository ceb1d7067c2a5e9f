// Backup resource policies end to end: `velero server` (startServer) against the REAL control plane,
// the velero.io/filesystem object store, and native EBS snapshots through the real aws plugin
// executable against moto's EC2. Two PVCs are statically bound to EBS CSI PVs of two storage
// classes; a ConfigMap of resource policies skips one class → only the other volume gets a moto
// snapshot, and the volume info and backup log say why. An includeExcludePolicy drops Secrets from
// the tarball. Backups naming a missing ConfigMap or one with malformed YAML end FailedValidation.
// A policy sending a kwok pod's volume to fs-backup (impossible without a node agent) makes the
// backup PartiallyFailed with the reason in its results.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { symlink } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { CreateVolumeCommand, DescribeSnapshotsCommand, type EC2Client } from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Backup, BackupSpec, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { describeBackup } from "../../../host/src/cli/output/describe-backup.ts";
import { GVR } from "../../../host/src/kube/gvr.ts";
import type { HttpKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import type { RunningServer } from "../../../host/src/server/server.ts";
import { itemPaths } from "../../helpers/velero-tarball.ts";
import {
  backupDir,
  backupTarball,
  createNamespaces,
  eventually,
  runToEnd,
  setUpVeleroEnv,
  startVeleroServer,
  tearDownVelero,
  type VeleroTestEnv,
} from "../../helpers/velero-server.ts";
import { buildAwsPlugin, motoClients } from "../aws/helpers.ts";

const SFX = randomBytes(3).toString("hex");
const APP = `vt-rp-app-${SFX}`;
const VELERO = `vt-rp-velero-${SFX}`;
const FAST_CLASS = `vt-rp-gp3-${SFX}`;
const SLOW_CLASS = `vt-rp-sc1-${SFX}`;
const PV_FAST = `vt-rp-fast-${SFX}`;
const PV_SLOW = `vt-rp-slow-${SFX}`;

interface VolumeInfo {
  pvName: string;
  pvcName?: string;
  skipped: boolean;
  skippedReason?: string;
  backupMethod?: string;
  nativeSnapshotInfo?: { snapshotHandle: string };
}

describe("backup resource policies (real API server, aws plugin + moto EC2)", () => {
  let env: VeleroTestEnv | undefined;
  let kube: HttpKubeClient;
  let server: RunningServer | undefined;
  let ec2: EC2Client;
  let zone: string;
  const savedEc2Endpoint = process.env["AWS_ENDPOINT_URL_EC2"];

  const runBackup = (name: string, spec: Partial<BackupSpec>): Promise<Backup> => runToEnd<Backup>(kube, "Backup", VELERO, name, spec);
  const gunzipped = (backup: string, file: string): string => gunzipSync(readFileSync(join(backupDir(env?.bucketRoot ?? "", backup), `${backup}-${file}`))).toString();
  const policyConfigMap = (name: string, yaml: string) =>
    kube.create(GVR.configMaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { namespace: VELERO, name }, data: { "policies.yaml": yaml } });
  const withPolicy = (name: string, spec: Partial<BackupSpec> = {}): Partial<BackupSpec> => ({
    // Only this namespace: the PVs come in as the PVCs' additional items (a cluster-wide PV list
    // would also pick up other suites' volumes).
    includedNamespaces: [APP],
    resourcePolicy: { kind: "configmap", name },
    ...spec,
  });

  async function ebsVolume(name: string): Promise<string> {
    const created = await ec2.send(
      new CreateVolumeCommand({ AvailabilityZone: zone, Size: 1, VolumeType: "gp3", TagSpecifications: [{ ResourceType: "volume", Tags: [{ Key: "Name", Value: name }] }] }),
    );
    return created.VolumeId ?? "";
  }

  async function boundClaim(claim: string, pv: string, storageClassName: string, volumeId: string): Promise<void> {
    await kube.create(GVR.persistentVolumes, {
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: { name: pv, labels: { "topology.kubernetes.io/zone": zone } },
      spec: {
        capacity: { storage: "1Gi" },
        accessModes: ["ReadWriteOnce"],
        persistentVolumeReclaimPolicy: "Retain",
        storageClassName,
        csi: { driver: "ebs.csi.aws.com", volumeHandle: volumeId, fsType: "ext4" },
        claimRef: { namespace: APP, name: claim },
      },
    } as UnstructuredItem);
    await kube.create(GVR.persistentVolumeClaims, {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { namespace: APP, name: claim },
      spec: { accessModes: ["ReadWriteOnce"], storageClassName, volumeName: pv, resources: { requests: { storage: "1Gi" } } },
    } as UnstructuredItem);
  }

  let fastVolume: string;
  let slowVolume: string;

  beforeAll(async () => {
    env = await setUpVeleroEnv("vt-respol-");
    kube = env.kube;
    ({ ec2 } = motoClients(env.endpoints));
    zone = `${env.endpoints.ec2.region}a`;
    await symlink(await buildAwsPlugin(), join(env.pluginDir, "velero-plugin-aws"));
    await createNamespaces(kube, [APP, VELERO]);

    // Native snapshots: a VolumeSnapshotLocation of the aws plugin with credentials from a Secret.
    const cloud = `[default]\naws_access_key_id = ${env.endpoints.ec2.accessKeyId}\naws_secret_access_key = ${env.endpoints.ec2.secretAccessKey}\n`;
    await kube.create(GVR.secrets, {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { namespace: VELERO, name: "cloud-credentials" },
      type: "Opaque",
      data: { cloud: Buffer.from(cloud).toString("base64") },
    });
    await kube.create(GVR.volumeSnapshotLocations, {
      apiVersion: "velero.io/v1",
      kind: "VolumeSnapshotLocation",
      metadata: { namespace: VELERO, name: "default" },
      spec: { provider: "aws", config: { region: env.endpoints.ec2.region }, credential: { name: "cloud-credentials", key: "cloud" } },
    } as unknown as UnstructuredItem);

    fastVolume = await ebsVolume(`fast-${SFX}`);
    slowVolume = await ebsVolume(`slow-${SFX}`);
    await boundClaim("fast", PV_FAST, FAST_CLASS, fastVolume);
    await boundClaim("slow", PV_SLOW, SLOW_CLASS, slowVolume);
    for (const claim of ["fast", "slow"]) {
      await eventually(`PVC ${claim} to bind`, async () => ((await kube.get(GVR.persistentVolumeClaims, claim, APP))?.["status"] as { phase?: string })?.phase === "Bound");
    }
    await kube.create(GVR.configMaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { namespace: APP, name: "settings" }, data: { k: "v" } });
    await kube.create(GVR.secrets, { apiVersion: "v1", kind: "Secret", metadata: { namespace: APP, name: "token" }, type: "Opaque", data: { t: "eA==" } });

    process.env["AWS_ENDPOINT_URL_EC2"] = env.endpoints.ec2.endpoint;
    server = await startVeleroServer(env, VELERO, { logEnv: "VT_RESPOL_LOG" });
  }, 600_000);

  afterAll(async () => {
    await tearDownVelero(env, server, [APP, VELERO], async (k) => {
      for (const pv of [PV_FAST, PV_SLOW]) await k.delete(GVR.persistentVolumes, pv).catch(() => undefined);
    });
    if (savedEc2Endpoint === undefined) delete process.env["AWS_ENDPOINT_URL_EC2"];
    else process.env["AWS_ENDPOINT_URL_EC2"] = savedEc2Endpoint;
  }, 120_000);

  it("skips the snapshot of the PV whose storage class a volume policy skips and snapshots the other", async () => {
    await policyConfigMap("skip-slow", `version: v1\nvolumePolicies:\n- conditions:\n    storageClass: [${SLOW_CLASS}]\n  action:\n    type: skip\n`);
    const backup = await runBackup(`skip-${SFX}`, withPolicy("skip-slow"));
    expect(backup.status).toMatchObject({ phase: "Completed", volumeSnapshotsAttempted: 1, volumeSnapshotsCompleted: 1 });
    // zero counts left out, as Go writes them (omitempty)
    expect(backup.status).not.toHaveProperty("errors");

    const snapshots = (await ec2.send(new DescribeSnapshotsCommand({ Filters: [{ Name: "tag:velero.io/backup", Values: [`skip-${SFX}`] }] }))).Snapshots ?? [];
    expect(snapshots.map((s) => s.VolumeId)).toEqual([fastVolume]);

    const info = JSON.parse(gunzipped(`skip-${SFX}`, "volumeinfo.json.gz")) as VolumeInfo[];
    expect(info.find((v) => v.pvName === PV_SLOW)).toMatchObject({
      pvcName: "slow",
      skipped: true,
      // "any": its claim matched the skip policy too, as Velero records it (probe K saw this against real Velero)
      skippedReason: "any: skipped due to resource policy ;volumeSnapshot: not satisfy the criteria for VolumePolicy or the legacy snapshot way;",
    });
    expect(info.find((v) => v.pvName === PV_FAST)).toMatchObject({ skipped: false, backupMethod: "NativeSnapshot", nativeSnapshotInfo: { snapshotHandle: snapshots[0]?.SnapshotId } });

    const log = gunzipped(`skip-${SFX}`, "logs.gz");
    expect(log).toContain(`Skipping snapshot of persistent volume ${PV_SLOW}: the matched volume policy's action is skip`);
    expect(log).toContain(`Summary for skipped PVs: [{\\"name\\":\\"${PV_SLOW}\\"`);

    // Both PVs are still in the tarball: a policy decides about the data, not the objects.
    const paths = itemPaths(backupTarball(env?.bucketRoot ?? "", `skip-${SFX}`));
    expect(paths).toContain(`resources/persistentvolumes/cluster/${PV_SLOW}.json`);
    expect(paths).toContain(`resources/persistentvolumes/cluster/${PV_FAST}.json`);

    const described = await describeBackup({ backup, deleteRequests: [], podVolumeBackups: [], details: false, files: { json: async () => ({}) as never } });
    expect(described).toMatch(/\nResource policies:\n\s+Type:\s+configmap\n\s+Name:\s+skip-slow\n/);
  });

  it("leaves out the resources an includeExcludePolicy excludes", async () => {
    await policyConfigMap("no-secrets", "version: v1\nincludeExcludePolicy:\n  excludedNamespaceScopedResources: [secrets]\n");
    const backup = await runBackup(`no-secrets-${SFX}`, withPolicy("no-secrets", { snapshotVolumes: false }));
    expect(backup.status?.phase).toBe("Completed");
    const paths = itemPaths(backupTarball(env?.bucketRoot ?? "", `no-secrets-${SFX}`));
    expect(paths).toContain(`resources/configmaps/namespaces/${APP}/settings.json`);
    expect(paths).toContain(`resources/persistentvolumeclaims/namespaces/${APP}/fast.json`);
    expect(paths.filter((p) => p.startsWith("resources/secrets/"))).toEqual([]);
  });

  it("fails validation naming the missing ConfigMap (Velero's words)", async () => {
    const backup = await runBackup(`missing-${SFX}`, withPolicy("no-such-policies"));
    expect(backup.status?.phase).toBe("FailedValidation");
    expect(backup.status?.validationErrors).toEqual([`fail to get ResourcePolicies ${VELERO}/no-such-policies ConfigMap with error ConfigMap "no-such-policies" not found`]);
  });

  it("fails validation on a reference to another kind than ConfigMap (Velero runs the backup without the policies)", async () => {
    const backup = await runBackup(`badkind-${SFX}`, { ...withPolicy("settings"), resourcePolicy: { kind: "Secret", name: "settings" } });
    expect(backup.status?.phase).toBe("FailedValidation");
    expect(backup.status?.validationErrors).toEqual(['resourcePolicy kind "Secret" is not supported: resource policies are read from a ConfigMap; set spec.resourcePolicy.kind to ConfigMap']);
  });

  it("fails validation naming a ConfigMap whose YAML is malformed", async () => {
    await policyConfigMap("malformed", "version: v1\nvolumePolicies:\n- conditions: {storageClass: [gp2]\n  action: {type: skip}\n");
    const backup = await runBackup(`malformed-${SFX}`, withPolicy("malformed"));
    expect(backup.status?.phase).toBe("FailedValidation");
    const [message] = backup.status?.validationErrors ?? [];
    expect(message).toMatch(new RegExp(`^fail to read the ResourcePolicies from ConfigMap ${VELERO}/malformed with error failed to decode yaml data into resource policies {2}yaml: `));
    expect(message).toContain(`fix the policies in ConfigMap ${VELERO}/malformed`);
  });

  it("fails validation on an unknown version or action", async () => {
    await policyConfigMap("bad-action", "version: v1\nvolumePolicies:\n- conditions: {}\n  action: {type: delete}\n");
    const backup = await runBackup(`bad-action-${SFX}`, withPolicy("bad-action"));
    expect(backup.status?.phase).toBe("FailedValidation");
    expect(backup.status?.validationErrors?.[0]).toMatch(new RegExp(`^fail to validate ResourcePolicies in ConfigMap ${VELERO}/bad-action with error invalid action type delete\n`));
  });

  it("reports fs-backup of a running pod's volume as impossible without a node agent", async () => {
    const nodeName = env?.endpoints.kubernetes.nodeName ?? "";
    await kube.create(GVR.pods, {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { namespace: APP, name: "db" },
      spec: { nodeName, containers: [{ name: "db", image: "busybox" }], volumes: [{ name: "data", persistentVolumeClaim: { claimName: "fast" } }] },
    } as UnstructuredItem);
    await eventually("the pod to run", async () => ((await kube.get(GVR.pods, "db", APP))?.["status"] as { phase?: string })?.phase === "Running");
    await policyConfigMap("fs-fast", `version: v1\nvolumePolicies:\n- conditions: {storageClass: [${FAST_CLASS}]}\n  action: {type: fs-backup}\n`);

    const name = `fs-${SFX}`;
    const backup = await runBackup(name, withPolicy("fs-fast", { includedNamespaceScopedResources: ["pods", "persistentvolumeclaims"] }));
    expect(backup.status).toMatchObject({ phase: "PartiallyFailed", errors: 1, volumeSnapshotsAttempted: 1 });
    const results = gunzipped(name, "results.gz");
    expect(results).toContain(
      `fs-backup of volumes data of pod ${APP}/db is not possible: velero-ts has no node agent: file-system backup (kopia/restic) of pod volumes is not implemented; back these volumes up with snapshots instead (give them the snapshot or skip action in the resource policies instead of fs-backup)`,
    );

    const info = JSON.parse(gunzipped(name, "volumeinfo.json.gz")) as VolumeInfo[];
    expect(info.find((v) => v.pvName === PV_FAST)?.skippedReason).toMatch(
      new RegExp(`^podvolume: encountered a problem with backing up the PVC of pod ${APP}/db: .*;volumeSnapshot: not satisfy the criteria for VolumePolicy or the legacy snapshot way;$`),
    );
    // As in Velero, the pod whose volume backup failed is not written; its claim and volume are.
    const paths = itemPaths(backupTarball(env?.bucketRoot ?? "", name));
    expect(paths.filter((p) => p.startsWith("resources/pods/"))).toEqual([]);
    expect(paths).toContain(`resources/persistentvolumes/cluster/${PV_FAST}.json`);
  });
});
