// Original file: velero/itemblockaction/v1/ItemBlockAction.proto

import type { ResourceSelector as _generated_ResourceSelector, ResourceSelector__Output as _generated_ResourceSelector__Output } from '../generated/ResourceSelector.js';

export interface ItemBlockActionAppliesToResponse {
  'ResourceSelector'?: (_generated_ResourceSelector | null);
}

export interface ItemBlockActionAppliesToResponse__Output {
  'ResourceSelector': (_generated_ResourceSelector__Output | null);
}
