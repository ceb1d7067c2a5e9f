// Original file: velero/VolumeSnapshotter.proto


export interface CreateSnapshotResponse {
  'snapshotID'?: (string);
}

export interface CreateSnapshotResponse__Output {
  'snapshotID': (string);
}
