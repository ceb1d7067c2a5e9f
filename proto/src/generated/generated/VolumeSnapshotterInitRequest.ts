// Original file: velero/VolumeSnapshotter.proto


export interface VolumeSnapshotterInitRequest {
  'plugin'?: (string);
  'config'?: ({[key: string]: string});
}

export interface VolumeSnapshotterInitRequest__Output {
  'plugin': (string);
  'config': ({[key: string]: string});
}
