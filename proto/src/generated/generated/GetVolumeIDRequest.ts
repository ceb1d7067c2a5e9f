// Original file: velero/VolumeSnapshotter.proto


/**
 * persistentVolume is the PV as JSON.
 */
export interface GetVolumeIDRequest {
  'plugin'?: (string);
  'persistentVolume'?: (Buffer | Uint8Array | string);
}

/**
 * persistentVolume is the PV as JSON.
 */
export interface GetVolumeIDRequest__Output {
  'plugin': (string);
  'persistentVolume': (Buffer);
}
