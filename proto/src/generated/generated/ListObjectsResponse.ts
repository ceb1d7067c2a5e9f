// Original file: velero/ObjectStore.proto


export interface ListObjectsResponse {
  'keys'?: (string)[];
}

export interface ListObjectsResponse__Output {
  'keys': (string)[];
}
