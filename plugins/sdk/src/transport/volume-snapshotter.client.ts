// VolumeSnapshotter over gRPC (generated.VolumeSnapshotter), host side.
import type { VolumeSnapshotterClient } from "@velero-ts/proto/generated/generated/VolumeSnapshotter";
import type { CreateVolumeResponse__Output } from "@velero-ts/proto/generated/generated/CreateVolumeResponse";
import type { GetVolumeInfoResponse__Output } from "@velero-ts/proto/generated/generated/GetVolumeInfoResponse";
import type { CreateSnapshotResponse__Output } from "@velero-ts/proto/generated/generated/CreateSnapshotResponse";
import type { GetVolumeIDResponse__Output } from "@velero-ts/proto/generated/generated/GetVolumeIDResponse";
import type { SetVolumeIDResponse__Output } from "@velero-ts/proto/generated/generated/SetVolumeIDResponse";
import type { UnstructuredItem } from "../api/v1/types.js";
import type { CreateVolumeFromSnapshotInput, VolumeInfo, VolumeSnapshotter } from "../contract/plugins.js";
import { serviceClient, type PluginConnection } from "./connection.js";
import { encodeJson } from "./json.js";
import type { CallContext } from "./status.js";
import { callUnary, decodeReplyJson } from "./unary.js";

const KIND = "VolumeSnapshotter";

export class VolumeSnapshotterGrpcClient implements VolumeSnapshotter {
  readonly #client: VolumeSnapshotterClient;
  readonly #name: string;

  constructor(conn: PluginConnection, name: string) {
    this.#client = serviceClient<VolumeSnapshotterClient>(conn, "volumeSnapshotter");
    this.#name = name;
  }

  #ctx(method: string): CallContext {
    return { kind: KIND, name: this.#name, method };
  }

  async init(config: Record<string, string>): Promise<void> {
    await callUnary(this.#client, this.#ctx("Init"), { plugin: this.#name, config });
  }

  async createVolumeFromSnapshot(input: CreateVolumeFromSnapshotInput): Promise<string> {
    const res = await callUnary<object, CreateVolumeResponse__Output>(this.#client, this.#ctx("CreateVolumeFromSnapshot"), {
      plugin: this.#name,
      snapshotID: input.snapshotId,
      volumeType: input.volumeType,
      volumeAZ: input.volumeAZ,
      iops: input.iops ?? 0,
    });
    return res.volumeID;
  }

  async getVolumeInfo(volumeId: string, volumeAZ: string): Promise<VolumeInfo> {
    const res = await callUnary<object, GetVolumeInfoResponse__Output>(this.#client, this.#ctx("GetVolumeInfo"), {
      plugin: this.#name,
      volumeID: volumeId,
      volumeAZ,
    });
    // iops 0 means "not set" on the wire.
    return res.iops ? { volumeType: res.volumeType, iops: Number(res.iops) } : { volumeType: res.volumeType };
  }

  async createSnapshot(volumeId: string, volumeAZ: string, tags: Record<string, string>): Promise<string> {
    const res = await callUnary<object, CreateSnapshotResponse__Output>(this.#client, this.#ctx("CreateSnapshot"), {
      plugin: this.#name,
      volumeID: volumeId,
      volumeAZ,
      tags,
    });
    return res.snapshotID;
  }

  async deleteSnapshot(snapshotId: string): Promise<void> {
    await callUnary(this.#client, this.#ctx("DeleteSnapshot"), { plugin: this.#name, snapshotID: snapshotId });
  }

  async getVolumeId(pv: UnstructuredItem): Promise<string> {
    const res = await callUnary<object, GetVolumeIDResponse__Output>(this.#client, this.#ctx("GetVolumeID"), {
      plugin: this.#name,
      persistentVolume: encodeJson(pv),
    });
    return res.volumeID;
  }

  async setVolumeId(pv: UnstructuredItem, volumeId: string): Promise<UnstructuredItem> {
    const res = await callUnary<object, SetVolumeIDResponse__Output>(this.#client, this.#ctx("SetVolumeID"), {
      plugin: this.#name,
      persistentVolume: encodeJson(pv),
      volumeID: volumeId,
    });
    return decodeReplyJson<UnstructuredItem>(res.persistentVolume, this.#ctx("SetVolumeID"), "persistentVolume");
  }
}

export function createVolumeSnapshotterClient(conn: PluginConnection, name: string): VolumeSnapshotter {
  return new VolumeSnapshotterGrpcClient(conn, name);
}
