// Original file: velero/RestoreItemAction.proto


export interface RestoreItemActionAppliesToRequest {
  'plugin'?: (string);
}

export interface RestoreItemActionAppliesToRequest__Output {
  'plugin': (string);
}
