// Original file: velero/backupitemaction/v2/BackupItemAction.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { BackupItemActionAppliesToRequest as _v2_BackupItemActionAppliesToRequest, BackupItemActionAppliesToRequest__Output as _v2_BackupItemActionAppliesToRequest__Output } from '../v2/BackupItemActionAppliesToRequest.js';
import type { BackupItemActionAppliesToResponse as _v2_BackupItemActionAppliesToResponse, BackupItemActionAppliesToResponse__Output as _v2_BackupItemActionAppliesToResponse__Output } from '../v2/BackupItemActionAppliesToResponse.js';
import type { BackupItemActionCancelRequest as _v2_BackupItemActionCancelRequest, BackupItemActionCancelRequest__Output as _v2_BackupItemActionCancelRequest__Output } from '../v2/BackupItemActionCancelRequest.js';
import type { BackupItemActionProgressRequest as _v2_BackupItemActionProgressRequest, BackupItemActionProgressRequest__Output as _v2_BackupItemActionProgressRequest__Output } from '../v2/BackupItemActionProgressRequest.js';
import type { BackupItemActionProgressResponse as _v2_BackupItemActionProgressResponse, BackupItemActionProgressResponse__Output as _v2_BackupItemActionProgressResponse__Output } from '../v2/BackupItemActionProgressResponse.js';
import type { Empty as _google_protobuf_Empty, Empty__Output as _google_protobuf_Empty__Output } from '../google/protobuf/Empty.js';
import type { ExecuteRequest as _v2_ExecuteRequest, ExecuteRequest__Output as _v2_ExecuteRequest__Output } from '../v2/ExecuteRequest.js';
import type { ExecuteResponse as _v2_ExecuteResponse, ExecuteResponse__Output as _v2_ExecuteResponse__Output } from '../v2/ExecuteResponse.js';

export interface BackupItemActionClient extends grpc.Client {
  AppliesTo(argument: _v2_BackupItemActionAppliesToRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_v2_BackupItemActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  AppliesTo(argument: _v2_BackupItemActionAppliesToRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_v2_BackupItemActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  AppliesTo(argument: _v2_BackupItemActionAppliesToRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_v2_BackupItemActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  AppliesTo(argument: _v2_BackupItemActionAppliesToRequest, callback: grpc.requestCallback<_v2_BackupItemActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  appliesTo(argument: _v2_BackupItemActionAppliesToRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_v2_BackupItemActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  appliesTo(argument: _v2_BackupItemActionAppliesToRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_v2_BackupItemActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  appliesTo(argument: _v2_BackupItemActionAppliesToRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_v2_BackupItemActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  appliesTo(argument: _v2_BackupItemActionAppliesToRequest, callback: grpc.requestCallback<_v2_BackupItemActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  
  Cancel(argument: _v2_BackupItemActionCancelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_google_protobuf_Empty__Output>): grpc.ClientUnaryCall;
  Cancel(argument: _v2_BackupItemActionCancelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_google_protobuf_Empty__Output>): grpc.ClientUnaryCall;
  Cancel(argument: _v2_BackupItemActionCancelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_google_protobuf_Empty__Output>): grpc.ClientUnaryCall;
  Cancel(argument: _v2_BackupItemActionCancelRequest, callback: grpc.requestCallback<_google_protobuf_Empty__Output>): grpc.ClientUnaryCall;
  cancel(argument: _v2_BackupItemActionCancelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_google_protobuf_Empty__Output>): grpc.ClientUnaryCall;
  cancel(argument: _v2_BackupItemActionCancelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_google_protobuf_Empty__Output>): grpc.ClientUnaryCall;
  cancel(argument: _v2_BackupItemActionCancelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_google_protobuf_Empty__Output>): grpc.ClientUnaryCall;
  cancel(argument: _v2_BackupItemActionCancelRequest, callback: grpc.requestCallback<_google_protobuf_Empty__Output>): grpc.ClientUnaryCall;
  
  Execute(argument: _v2_ExecuteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_v2_ExecuteResponse__Output>): grpc.ClientUnaryCall;
  Execute(argument: _v2_ExecuteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_v2_ExecuteResponse__Output>): grpc.ClientUnaryCall;
  Execute(argument: _v2_ExecuteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_v2_ExecuteResponse__Output>): grpc.ClientUnaryCall;
  Execute(argument: _v2_ExecuteRequest, callback: grpc.requestCallback<_v2_ExecuteResponse__Output>): grpc.ClientUnaryCall;
  execute(argument: _v2_ExecuteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_v2_ExecuteResponse__Output>): grpc.ClientUnaryCall;
  execute(argument: _v2_ExecuteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_v2_ExecuteResponse__Output>): grpc.ClientUnaryCall;
  execute(argument: _v2_ExecuteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_v2_ExecuteResponse__Output>): grpc.ClientUnaryCall;
  execute(argument: _v2_ExecuteRequest, callback: grpc.requestCallback<_v2_ExecuteResponse__Output>): grpc.ClientUnaryCall;
  
  Progress(argument: _v2_BackupItemActionProgressRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_v2_BackupItemActionProgressResponse__Output>): grpc.ClientUnaryCall;
  Progress(argument: _v2_BackupItemActionProgressRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_v2_BackupItemActionProgressResponse__Output>): grpc.ClientUnaryCall;
  Progress(argument: _v2_BackupItemActionProgressRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_v2_BackupItemActionProgressResponse__Output>): grpc.ClientUnaryCall;
  Progress(argument: _v2_BackupItemActionProgressRequest, callback: grpc.requestCallback<_v2_BackupItemActionProgressResponse__Output>): grpc.ClientUnaryCall;
  progress(argument: _v2_BackupItemActionProgressRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_v2_BackupItemActionProgressResponse__Output>): grpc.ClientUnaryCall;
  progress(argument: _v2_BackupItemActionProgressRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_v2_BackupItemActionProgressResponse__Output>): grpc.ClientUnaryCall;
  progress(argument: _v2_BackupItemActionProgressRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_v2_BackupItemActionProgressResponse__Output>): grpc.ClientUnaryCall;
  progress(argument: _v2_BackupItemActionProgressRequest, callback: grpc.requestCallback<_v2_BackupItemActionProgressResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface BackupItemActionHandlers extends grpc.UntypedServiceImplementation {
  AppliesTo: grpc.handleUnaryCall<_v2_BackupItemActionAppliesToRequest__Output, _v2_BackupItemActionAppliesToResponse>;
  
  Cancel: grpc.handleUnaryCall<_v2_BackupItemActionCancelRequest__Output, _google_protobuf_Empty>;
  
  Execute: grpc.handleUnaryCall<_v2_ExecuteRequest__Output, _v2_ExecuteResponse>;
  
  Progress: grpc.handleUnaryCall<_v2_BackupItemActionProgressRequest__Output, _v2_BackupItemActionProgressResponse>;
  
}

export interface BackupItemActionDefinition extends grpc.ServiceDefinition {
  AppliesTo: MethodDefinition<_v2_BackupItemActionAppliesToRequest, _v2_BackupItemActionAppliesToResponse, _v2_BackupItemActionAppliesToRequest__Output, _v2_BackupItemActionAppliesToResponse__Output>
  Cancel: MethodDefinition<_v2_BackupItemActionCancelRequest, _google_protobuf_Empty, _v2_BackupItemActionCancelRequest__Output, _google_protobuf_Empty__Output>
  Execute: MethodDefinition<_v2_ExecuteRequest, _v2_ExecuteResponse, _v2_ExecuteRequest__Output, _v2_ExecuteResponse__Output>
  Progress: MethodDefinition<_v2_BackupItemActionProgressRequest, _v2_BackupItemActionProgressResponse, _v2_BackupItemActionProgressRequest__Output, _v2_BackupItemActionProgressResponse__Output>
}
