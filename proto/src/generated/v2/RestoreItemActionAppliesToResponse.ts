// Original file: velero/restoreitemaction/v2/RestoreItemAction.proto

import type { ResourceSelector as _generated_ResourceSelector, ResourceSelector__Output as _generated_ResourceSelector__Output } from '../generated/ResourceSelector.js';

export interface RestoreItemActionAppliesToResponse {
  'ResourceSelector'?: (_generated_ResourceSelector | null);
}

export interface RestoreItemActionAppliesToResponse__Output {
  'ResourceSelector': (_generated_ResourceSelector__Output | null);
}
