// Original file: velero/backupitemaction/v2/BackupItemAction.proto


export interface BackupItemActionCancelRequest {
  'plugin'?: (string);
  'operationID'?: (string);
  'backup'?: (Buffer | Uint8Array | string);
}

export interface BackupItemActionCancelRequest__Output {
  'plugin': (string);
  'operationID': (string);
  'backup': (Buffer);
}
