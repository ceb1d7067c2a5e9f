// Original file: velero/BackupItemAction.proto

import type { ResourceIdentifier as _generated_ResourceIdentifier, ResourceIdentifier__Output as _generated_ResourceIdentifier__Output } from '../generated/ResourceIdentifier.js';

export interface ExecuteResponse {
  'item'?: (Buffer | Uint8Array | string);
  'additionalItems'?: (_generated_ResourceIdentifier)[];
}

export interface ExecuteResponse__Output {
  'item': (Buffer);
  'additionalItems': (_generated_ResourceIdentifier__Output)[];
}
