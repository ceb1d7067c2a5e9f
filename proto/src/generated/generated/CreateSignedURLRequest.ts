// Original file: velero/ObjectStore.proto

import type { Long } from '@grpc/proto-loader';

/**
 * ttl is a Go time.Duration: nanoseconds.
 */
export interface CreateSignedURLRequest {
  'plugin'?: (string);
  'bucket'?: (string);
  'key'?: (string);
  'ttl'?: (number | string | Long);
}

/**
 * ttl is a Go time.Duration: nanoseconds.
 */
export interface CreateSignedURLRequest__Output {
  'plugin': (string);
  'bucket': (string);
  'key': (string);
  'ttl': (number);
}
