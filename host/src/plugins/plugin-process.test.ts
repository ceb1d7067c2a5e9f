import { describe, expect, it } from "vitest";
import { defaultPluginTransport, pluginEnvironment } from "./plugin-process.js";

describe("pluginEnvironment", () => {
  it("offers vtframes1 besides the go-plugin handshake variables", () => {
    const env = pluginEnvironment({ EXTRA: "1" }, "vtframes1");
    expect(env).toMatchObject({ VELERO_PLUGIN: "hello", PLUGIN_PROTOCOL_VERSIONS: "2", EXTRA: "1", VELERO_TS_PLUGIN_PROTOCOLS: "vtframes1" });
    // go-plugin's client defaults, as Velero's plugins get them (not 0: velero-compat.md is wrong there)
    expect(env).toMatchObject({ PLUGIN_MIN_PORT: "10000", PLUGIN_MAX_PORT: "25000" });
  });

  it("offers nothing but gRPC when forced, even when the host itself inherited an offer", () => {
    const env = pluginEnvironment({ VELERO_TS_PLUGIN_PROTOCOLS: "vtframes1" }, "grpc");
    expect(env["VELERO_TS_PLUGIN_PROTOCOLS"]).toBeUndefined();
    expect(env["VELERO_PLUGIN"]).toBe("hello");
  });
});

describe("defaultPluginTransport", () => {
  it.each([
    { env: {}, transport: "vtframes1" },
    { env: { VELERO_TS_PLUGIN_TRANSPORT: "grpc" }, transport: "grpc" },
    { env: { VELERO_TS_PLUGIN_TRANSPORT: " GRPC " }, transport: "grpc" },
    { env: { VELERO_TS_PLUGIN_TRANSPORT: "vtframes1" }, transport: "vtframes1" },
  ])("is $transport for $env", ({ env, transport }) => {
    expect(defaultPluginTransport(env)).toBe(transport);
  });
});
