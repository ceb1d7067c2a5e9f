// Original file: velero/VolumeSnapshotter.proto


export interface DeleteSnapshotRequest {
  'plugin'?: (string);
  'snapshotID'?: (string);
}

export interface DeleteSnapshotRequest__Output {
  'plugin': (string);
  'snapshotID': (string);
}
