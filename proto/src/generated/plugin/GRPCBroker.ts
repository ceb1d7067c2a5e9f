// Original file: goplugin/grpc_broker.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ConnInfo as _plugin_ConnInfo, ConnInfo__Output as _plugin_ConnInfo__Output } from '../plugin/ConnInfo.js';

export interface GRPCBrokerClient extends grpc.Client {
  StartStream(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_plugin_ConnInfo, _plugin_ConnInfo__Output>;
  StartStream(options?: grpc.CallOptions): grpc.ClientDuplexStream<_plugin_ConnInfo, _plugin_ConnInfo__Output>;
  startStream(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_plugin_ConnInfo, _plugin_ConnInfo__Output>;
  startStream(options?: grpc.CallOptions): grpc.ClientDuplexStream<_plugin_ConnInfo, _plugin_ConnInfo__Output>;
  
}

export interface GRPCBrokerHandlers extends grpc.UntypedServiceImplementation {
  StartStream: grpc.handleBidiStreamingCall<_plugin_ConnInfo__Output, _plugin_ConnInfo>;
  
}

export interface GRPCBrokerDefinition extends grpc.ServiceDefinition {
  StartStream: MethodDefinition<_plugin_ConnInfo, _plugin_ConnInfo, _plugin_ConnInfo__Output, _plugin_ConnInfo__Output>
}
