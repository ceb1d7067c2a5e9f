// Original file: velero/RestoreItemAction.proto


export interface RestoreItemActionExecuteRequest {
  'plugin'?: (string);
  'item'?: (Buffer | Uint8Array | string);
  'restore'?: (Buffer | Uint8Array | string);
  'itemFromBackup'?: (Buffer | Uint8Array | string);
}

export interface RestoreItemActionExecuteRequest__Output {
  'plugin': (string);
  'item': (Buffer);
  'restore': (Buffer);
  'itemFromBackup': (Buffer);
}
