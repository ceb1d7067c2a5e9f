// Original file: velero/restoreitemaction/v2/RestoreItemAction.proto

import type { OperationProgress as _generated_OperationProgress, OperationProgress__Output as _generated_OperationProgress__Output } from '../generated/OperationProgress.js';

export interface RestoreItemActionProgressResponse {
  'progress'?: (_generated_OperationProgress | null);
}

export interface RestoreItemActionProgressResponse__Output {
  'progress': (_generated_OperationProgress__Output | null);
}
