// Original file: velero/Shared.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../google/protobuf/Timestamp.js';
import type { Long } from '@grpc/proto-loader';

/**
 * Progress of an asynchronous item-action operation (v2 actions).
 */
export interface OperationProgress {
  'completed'?: (boolean);
  'err'?: (string);
  'nCompleted'?: (number | string | Long);
  'nTotal'?: (number | string | Long);
  'operationUnits'?: (string);
  'description'?: (string);
  'started'?: (_google_protobuf_Timestamp | null);
  'updated'?: (_google_protobuf_Timestamp | null);
}

/**
 * Progress of an asynchronous item-action operation (v2 actions).
 */
export interface OperationProgress__Output {
  'completed': (boolean);
  'err': (string);
  'nCompleted': (number);
  'nTotal': (number);
  'operationUnits': (string);
  'description': (string);
  'started': (_google_protobuf_Timestamp__Output | null);
  'updated': (_google_protobuf_Timestamp__Output | null);
}
