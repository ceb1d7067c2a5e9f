// Original file: velero/restoreitemaction/v2/RestoreItemAction.proto

import type { ResourceIdentifier as _generated_ResourceIdentifier, ResourceIdentifier__Output as _generated_ResourceIdentifier__Output } from '../generated/ResourceIdentifier.js';

export interface RestoreItemActionItemsReadyRequest {
  'plugin'?: (string);
  'restore'?: (Buffer | Uint8Array | string);
  'additionalItems'?: (_generated_ResourceIdentifier)[];
}

export interface RestoreItemActionItemsReadyRequest__Output {
  'plugin': (string);
  'restore': (Buffer);
  'additionalItems': (_generated_ResourceIdentifier__Output)[];
}
