// Original file: velero/ObjectStore.proto


export interface DeleteObjectRequest {
  'plugin'?: (string);
  'bucket'?: (string);
  'key'?: (string);
}

export interface DeleteObjectRequest__Output {
  'plugin': (string);
  'bucket': (string);
  'key': (string);
}
