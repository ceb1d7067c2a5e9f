// Original file: velero/ObjectStore.proto


/**
 * One chunk of a download.
 */
export interface Bytes {
  'data'?: (Buffer | Uint8Array | string);
}

/**
 * One chunk of a download.
 */
export interface Bytes__Output {
  'data': (Buffer);
}
