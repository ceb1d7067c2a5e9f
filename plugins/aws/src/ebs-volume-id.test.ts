import { describe, expect, it } from "vitest";
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import { findEbsVolumeId, withEbsVolumeId } from "./ebs-volume-id.js";

function pv(spec: Record<string, unknown>, labels?: Record<string, string>): UnstructuredItem {
  return { apiVersion: "v1", kind: "PersistentVolume", metadata: { name: "pv-1", ...(labels ? { labels } : {}) }, spec };
}

describe("findEbsVolumeId", () => {
  it.each([
    { name: "in-tree aws:// URL", spec: { awsElasticBlockStore: { volumeID: "aws://us-east-1a/vol-0abc" } }, id: "vol-0abc" },
    { name: "in-tree bare ID", spec: { awsElasticBlockStore: { volumeID: "vol-0abc" } }, id: "vol-0abc" },
    { name: "in-tree aws:/// URL without zone", spec: { awsElasticBlockStore: { volumeID: "aws:///vol-1" } }, id: "vol-1" },
    { name: "in-tree ID without vol- is empty", spec: { awsElasticBlockStore: { volumeID: "something" } }, id: "" },
    { name: "EBS CSI volume handle", spec: { csi: { driver: "ebs.csi.aws.com", volumeHandle: "vol-0def" } }, id: "vol-0def" },
    { name: "other CSI driver", spec: { csi: { driver: "hostpath.csi.k8s.io", volumeHandle: "vol-x" } }, id: "" },
    { name: "NFS volume", spec: { nfs: { server: "s", path: "/" } }, id: "" },
    { name: "no spec at all", spec: {}, id: "" },
  ])("$name → '$id'", ({ spec, id }) => {
    const found = findEbsVolumeId(pv(spec));
    expect(found.kind === "ebs" ? found.volumeId : "").toBe(id);
  });

  it("reports the foreign CSI driver so the caller can log it", () => {
    expect(findEbsVolumeId(pv({ csi: { driver: "other.csi" } }))).toEqual({ kind: "not-ebs", csiDriver: "other.csi" });
  });

  it("fails on an in-tree EBS PV without a volumeID", () => {
    expect(() => findEbsVolumeId(pv({ awsElasticBlockStore: { fsType: "ext4" } }))).toThrow(
      'persistent volume "pv-1": spec.awsElasticBlockStore.volumeID not found',
    );
  });
});

describe("withEbsVolumeId", () => {
  it.each([
    {
      name: "in-tree with legacy zone label",
      input: pv({ awsElasticBlockStore: { volumeID: "aws://us-east-1a/vol-old", fsType: "ext4" } }, {
        "failure-domain.beta.kubernetes.io/zone": "us-east-1b",
      }),
      path: ["awsElasticBlockStore", "volumeID"],
      expected: "aws://us-east-1b/vol-new",
    },
    {
      name: "in-tree without zone label",
      input: pv({ awsElasticBlockStore: { volumeID: "aws://us-east-1a/vol-old" } }),
      path: ["awsElasticBlockStore", "volumeID"],
      expected: "vol-new",
    },
    {
      name: "EBS CSI",
      input: pv({ csi: { driver: "ebs.csi.aws.com", volumeHandle: "vol-old", fsType: "ext4" } }),
      path: ["csi", "volumeHandle"],
      expected: "vol-new",
    },
  ])("$name", ({ input, path, expected }) => {
    const before = structuredClone(input);
    const output = withEbsVolumeId(input, "vol-new");
    let value: unknown = output["spec"];
    for (const part of path) value = (value as Record<string, unknown>)[part];
    expect(value).toBe(expected);
    expect(input).toEqual(before);
    expect(findEbsVolumeId(output)).toEqual({ kind: "ebs", volumeId: "vol-new" });
  });

  it("keeps fields it does not know", () => {
    const input = pv({ csi: { driver: "ebs.csi.aws.com", volumeHandle: "vol-old", volumeAttributes: { a: "b" } }, claimRef: { name: "c" } });
    const output = withEbsVolumeId(input, "vol-new");
    expect(output["spec"]).toEqual({ csi: { driver: "ebs.csi.aws.com", volumeHandle: "vol-new", volumeAttributes: { a: "b" } }, claimRef: { name: "c" } });
  });

  it.each([
    { name: "another CSI driver", spec: { csi: { driver: "other.csi", volumeHandle: "x" } }, error: /unable to handle CSI driver "other.csi"/ },
    { name: "no EBS source", spec: { hostPath: { path: "/x" } }, error: /spec.csi and spec.awsElasticBlockStore not found/ },
  ])("refuses $name", ({ spec, error }) => {
    expect(() => withEbsVolumeId(pv(spec), "vol-new")).toThrow(error);
  });
});
