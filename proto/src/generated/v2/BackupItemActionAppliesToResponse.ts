// Original file: velero/backupitemaction/v2/BackupItemAction.proto

import type { ResourceSelector as _generated_ResourceSelector, ResourceSelector__Output as _generated_ResourceSelector__Output } from '../generated/ResourceSelector.js';

export interface BackupItemActionAppliesToResponse {
  'ResourceSelector'?: (_generated_ResourceSelector | null);
}

export interface BackupItemActionAppliesToResponse__Output {
  'ResourceSelector': (_generated_ResourceSelector__Output | null);
}
