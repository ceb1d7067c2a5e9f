// @velero-ts/plugin-sdk/testing: in-memory implementations and conformance suites.
export {};
