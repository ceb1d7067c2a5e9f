// Original file: velero/BackupItemAction.proto


export interface BackupItemActionAppliesToRequest {
  'plugin'?: (string);
}

export interface BackupItemActionAppliesToRequest__Output {
  'plugin': (string);
}
