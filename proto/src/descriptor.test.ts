// Spot checks of the wire contract against Velero's (velero-compat.md section 3): field numbers,
// service and method names, streaming shapes.
import { describe, expect, it } from "vitest";
import protobuf from "protobufjs";
import descriptor from "./generated/descriptor.json" with { type: "json" };
import { clientConstructor, decodeMessage, encodeMessage, SERVICE_NAMES, serviceDefinition, type ServiceKey } from "./index.js";

const root = protobuf.Root.fromJSON(descriptor as protobuf.INamespace);
const fieldId = (type: string, field: string): number | undefined => root.lookupType(type).fields[field]?.id;

describe("message field numbers", () => {
  it.each([
    { type: "generated.ListCommonPrefixesRequest", field: "plugin", id: 1 },
    { type: "generated.ListCommonPrefixesRequest", field: "bucket", id: 2 },
    { type: "generated.ListCommonPrefixesRequest", field: "delimiter", id: 3 },
    { type: "generated.ListCommonPrefixesRequest", field: "prefix", id: 4 },
    { type: "generated.CreateSignedURLRequest", field: "ttl", id: 4 },
    { type: "generated.PutObjectRequest", field: "body", id: 4 },
    { type: "generated.Bytes", field: "data", id: 1 },
    { type: "generated.PluginIdentifier", field: "command", id: 1 },
    { type: "generated.PluginIdentifier", field: "kind", id: 2 },
    { type: "generated.PluginIdentifier", field: "name", id: 3 },
    { type: "generated.CreateVolumeRequest", field: "iops", id: 5 },
    { type: "generated.SetVolumeIDRequest", field: "volumeID", id: 3 },
    { type: "generated.RestoreItemActionExecuteRequest", field: "itemFromBackup", id: 4 },
    { type: "generated.RestoreItemActionExecuteResponse", field: "skipRestore", id: 3 },
    { type: "generated.BackupItemActionAppliesToResponse", field: "ResourceSelector", id: 1 },
    { type: "generated.ResourceSelector", field: "selector", id: 5 },
    { type: "generated.OperationProgress", field: "updated", id: 8 },
    { type: "generated.StackFrame", field: "function", id: 3 },
    { type: "v2.ExecuteResponse", field: "operationID", id: 3 },
    { type: "v2.ExecuteResponse", field: "postOperationItems", id: 4 },
    { type: "v2.RestoreItemActionExecuteResponse", field: "waitForAdditionalItems", id: 5 },
    { type: "v2.RestoreItemActionExecuteResponse", field: "additionalItemsReadyTimeout", id: 6 },
    { type: "v2.RestoreItemActionItemsReadyRequest", field: "additionalItems", id: 3 },
    { type: "v1.ItemBlockActionGetRelatedItemsResponse", field: "relatedItems", id: 1 },
    { type: "plugin.StdioData", field: "data", id: 2 },
  ])("$type.$field = $id", ({ type, field, id }) => {
    expect(fieldId(type, field)).toBe(id);
  });

  it("types int64 fields as int64 (ttl in nanoseconds, iops, progress counters)", () => {
    expect(root.lookupType("generated.CreateSignedURLRequest").fields.ttl?.type).toBe("int64");
    expect(root.lookupType("generated.OperationProgress").fields.nTotal?.type).toBe("int64");
    expect(root.lookupType("generated.GetVolumeInfoResponse").fields.iops?.type).toBe("int64");
  });
});

describe("services", () => {
  it("uses Velero's and go-plugin's fully qualified service names", () => {
    expect(SERVICE_NAMES).toMatchObject({
      pluginLister: "generated.PluginLister",
      objectStore: "generated.ObjectStore",
      backupItemActionV2: "v2.BackupItemAction",
      restoreItemActionV2: "v2.RestoreItemAction",
      itemBlockAction: "v1.ItemBlockAction",
      health: "grpc.health.v1.Health",
      controller: "plugin.GRPCController",
      stdio: "plugin.GRPCStdio",
    });
  });

  it.each([
    { key: "objectStore", methods: ["Init", "PutObject", "ObjectExists", "GetObject", "ListCommonPrefixes", "ListObjects", "DeleteObject", "CreateSignedURL"] },
    { key: "volumeSnapshotter", methods: ["Init", "CreateVolumeFromSnapshot", "GetVolumeInfo", "CreateSnapshot", "DeleteSnapshot", "GetVolumeID", "SetVolumeID"] },
    { key: "backupItemAction", methods: ["AppliesTo", "Execute"] },
    { key: "backupItemActionV2", methods: ["AppliesTo", "Execute", "Progress", "Cancel"] },
    { key: "restoreItemAction", methods: ["AppliesTo", "Execute"] },
    { key: "restoreItemActionV2", methods: ["AppliesTo", "Execute", "Progress", "Cancel", "AreAdditionalItemsReady"] },
    { key: "deleteItemAction", methods: ["AppliesTo", "Execute"] },
    { key: "itemBlockAction", methods: ["AppliesTo", "GetRelatedItems"] },
    { key: "pluginLister", methods: ["ListPlugins"] },
    { key: "controller", methods: ["Shutdown"] },
    { key: "stdio", methods: ["StreamStdio"] },
    { key: "health", methods: ["Check", "Watch"] },
  ] as { key: ServiceKey; methods: string[] }[])("$key has Velero's rpc paths", ({ key, methods }) => {
    const def = serviceDefinition(key);
    expect(Object.keys(def).sort()).toEqual([...methods].sort());
    for (const m of methods) expect(def[m]?.path).toBe(`/${SERVICE_NAMES[key]}/${m}`);
    expect(typeof clientConstructor(key)).toBe("function");
  });

  it("has the streaming shapes Velero uses", () => {
    const os = serviceDefinition("objectStore");
    expect([os.PutObject?.requestStream, os.PutObject?.responseStream]).toEqual([true, false]);
    expect([os.GetObject?.requestStream, os.GetObject?.responseStream]).toEqual([false, true]);
    expect(serviceDefinition("stdio").StreamStdio?.responseStream).toBe(true);
  });
});

describe("encodeMessage / decodeMessage", () => {
  it("round-trips a generated.Stack inside a google.rpc.Status", () => {
    const stack = encodeMessage("generated.Stack", { frames: [{ file: "f.go", line: 7, function: "main.f" }] });
    const status = decodeMessage(
      "google.rpc.Status",
      encodeMessage("google.rpc.Status", { code: 2, message: "m", details: [{ type_url: "type.googleapis.com/generated.Stack", value: stack }] }),
    ) as { details: { type_url: string; value: Uint8Array }[] };
    expect(status.details[0]?.type_url).toBe("type.googleapis.com/generated.Stack");
    expect(decodeMessage("generated.Stack", status.details[0]?.value ?? new Uint8Array())).toEqual({ frames: [{ file: "f.go", line: 7, function: "main.f" }] });
  });
});
