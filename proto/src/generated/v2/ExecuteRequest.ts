// Original file: velero/backupitemaction/v2/BackupItemAction.proto


export interface ExecuteRequest {
  'plugin'?: (string);
  'item'?: (Buffer | Uint8Array | string);
  'backup'?: (Buffer | Uint8Array | string);
}

export interface ExecuteRequest__Output {
  'plugin': (string);
  'item': (Buffer);
  'backup': (Buffer);
}
