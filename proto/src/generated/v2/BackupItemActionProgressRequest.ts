// Original file: velero/backupitemaction/v2/BackupItemAction.proto


export interface BackupItemActionProgressRequest {
  'plugin'?: (string);
  'operationID'?: (string);
  'backup'?: (Buffer | Uint8Array | string);
}

export interface BackupItemActionProgressRequest__Output {
  'plugin': (string);
  'operationID': (string);
  'backup': (Buffer);
}
