// Original file: velero/ObjectStore.proto


export interface ObjectExistsResponse {
  'exists'?: (boolean);
}

export interface ObjectExistsResponse__Output {
  'exists': (boolean);
}
