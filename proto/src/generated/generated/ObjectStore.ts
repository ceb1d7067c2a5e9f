// Original file: velero/ObjectStore.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { Bytes as _generated_Bytes, Bytes__Output as _generated_Bytes__Output } from '../generated/Bytes.js';
import type { CreateSignedURLRequest as _generated_CreateSignedURLRequest, CreateSignedURLRequest__Output as _generated_CreateSignedURLRequest__Output } from '../generated/CreateSignedURLRequest.js';
import type { CreateSignedURLResponse as _generated_CreateSignedURLResponse, CreateSignedURLResponse__Output as _generated_CreateSignedURLResponse__Output } from '../generated/CreateSignedURLResponse.js';
import type { DeleteObjectRequest as _generated_DeleteObjectRequest, DeleteObjectRequest__Output as _generated_DeleteObjectRequest__Output } from '../generated/DeleteObjectRequest.js';
import type { Empty as _generated_Empty, Empty__Output as _generated_Empty__Output } from '../generated/Empty.js';
import type { GetObjectRequest as _generated_GetObjectRequest, GetObjectRequest__Output as _generated_GetObjectRequest__Output } from '../generated/GetObjectRequest.js';
import type { ListCommonPrefixesRequest as _generated_ListCommonPrefixesRequest, ListCommonPrefixesRequest__Output as _generated_ListCommonPrefixesRequest__Output } from '../generated/ListCommonPrefixesRequest.js';
import type { ListCommonPrefixesResponse as _generated_ListCommonPrefixesResponse, ListCommonPrefixesResponse__Output as _generated_ListCommonPrefixesResponse__Output } from '../generated/ListCommonPrefixesResponse.js';
import type { ListObjectsRequest as _generated_ListObjectsRequest, ListObjectsRequest__Output as _generated_ListObjectsRequest__Output } from '../generated/ListObjectsRequest.js';
import type { ListObjectsResponse as _generated_ListObjectsResponse, ListObjectsResponse__Output as _generated_ListObjectsResponse__Output } from '../generated/ListObjectsResponse.js';
import type { ObjectExistsRequest as _generated_ObjectExistsRequest, ObjectExistsRequest__Output as _generated_ObjectExistsRequest__Output } from '../generated/ObjectExistsRequest.js';
import type { ObjectExistsResponse as _generated_ObjectExistsResponse, ObjectExistsResponse__Output as _generated_ObjectExistsResponse__Output } from '../generated/ObjectExistsResponse.js';
import type { ObjectStoreInitRequest as _generated_ObjectStoreInitRequest, ObjectStoreInitRequest__Output as _generated_ObjectStoreInitRequest__Output } from '../generated/ObjectStoreInitRequest.js';
import type { PutObjectRequest as _generated_PutObjectRequest, PutObjectRequest__Output as _generated_PutObjectRequest__Output } from '../generated/PutObjectRequest.js';

export interface ObjectStoreClient extends grpc.Client {
  CreateSignedURL(argument: _generated_CreateSignedURLRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_CreateSignedURLResponse__Output>): grpc.ClientUnaryCall;
  CreateSignedURL(argument: _generated_CreateSignedURLRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_generated_CreateSignedURLResponse__Output>): grpc.ClientUnaryCall;
  CreateSignedURL(argument: _generated_CreateSignedURLRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_CreateSignedURLResponse__Output>): grpc.ClientUnaryCall;
  CreateSignedURL(argument: _generated_CreateSignedURLRequest, callback: grpc.requestCallback<_generated_CreateSignedURLResponse__Output>): grpc.ClientUnaryCall;
  createSignedUrl(argument: _generated_CreateSignedURLRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_CreateSignedURLResponse__Output>): grpc.ClientUnaryCall;
  createSignedUrl(argument: _generated_CreateSignedURLRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_generated_CreateSignedURLResponse__Output>): grpc.ClientUnaryCall;
  createSignedUrl(argument: _generated_CreateSignedURLRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_CreateSignedURLResponse__Output>): grpc.ClientUnaryCall;
  createSignedUrl(argument: _generated_CreateSignedURLRequest, callback: grpc.requestCallback<_generated_CreateSignedURLResponse__Output>): grpc.ClientUnaryCall;
  
  DeleteObject(argument: _generated_DeleteObjectRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientUnaryCall;
  DeleteObject(argument: _generated_DeleteObjectRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientUnaryCall;
  DeleteObject(argument: _generated_DeleteObjectRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientUnaryCall;
  DeleteObject(argument: _generated_DeleteObjectRequest, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientUnaryCall;
  deleteObject(argument: _generated_DeleteObjectRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientUnaryCall;
  deleteObject(argument: _generated_DeleteObjectRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientUnaryCall;
  deleteObject(argument: _generated_DeleteObjectRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientUnaryCall;
  deleteObject(argument: _generated_DeleteObjectRequest, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientUnaryCall;
  
  GetObject(argument: _generated_GetObjectRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_generated_Bytes__Output>;
  GetObject(argument: _generated_GetObjectRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_generated_Bytes__Output>;
  getObject(argument: _generated_GetObjectRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_generated_Bytes__Output>;
  getObject(argument: _generated_GetObjectRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_generated_Bytes__Output>;
  
  Init(argument: _generated_ObjectStoreInitRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientUnaryCall;
  Init(argument: _generated_ObjectStoreInitRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientUnaryCall;
  Init(argument: _generated_ObjectStoreInitRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientUnaryCall;
  Init(argument: _generated_ObjectStoreInitRequest, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientUnaryCall;
  init(argument: _generated_ObjectStoreInitRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientUnaryCall;
  init(argument: _generated_ObjectStoreInitRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientUnaryCall;
  init(argument: _generated_ObjectStoreInitRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientUnaryCall;
  init(argument: _generated_ObjectStoreInitRequest, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientUnaryCall;
  
  ListCommonPrefixes(argument: _generated_ListCommonPrefixesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_ListCommonPrefixesResponse__Output>): grpc.ClientUnaryCall;
  ListCommonPrefixes(argument: _generated_ListCommonPrefixesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_generated_ListCommonPrefixesResponse__Output>): grpc.ClientUnaryCall;
  ListCommonPrefixes(argument: _generated_ListCommonPrefixesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_ListCommonPrefixesResponse__Output>): grpc.ClientUnaryCall;
  ListCommonPrefixes(argument: _generated_ListCommonPrefixesRequest, callback: grpc.requestCallback<_generated_ListCommonPrefixesResponse__Output>): grpc.ClientUnaryCall;
  listCommonPrefixes(argument: _generated_ListCommonPrefixesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_ListCommonPrefixesResponse__Output>): grpc.ClientUnaryCall;
  listCommonPrefixes(argument: _generated_ListCommonPrefixesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_generated_ListCommonPrefixesResponse__Output>): grpc.ClientUnaryCall;
  listCommonPrefixes(argument: _generated_ListCommonPrefixesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_ListCommonPrefixesResponse__Output>): grpc.ClientUnaryCall;
  listCommonPrefixes(argument: _generated_ListCommonPrefixesRequest, callback: grpc.requestCallback<_generated_ListCommonPrefixesResponse__Output>): grpc.ClientUnaryCall;
  
  ListObjects(argument: _generated_ListObjectsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_ListObjectsResponse__Output>): grpc.ClientUnaryCall;
  ListObjects(argument: _generated_ListObjectsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_generated_ListObjectsResponse__Output>): grpc.ClientUnaryCall;
  ListObjects(argument: _generated_ListObjectsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_ListObjectsResponse__Output>): grpc.ClientUnaryCall;
  ListObjects(argument: _generated_ListObjectsRequest, callback: grpc.requestCallback<_generated_ListObjectsResponse__Output>): grpc.ClientUnaryCall;
  listObjects(argument: _generated_ListObjectsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_ListObjectsResponse__Output>): grpc.ClientUnaryCall;
  listObjects(argument: _generated_ListObjectsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_generated_ListObjectsResponse__Output>): grpc.ClientUnaryCall;
  listObjects(argument: _generated_ListObjectsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_ListObjectsResponse__Output>): grpc.ClientUnaryCall;
  listObjects(argument: _generated_ListObjectsRequest, callback: grpc.requestCallback<_generated_ListObjectsResponse__Output>): grpc.ClientUnaryCall;
  
  ObjectExists(argument: _generated_ObjectExistsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_ObjectExistsResponse__Output>): grpc.ClientUnaryCall;
  ObjectExists(argument: _generated_ObjectExistsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_generated_ObjectExistsResponse__Output>): grpc.ClientUnaryCall;
  ObjectExists(argument: _generated_ObjectExistsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_ObjectExistsResponse__Output>): grpc.ClientUnaryCall;
  ObjectExists(argument: _generated_ObjectExistsRequest, callback: grpc.requestCallback<_generated_ObjectExistsResponse__Output>): grpc.ClientUnaryCall;
  objectExists(argument: _generated_ObjectExistsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_ObjectExistsResponse__Output>): grpc.ClientUnaryCall;
  objectExists(argument: _generated_ObjectExistsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_generated_ObjectExistsResponse__Output>): grpc.ClientUnaryCall;
  objectExists(argument: _generated_ObjectExistsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_ObjectExistsResponse__Output>): grpc.ClientUnaryCall;
  objectExists(argument: _generated_ObjectExistsRequest, callback: grpc.requestCallback<_generated_ObjectExistsResponse__Output>): grpc.ClientUnaryCall;
  
  PutObject(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientWritableStream<_generated_PutObjectRequest>;
  PutObject(metadata: grpc.Metadata, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientWritableStream<_generated_PutObjectRequest>;
  PutObject(options: grpc.CallOptions, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientWritableStream<_generated_PutObjectRequest>;
  PutObject(callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientWritableStream<_generated_PutObjectRequest>;
  putObject(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientWritableStream<_generated_PutObjectRequest>;
  putObject(metadata: grpc.Metadata, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientWritableStream<_generated_PutObjectRequest>;
  putObject(options: grpc.CallOptions, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientWritableStream<_generated_PutObjectRequest>;
  putObject(callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientWritableStream<_generated_PutObjectRequest>;
  
}

export interface ObjectStoreHandlers extends grpc.UntypedServiceImplementation {
  CreateSignedURL: grpc.handleUnaryCall<_generated_CreateSignedURLRequest__Output, _generated_CreateSignedURLResponse>;
  
  DeleteObject: grpc.handleUnaryCall<_generated_DeleteObjectRequest__Output, _generated_Empty>;
  
  GetObject: grpc.handleServerStreamingCall<_generated_GetObjectRequest__Output, _generated_Bytes>;
  
  Init: grpc.handleUnaryCall<_generated_ObjectStoreInitRequest__Output, _generated_Empty>;
  
  ListCommonPrefixes: grpc.handleUnaryCall<_generated_ListCommonPrefixesRequest__Output, _generated_ListCommonPrefixesResponse>;
  
  ListObjects: grpc.handleUnaryCall<_generated_ListObjectsRequest__Output, _generated_ListObjectsResponse>;
  
  ObjectExists: grpc.handleUnaryCall<_generated_ObjectExistsRequest__Output, _generated_ObjectExistsResponse>;
  
  PutObject: grpc.handleClientStreamingCall<_generated_PutObjectRequest__Output, _generated_Empty>;
  
}

export interface ObjectStoreDefinition extends grpc.ServiceDefinition {
  CreateSignedURL: MethodDefinition<_generated_CreateSignedURLRequest, _generated_CreateSignedURLResponse, _generated_CreateSignedURLRequest__Output, _generated_CreateSignedURLResponse__Output>
  DeleteObject: MethodDefinition<_generated_DeleteObjectRequest, _generated_Empty, _generated_DeleteObjectRequest__Output, _generated_Empty__Output>
  GetObject: MethodDefinition<_generated_GetObjectRequest, _generated_Bytes, _generated_GetObjectRequest__Output, _generated_Bytes__Output>
  Init: MethodDefinition<_generated_ObjectStoreInitRequest, _generated_Empty, _generated_ObjectStoreInitRequest__Output, _generated_Empty__Output>
  ListCommonPrefixes: MethodDefinition<_generated_ListCommonPrefixesRequest, _generated_ListCommonPrefixesResponse, _generated_ListCommonPrefixesRequest__Output, _generated_ListCommonPrefixesResponse__Output>
  ListObjects: MethodDefinition<_generated_ListObjectsRequest, _generated_ListObjectsResponse, _generated_ListObjectsRequest__Output, _generated_ListObjectsResponse__Output>
  ObjectExists: MethodDefinition<_generated_ObjectExistsRequest, _generated_ObjectExistsResponse, _generated_ObjectExistsRequest__Output, _generated_ObjectExistsResponse__Output>
  PutObject: MethodDefinition<_generated_PutObjectRequest, _generated_Empty, _generated_PutObjectRequest__Output, _generated_Empty__Output>
}
