// generated.VolumeSnapshotter served from registered implementations, plugin side.
import type { VolumeSnapshotterHandlers } from "@velero-ts/proto/generated/generated/VolumeSnapshotter";
import type { UnstructuredItem } from "../api/v1/types.js";
import type { CreateVolumeFromSnapshotInput } from "../contract/plugins.js";
import { InflightCalls, unary } from "./handler.js";
import { decodeJson, encodeJson } from "./json.js";
import type { PluginRegistry } from "./registry.js";

export function volumeSnapshotterHandlers(registry: PluginRegistry, calls: InflightCalls): VolumeSnapshotterHandlers {
  const vs = (name: string) => registry.get("VolumeSnapshotter", name);
  return {
    Init: unary(calls, async (req) => {
      await (await vs(req.plugin)).init({ ...req.config });
      return {};
    }),
    CreateVolumeFromSnapshot: unary(calls, async (req) => {
      const input: CreateVolumeFromSnapshotInput = { snapshotId: req.snapshotID, volumeType: req.volumeType, volumeAZ: req.volumeAZ };
      if (req.iops) input.iops = Number(req.iops);
      return { volumeID: await (await vs(req.plugin)).createVolumeFromSnapshot(input) };
    }),
    GetVolumeInfo: unary(calls, async (req) => {
      const info = await (await vs(req.plugin)).getVolumeInfo(req.volumeID, req.volumeAZ);
      return { volumeType: info.volumeType, iops: info.iops ?? 0 };
    }),
    CreateSnapshot: unary(calls, async (req) => ({
      snapshotID: await (await vs(req.plugin)).createSnapshot(req.volumeID, req.volumeAZ, { ...req.tags }),
    })),
    DeleteSnapshot: unary(calls, async (req) => {
      await (await vs(req.plugin)).deleteSnapshot(req.snapshotID);
      return {};
    }),
    GetVolumeID: unary(calls, async (req) => {
      const pv = decodeJson<UnstructuredItem>(req.persistentVolume, "GetVolumeID persistentVolume");
      return { volumeID: await (await vs(req.plugin)).getVolumeId(pv) };
    }),
    SetVolumeID: unary(calls, async (req) => {
      const pv = decodeJson<UnstructuredItem>(req.persistentVolume, "SetVolumeID persistentVolume");
      const updated = await (await vs(req.plugin)).setVolumeId(pv, req.volumeID);
      return { persistentVolume: encodeJson(updated) };
    }),
  };
}
