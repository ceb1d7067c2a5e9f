// Original file: velero/ObjectStore.proto


export interface ListObjectsRequest {
  'plugin'?: (string);
  'bucket'?: (string);
  'prefix'?: (string);
}

export interface ListObjectsRequest__Output {
  'plugin': (string);
  'bucket': (string);
  'prefix': (string);
}
