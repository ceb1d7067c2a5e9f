// Original file: velero/RestoreItemAction.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { RestoreItemActionAppliesToRequest as _generated_RestoreItemActionAppliesToRequest, RestoreItemActionAppliesToRequest__Output as _generated_RestoreItemActionAppliesToRequest__Output } from '../generated/RestoreItemActionAppliesToRequest.js';
import type { RestoreItemActionAppliesToResponse as _generated_RestoreItemActionAppliesToResponse, RestoreItemActionAppliesToResponse__Output as _generated_RestoreItemActionAppliesToResponse__Output } from '../generated/RestoreItemActionAppliesToResponse.js';
import type { RestoreItemActionExecuteRequest as _generated_RestoreItemActionExecuteRequest, RestoreItemActionExecuteRequest__Output as _generated_RestoreItemActionExecuteRequest__Output } from '../generated/RestoreItemActionExecuteRequest.js';
import type { RestoreItemActionExecuteResponse as _generated_RestoreItemActionExecuteResponse, RestoreItemActionExecuteResponse__Output as _generated_RestoreItemActionExecuteResponse__Output } from '../generated/RestoreItemActionExecuteResponse.js';

export interface RestoreItemActionClient extends grpc.Client {
  AppliesTo(argument: _generated_RestoreItemActionAppliesToRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_RestoreItemActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  AppliesTo(argument: _generated_RestoreItemActionAppliesToRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_generated_RestoreItemActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  AppliesTo(argument: _generated_RestoreItemActionAppliesToRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_RestoreItemActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  AppliesTo(argument: _generated_RestoreItemActionAppliesToRequest, callback: grpc.requestCallback<_generated_RestoreItemActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  appliesTo(argument: _generated_RestoreItemActionAppliesToRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_RestoreItemActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  appliesTo(argument: _generated_RestoreItemActionAppliesToRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_generated_RestoreItemActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  appliesTo(argument: _generated_RestoreItemActionAppliesToRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_RestoreItemActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  appliesTo(argument: _generated_RestoreItemActionAppliesToRequest, callback: grpc.requestCallback<_generated_RestoreItemActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  
  Execute(argument: _generated_RestoreItemActionExecuteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_RestoreItemActionExecuteResponse__Output>): grpc.ClientUnaryCall;
  Execute(argument: _generated_RestoreItemActionExecuteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_generated_RestoreItemActionExecuteResponse__Output>): grpc.ClientUnaryCall;
  Execute(argument: _generated_RestoreItemActionExecuteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_RestoreItemActionExecuteResponse__Output>): grpc.ClientUnaryCall;
  Execute(argument: _generated_RestoreItemActionExecuteRequest, callback: grpc.requestCallback<_generated_RestoreItemActionExecuteResponse__Output>): grpc.ClientUnaryCall;
  execute(argument: _generated_RestoreItemActionExecuteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_RestoreItemActionExecuteResponse__Output>): grpc.ClientUnaryCall;
  execute(argument: _generated_RestoreItemActionExecuteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_generated_RestoreItemActionExecuteResponse__Output>): grpc.ClientUnaryCall;
  execute(argument: _generated_RestoreItemActionExecuteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_RestoreItemActionExecuteResponse__Output>): grpc.ClientUnaryCall;
  execute(argument: _generated_RestoreItemActionExecuteRequest, callback: grpc.requestCallback<_generated_RestoreItemActionExecuteResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface RestoreItemActionHandlers extends grpc.UntypedServiceImplementation {
  AppliesTo: grpc.handleUnaryCall<_generated_RestoreItemActionAppliesToRequest__Output, _generated_RestoreItemActionAppliesToResponse>;
  
  Execute: grpc.handleUnaryCall<_generated_RestoreItemActionExecuteRequest__Output, _generated_RestoreItemActionExecuteResponse>;
  
}

export interface RestoreItemActionDefinition extends grpc.ServiceDefinition {
  AppliesTo: MethodDefinition<_generated_RestoreItemActionAppliesToRequest, _generated_RestoreItemActionAppliesToResponse, _generated_RestoreItemActionAppliesToRequest__Output, _generated_RestoreItemActionAppliesToResponse__Output>
  Execute: MethodDefinition<_generated_RestoreItemActionExecuteRequest, _generated_RestoreItemActionExecuteResponse, _generated_RestoreItemActionExecuteRequest__Output, _generated_RestoreItemActionExecuteResponse__Output>
}
