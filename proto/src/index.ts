// Typed loaders for Velero's plugin wire contracts. The descriptor is generated from the .proto
// files (scripts/generate.ts) and embedded, so bundled executables need no files on disk.
import * as grpc from "@grpc/grpc-js";
import { fromJSON, type Options, type PackageDefinition } from "@grpc/proto-loader";
import protobuf from "protobufjs";
import descriptor from "./generated/descriptor.json" with { type: "json" };

/** Load options matching the generated types (field case kept, int64 as number, enums as strings). */
export const LOAD_OPTIONS: Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

/** Fully qualified names of every service the plugin protocol uses. */
export const SERVICE_NAMES = {
  pluginLister: "generated.PluginLister",
  objectStore: "generated.ObjectStore",
  volumeSnapshotter: "generated.VolumeSnapshotter",
  backupItemAction: "generated.BackupItemAction",
  backupItemActionV2: "v2.BackupItemAction",
  restoreItemAction: "generated.RestoreItemAction",
  restoreItemActionV2: "v2.RestoreItemAction",
  deleteItemAction: "generated.DeleteItemAction",
  itemBlockAction: "v1.ItemBlockAction",
  health: "grpc.health.v1.Health",
  controller: "plugin.GRPCController",
  stdio: "plugin.GRPCStdio",
  broker: "plugin.GRPCBroker",
} as const;

export type ServiceKey = keyof typeof SERVICE_NAMES;

let cachedDefinition: PackageDefinition | undefined;
let cachedObject: grpc.GrpcObject | undefined;

/** The proto-loader package definition of all plugin protocol services and messages. */
export function packageDefinition(): PackageDefinition {
  cachedDefinition ??= fromJSON(descriptor as Record<string, unknown>, LOAD_OPTIONS);
  return cachedDefinition;
}

/** The service definition to register on a grpc.Server. */
export function serviceDefinition(key: ServiceKey): grpc.ServiceDefinition {
  const def = packageDefinition()[SERVICE_NAMES[key]];
  if (!def || !isServiceDefinition(def)) {
    throw new Error(`proto: service "${SERVICE_NAMES[key]}" missing from the descriptor`);
  }
  return def as grpc.ServiceDefinition;
}

/** A client constructor for the service. */
export function clientConstructor(key: ServiceKey): grpc.ServiceClientConstructor {
  cachedObject ??= grpc.loadPackageDefinition(packageDefinition());
  let node: unknown = cachedObject;
  for (const part of SERVICE_NAMES[key].split(".")) {
    node = (node as Record<string, unknown>)[part];
  }
  if (typeof node !== "function") {
    throw new Error(`proto: client for "${SERVICE_NAMES[key]}" missing from the descriptor`);
  }
  return node as grpc.ServiceClientConstructor;
}

/** Encodes a message by its fully qualified type name (e.g. "generated.Stack"). */
export function encodeMessage(typeName: string, value: Record<string, unknown>): Buffer {
  const type = messageType(typeName);
  return Buffer.from(type.encode(type.fromObject(value)).finish());
}

/** Decodes a message by its fully qualified type name. */
export function decodeMessage(typeName: string, bytes: Uint8Array): Record<string, unknown> {
  const type = messageType(typeName);
  return type.toObject(type.decode(bytes), { longs: Number, enums: String, defaults: true }) as Record<string, unknown>;
}

let cachedRoot: protobuf.Root | undefined;
function messageType(typeName: string): protobuf.Type {
  cachedRoot ??= protobuf.Root.fromJSON(descriptor as protobuf.INamespace);
  return cachedRoot.lookupType(typeName);
}

function isServiceDefinition(def: unknown): boolean {
  return typeof def === "object" && def !== null && !("format" in def);
}
