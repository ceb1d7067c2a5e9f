// Original file: velero/VolumeSnapshotter.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CreateSnapshotRequest as _generated_CreateSnapshotRequest, CreateSnapshotRequest__Output as _generated_CreateSnapshotRequest__Output } from '../generated/CreateSnapshotRequest.js';
import type { CreateSnapshotResponse as _generated_CreateSnapshotResponse, CreateSnapshotResponse__Output as _generated_CreateSnapshotResponse__Output } from '../generated/CreateSnapshotResponse.js';
import type { CreateVolumeRequest as _generated_CreateVolumeRequest, CreateVolumeRequest__Output as _generated_CreateVolumeRequest__Output } from '../generated/CreateVolumeRequest.js';
import type { CreateVolumeResponse as _generated_CreateVolumeResponse, CreateVolumeResponse__Output as _generated_CreateVolumeResponse__Output } from '../generated/CreateVolumeResponse.js';
import type { DeleteSnapshotRequest as _generated_DeleteSnapshotRequest, DeleteSnapshotRequest__Output as _generated_DeleteSnapshotRequest__Output } from '../generated/DeleteSnapshotRequest.js';
import type { Empty as _generated_Empty, Empty__Output as _generated_Empty__Output } from '../generated/Empty.js';
import type { GetVolumeIDRequest as _generated_GetVolumeIDRequest, GetVolumeIDRequest__Output as _generated_GetVolumeIDRequest__Output } from '../generated/GetVolumeIDRequest.js';
import type { GetVolumeIDResponse as _generated_GetVolumeIDResponse, GetVolumeIDResponse__Output as _generated_GetVolumeIDResponse__Output } from '../generated/GetVolumeIDResponse.js';
import type { GetVolumeInfoRequest as _generated_GetVolumeInfoRequest, GetVolumeInfoRequest__Output as _generated_GetVolumeInfoRequest__Output } from '../generated/GetVolumeInfoRequest.js';
import type { GetVolumeInfoResponse as _generated_GetVolumeInfoResponse, GetVolumeInfoResponse__Output as _generated_GetVolumeInfoResponse__Output } from '../generated/GetVolumeInfoResponse.js';
import type { SetVolumeIDRequest as _generated_SetVolumeIDRequest, SetVolumeIDRequest__Output as _generated_SetVolumeIDRequest__Output } from '../generated/SetVolumeIDRequest.js';
import type { SetVolumeIDResponse as _generated_SetVolumeIDResponse, SetVolumeIDResponse__Output as _generated_SetVolumeIDResponse__Output } from '../generated/SetVolumeIDResponse.js';
import type { VolumeSnapshotterInitRequest as _generated_VolumeSnapshotterInitRequest, VolumeSnapshotterInitRequest__Output as _generated_VolumeSnapshotterInitRequest__Output } from '../generated/VolumeSnapshotterInitRequest.js';

export interface VolumeSnapshotterClient extends grpc.Client {
  CreateSnapshot(argument: _generated_CreateSnapshotRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_CreateSnapshotResponse__Output>): grpc.ClientUnaryCall;
  CreateSnapshot(argument: _generated_CreateSnapshotRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_generated_CreateSnapshotResponse__Output>): grpc.ClientUnaryCall;
  CreateSnapshot(argument: _generated_CreateSnapshotRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_CreateSnapshotResponse__Output>): grpc.ClientUnaryCall;
  CreateSnapshot(argument: _generated_CreateSnapshotRequest, callback: grpc.requestCallback<_generated_CreateSnapshotResponse__Output>): grpc.ClientUnaryCall;
  createSnapshot(argument: _generated_CreateSnapshotRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_CreateSnapshotResponse__Output>): grpc.ClientUnaryCall;
  createSnapshot(argument: _generated_CreateSnapshotRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_generated_CreateSnapshotResponse__Output>): grpc.ClientUnaryCall;
  createSnapshot(argument: _generated_CreateSnapshotRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_CreateSnapshotResponse__Output>): grpc.ClientUnaryCall;
  createSnapshot(argument: _generated_CreateSnapshotRequest, callback: grpc.requestCallback<_generated_CreateSnapshotResponse__Output>): grpc.ClientUnaryCall;
  
  CreateVolumeFromSnapshot(argument: _generated_CreateVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_CreateVolumeResponse__Output>): grpc.ClientUnaryCall;
  CreateVolumeFromSnapshot(argument: _generated_CreateVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_generated_CreateVolumeResponse__Output>): grpc.ClientUnaryCall;
  CreateVolumeFromSnapshot(argument: _generated_CreateVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_CreateVolumeResponse__Output>): grpc.ClientUnaryCall;
  CreateVolumeFromSnapshot(argument: _generated_CreateVolumeRequest, callback: grpc.requestCallback<_generated_CreateVolumeResponse__Output>): grpc.ClientUnaryCall;
  createVolumeFromSnapshot(argument: _generated_CreateVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_CreateVolumeResponse__Output>): grpc.ClientUnaryCall;
  createVolumeFromSnapshot(argument: _generated_CreateVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_generated_CreateVolumeResponse__Output>): grpc.ClientUnaryCall;
  createVolumeFromSnapshot(argument: _generated_CreateVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_CreateVolumeResponse__Output>): grpc.ClientUnaryCall;
  createVolumeFromSnapshot(argument: _generated_CreateVolumeRequest, callback: grpc.requestCallback<_generated_CreateVolumeResponse__Output>): grpc.ClientUnaryCall;
  
  DeleteSnapshot(argument: _generated_DeleteSnapshotRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientUnaryCall;
  DeleteSnapshot(argument: _generated_DeleteSnapshotRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientUnaryCall;
  DeleteSnapshot(argument: _generated_DeleteSnapshotRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientUnaryCall;
  DeleteSnapshot(argument: _generated_DeleteSnapshotRequest, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientUnaryCall;
  deleteSnapshot(argument: _generated_DeleteSnapshotRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientUnaryCall;
  deleteSnapshot(argument: _generated_DeleteSnapshotRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientUnaryCall;
  deleteSnapshot(argument: _generated_DeleteSnapshotRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientUnaryCall;
  deleteSnapshot(argument: _generated_DeleteSnapshotRequest, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientUnaryCall;
  
  GetVolumeID(argument: _generated_GetVolumeIDRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_GetVolumeIDResponse__Output>): grpc.ClientUnaryCall;
  GetVolumeID(argument: _generated_GetVolumeIDRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_generated_GetVolumeIDResponse__Output>): grpc.ClientUnaryCall;
  GetVolumeID(argument: _generated_GetVolumeIDRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_GetVolumeIDResponse__Output>): grpc.ClientUnaryCall;
  GetVolumeID(argument: _generated_GetVolumeIDRequest, callback: grpc.requestCallback<_generated_GetVolumeIDResponse__Output>): grpc.ClientUnaryCall;
  getVolumeId(argument: _generated_GetVolumeIDRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_GetVolumeIDResponse__Output>): grpc.ClientUnaryCall;
  getVolumeId(argument: _generated_GetVolumeIDRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_generated_GetVolumeIDResponse__Output>): grpc.ClientUnaryCall;
  getVolumeId(argument: _generated_GetVolumeIDRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_GetVolumeIDResponse__Output>): grpc.ClientUnaryCall;
  getVolumeId(argument: _generated_GetVolumeIDRequest, callback: grpc.requestCallback<_generated_GetVolumeIDResponse__Output>): grpc.ClientUnaryCall;
  
  GetVolumeInfo(argument: _generated_GetVolumeInfoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_GetVolumeInfoResponse__Output>): grpc.ClientUnaryCall;
  GetVolumeInfo(argument: _generated_GetVolumeInfoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_generated_GetVolumeInfoResponse__Output>): grpc.ClientUnaryCall;
  GetVolumeInfo(argument: _generated_GetVolumeInfoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_GetVolumeInfoResponse__Output>): grpc.ClientUnaryCall;
  GetVolumeInfo(argument: _generated_GetVolumeInfoRequest, callback: grpc.requestCallback<_generated_GetVolumeInfoResponse__Output>): grpc.ClientUnaryCall;
  getVolumeInfo(argument: _generated_GetVolumeInfoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_GetVolumeInfoResponse__Output>): grpc.ClientUnaryCall;
  getVolumeInfo(argument: _generated_GetVolumeInfoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_generated_GetVolumeInfoResponse__Output>): grpc.ClientUnaryCall;
  getVolumeInfo(argument: _generated_GetVolumeInfoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_GetVolumeInfoResponse__Output>): grpc.ClientUnaryCall;
  getVolumeInfo(argument: _generated_GetVolumeInfoRequest, callback: grpc.requestCallback<_generated_GetVolumeInfoResponse__Output>): grpc.ClientUnaryCall;
  
  Init(argument: _generated_VolumeSnapshotterInitRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientUnaryCall;
  Init(argument: _generated_VolumeSnapshotterInitRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientUnaryCall;
  Init(argument: _generated_VolumeSnapshotterInitRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientUnaryCall;
  Init(argument: _generated_VolumeSnapshotterInitRequest, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientUnaryCall;
  init(argument: _generated_VolumeSnapshotterInitRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientUnaryCall;
  init(argument: _generated_VolumeSnapshotterInitRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientUnaryCall;
  init(argument: _generated_VolumeSnapshotterInitRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientUnaryCall;
  init(argument: _generated_VolumeSnapshotterInitRequest, callback: grpc.requestCallback<_generated_Empty__Output>): grpc.ClientUnaryCall;
  
  SetVolumeID(argument: _generated_SetVolumeIDRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_SetVolumeIDResponse__Output>): grpc.ClientUnaryCall;
  SetVolumeID(argument: _generated_SetVolumeIDRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_generated_SetVolumeIDResponse__Output>): grpc.ClientUnaryCall;
  SetVolumeID(argument: _generated_SetVolumeIDRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_SetVolumeIDResponse__Output>): grpc.ClientUnaryCall;
  SetVolumeID(argument: _generated_SetVolumeIDRequest, callback: grpc.requestCallback<_generated_SetVolumeIDResponse__Output>): grpc.ClientUnaryCall;
  setVolumeId(argument: _generated_SetVolumeIDRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_SetVolumeIDResponse__Output>): grpc.ClientUnaryCall;
  setVolumeId(argument: _generated_SetVolumeIDRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_generated_SetVolumeIDResponse__Output>): grpc.ClientUnaryCall;
  setVolumeId(argument: _generated_SetVolumeIDRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_generated_SetVolumeIDResponse__Output>): grpc.ClientUnaryCall;
  setVolumeId(argument: _generated_SetVolumeIDRequest, callback: grpc.requestCallback<_generated_SetVolumeIDResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface VolumeSnapshotterHandlers extends grpc.UntypedServiceImplementation {
  CreateSnapshot: grpc.handleUnaryCall<_generated_CreateSnapshotRequest__Output, _generated_CreateSnapshotResponse>;
  
  CreateVolumeFromSnapshot: grpc.handleUnaryCall<_generated_CreateVolumeRequest__Output, _generated_CreateVolumeResponse>;
  
  DeleteSnapshot: grpc.handleUnaryCall<_generated_DeleteSnapshotRequest__Output, _generated_Empty>;
  
  GetVolumeID: grpc.handleUnaryCall<_generated_GetVolumeIDRequest__Output, _generated_GetVolumeIDResponse>;
  
  GetVolumeInfo: grpc.handleUnaryCall<_generated_GetVolumeInfoRequest__Output, _generated_GetVolumeInfoResponse>;
  
  Init: grpc.handleUnaryCall<_generated_VolumeSnapshotterInitRequest__Output, _generated_Empty>;
  
  SetVolumeID: grpc.handleUnaryCall<_generated_SetVolumeIDRequest__Output, _generated_SetVolumeIDResponse>;
  
}

export interface VolumeSnapshotterDefinition extends grpc.ServiceDefinition {
  CreateSnapshot: MethodDefinition<_generated_CreateSnapshotRequest, _generated_CreateSnapshotResponse, _generated_CreateSnapshotRequest__Output, _generated_CreateSnapshotResponse__Output>
  CreateVolumeFromSnapshot: MethodDefinition<_generated_CreateVolumeRequest, _generated_CreateVolumeResponse, _generated_CreateVolumeRequest__Output, _generated_CreateVolumeResponse__Output>
  DeleteSnapshot: MethodDefinition<_generated_DeleteSnapshotRequest, _generated_Empty, _generated_DeleteSnapshotRequest__Output, _generated_Empty__Output>
  GetVolumeID: MethodDefinition<_generated_GetVolumeIDRequest, _generated_GetVolumeIDResponse, _generated_GetVolumeIDRequest__Output, _generated_GetVolumeIDResponse__Output>
  GetVolumeInfo: MethodDefinition<_generated_GetVolumeInfoRequest, _generated_GetVolumeInfoResponse, _generated_GetVolumeInfoRequest__Output, _generated_GetVolumeInfoResponse__Output>
  Init: MethodDefinition<_generated_VolumeSnapshotterInitRequest, _generated_Empty, _generated_VolumeSnapshotterInitRequest__Output, _generated_Empty__Output>
  SetVolumeID: MethodDefinition<_generated_SetVolumeIDRequest, _generated_SetVolumeIDResponse, _generated_SetVolumeIDRequest__Output, _generated_SetVolumeIDResponse__Output>
}
