// Original file: velero/restoreitemaction/v2/RestoreItemAction.proto


export interface RestoreItemActionAppliesToRequest {
  'plugin'?: (string);
}

export interface RestoreItemActionAppliesToRequest__Output {
  'plugin': (string);
}
