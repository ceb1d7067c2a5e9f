// Original file: velero/backupitemaction/v2/BackupItemAction.proto


export interface BackupItemActionAppliesToRequest {
  'plugin'?: (string);
}

export interface BackupItemActionAppliesToRequest__Output {
  'plugin': (string);
}
