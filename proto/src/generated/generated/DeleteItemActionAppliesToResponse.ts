// Original file: velero/DeleteItemAction.proto

import type { ResourceSelector as _generated_ResourceSelector, ResourceSelector__Output as _generated_ResourceSelector__Output } from '../generated/ResourceSelector.js';

export interface DeleteItemActionAppliesToResponse {
  'ResourceSelector'?: (_generated_ResourceSelector | null);
}

export interface DeleteItemActionAppliesToResponse__Output {
  'ResourceSelector': (_generated_ResourceSelector__Output | null);
}
