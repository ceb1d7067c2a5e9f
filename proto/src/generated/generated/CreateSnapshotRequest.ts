// Original file: velero/VolumeSnapshotter.proto


export interface CreateSnapshotRequest {
  'plugin'?: (string);
  'volumeID'?: (string);
  'volumeAZ'?: (string);
  'tags'?: ({[key: string]: string});
}

export interface CreateSnapshotRequest__Output {
  'plugin': (string);
  'volumeID': (string);
  'volumeAZ': (string);
  'tags': ({[key: string]: string});
}
