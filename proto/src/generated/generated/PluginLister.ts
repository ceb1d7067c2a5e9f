// Original file: velero/PluginLister.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { Empty as _generated_Empty, Empty__Output as _generated_Empty__Output } from '../generated/Empty.js';
import type { ListPluginsResponse as _generated_ListPluginsResponse, ListPluginsResponse__Output as _generated_ListPluginsResponse__Output } from '../generated/ListPluginsResponse.js';

export interface PluginListerClient extends grpc.Client {
  ListPlugins(argument: _generated_Empty, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_ListPluginsResponse__Output>): grpc.ClientUnaryCall;
  ListPlugins(argument: _generated_Empty, metadata: grpc.Metadata, callback: grpc.requestCallback<_generated_ListPluginsResponse__Output>): grpc.ClientUnaryCall;
  ListPlugins(argument: _generated_Empty, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_ListPluginsResponse__Output>): grpc.ClientUnaryCall;
  ListPlugins(argument: _generated_Empty, callback: grpc.requestCallback<_generated_ListPluginsResponse__Output>): grpc.ClientUnaryCall;
  listPlugins(argument: _generated_Empty, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_ListPluginsResponse__Output>): grpc.ClientUnaryCall;
  listPlugins(argument: _generated_Empty, metadata: grpc.Metadata, callback: grpc.requestCallback<_generated_ListPluginsResponse__Output>): grpc.ClientUnaryCall;
  listPlugins(argument: _generated_Empty, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_ListPluginsResponse__Output>): grpc.ClientUnaryCall;
  listPlugins(argument: _generated_Empty, callback: grpc.requestCallback<_generated_ListPluginsResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface PluginListerHandlers extends grpc.UntypedServiceImplementation {
  ListPlugins: grpc.handleUnaryCall<_generated_Empty__Output, _generated_ListPluginsResponse>;
  
}

export interface PluginListerDefinition extends grpc.ServiceDefinition {
  ListPlugins: MethodDefinition<_generated_Empty, _generated_ListPluginsResponse, _generated_Empty__Output, _generated_ListPluginsResponse__Output>
}
