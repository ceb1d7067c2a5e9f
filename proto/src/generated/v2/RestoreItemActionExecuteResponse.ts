// Original file: velero/restoreitemaction/v2/RestoreItemAction.proto

import type { ResourceIdentifier as _generated_ResourceIdentifier, ResourceIdentifier__Output as _generated_ResourceIdentifier__Output } from '../generated/ResourceIdentifier.js';
import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../google/protobuf/Duration.js';

export interface RestoreItemActionExecuteResponse {
  'item'?: (Buffer | Uint8Array | string);
  'additionalItems'?: (_generated_ResourceIdentifier)[];
  'skipRestore'?: (boolean);
  'operationID'?: (string);
  'waitForAdditionalItems'?: (boolean);
  'additionalItemsReadyTimeout'?: (_google_protobuf_Duration | null);
}

export interface RestoreItemActionExecuteResponse__Output {
  'item': (Buffer);
  'additionalItems': (_generated_ResourceIdentifier__Output)[];
  'skipRestore': (boolean);
  'operationID': (string);
  'waitForAdditionalItems': (boolean);
  'additionalItemsReadyTimeout': (_google_protobuf_Duration__Output | null);
}
