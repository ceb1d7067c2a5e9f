// Original file: velero/BackupItemAction.proto

import type { ResourceSelector as _generated_ResourceSelector, ResourceSelector__Output as _generated_ResourceSelector__Output } from '../generated/ResourceSelector.js';

/**
 * The capitalised field name is Velero's.
 */
export interface BackupItemActionAppliesToResponse {
  'ResourceSelector'?: (_generated_ResourceSelector | null);
}

/**
 * The capitalised field name is Velero's.
 */
export interface BackupItemActionAppliesToResponse__Output {
  'ResourceSelector': (_generated_ResourceSelector__Output | null);
}
