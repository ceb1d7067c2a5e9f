// Original file: velero/ObjectStore.proto


export interface ObjectExistsRequest {
  'plugin'?: (string);
  'bucket'?: (string);
  'key'?: (string);
}

export interface ObjectExistsRequest__Output {
  'plugin': (string);
  'bucket': (string);
  'key': (string);
}
