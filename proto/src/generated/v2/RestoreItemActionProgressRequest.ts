// Original file: velero/restoreitemaction/v2/RestoreItemAction.proto


export interface RestoreItemActionProgressRequest {
  'plugin'?: (string);
  'operationID'?: (string);
  'restore'?: (Buffer | Uint8Array | string);
}

export interface RestoreItemActionProgressRequest__Output {
  'plugin': (string);
  'operationID': (string);
  'restore': (Buffer);
}
