// Original file: velero/VolumeSnapshotter.proto


export interface SetVolumeIDResponse {
  'persistentVolume'?: (Buffer | Uint8Array | string);
}

export interface SetVolumeIDResponse__Output {
  'persistentVolume': (Buffer);
}
