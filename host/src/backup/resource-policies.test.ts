import { describe, expect, it } from "vitest";
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import { GVR } from "../kube/gvr.js";
import { forBackup, forConfigMap, forObject, forPod, forPVC } from "../testing/builders.js";
import { FakeKubeClient } from "../testing/fake-kube-client.js";
import {
  isFsBackupCandidate,
  loadBackupResourcePolicies,
  podNotRunningReason,
  ResourcePolicies,
  resourcePoliciesFromConfigMap,
  type VolumeFilterData,
} from "./resource-policies.js";

function pv(spec: Record<string, unknown>, name = "pv-1"): UnstructuredItem {
  return forObject("v1", "PersistentVolume", undefined, name).set("spec", { accessModes: ["ReadWriteOnce"], ...spec }).build();
}

function pvc(options: { labels?: Record<string, string>; phase?: string } = {}): UnstructuredItem {
  const b = forPVC("app", "data", "pv-1");
  if (options.labels) b.labels(options.labels);
  if (options.phase) b.set("status", { phase: options.phase });
  return b.build();
}

const policies = (yaml: string): ResourcePolicies => ResourcePolicies.parse(yaml);
const oneRule = (conditions: string, action = "skip"): ResourcePolicies =>
  policies(`version: v1\nvolumePolicies:\n- conditions:\n${conditions.replace(/^/gm, "    ")}\n  action:\n    type: ${action}\n`);

describe("ResourcePolicies.parse", () => {
  it("decodes every documented field", () => {
    const p = policies(`
version: v1
volumePolicies:
- conditions:
    capacity: "10,100Gi"
    storageClass: [gp2, ebs-sc]
    nfs: {server: 192.168.1.1, path: /mnt/data}
    csi: {driver: ebs.csi.aws.com, volumeAttributes: {type: gp3}}
    volumeTypes: [emptyDir, csi]
    pvcLabels: {app: db, tier: "1"}
    pvcPhase: [Bound]
  action:
    type: snapshot
    parameters: {retries: 3}
includeExcludePolicy:
  includedClusterScopedResources: [persistentvolumes]
  excludedNamespaceScopedResources: [secrets]
`);
    expect(p.version).toBe("v1");
    expect(p.volumePolicies).toEqual([
      {
        conditions: {
          capacity: "10,100Gi",
          storageClass: ["gp2", "ebs-sc"],
          nfs: { server: "192.168.1.1", path: "/mnt/data" },
          csi: { driver: "ebs.csi.aws.com", volumeAttributes: { type: "gp3" } },
          volumeTypes: ["emptyDir", "csi"],
          pvcLabels: { app: "db", tier: "1" },
          pvcPhase: ["Bound"],
        },
        action: { type: "snapshot", parameters: { retries: 3 } },
      },
    ]);
    expect(p.includeExcludePolicy).toEqual({
      includedClusterScopedResources: ["persistentvolumes"],
      excludedClusterScopedResources: [],
      includedNamespaceScopedResources: [],
      excludedNamespaceScopedResources: ["secrets"],
    });
    expect(p.validate()).toBeUndefined();
  });

  it("keeps non-string scalars as written", () => {
    const p = policies("version: v1\nvolumePolicies:\n- conditions: {storageClass: [1.0, true]}\n  action: {type: skip}\n");
    expect(p.volumePolicies[0]?.conditions.storageClass).toEqual(["1.0", "true"]);
  });

  it("has no include/exclude policy when the key is absent or null", () => {
    expect(policies("version: v1\n").includeExcludePolicy).toBeUndefined();
    expect(policies("version: v1\nincludeExcludePolicy:\n").includeExcludePolicy).toBeUndefined();
    expect(policies("version: v1\nincludeExcludePolicy: {}\n").includeExcludePolicy).toBeDefined();
  });

  it.each([
    { name: "an empty document", yaml: "", err: "failed to decode yaml data into resource policies  EOF" },
    { name: "malformed YAML", yaml: "version: v1\nvolumePolicies: [\n", err: "failed to decode yaml data into resource policies  yaml: " },
    {
      name: "an unknown top-level field",
      yaml: "version: v1\nvolumePolicy: []\n",
      err: "failed to decode yaml data into resource policies  yaml: unmarshal errors:\n  line 2: field volumePolicy not found in type resourcepolicies.ResourcePolicies",
    },
    {
      name: "a list at the top",
      yaml: "- version: v1\n",
      err: "yaml: unmarshal errors:\n  line 1: cannot unmarshal !!seq into resourcepolicies.ResourcePolicies",
    },
    {
      name: "volumePolicies that is not a list",
      yaml: "version: v1\nvolumePolicies: {a: b}\n",
      err: "line 2: cannot unmarshal !!map into []resourcepolicies.VolumePolicy",
    },
    {
      name: "an unknown policy field",
      yaml: "version: v1\nvolumePolicies:\n- conditions: {}\n  actions: {type: skip}\n",
      err: "line 4: field actions not found in type resourcepolicies.VolumePolicy",
    },
    {
      name: "an unknown action field",
      yaml: "version: v1\nvolumePolicies:\n- action: {type: skip, kind: x}\n",
      err: "field kind not found in type resourcepolicies.Action",
    },
    {
      name: "conditions that are a list",
      yaml: "version: v1\nvolumePolicies:\n- conditions: [a]\n  action: {type: skip}\n",
      err: "line 3: cannot unmarshal !!seq into map[string]interface {}",
    },
    {
      name: "an unknown include/exclude field",
      yaml: "version: v1\nincludeExcludePolicy: {includedResources: [pods]}\n",
      err: "field includedResources not found in type resourcepolicies.IncludeExcludePolicy",
    },
    {
      name: "a string where a list is expected",
      yaml: "version: v1\nincludeExcludePolicy: {excludedNamespaceScopedResources: secrets}\n",
      err: "cannot unmarshal !!str `secrets` into []string",
    },
    { name: "pvcLabels as a list", yaml: "version: v1\nvolumePolicies:\n- conditions: {pvcLabels: [a]}\n", err: "pvcLabels must be a map of string to string, got []interface {}" },
    { name: "pvcLabels as a string", yaml: "version: v1\nvolumePolicies:\n- conditions: {pvcLabels: a}\n", err: "pvcLabels must be a map of string to string, got string" },
    { name: "pvcLabels null", yaml: "version: v1\nvolumePolicies:\n- conditions: {pvcLabels: }\n", err: "pvcLabels must be a map of string to string, got <nil>" },
    {
      name: "an unknown condition",
      yaml: "version: v1\nvolumePolicies:\n- conditions:\n    storageClasses: [gp2]\n  action: {type: skip}\n",
      err: "failed to decode volume conditions: yaml: unmarshal errors:\n  line 4: field storageClasses not found in type resourcepolicies.volumeConditions",
    },
    {
      name: "an unknown nfs field",
      yaml: "version: v1\nvolumePolicies:\n- conditions: {nfs: {host: a}}\n",
      err: "field host not found in type resourcepolicies.nFSVolumeSource",
    },
    {
      name: "a capacity without a comma",
      yaml: 'version: v1\nvolumePolicies:\n- conditions: {capacity: "10Gi"}\n',
      err: "wrong format of Capacity 10Gi",
    },
    {
      name: "a capacity with three parts",
      yaml: 'version: v1\nvolumePolicies:\n- conditions: {capacity: "1,2,3"}\n',
      err: "wrong format of Capacity 1,2,3",
    },
    {
      name: "a capacity that is not a quantity",
      yaml: 'version: v1\nvolumePolicies:\n- conditions: {capacity: "10GB,"}\n',
      err: "wrong format of Capacity 10GB with err quantities must match the regular expression",
    },
    {
      name: "a capacity with an unknown suffix",
      yaml: 'version: v1\nvolumePolicies:\n- conditions: {capacity: "1, 10K"}\n',
      err: "wrong format of Capacity  10K with err unable to parse quantity's suffix",
    },
  ])("refuses $name", ({ yaml, err }) => {
    expect(() => policies(yaml)).toThrow(err);
  });
});

describe("ResourcePolicies.validate", () => {
  it.each([
    { name: "another version", yaml: "version: v2\n", err: "incompatible version number v2 with supported version v1" },
    { name: "no version", yaml: "volumePolicies: []\n", err: "incompatible version number  with supported version v1" },
    { name: "an unknown action", yaml: "version: v1\nvolumePolicies:\n- action: {type: delete}\n", err: "invalid action type delete" },
    { name: "no action", yaml: "version: v1\nvolumePolicies:\n- conditions: {storageClass: [a]}\n", err: "invalid action type " },
    {
      name: "an inverted capacity range",
      yaml: 'version: v1\nvolumePolicies:\n- conditions: {capacity: "100Gi,10Gi"}\n  action: {type: skip}\n',
      err: 'illegal values for capacity "100Gi,10Gi"',
    },
    {
      name: "csi volume attributes without a driver",
      yaml: "version: v1\nvolumePolicies:\n- conditions: {csi: {volumeAttributes: {a: b}}}\n  action: {type: skip}\n",
      err: "csi driver should not be empty when filtering by volume attributes",
    },
    {
      name: "'*' in the include/exclude policy",
      yaml: "version: v1\nincludeExcludePolicy: {includedNamespaceScopedResources: ['*']}\n",
      err: "cannot use '*' in includes or excludes filters in the policy",
    },
    {
      name: "an item both included and excluded",
      yaml: "version: v1\nincludeExcludePolicy: {includedClusterScopedResources: [nodes, pv], excludedClusterScopedResources: [pv]}\n",
      err: "excludes list cannot contain an item in the includes list: pv",
    },
  ])("reports $name", ({ yaml, err }) => {
    expect(policies(yaml).validate()).toEqual(err.startsWith("illegal") ? expect.stringContaining(err) : err);
  });

  it.each(["skip", "snapshot", "fs-backup", "custom"])("accepts action %s", (type) => {
    expect(policies(`version: v1\nvolumePolicies:\n- action: {type: ${type}}\n`).validate()).toBeUndefined();
  });

  it.each(['"10Gi,"', '",10Gi"', '"0,0"', '"1Gi,1Gi"', '""'])("accepts capacity %s", (capacity) => {
    expect(policies(`version: v1\nvolumePolicies:\n- conditions: {capacity: ${capacity}}\n  action: {type: skip}\n`).validate()).toBeUndefined();
  });
});

describe("ResourcePolicies.matchAction", () => {
  const gp2 = pv({ capacity: { storage: "50Gi" }, storageClassName: "gp2", csi: { driver: "ebs.csi.aws.com", volumeHandle: "vol-1", volumeAttributes: { type: "gp3", zone: "a" } } });
  const nfs = pv({ capacity: { storage: "5Gi" }, storageClassName: "nfs-sc", nfs: { server: "10.0.0.1", path: "/export" } });
  const hostPath = pv({ capacity: { storage: "1Gi" }, hostPath: { path: "/tmp/x" } });

  it.each<{ name: string; conditions: string; data: VolumeFilterData; match: boolean }>([
    { name: "no conditions match any PV", conditions: "{}", data: { pv: gp2 }, match: true },
    { name: "capacity inside the range", conditions: 'capacity: "10,100Gi"', data: { pv: gp2 }, match: true },
    { name: "capacity below the range", conditions: 'capacity: "10Gi,100Gi"', data: { pv: nfs }, match: false },
    { name: "capacity at the upper bound", conditions: 'capacity: ",50Gi"', data: { pv: gp2 }, match: true },
    { name: "capacity above an upper bound", conditions: 'capacity: ",49Gi"', data: { pv: gp2 }, match: false },
    { name: "capacity at a lower bound", conditions: 'capacity: "50Gi,"', data: { pv: gp2 }, match: true },
    { name: "capacity of a pod volume is 0", conditions: 'capacity: "1Gi,"', data: { podVolume: { name: "v", emptyDir: {} } }, match: false },
    { name: "storage class listed", conditions: "storageClass: [standard, gp2]", data: { pv: gp2 }, match: true },
    { name: "storage class not listed", conditions: "storageClass: [standard]", data: { pv: gp2 }, match: false },
    { name: "no storage class never matches a list", conditions: "storageClass: [standard]", data: { pv: hostPath }, match: false },
    { name: "nfs: {} matches any NFS PV", conditions: "nfs: {}", data: { pv: nfs }, match: true },
    { name: "nfs: {} does not match a CSI PV", conditions: "nfs: {}", data: { pv: gp2 }, match: false },
    { name: "nfs server only", conditions: "nfs: {server: 10.0.0.1}", data: { pv: nfs }, match: true },
    { name: "nfs other server", conditions: "nfs: {server: 10.0.0.2}", data: { pv: nfs }, match: false },
    { name: "nfs path only", conditions: "nfs: {path: /export}", data: { pv: nfs }, match: true },
    { name: "nfs path and other server", conditions: "nfs: {path: /export, server: x}", data: { pv: nfs }, match: false },
    { name: "csi: {} matches any CSI PV", conditions: "csi: {}", data: { pv: gp2 }, match: true },
    { name: "csi: {} does not match NFS", conditions: "csi: {}", data: { pv: nfs }, match: false },
    { name: "csi driver", conditions: "csi: {driver: ebs.csi.aws.com}", data: { pv: gp2 }, match: true },
    { name: "csi other driver", conditions: "csi: {driver: other}", data: { pv: gp2 }, match: false },
    { name: "csi attributes subset", conditions: "csi: {driver: ebs.csi.aws.com, volumeAttributes: {type: gp3}}", data: { pv: gp2 }, match: true },
    { name: "csi attribute differs", conditions: "csi: {driver: ebs.csi.aws.com, volumeAttributes: {type: io2}}", data: { pv: gp2 }, match: false },
    { name: "volume type of a PV", conditions: "volumeTypes: [hostPath]", data: { pv: hostPath }, match: true },
    { name: "volume type csi", conditions: "volumeTypes: [csi, nfs]", data: { pv: nfs }, match: true },
    { name: "volume type of a pod volume", conditions: "volumeTypes: [emptyDir]", data: { podVolume: { name: "v", emptyDir: {} } }, match: true },
    { name: "other volume type of a pod volume", conditions: "volumeTypes: [configMap]", data: { podVolume: { name: "v", emptyDir: {} } }, match: false },
    { name: "inline csi pod volume", conditions: "csi: {driver: d}", data: { podVolume: { name: "v", csi: { driver: "d" } } }, match: true },
    { name: "PVC labels all present", conditions: "pvcLabels: {app: db}", data: { pv: gp2, pvc: pvc({ labels: { app: "db", x: "y" } }) }, match: true },
    { name: "PVC label value differs", conditions: "pvcLabels: {app: db}", data: { pv: gp2, pvc: pvc({ labels: { app: "web" } }) }, match: false },
    { name: "PVC labels without a PVC", conditions: "pvcLabels: {app: db}", data: { pv: gp2 }, match: false },
    { name: "empty pvcLabels are no condition", conditions: "pvcLabels: {}", data: { pv: gp2 }, match: true },
    { name: "PVC phase listed", conditions: "pvcPhase: [Pending, Lost]", data: { pvc: pvc({ phase: "Pending" }) }, match: true },
    { name: "PVC phase not listed", conditions: "pvcPhase: [Pending]", data: { pv: gp2, pvc: pvc() }, match: false },
    { name: "PVC phase without a PVC", conditions: "pvcPhase: [Bound]", data: { pv: gp2 }, match: false },
    { name: "all conditions must match", conditions: "storageClass: [gp2]\ncsi: {driver: other}", data: { pv: gp2 }, match: false },
  ])("$name", ({ conditions, data, match }) => {
    const action = oneRule(conditions).matchAction(data);
    expect(action).toEqual(match ? { type: "skip" } : undefined);
  });

  it("accepts YAML merge keys (<<: *anchor), as Velero's decoder does: merged keys first, the mapping's own keys over them; unknown merged keys are still errors", () => {
    const p = policies(`
version: v1
volumePolicies:
- conditions: &gp2
    storageClass: [gp2]
    csi: {driver: other}
  action: &skip {type: skip}
- conditions:
    <<: *gp2
    csi: {driver: ebs.csi.aws.com}
  action:
    <<: *skip
    type: snapshot
`);
    // the first policy needs the "other" driver; the second merges gp2 and overrides csi and type
    expect(p.matchAction({ pv: pv({ storageClassName: "gp2", csi: { driver: "other" } }) })?.type).toBe("skip");
    expect(p.matchAction({ pv: gp2 })?.type).toBe("snapshot");
    expect(p.matchAction({ pv: pv({ storageClassName: "standard", csi: { driver: "ebs.csi.aws.com" } }) })).toBeUndefined();
    expect(() =>
      policies(`
version: v1
volumePolicies:
- conditions:
    <<: {storageClas: [gp2]}
  action: {type: skip}
`),
    ).toThrow(/field storageClas not found/);
  });

  it("returns the action of the first matching policy", () => {
    const p = policies(`
version: v1
volumePolicies:
- conditions: {storageClass: [standard]}
  action: {type: fs-backup}
- conditions: {storageClass: [gp2]}
  action: {type: skip}
- conditions: {}
  action: {type: snapshot}
`);
    expect(p.matchAction({ pv: gp2 })?.type).toBe("skip");
    expect(p.matchAction({ pv: nfs })?.type).toBe("snapshot");
  });

  it("matches nothing without policies or without volume data", () => {
    expect(policies("version: v1\n").matchAction({ pv: gp2 })).toBeUndefined();
    expect(oneRule("{}").matchAction({})).toBeUndefined();
  });
});

describe("resourcePoliciesFromConfigMap", () => {
  it.each<{ data: Record<string, string> }>([{ data: {} }, { data: { a: "version: v1", b: "version: v1" } }])("refuses a ConfigMap with $data.length data entries", ({ data }) => {
    expect(() => resourcePoliciesFromConfigMap(forConfigMap("velero", "rp", data).build())).toThrow(
      `illegal resource policies velero/rp configmap: it must have exactly one data entry holding the policies, found ${Object.keys(data).length}`,
    );
  });

  it("reads the single entry whatever its key", () => {
    expect(resourcePoliciesFromConfigMap(forConfigMap("velero", "rp", { "policy.yaml": "version: v1\n" }).build()).version).toBe("v1");
  });
});

describe("loadBackupResourcePolicies", () => {
  const backup = (kind = "configmap") => forBackup("velero", "b1").spec({ resourcePolicy: { kind, name: "rp" } }).build();

  it("loads nothing when the backup references nothing; a reference to another kind is an error (Velero ignores the user's policies)", async () => {
    const kube = new FakeKubeClient();
    expect(await loadBackupResourcePolicies(kube, forBackup("velero", "b1").build(), "velero")).toEqual({});
    expect(await loadBackupResourcePolicies(kube, backup("Secret"), "velero")).toEqual({
      error: 'resourcePolicy kind "Secret" is not supported: resource policies are read from a ConfigMap; set spec.resourcePolicy.kind to ConfigMap',
    });
  });

  it("loads and validates the policies (kind compared case-insensitively)", async () => {
    const kube = new FakeKubeClient().seed(GVR.configMaps, forConfigMap("velero", "rp", { p: "version: v1\nvolumePolicies:\n- action: {type: skip}\n" }).build());
    const got = await loadBackupResourcePolicies(kube, backup("ConfigMap"), "velero");
    expect(got.error).toBeUndefined();
    expect(got.policies?.volumePolicies).toHaveLength(1);
  });

  it("names the missing ConfigMap in Velero's words", async () => {
    const got = await loadBackupResourcePolicies(new FakeKubeClient(), backup(), "velero");
    expect(got.error).toBe('fail to get ResourcePolicies velero/rp ConfigMap with error ConfigMap "rp" not found');
  });

  it("reports an API error reading the ConfigMap", async () => {
    const kube = new FakeKubeClient();
    kube.failNext("get", "configmaps", new Error("connection refused"));
    expect((await loadBackupResourcePolicies(kube, backup(), "velero")).error).toBe("fail to get ResourcePolicies velero/rp ConfigMap with error connection refused");
  });

  it("names the ConfigMap whose YAML cannot be read", async () => {
    const kube = new FakeKubeClient().seed(GVR.configMaps, forConfigMap("velero", "rp", { p: "version: v1\nvolumePolicies: [\n" }).build());
    const { error } = await loadBackupResourcePolicies(kube, backup(), "velero");
    expect(error).toMatch(/^fail to read the ResourcePolicies from ConfigMap velero\/rp with error failed to decode yaml data into resource policies {2}yaml: /);
    expect(error).toContain('fix the policies in ConfigMap velero/rp (one data entry, "version: v1") and create the backup again');
  });

  it("names the ConfigMap whose policies are invalid", async () => {
    const kube = new FakeKubeClient().seed(GVR.configMaps, forConfigMap("velero", "rp", { p: "version: v9\n" }).build());
    const { error } = await loadBackupResourcePolicies(kube, backup(), "velero");
    expect(error).toMatch(/^fail to validate ResourcePolicies in ConfigMap velero\/rp with error incompatible version number v9 with supported version v1\n/);
  });
});

describe("isFsBackupCandidate", () => {
  it.each([
    { volume: { name: "d", emptyDir: {} }, pvcsExcluded: false, want: true },
    { volume: { name: "d", persistentVolumeClaim: { claimName: "c" } }, pvcsExcluded: false, want: true },
    { volume: { name: "d", persistentVolumeClaim: { claimName: "c" } }, pvcsExcluded: true, want: false },
    { volume: { name: "d", emptyDir: {} }, pvcsExcluded: true, want: true },
    { volume: { name: "d", hostPath: { path: "/" } }, pvcsExcluded: false, want: false },
    { volume: { name: "d", secret: { secretName: "s" } }, pvcsExcluded: false, want: false },
    { volume: { name: "d", configMap: { name: "c" } }, pvcsExcluded: false, want: false },
    { volume: { name: "d", projected: { sources: [] } }, pvcsExcluded: false, want: false },
    { volume: { name: "d", downwardAPI: { items: [] } }, pvcsExcluded: false, want: false },
    { volume: { name: "default-token-abc", emptyDir: {} }, pvcsExcluded: false, want: false },
  ])("is $want for $volume (PVCs excluded by the backup's filters: $pvcsExcluded)", ({ volume, pvcsExcluded, want }) => {
    expect(isFsBackupCandidate(volume, pvcsExcluded)).toBe(want);
  });
});

describe("podNotRunningReason", () => {
  it("is undefined for a scheduled running pod", () => {
    expect(podNotRunningReason(forPod("app", "p").set("spec", { nodeName: "n1" }).build())).toBeUndefined();
  });

  it.each([
    { name: "unscheduled", pod: forPod("app", "p", { phase: "Pending" }).build(), want: "pod is not scheduled, name=p, namespace=app, phase=Pending" },
    {
      name: "not running",
      pod: forPod("app", "p", { phase: "Succeeded" }).set("spec", { nodeName: "n1" }).build(),
      want: "pod is not in the expected status, name=p, namespace=app, phase=Succeeded: pod is not running",
    },
    {
      name: "terminating",
      pod: forPod("app", "p").set("spec", { nodeName: "n1" }).deletionTimestamp("2024-01-01T00:00:00Z").build(),
      want: "pod is being terminated, name=p, namespace=app, phase=Running",
    },
  ])("explains a pod that is $name", ({ pod, want }) => {
    expect(podNotRunningReason(pod)).toBe(want);
  });
});
