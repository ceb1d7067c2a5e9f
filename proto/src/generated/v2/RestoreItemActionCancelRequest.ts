// Original file: velero/restoreitemaction/v2/RestoreItemAction.proto


export interface RestoreItemActionCancelRequest {
  'plugin'?: (string);
  'operationID'?: (string);
  'restore'?: (Buffer | Uint8Array | string);
}

export interface RestoreItemActionCancelRequest__Output {
  'plugin': (string);
  'operationID': (string);
  'restore': (Buffer);
}
