// Original file: velero/VolumeSnapshotter.proto

import type { Long } from '@grpc/proto-loader';

export interface GetVolumeInfoResponse {
  'volumeType'?: (string);
  'iops'?: (number | string | Long);
}

export interface GetVolumeInfoResponse__Output {
  'volumeType': (string);
  'iops': (number);
}
