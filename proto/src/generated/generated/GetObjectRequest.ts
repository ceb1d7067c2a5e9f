// Original file: velero/ObjectStore.proto


export interface GetObjectRequest {
  'plugin'?: (string);
  'bucket'?: (string);
  'key'?: (string);
}

export interface GetObjectRequest__Output {
  'plugin': (string);
  'bucket': (string);
  'key': (string);
}
