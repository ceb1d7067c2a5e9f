// Original file: velero/DeleteItemAction.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { DeleteItemActionAppliesToRequest as _generated_DeleteItemActionAppliesToRequest, DeleteItemActionAppliesToRequest__Output as _generated_DeleteItemActionAppliesToRequest__Output } from '../generated/DeleteItemActionAppliesToRequest.js';
import type { DeleteItemActionAppliesToResponse as _generated_DeleteItemActionAppliesToResponse, DeleteItemActionAppliesToResponse__Output as _generated_DeleteItemActionAppliesToResponse__Output } from '../generated/DeleteItemActionAppliesToResponse.js';
import type { DeleteItemActionExecuteRequest as _generated_DeleteItemActionExecuteRequest, DeleteItemActionExecuteRequest__Output as _generated_DeleteItemActionExecuteRequest__Output } from '../generated/DeleteItemActionExecuteRequest.js';
import type { Empty as _generated_Empty, Empty__Output as _generated_Empty__Output } from '../generated/Empty.js';

export interface DeleteItemActionClient extends grpc.Client {
  AppliesTo(argument: _generated_DeleteItemActionAppliesToRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_DeleteItemActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  AppliesTo(argument: _generated_DeleteItemActionAppliesToRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_generated_DeleteItemActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  AppliesTo(argument: _generated_DeleteItemActionAppliesToRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_DeleteItemActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  AppliesTo(argument: _generated_DeleteItemActionAppliesToRequest, callback: grpc.requestCallback<_generated_DeleteItemActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  appliesTo(argument: _generated_DeleteItemActionAppliesToRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_DeleteItemActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  appliesTo(argument: _generated_DeleteItemActionAppliesToRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_generated_DeleteItemActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  appliesTo(argument: _generated_DeleteItemActionAppliesToRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_DeleteItemActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  appliesTo(argument: _generated_DeleteItemActionAppliesToRequest, callback: grpc.requestCallback<_generated_DeleteItemActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  
  Execute(argument: _generated_DeleteItemActionExecuteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientUnaryCall;
  Execute(argument: _generated_DeleteItemActionExecuteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientUnaryCall;
  Execute(argument: _generated_DeleteItemActionExecuteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientUnaryCall;
  Execute(argument: _generated_DeleteItemActionExecuteRequest, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientUnaryCall;
  execute(argument: _generated_DeleteItemActionExecuteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientUnaryCall;
  execute(argument: _generated_DeleteItemActionExecuteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientUnaryCall;
  execute(argument: _generated_DeleteItemActionExecuteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientUnaryCall;
  execute(argument: _generated_DeleteItemActionExecuteRequest, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientUnaryCall;
  
}

export interface DeleteItemActionHandlers extends grpc.UntypedServiceImplementation {
  AppliesTo: grpc.handleUnaryCall<_generated_DeleteItemActionAppliesToRequest__Output, _generated_DeleteItemActionAppliesToResponse>;
  
  Execute: grpc.handleUnaryCall<_generated_DeleteItemActionExecuteRequest__Output, _generated_Empty>;
  
}

export interface DeleteItemActionDefinition extends grpc.ServiceDefinition {
  AppliesTo: MethodDefinition<_generated_DeleteItemActionAppliesToRequest, _generated_DeleteItemActionAppliesToResponse, _generated_DeleteItemActionAppliesToRequest__Output, _generated_DeleteItemActionAppliesToResponse__Output>
  Execute: MethodDefinition<_generated_DeleteItemActionExecuteRequest, _generated_Empty, _generated_DeleteItemActionExecuteRequest__Output, _generated_Empty__Output>
}
