/**
 * Where an EBS volume ID lives in a PersistentVolume: in-tree `spec.awsElasticBlockStore.volumeID`
 * (`aws://<az>/vol-…` or `vol-…`) or, for the EBS CSI driver, `spec.csi.volumeHandle`.
 */
import { ValidationError, type UnstructuredItem } from "@velero-ts/plugin-sdk";

export const EBS_CSI_DRIVER = "ebs.csi.aws.com";
/** The zone label the in-tree provisioner sets; SetVolumeID rebuilds `aws://<zone>/<id>` from it. */
export const LEGACY_ZONE_LABEL = "failure-domain.beta.kubernetes.io/zone";

/** Everything from the first "vol-" on, as the Go plugin's `vol-.*` match. */
const EBS_VOLUME_ID = /vol-.*/;

interface PvSpec {
  csi?: { driver?: string; volumeHandle?: string };
  awsElasticBlockStore?: { volumeID?: string };
}

/** What GetVolumeID found. "not-ebs" PVs belong to another provider (the answer is ""). */
export type EbsVolumeIdResult = { kind: "ebs"; volumeId: string } | { kind: "not-ebs"; csiDriver?: string };

/** The EBS volume ID of a PV. Throws when an in-tree EBS PV has no volumeID. */
export function findEbsVolumeId(pv: UnstructuredItem): EbsVolumeIdResult {
  const spec = specOf(pv);
  let otherDriver: string | undefined;
  if (spec.csi) {
    if (spec.csi.driver === EBS_CSI_DRIVER) return { kind: "ebs", volumeId: matchVolumeId(spec.csi.volumeHandle) };
    otherDriver = spec.csi.driver ?? "";
  }
  if (spec.awsElasticBlockStore) {
    const volumeID = spec.awsElasticBlockStore.volumeID;
    if (!volumeID) {
      throw new ValidationError(`persistent volume "${pv.metadata.name}": spec.awsElasticBlockStore.volumeID not found`, [
        { path: "spec.awsElasticBlockStore.volumeID", reason: "missing" },
      ]);
    }
    return { kind: "ebs", volumeId: matchVolumeId(volumeID) };
  }
  return otherDriver === undefined ? { kind: "not-ebs" } : { kind: "not-ebs", csiDriver: otherDriver };
}

/** A copy of the PV pointing at `volumeId`; the input is not modified. */
export function withEbsVolumeId(pv: UnstructuredItem, volumeId: string): UnstructuredItem {
  const copy = structuredClone(pv);
  const spec = specOf(copy);
  if (spec.csi) {
    if (spec.csi.driver !== EBS_CSI_DRIVER) {
      throw new ValidationError(
        `persistent volume "${pv.metadata.name}": unable to handle CSI driver "${spec.csi.driver ?? ""}" (only ${EBS_CSI_DRIVER})`,
        [{ path: "spec.csi.driver", reason: "not the EBS CSI driver" }],
      );
    }
    spec.csi.volumeHandle = volumeId;
    return copy;
  }
  if (spec.awsElasticBlockStore) {
    const zone = copy.metadata.labels?.[LEGACY_ZONE_LABEL];
    spec.awsElasticBlockStore.volumeID = zone ? `aws://${zone}/${volumeId}` : volumeId;
    return copy;
  }
  throw new ValidationError(`persistent volume "${pv.metadata.name}": spec.csi and spec.awsElasticBlockStore not found`, [
    { path: "spec", reason: "not an EBS volume" },
  ]);
}

function matchVolumeId(text: string | undefined): string {
  return EBS_VOLUME_ID.exec(text ?? "")?.[0] ?? "";
}

function specOf(pv: UnstructuredItem): PvSpec {
  const spec = pv["spec"];
  return typeof spec === "object" && spec !== null ? (spec as PvSpec) : {};
}
