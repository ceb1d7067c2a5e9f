// Original file: velero/itemblockaction/v1/ItemBlockAction.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ItemBlockActionAppliesToRequest as _v1_ItemBlockActionAppliesToRequest, ItemBlockActionAppliesToRequest__Output as _v1_ItemBlockActionAppliesToRequest__Output } from '../v1/ItemBlockActionAppliesToRequest.js';
import type { ItemBlockActionAppliesToResponse as _v1_ItemBlockActionAppliesToResponse, ItemBlockActionAppliesToResponse__Output as _v1_ItemBlockActionAppliesToResponse__Output } from '../v1/ItemBlockActionAppliesToResponse.js';
import type { ItemBlockActionGetRelatedItemsRequest as _v1_ItemBlockActionGetRelatedItemsRequest, ItemBlockActionGetRelatedItemsRequest__Output as _v1_ItemBlockActionGetRelatedItemsRequest__Output } from '../v1/ItemBlockActionGetRelatedItemsRequest.js';
import type { ItemBlockActionGetRelatedItemsResponse as _v1_ItemBlockActionGetRelatedItemsResponse, ItemBlockActionGetRelatedItemsResponse__Output as _v1_ItemBlockActionGetRelatedItemsResponse__Output } from '../v1/ItemBlockActionGetRelatedItemsResponse.js';

export interface ItemBlockActionClient extends grpc.Client {
  AppliesTo(argument: _v1_ItemBlockActionAppliesToRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_v1_ItemBlockActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  AppliesTo(argument: _v1_ItemBlockActionAppliesToRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_v1_ItemBlockActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  AppliesTo(argument: _v1_ItemBlockActionAppliesToRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_v1_ItemBlockActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  AppliesTo(argument: _v1_ItemBlockActionAppliesToRequest, callback: grpc.requestCallback<_v1_ItemBlockActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  appliesTo(argument: _v1_ItemBlockActionAppliesToRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_v1_ItemBlockActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  appliesTo(argument: _v1_ItemBlockActionAppliesToRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_v1_ItemBlockActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  appliesTo(argument: _v1_ItemBlockActionAppliesToRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_v1_ItemBlockActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  appliesTo(argument: _v1_ItemBlockActionAppliesToRequest, callback: grpc.requestCallback<_v1_ItemBlockActionAppliesToResponse__Output>): grpc.ClientUnaryCall;
  
  GetRelatedItems(argument: _v1_ItemBlockActionGetRelatedItemsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_v1_ItemBlockActionGetRelatedItemsResponse__Output>): grpc.ClientUnaryCall;
  GetRelatedItems(argument: _v1_ItemBlockActionGetRelatedItemsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_v1_ItemBlockActionGetRelatedItemsResponse__Output>): grpc.ClientUnaryCall;
  GetRelatedItems(argument: _v1_ItemBlockActionGetRelatedItemsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_v1_ItemBlockActionGetRelatedItemsResponse__Output>): grpc.ClientUnaryCall;
  GetRelatedItems(argument: _v1_ItemBlockActionGetRelatedItemsRequest, callback: grpc.requestCallback<_v1_ItemBlockActionGetRelatedItemsResponse__Output>): grpc.ClientUnaryCall;
  getRelatedItems(argument: _v1_ItemBlockActionGetRelatedItemsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_v1_ItemBlockActionGetRelatedItemsResponse__Output>): grpc.ClientUnaryCall;
  getRelatedItems(argument: _v1_ItemBlockActionGetRelatedItemsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_v1_ItemBlockActionGetRelatedItemsResponse__Output>): grpc.ClientUnaryCall;
  getRelatedItems(argument: _v1_ItemBlockActionGetRelatedItemsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_v1_ItemBlockActionGetRelatedItemsResponse__Output>): grpc.ClientUnaryCall;
  getRelatedItems(argument: _v1_ItemBlockActionGetRelatedItemsRequest, callback: grpc.requestCallback<_v1_ItemBlockActionGetRelatedItemsResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface ItemBlockActionHandlers extends grpc.UntypedServiceImplementation {
  AppliesTo: grpc.handleUnaryCall<_v1_ItemBlockActionAppliesToRequest__Output, _v1_ItemBlockActionAppliesToResponse>;
  
  GetRelatedItems: grpc.handleUnaryCall<_v1_ItemBlockActionGetRelatedItemsRequest__Output, _v1_ItemBlockActionGetRelatedItemsResponse>;
  
}

export interface ItemBlockActionDefinition extends grpc.ServiceDefinition {
  AppliesTo: MethodDefinition<_v1_ItemBlockActionAppliesToRequest, _v1_ItemBlockActionAppliesToResponse, _v1_ItemBlockActionAppliesToRequest__Output, _v1_ItemBlockActionAppliesToResponse__Output>
  GetRelatedItems: MethodDefinition<_v1_ItemBlockActionGetRelatedItemsRequest, _v1_ItemBlockActionGetRelatedItemsResponse, _v1_ItemBlockActionGetRelatedItemsRequest__Output, _v1_ItemBlockActionGetRelatedItemsResponse__Output>
}
