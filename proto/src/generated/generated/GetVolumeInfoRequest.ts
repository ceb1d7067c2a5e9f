// Original file: velero/VolumeSnapshotter.proto


export interface GetVolumeInfoRequest {
  'plugin'?: (string);
  'volumeID'?: (string);
  'volumeAZ'?: (string);
}

export interface GetVolumeInfoRequest__Output {
  'plugin': (string);
  'volumeID': (string);
  'volumeAZ': (string);
}
