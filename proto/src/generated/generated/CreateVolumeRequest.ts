// Original file: velero/VolumeSnapshotter.proto

import type { Long } from '@grpc/proto-loader';

export interface CreateVolumeRequest {
  'plugin'?: (string);
  'snapshotID'?: (string);
  'volumeType'?: (string);
  'volumeAZ'?: (string);
  'iops'?: (number | string | Long);
}

export interface CreateVolumeRequest__Output {
  'plugin': (string);
  'snapshotID': (string);
  'volumeType': (string);
  'volumeAZ': (string);
  'iops': (number);
}
