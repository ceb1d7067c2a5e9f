// Original file: velero/ObjectStore.proto


export interface ObjectStoreInitRequest {
  'plugin'?: (string);
  'config'?: ({[key: string]: string});
}

export interface ObjectStoreInitRequest__Output {
  'plugin': (string);
  'config': ({[key: string]: string});
}
