// Original file: velero/ObjectStore.proto


/**
 * One chunk of an upload. plugin, bucket and key are read from the first message only.
 */
export interface PutObjectRequest {
  'plugin'?: (string);
  'bucket'?: (string);
  'key'?: (string);
  'body'?: (Buffer | Uint8Array | string);
}

/**
 * One chunk of an upload. plugin, bucket and key are read from the first message only.
 */
export interface PutObjectRequest__Output {
  'plugin': (string);
  'bucket': (string);
  'key': (string);
  'body': (Buffer);
}
