// Original file: velero/VolumeSnapshotter.proto


export interface GetVolumeIDResponse {
  'volumeID'?: (string);
}

export interface GetVolumeIDResponse__Output {
  'volumeID': (string);
}
