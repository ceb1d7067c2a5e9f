// Original file: velero/BackupItemAction.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { BackupItemActionAppliesToRequest as _generated_BackupItemActionAppliesToRequest, BackupItemActionAppliesToRequest__Output as _generated_BackupItemActionAppliesToRequest__Output } from '../generated/BackupItemActionAppliesToRequest.js';
import type { BackupItemActionAppliesToResponse as _generated_BackupItemActionAppliesToResponse, BackupItemActionAppliesToResponse__Output as _generated_BackupItemActionAppliesToResponse__Output } from '../generated/BackupItemActionAppliesToResponse.js';
import type { ExecuteRequest as _generated_ExecuteRequest, ExecuteRequest__Output as _generated_ExecuteRequest__Output } from '../generated/ExecuteRequest.js';
import type { ExecuteResponse as _generated_ExecuteResponse, ExecuteResponse__Output as _generated_ExecuteResponse__Output } from '../generated/ExecuteResponse.js';

export interface BackupItemActionClient extends grpc.Client {
  AppliesTo(argument: _generated_BackupItemActionAppliesToRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_BackupItemActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  AppliesTo(argument: _generated_BackupItemActionAppliesToRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_generated_BackupItemActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  AppliesTo(argument: _generated_BackupItemActionAppliesToRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_BackupItemActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  AppliesTo(argument: _generated_BackupItemActionAppliesToRequest, callback: grpc.requestCallback<_generated_BackupItemActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  appliesTo(argument: _generated_BackupItemActionAppliesToRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_BackupItemActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  appliesTo(argument: _generated_BackupItemActionAppliesToRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_generated_BackupItemActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  appliesTo(argument: _generated_BackupItemActionAppliesToRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_BackupItemActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  appliesTo(argument: _generated_BackupItemActionAppliesToRequest, callback: grpc.requestCallback<_generated_BackupItemActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  
  Execute(argument: _generated_ExecuteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_ExecuteResponse__Output>): grpc.ClientUnaryCall;
  Execute(argument: _generated_ExecuteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_generated_ExecuteResponse__Output>): grpc.ClientUnaryCall;
  Execute(argument: _generated_ExecuteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_ExecuteResponse__Output>): grpc.ClientUnaryCall;
  Execute(argument: _generated_ExecuteRequest, callback: grpc.requestCallback<_generated_ExecuteResponse__Output>): grpc.ClientUnaryCall;
  execute(argument: _generated_ExecuteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_ExecuteResponse__Output>): grpc.ClientUnaryCall;
  execute(argument: _generated_ExecuteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_generated_ExecuteResponse__Output>): grpc.ClientUnaryCall;
  execute(argument: _generated_ExecuteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_ExecuteResponse__Output>): grpc.ClientUnaryCall;
  execute(argument: _generated_ExecuteRequest, callback: grpc.requestCallback<_generated_ExecuteResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface BackupItemActionHandlers extends grpc.UntypedServiceImplementation {
  AppliesTo: grpc.handleUnaryCall<_generated_BackupItemActionAppliesToRequest__Output, _generated_BackupItemActionAppliesToResponse>;
  
  Execute: grpc.handleUnaryCall<_generated_ExecuteRequest__Output, _generated_ExecuteResponse>;
  
}

export interface BackupItemActionDefinition extends grpc.ServiceDefinition {
  AppliesTo: MethodDefinition<_generated_BackupItemActionAppliesToRequest, _generated_BackupItemActionAppliesToResponse, _generated_BackupItemActionAppliesToRequest__Output, _generated_BackupItemActionAppliesToResponse__Output>
  Execute: MethodDefinition<_generated_ExecuteRequest, _generated_ExecuteResponse, _generated_ExecuteRequest__Output, _generated_ExecuteResponse__Output>
}
