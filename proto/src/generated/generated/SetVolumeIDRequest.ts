// Original file: velero/VolumeSnapshotter.proto


export interface SetVolumeIDRequest {
  'plugin'?: (string);
  'persistentVolume'?: (Buffer | Uint8Array | string);
  'volumeID'?: (string);
}

export interface SetVolumeIDRequest__Output {
  'plugin': (string);
  'persistentVolume': (Buffer);
  'volumeID': (string);
}
