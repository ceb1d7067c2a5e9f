// Original file: velero/backupitemaction/v2/BackupItemAction.proto

import type { OperationProgress as _generated_OperationProgress, OperationProgress__Output as _generated_OperationProgress__Output } from '../generated/OperationProgress.js';

/**
 * progress must always be set: the Go host dereferences it without a nil check.
 */
export interface BackupItemActionProgressResponse {
  'progress'?: (_generated_OperationProgress | null);
}

/**
 * progress must always be set: the Go host dereferences it without a nil check.
 */
export interface BackupItemActionProgressResponse__Output {
  'progress': (_generated_OperationProgress__Output | null);
}
