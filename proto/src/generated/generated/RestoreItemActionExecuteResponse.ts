// Original file: velero/RestoreItemAction.proto

import type { ResourceIdentifier as _generated_ResourceIdentifier, ResourceIdentifier__Output as _generated_ResourceIdentifier__Output } from '../generated/ResourceIdentifier.js';

export interface RestoreItemActionExecuteResponse {
  'item'?: (Buffer | Uint8Array | string);
  'additionalItems'?: (_generated_ResourceIdentifier)[];
  'skipRestore'?: (boolean);
}

export interface RestoreItemActionExecuteResponse__Output {
  'item': (Buffer);
  'additionalItems': (_generated_ResourceIdentifier__Output)[];
  'skipRestore': (boolean);
}
