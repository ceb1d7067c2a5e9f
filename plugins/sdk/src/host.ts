// @velero-ts/plugin-sdk/host: client adapters the host uses to call plugins over gRPC.
// Not for plugin authors.
export {};
