// The backup engine with resource policies: volume policies deciding native snapshots and
// fs-backup, and the include/exclude policy merged into the scoped resource filters.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { BackupSpec, UnstructuredItem, VolumeSnapshotter } from "@velero-ts/plugin-sdk";
import { GVR } from "../kube/gvr.js";
import { forBackup, forConfigMap, forNamespace, forObject, forPod, forPVC, forSecret, forVolumeSnapshotLocation } from "../testing/builders.js";
import { FakeKubeClient } from "../testing/fake-kube-client.js";
import { BackupLogger } from "./backup-log.js";
import { KubernetesBackupper } from "./backupper.js";
import { ResourcePolicies } from "./resource-policies.js";
import { TarballWriter } from "./tar-writer.js";

function ebsPV(name: string, storageClassName: string, claim: string): UnstructuredItem {
  return forObject("v1", "PersistentVolume", undefined, name)
    .set("spec", {
      capacity: { storage: "10Gi" },
      accessModes: ["ReadWriteOnce"],
      storageClassName,
      csi: { driver: "ebs.csi.aws.com", volumeHandle: `vol-${name}` },
      claimRef: { kind: "PersistentVolumeClaim", namespace: "app", name: claim },
    })
    .build();
}

function cluster(): FakeKubeClient {
  return new FakeKubeClient()
    .seed(GVR.namespaces, forNamespace("app").build())
    .seed(GVR.configMaps, forConfigMap("app", "cm1").build())
    .seed(GVR.secrets, forSecret("app", "s1", { k: "v" }).build())
    .seed(GVR.persistentVolumeClaims, forPVC("app", "fast", "pv-fast").labels({ tier: "db" }).build(), forPVC("app", "slow", "pv-slow").build())
    .seed(GVR.persistentVolumes, ebsPV("pv-fast", "gp3", "fast"), ebsPV("pv-slow", "sc1", "slow"));
}

function snapshotter(snapped: string[]): VolumeSnapshotter {
  return {
    init: async () => undefined,
    getVolumeId: async (pv) => ((pv.spec as { csi?: { volumeHandle?: string } }).csi?.volumeHandle ?? ""),
    getVolumeInfo: async () => ({ volumeType: "gp3", iops: 0 }),
    createSnapshot: async (id) => (snapped.push(id), `snap-${id}`),
    deleteSnapshot: async () => undefined,
    createVolumeFromSnapshot: async () => "",
    setVolumeId: async (pv) => pv,
  };
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function run(spec: Partial<BackupSpec>, policyYaml: string | undefined, kube = cluster()) {
  const dir = mkdtempSync(join(tmpdir(), "vt-policies-"));
  dirs.push(dir);
  const tarball = new TarballWriter(join(dir, "b.tar.gz"));
  const log = new BackupLogger({ level: "debug" });
  const snapped: string[] = [];
  const backup = forBackup("velero", "b1").uid("uid-b1").spec(spec).build();
  const out = await new KubernetesBackupper(kube).backup({
    backup,
    snapshotLocations: [forVolumeSnapshotLocation("velero", "default").build()],
    volumeSnapshotter: async () => snapshotter(snapped),
    tarball,
    log,
    actions: [],
    ...(policyYaml ? { resourcePolicies: ResourcePolicies.parse(policyYaml) } : {}),
  });
  await tarball.close();
  const volume = (pv: string) => out.volumeInfo.find((v) => v.pvName === pv);
  return { out, log, snapped, volume };
}

const policy = (rules: string): string => `version: v1\nvolumePolicies:\n${rules}`;

describe("KubernetesBackupper with volume policies", () => {
  it("skips the snapshot of PVs a skip policy matches and snapshots the others", async () => {
    const { snapped, volume, log, out } = await run(
      { includedNamespaces: ["*"] },
      policy("- conditions: {storageClass: [sc1]}\n  action: {type: skip}\n"),
    );
    expect(snapped).toEqual(["vol-pv-fast"]);
    expect(out.volumeSnapshots.map((s) => s.spec.persistentVolumeName)).toEqual(["pv-fast"]);
    // "any: ...": its claim matched the skip policy too (Velero records that as it skips its CSI claim action)
    expect(volume("pv-slow")).toMatchObject({
      skipped: true,
      skippedReason: "any: skipped due to resource policy ;volumeSnapshot: not satisfy the criteria for VolumePolicy or the legacy snapshot way;",
    });
    expect(volume("pv-fast")).toMatchObject({ skipped: false, backupMethod: "NativeSnapshot" });
    expect(log.text()).toContain("Skipping snapshot of persistent volume pv-slow: the matched volume policy's action is skip");
    expect(log.text()).toContain(
      'Summary for skipped PVs: [{\\"name\\":\\"pv-slow\\",\\"reasons\\":[{\\"approach\\":\\"any\\",\\"reason\\":\\"skipped due to resource policy \\"},{\\"approach\\":\\"volumeSnapshot\\",\\"reason\\":\\"not satisfy the criteria for VolumePolicy or the legacy snapshot way\\"}]}]',
    );
  });

  it("snapshots on a snapshot action even when snapshotVolumes is false", async () => {
    const { snapped, volume } = await run(
      { includedNamespaces: ["*"], snapshotVolumes: false },
      policy("- conditions: {capacity: '5Gi,20Gi', storageClass: [gp3]}\n  action: {type: snapshot}\n"),
    );
    expect(snapped).toEqual(["vol-pv-fast"]);
    expect(volume("pv-slow")?.skippedReason).toBe("volumeSnapshot: not satisfy the criteria for VolumePolicy or the legacy snapshot way;");
  });

  it("applies the first matching policy", async () => {
    const { snapped } = await run(
      { includedNamespaces: ["*"] },
      policy("- conditions: {csi: {driver: ebs.csi.aws.com}}\n  action: {type: snapshot}\n- conditions: {}\n  action: {type: skip}\n"),
    );
    expect(snapped.sort()).toEqual(["vol-pv-fast", "vol-pv-slow"]);
  });

  it("skips a PV whose claim's labels match a skip policy (the second look with the PVC)", async () => {
    const { snapped, volume, log } = await run({ includedNamespaces: ["*"] }, policy("- conditions: {pvcLabels: {tier: db}}\n  action: {type: skip}\n"));
    expect(snapped).toEqual(["vol-pv-slow"]);
    expect(volume("pv-fast")?.skippedReason).toBe("any: skipped due to resource policy ;volumeSnapshot: matched action is 'skip' in chosen resource policies;");
    expect(log.text()).toContain("skip snapshot of pv pv-fast for the matched resource policies");
  });

  it("does not snapshot a PV whose policy action is fs-backup", async () => {
    const { snapped, volume } = await run({ includedNamespaces: ["*"] }, policy("- conditions: {storageClass: [gp3]}\n  action: {type: fs-backup}\n"));
    expect(snapped).toEqual(["vol-pv-slow"]);
    expect(volume("pv-fast")).toMatchObject({ skipped: true });
  });

  it("keeps Velero's behaviour without policies", async () => {
    const { snapped, log } = await run({ includedNamespaces: ["*"] }, undefined);
    expect(snapped.sort()).toEqual(["vol-pv-fast", "vol-pv-slow"]);
    expect(log.text()).toContain("Summary for skipped PVs: []");
  });
});

describe("KubernetesBackupper with fs-backup volume policies", () => {
  const withPod = (phase: string, nodeName?: string): FakeKubeClient =>
    cluster().seed(
      GVR.pods,
      forPod("app", "db-0", { pvcs: ["fast"], phase })
        .set("spec", {
          ...(nodeName ? { nodeName } : {}),
          containers: [{ name: "main", image: "busybox" }],
          volumes: [
            { name: "vol-0", persistentVolumeClaim: { claimName: "fast" } },
            { name: "scratch", emptyDir: {} },
            { name: "conf", configMap: { name: "cm1" } },
          ],
        })
        .build(),
    );
  const fsBackupAll = policy("- conditions: {}\n  action: {type: fs-backup}\n");

  it("fails the pod item and skips its volumes when no node agent can back them up", async () => {
    const { log, volume, out } = await run({ includedNamespaces: ["*"] }, fsBackupAll, withPod("Running", "kwok-node-0"));
    expect(log.errors).toBe(1);
    // not in the tarball, but listed: Velero adds an item to BackedUpItems before its volumes fail it
    expect(out.resourceList["v1/Pod"]).toEqual(["app/db-0"]);
    expect(out.resourceList["v1/PersistentVolume"]).toEqual(["pv-fast", "pv-slow"]);
    const errors = JSON.stringify(log.results.errors);
    expect(errors).toContain("fs-backup of volumes vol-0, scratch of pod app/db-0 is not possible");
    expect(errors).toContain(
      "velero-ts has no node agent: file-system backup (kopia/restic) of pod volumes is not implemented; back these volumes up with snapshots instead (give them the snapshot or skip action in the resource policies instead of fs-backup)",
    );
    expect(log.text()).toContain("Perform fs-backup action for volume vol-0 of pod app/db-0 due to volume policy match");
    expect(log.text()).not.toContain("volume conf");
    expect(volume("pv-fast")?.skippedReason).toMatch(
      /^podvolume: encountered a problem with backing up the PVC of pod app\/db-0: velero-ts has no node agent: .*;volumeSnapshot: not satisfy the criteria for VolumePolicy or the legacy snapshot way;$/,
    );
  });

  it("only skips the volumes of a pod that is not running", async () => {
    const { log } = await run({ includedNamespaces: ["app"] }, fsBackupAll, withPod("Pending"));
    expect(log.errors).toBe(0);
    expect(log.warnings).toBe(2);
    expect(log.text()).toContain("pod is not scheduled, name=db-0, namespace=app, phase=Pending");
  });

  it("leaves pod volumes alone when the matched action is not fs-backup", async () => {
    const { log } = await run({ includedNamespaces: ["app"] }, policy("- conditions: {volumeTypes: [emptyDir]}\n  action: {type: skip}\n"), withPod("Running", "n"));
    expect(log.errors).toBe(0);
    expect(log.text()).toContain("Skip fs-backup action for volume scratch for pod app/db-0 because the action type is skip");
  });
});

describe("KubernetesBackupper with an include/exclude policy", () => {
  const items = async (spec: Partial<BackupSpec>, yaml: string) => {
    const { out } = await run(spec, yaml);
    return Object.keys(out.resourceList).sort();
  };

  it("excludes the resources the policy excludes", async () => {
    const kinds = await items({ includedNamespaces: ["app"] }, "version: v1\nincludeExcludePolicy:\n  excludedNamespaceScopedResources: [secrets]\n");
    expect(kinds).toContain("v1/ConfigMap");
    expect(kinds).not.toContain("v1/Secret");
  });

  it("lets the backup's own includes win over the policy's excludes", async () => {
    const kinds = await items(
      { includedNamespaces: ["app"], includedNamespaceScopedResources: ["secrets", "configmaps"] },
      "version: v1\nincludeExcludePolicy:\n  excludedNamespaceScopedResources: [secrets]\n",
    );
    expect(kinds).toEqual(["v1/ConfigMap", "v1/Namespace", "v1/Secret"]);
  });

  it("narrows the backup to the policy's includes", async () => {
    const kinds = await items({ includedNamespaces: ["app"] }, "version: v1\nincludeExcludePolicy:\n  includedNamespaceScopedResources: [configmaps]\n");
    expect(kinds).toEqual(["v1/ConfigMap", "v1/Namespace"]);
  });

  it("adds cluster-scoped resources the policy includes", async () => {
    const kinds = await items({ includedNamespaces: ["app"] }, "version: v1\nincludeExcludePolicy:\n  includedClusterScopedResources: [persistentvolumes]\n");
    expect(kinds).toContain("v1/PersistentVolume");
  });
});
