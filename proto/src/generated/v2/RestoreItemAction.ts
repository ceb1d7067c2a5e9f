// Original file: velero/restoreitemaction/v2/RestoreItemAction.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { Empty as _google_protobuf_Empty, Empty__Output as _google_protobuf_Empty__Output } from '../google/protobuf/Empty.js';
import type { RestoreItemActionAppliesToRequest as _v2_RestoreItemActionAppliesToRequest, RestoreItemActionAppliesToRequest__Output as _v2_RestoreItemActionAppliesToRequest__Output } from '../v2/RestoreItemActionAppliesToRequest.js';
import type { RestoreItemActionAppliesToResponse as _v2_RestoreItemActionAppliesToResponse, RestoreItemActionAppliesToResponse__Output as _v2_RestoreItemActionAppliesToResponse__Output } from '../v2/RestoreItemActionAppliesToResponse.js';
import type { RestoreItemActionCancelRequest as _v2_RestoreItemActionCancelRequest, RestoreItemActionCancelRequest__Output as _v2_RestoreItemActionCancelRequest__Output } from '../v2/RestoreItemActionCancelRequest.js';
import type { RestoreItemActionExecuteRequest as _v2_RestoreItemActionExecuteRequest, RestoreItemActionExecuteRequest__Output as _v2_RestoreItemActionExecuteRequest__Output } from '../v2/RestoreItemActionExecuteRequest.js';
import type { RestoreItemActionExecuteResponse as _v2_RestoreItemActionExecuteResponse, RestoreItemActionExecuteResponse__Output as _v2_RestoreItemActionExecuteResponse__Output } from '../v2/RestoreItemActionExecuteResponse.js';
import type { RestoreItemActionItemsReadyRequest as _v2_RestoreItemActionItemsReadyRequest, RestoreItemActionItemsReadyRequest__Output as _v2_RestoreItemActionItemsReadyRequest__Output } from '../v2/RestoreItemActionItemsReadyRequest.js';
import type { RestoreItemActionItemsReadyResponse as _v2_RestoreItemActionItemsReadyResponse, RestoreItemActionItemsReadyResponse__Output as _v2_RestoreItemActionItemsReadyResponse__Output } from '../v2/RestoreItemActionItemsReadyResponse.js';
import type { RestoreItemActionProgressRequest as _v2_RestoreItemActionProgressRequest, RestoreItemActionProgressRequest__Output as _v2_RestoreItemActionProgressRequest__Output } from '../v2/RestoreItemActionProgressRequest.js';
import type { RestoreItemActionProgressResponse as _v2_RestoreItemActionProgressResponse, RestoreItemActionProgressResponse__Output as _v2_RestoreItemActionProgressResponse__Output } from '../v2/RestoreItemActionProgressResponse.js';

export interface RestoreItemActionClient extends grpc.Client {
  AppliesTo(argument: _v2_RestoreItemActionAppliesToRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_v2_RestoreItemActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  AppliesTo(argument: _v2_RestoreItemActionAppliesToRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_v2_RestoreItemActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  AppliesTo(argument: _v2_RestoreItemActionAppliesToRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_v2_RestoreItemActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  AppliesTo(argument: _v2_RestoreItemActionAppliesToRequest, callback: grpc.requestCallback<_v2_RestoreItemActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  appliesTo(argument: _v2_RestoreItemActionAppliesToRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_v2_RestoreItemActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  appliesTo(argument: _v2_RestoreItemActionAppliesToRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_v2_RestoreItemActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  appliesTo(argument: _v2_RestoreItemActionAppliesToRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_v2_RestoreItemActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  appliesTo(argument: _v2_RestoreItemActionAppliesToRequest, callback: grpc.requestCallback<_v2_RestoreItemActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  
  AreAdditionalItemsReady(argument: _v2_RestoreItemActionItemsReadyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_v2_RestoreItemActionItemsReadyResponse__Output>): grpc.ClientUnaryCall;
  AreAdditionalItemsReady(argument: _v2_RestoreItemActionItemsReadyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_v2_RestoreItemActionItemsReadyResponse__Output>): grpc.ClientUnaryCall;
  AreAdditionalItemsReady(argument: _v2_RestoreItemActionItemsReadyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_v2_RestoreItemActionItemsReadyResponse__Output>): grpc.ClientUnaryCall;
  AreAdditionalItemsReady(argument: _v2_RestoreItemActionItemsReadyRequest, callback: grpc.requestCallback<_v2_RestoreItemActionItemsReadyResponse__Output>): grpc.ClientUnaryCall;
  areAdditionalItemsReady(argument: _v2_RestoreItemActionItemsReadyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_v2_RestoreItemActionItemsReadyResponse__Output>): grpc.ClientUnaryCall;
  areAdditionalItemsReady(argument: _v2_RestoreItemActionItemsReadyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_v2_RestoreItemActionItemsReadyResponse__Output>): grpc.ClientUnaryCall;
  areAdditionalItemsReady(argument: _v2_RestoreItemActionItemsReadyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_v2_RestoreItemActionItemsReadyResponse__Output>): grpc.ClientUnaryCall;
  areAdditionalItemsReady(argument: _v2_RestoreItemActionItemsReadyRequest, callback: grpc.requestCallback<_v2_RestoreItemActionItemsReadyResponse__Output>): grpc.ClientUnaryCall;
  
  Cancel(argument: _v2_RestoreItemActionCancelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_google_protobuf_Empty__Output>): grpc.ClientUnaryCall;
  Cancel(argument: _v2_RestoreItemActionCancelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_google_protobuf_Empty__Output>): grpc.ClientUnaryCall;
  Cancel(argument: _v2_RestoreItemActionCancelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_google_protobuf_Empty__Output>): grpc.ClientUnaryCall;
  Cancel(argument: _v2_RestoreItemActionCancelRequest, callback: grpc.requestCallback<_google_protobuf_Empty__Output>): grpc.ClientUnaryCall;
  cancel(argument: _v2_RestoreItemActionCancelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_google_protobuf_Empty__Output>): grpc.ClientUnaryCall;
  cancel(argument: _v2_RestoreItemActionCancelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_google_protobuf_Empty__Output>): grpc.ClientUnaryCall;
  cancel(argument: _v2_RestoreItemActionCancelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_google_protobuf_Empty__Output>): grpc.ClientUnaryCall;
  cancel(argument: _v2_RestoreItemActionCancelRequest, callback: grpc.requestCallback<_google_protobuf_Empty__Output>): grpc.ClientUnaryCall;
  
  Execute(argument: _v2_RestoreItemActionExecuteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_v2_RestoreItemActionExecuteResponse__Output>): grpc.ClientUnaryCall;
  Execute(argument: _v2_RestoreItemActionExecuteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_v2_RestoreItemActionExecuteResponse__Output>): grpc.ClientUnaryCall;
  Execute(argument: _v2_RestoreItemActionExecuteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_v2_RestoreItemActionExecuteResponse__Output>): grpc.ClientUnaryCall;
  Execute(argument: _v2_RestoreItemActionExecuteRequest, callback: grpc.requestCallback<_v2_RestoreItemActionExecuteResponse__Output>): grpc.ClientUnaryCall;
  execute(argument: _v2_RestoreItemActionExecuteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_v2_RestoreItemActionExecuteResponse__Output>): grpc.ClientUnaryCall;
  execute(argument: _v2_RestoreItemActionExecuteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_v2_RestoreItemActionExecuteResponse__Output>): grpc.ClientUnaryCall;
  execute(argument: _v2_RestoreItemActionExecuteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_v2_RestoreItemActionExecuteResponse__Output>): grpc.ClientUnaryCall;
  execute(argument: _v2_RestoreItemActionExecuteRequest, callback: grpc.requestCallback<_v2_RestoreItemActionExecuteResponse__Output>): grpc.ClientUnaryCall;
  
  Progress(argument: _v2_RestoreItemActionProgressRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_v2_RestoreItemActionProgressResponse__Output>): grpc.ClientUnaryCall;
  Progress(argument: _v2_RestoreItemActionProgressRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_v2_RestoreItemActionProgressResponse__Output>): grpc.ClientUnaryCall;
  Progress(argument: _v2_RestoreItemActionProgressRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_v2_RestoreItemActionProgressResponse__Output>): grpc.ClientUnaryCall;
  Progress(argument: _v2_RestoreItemActionProgressRequest, callback: grpc.requestCallback<_v2_RestoreItemActionProgressResponse__Output>): grpc.ClientUnaryCall;
  progress(argument: _v2_RestoreItemActionProgressRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_v2_RestoreItemActionProgressResponse__Output>): grpc.ClientUnaryCall;
  progress(argument: _v2_RestoreItemActionProgressRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_v2_RestoreItemActionProgressResponse__Output>): grpc.ClientUnaryCall;
  progress(argument: _v2_RestoreItemActionProgressRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_v2_RestoreItemActionProgressResponse__Output>): grpc.ClientUnaryCall;
  progress(argument: _v2_RestoreItemActionProgressRequest, callback: grpc.requestCallback<_v2_RestoreItemActionProgressResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface RestoreItemActionHandlers extends grpc.UntypedServiceImplementation {
  AppliesTo: grpc.handleUnaryCall<_v2_RestoreItemActionAppliesToRequest__Output, _v2_RestoreItemActionAppliesToResponse>;
  
  AreAdditionalItemsReady: grpc.handleUnaryCall<_v2_RestoreItemActionItemsReadyRequest__Output, _v2_RestoreItemActionItemsReadyResponse>;
  
  Cancel: grpc.handleUnaryCall<_v2_RestoreItemActionCancelRequest__Output, _google_protobuf_Empty>;
  
  Execute: grpc.handleUnaryCall<_v2_RestoreItemActionExecuteRequest__Output, _v2_RestoreItemActionExecuteResponse>;
  
  Progress: grpc.handleUnaryCall<_v2_RestoreItemActionProgressRequest__Output, _v2_RestoreItemActionProgressResponse>;
  
}

export interface RestoreItemActionDefinition extends grpc.ServiceDefinition {
  AppliesTo: MethodDefinition<_v2_RestoreItemActionAppliesToRequest, _v2_RestoreItemActionAppliesToResponse, _v2_RestoreItemActionAppliesToRequest__Output, _v2_RestoreItemActionAppliesToResponse__Output>
  AreAdditionalItemsReady: MethodDefinition<_v2_RestoreItemActionItemsReadyRequest, _v2_RestoreItemActionItemsReadyResponse, _v2_RestoreItemActionItemsReadyRequest__Output, _v2_RestoreItemActionItemsReadyResponse__Output>
  Cancel: MethodDefinition<_v2_RestoreItemActionCancelRequest, _google_protobuf_Empty, _v2_RestoreItemActionCancelRequest__Output, _google_protobuf_Empty__Output>
  Execute: MethodDefinition<_v2_RestoreItemActionExecuteRequest, _v2_RestoreItemActionExecuteResponse, _v2_RestoreItemActionExecuteRequest__Output, _v2_RestoreItemActionExecuteResponse__Output>
  Progress: MethodDefinition<_v2_RestoreItemActionProgressRequest, _v2_RestoreItemActionProgressResponse, _v2_RestoreItemActionProgressRequest__Output, _v2_RestoreItemActionProgressResponse__Output>
}
