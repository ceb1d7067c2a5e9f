// Original file: velero/backupitemaction/v2/BackupItemAction.proto

import type { ResourceIdentifier as _generated_ResourceIdentifier, ResourceIdentifier__Output as _generated_ResourceIdentifier__Output } from '../generated/ResourceIdentifier.js';

/**
 * A non-empty operationID starts an async operation; postOperationItems are backed up again
 * when it completes.
 */
export interface ExecuteResponse {
  'item'?: (Buffer | Uint8Array | string);
  'additionalItems'?: (_generated_ResourceIdentifier)[];
  'operationID'?: (string);
  'postOperationItems'?: (_generated_ResourceIdentifier)[];
}

/**
 * A non-empty operationID starts an async operation; postOperationItems are backed up again
 * when it completes.
 */
export interface ExecuteResponse__Output {
  'item': (Buffer);
  'additionalItems': (_generated_ResourceIdentifier__Output)[];
  'operationID': (string);
  'postOperationItems': (_generated_ResourceIdentifier__Output)[];
}
