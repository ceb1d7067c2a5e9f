import * as grpc from "@grpc/grpc-js";
import { serviceDefinition } from "@velero-ts/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PluginProtocolError, PluginUnavailableError } from "../contract/errors.js";
import { createNoopPluginLogger } from "../logger.js";
import { serve } from "../serve.js";
import { startTestPluginServer } from "../testing/harness.js";
import { InMemoryObjectStore } from "../testing/in-memory-object-store.js";
import { checkHealth, connectPlugin, drainStdio, listPlugins, shutdownPlugin } from "./connection.js";
import type { HandshakeInfo } from "./handshake.js";

const tcp = (address: string): HandshakeInfo => ({ coreVersion: 1, appVersion: 2, network: "tcp", address, protocol: "grpc", serverCert: "" });

/** A gRPC server on 127.0.0.1 with one service only, as a minimal non-Go plugin might serve. */
async function bareServer(service: Parameters<typeof serviceDefinition>[0], handlers: grpc.UntypedServiceImplementation): Promise<{ server: grpc.Server; address: string }> {
  const server = new grpc.Server();
  server.addService(serviceDefinition(service), handlers);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  return { server, address: `127.0.0.1:${port}` };
}

describe("connectPlugin", () => {
  it("builds unix and tcp targets", () => {
    const unix = connectPlugin({ ...tcp("x"), network: "unix", address: "/tmp/plugin1/plugin.sock" });
    const loop = connectPlugin(tcp("127.0.0.1:1234"));
    expect([unix.target, loop.target]).toEqual(["unix:/tmp/plugin1/plugin.sock", "127.0.0.1:1234"]);
    unix.close();
    loop.close();
    loop.close(); // idempotent
  });

  it("refuses a non-loopback tcp address", () => {
    expect(() => connectPlugin(tcp("10.0.0.5:1234"))).toThrow(PluginProtocolError);
  });
});

describe("go-plugin control calls against a server without the optional services", () => {
  // A bare server, like a minimal non-Go plugin: PluginLister only, no health, no stdio.
  let server: grpc.Server;
  let address: string;
  beforeAll(async () => {
    ({ server, address } = await bareServer("pluginLister", {
      ListPlugins: (_c: unknown, cb: grpc.sendUnaryData<object>) => cb(null, { plugins: [{ command: "/p", kind: "ObjectStore", name: "x.io/y" }] }),
    }));
  });
  afterAll(() => server.forceShutdown());

  it("accepts a plugin without the health service, tolerates a missing stdio service and ignores Shutdown errors", async () => {
    const conn = connectPlugin(tcp(address));
    try {
      await checkHealth(conn, 5000);
      const chunks: string[] = [];
      drainStdio(conn, (channel, data) => chunks.push(`${channel}:${data.toString()}`));
      expect(await listPlugins(conn)).toEqual([{ command: "/p", kind: "ObjectStore", name: "x.io/y" }]);
      await expect(shutdownPlugin(conn)).resolves.toBeUndefined();
      expect(chunks).toEqual([]);
    } finally {
      conn.close();
    }
  });
});

describe("the health check against a health service that does not know \"plugin\"", () => {
  // go-plugin's Go host never asks for health: a non-Go plugin whose health service has no
  // "plugin" entry (NOT_FOUND) runs under Velero, so it must here too; NOT_SERVING is refused.
  let server: grpc.Server;
  let address: string;
  let answer: { code?: grpc.status; status?: string } = {};
  beforeAll(async () => {
    ({ server, address } = await bareServer("health", {
      Check: (_c: unknown, cb: grpc.sendUnaryData<object>) => (answer.code !== undefined ? cb({ code: answer.code, details: "unknown service" }) : cb(null, { status: answer.status })),
    }));
  });
  afterAll(() => server.forceShutdown());

  it("takes NOT_FOUND as alive, and refuses NOT_SERVING", async () => {
    const conn = connectPlugin(tcp(address));
    try {
      answer = { code: grpc.status.NOT_FOUND };
      await expect(checkHealth(conn, 5000)).resolves.toBeUndefined();
      answer = { status: "NOT_SERVING" };
      await expect(checkHealth(conn, 5000)).rejects.toThrow('reports health status "NOT_SERVING", not SERVING');
    } finally {
      conn.close();
    }
  });
});

describe("control calls against an SDK plugin", () => {
  it("passes the health check, drains stdio and reports Shutdown to the plugin", async () => {
    const plugin = await startTestPluginServer(serve({ logger: createNoopPluginLogger() }).registerObjectStore("x.io/s", () => new InMemoryObjectStore()));
    drainStdio(plugin.connection, () => {});
    await checkHealth(plugin.connection, 5000);
    await shutdownPlugin(plugin.connection);
    await plugin.shutdownRequested;
    await plugin.close();
  });

  it("fails the health check with PluginUnavailableError when nothing listens", async () => {
    const plugin = await startTestPluginServer(serve({ logger: createNoopPluginLogger() }));
    const conn = connectPlugin(plugin.handshake);
    await plugin.close();
    try {
      await expect(checkHealth(conn, 300)).rejects.toBeInstanceOf(PluginUnavailableError);
      await expect(checkHealth(conn, 300)).rejects.toThrow(/failed its health check/);
      await expect(listPlugins(conn)).rejects.toBeInstanceOf(PluginUnavailableError);
      await expect(shutdownPlugin(conn)).resolves.toBeUndefined();
    } finally {
      conn.close();
    }
  });
});
