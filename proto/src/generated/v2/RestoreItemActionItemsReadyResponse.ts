// Original file: velero/restoreitemaction/v2/RestoreItemAction.proto


export interface RestoreItemActionItemsReadyResponse {
  'ready'?: (boolean);
}

export interface RestoreItemActionItemsReadyResponse__Output {
  'ready': (boolean);
}
