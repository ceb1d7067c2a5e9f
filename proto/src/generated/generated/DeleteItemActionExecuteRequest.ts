// Original file: velero/DeleteItemAction.proto


export interface DeleteItemActionExecuteRequest {
  'plugin'?: (string);
  'item'?: (Buffer | Uint8Array | string);
  'backup'?: (Buffer | Uint8Array | string);
}

export interface DeleteItemActionExecuteRequest__Output {
  'plugin': (string);
  'item': (Buffer);
  'backup': (Buffer);
}
