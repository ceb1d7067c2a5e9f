// Original file: goplugin/grpc_stdio.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { Empty as _google_protobuf_Empty, Empty__Output as _google_protobuf_Empty__Output } from '../google/protobuf/Empty.js';
import type { StdioData as _plugin_StdioData, StdioData__Output as _plugin_StdioData__Output } from '../plugin/StdioData.js';

export interface GRPCStdioClient extends grpc.Client {
  StreamStdio(argument: _google_protobuf_Empty, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_plugin_StdioData__Output>;
  StreamStdio(argument: _google_protobuf_Empty, options?: grpc.CallOptions): grpc.ClientReadableStream<_plugin_StdioData__Output>;
  streamStdio(argument: _google_protobuf_Empty, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_plugin_StdioData__Output>;
  streamStdio(argument: _google_protobuf_Empty, options?: grpc.CallOptions): grpc.ClientReadableStream<_plugin_StdioData__Output>;
  
}

export interface GRPCStdioHandlers extends grpc.UntypedServiceImplementation {
  StreamStdio: grpc.handleServerStreamingCall<_google_protobuf_Empty__Output, _plugin_StdioData>;
  
}

export interface GRPCStdioDefinition extends grpc.ServiceDefinition {
  StreamStdio: MethodDefinition<_google_protobuf_Empty, _plugin_StdioData, _google_protobuf_Empty__Output, _plugin_StdioData__Output>
}
