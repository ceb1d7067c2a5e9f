// A half-open connection to the API server (a load balancer failover, a dropped NAT entry: the
// socket stays open, nothing comes back) must not stall the server: the client PINGs its HTTP/2
// connection and drops one that does not answer, and the next request goes over a new one. And an
// API server that refuses connections for a moment (restarting) is waited out by the server's
// client. Real API server behind TCP proxies of this test (one can silently swallow every byte of
// the connections it carries; another is not listening yet).
import { createServer, connect, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GVR } from "../../../host/src/kube/gvr.ts";
import { HttpKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import { loadKubeConfig } from "../../../host/src/kube/kube-config.ts";
import { loadEndpoints } from "../../helpers/endpoints.ts";

const PING_MS = 1_000;
let proxy: Server;
let target: URL;
const live = new Set<{ client: Socket; upstream: Socket; swallowed: boolean }>();
let client: HttpKubeClient;

beforeAll(async () => {
  const kc = loadKubeConfig({ kubeconfig: loadEndpoints().kubeconfig });
  target = new URL(kc.getCurrentCluster()?.server ?? "");
  proxy = createServer((socket) => {
    const upstream = connect(Number(target.port), "127.0.0.1");
    const conn = { client: socket, upstream, swallowed: false };
    live.add(conn);
    socket.on("data", (d) => conn.swallowed || upstream.write(d));
    upstream.on("data", (d) => conn.swallowed || socket.write(d));
    const close = (): void => {
      live.delete(conn);
      socket.destroy();
      upstream.destroy();
    };
    socket.on("error", close).on("close", close);
    upstream.on("error", close).on("close", close);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const port = (proxy.address() as { port: number }).port;
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error("the test kubeconfig has no current cluster");
  (cluster as { server: string }).server = `https://127.0.0.1:${port}`;
  client = new HttpKubeClient(kc, { h2PingIntervalMs: PING_MS });
});

afterAll(async () => {
  await client?.close();
  for (const c of live) c.client.destroy();
  await new Promise<void>((resolve) => proxy?.close(() => resolve()));
});

describe("a half-open connection to the API server", () => {
  it("is dropped within a few PING intervals, and requests go on over a new connection", async () => {
    expect(await client.get(GVR.namespaces, "default")).toBeDefined();
    expect(live.size).toBe(1);
    for (const c of live) c.swallowed = true;
    const t0 = performance.now();
    // This request rides the dead connection; it fails once the PING goes unanswered (or is retried
    // on a new one). Either way it ends, and quickly, instead of hanging for minutes.
    await client.get(GVR.namespaces, "default").catch(() => undefined);
    const after = await client.get(GVR.namespaces, "default");
    expect(after?.metadata.name).toBe("default");
    expect(performance.now() - t0).toBeLessThan(10 * PING_MS);
    expect([...live].some((c) => !c.swallowed), "a new connection carries the requests").toBe(true);
  }, 60_000);
});

/** A client of the API server through a proxy that starts listening only after `delayMs` (connections are refused until then). */
async function clientThroughLateProxy(delayMs: number, connectRetryMs: number): Promise<{ client: HttpKubeClient; proxy: Server }> {
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const p = (probe.address() as { port: number }).port;
      probe.close(() => resolve(p));
    });
  });
  const late = createServer((socket) => {
    const upstream = connect(Number(target.port), "127.0.0.1");
    socket.pipe(upstream).pipe(socket);
    socket.on("error", () => upstream.destroy());
    upstream.on("error", () => socket.destroy());
  });
  setTimeout(() => late.listen(port, "127.0.0.1"), delayMs);
  const kc = loadKubeConfig({ kubeconfig: loadEndpoints().kubeconfig });
  (kc.getCurrentCluster() as { server: string }).server = `https://127.0.0.1:${port}`;
  return { client: new HttpKubeClient(kc, { connectRetryMs }), proxy: late };
}

describe("an API server refusing connections for a moment (restarting)", () => {
  it("is waited out by a client with a retry budget (the server's); a client without one (the CLI's) fails at once", async () => {
    const patient = await clientThroughLateProxy(800, 10_000);
    const impatient = await clientThroughLateProxy(60_000, 0);
    try {
      const t0 = performance.now();
      await expect(impatient.client.get(GVR.namespaces, "default")).rejects.toThrow(/ECONNREFUSED/);
      expect(performance.now() - t0).toBeLessThan(2_000);
      expect((await patient.client.get(GVR.namespaces, "default"))?.metadata.name).toBe("default");
    } finally {
      for (const p of [patient, impatient]) {
        await p.client.close();
        p.proxy.close();
      }
    }
  }, 60_000);
});
