// Original file: velero/itemblockaction/v1/ItemBlockAction.proto

import type { ResourceIdentifier as _generated_ResourceIdentifier, ResourceIdentifier__Output as _generated_ResourceIdentifier__Output } from '../generated/ResourceIdentifier.js';

export interface ItemBlockActionGetRelatedItemsResponse {
  'relatedItems'?: (_generated_ResourceIdentifier)[];
}

export interface ItemBlockActionGetRelatedItemsResponse__Output {
  'relatedItems': (_generated_ResourceIdentifier__Output)[];
}
