// Original file: velero/ObjectStore.proto


export interface CreateSignedURLResponse {
  'url'?: (string);
}

export interface CreateSignedURLResponse__Output {
  'url': (string);
}
