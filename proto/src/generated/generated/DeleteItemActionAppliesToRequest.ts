// Original file: velero/DeleteItemAction.proto


export interface DeleteItemActionAppliesToRequest {
  'plugin'?: (string);
}

export interface DeleteItemActionAppliesToRequest__Output {
  'plugin': (string);
}
