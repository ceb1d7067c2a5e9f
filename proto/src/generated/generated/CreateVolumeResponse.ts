// Original file: velero/VolumeSnapshotter.proto


export interface CreateVolumeResponse {
  'volumeID'?: (string);
}

export interface CreateVolumeResponse__Output {
  'volumeID': (string);
}
