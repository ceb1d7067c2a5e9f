// A half-open connection to the API server (a load balancer failover, a dropped NAT entry: the
// socket stays open, nothing comes back) must not stall the server: the client PINGs its HTTP/2
// connection and drops one that does not answer, and the next request goes over a new one. Real
// API server behind a TCP proxy of this test that can silently swallow every byte of the
// connections it carries.
import { createServer, connect, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GVR } from "../../../host/src/kube/gvr.ts";
import { HttpKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import { loadKubeConfig } from "../../../host/src/kube/kube-config.ts";
import { loadEndpoints } from "../../helpers/endpoints.ts";

const PING_MS = 1_000;
let proxy: Server;
const live = new Set<{ client: Socket; upstream: Socket; swallowed: boolean }>();
let client: HttpKubeClient;

beforeAll(async () => {
  const kc = loadKubeConfig({ kubeconfig: loadEndpoints().kubeconfig });
  const target = new URL(kc.getCurrentCluster()?.server ?? "");
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
