import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { GVR } from "./gvr.js";
import { HttpKubeClient, kubeUserAgent, type HttpKubeClientOptions } from "./http-kube-client.js";

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A client of a local HTTP server answering with `answers` in turn (the last one repeats). */
async function clientAnswering(answers: { status: number; headers?: Record<string, string>; body: object }[]): Promise<{ client: HttpKubeClient; requests: () => number }> {
  let n = 0;
  const client = await clientOf((_req, res) => {
    const a = answers[Math.min(n++, answers.length - 1)] as (typeof answers)[number];
    res.writeHead(a.status, { "content-type": "application/json", ...a.headers });
    res.end(JSON.stringify(a.body));
  });
  return { client, requests: () => n };
}

/** A client of a local HTTP server (`server`, closed after each test) that answers with `handler`. */
async function clientOf(handler: Parameters<typeof createServer>[1], options: HttpKubeClientOptions = {}): Promise<HttpKubeClient> {
  return new HttpKubeClient(kubeConfigOf(await serve(handler)), options);
}

/** Starts the local HTTP server (`server`, closed after each test) answering with `handler`. */
async function serve(handler: Parameters<typeof createServer>[1]): Promise<Server> {
  const s = createServer(handler);
  server = s;
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  return s;
}

/** A kubeconfig for the local server `s` (plain HTTP), its user holding `token` when given. */
function kubeConfigOf(s: Server, token?: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "c", server: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, skipTLSVerify: true }],
    users: [{ name: "u", ...(token ? { token } : {}) }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
  return kc;
}

const tooMany = (retryAfter?: string) => ({
  status: 429,
  ...(retryAfter === undefined ? {} : { headers: { "retry-after": retryAfter } }),
  body: { kind: "Status", apiVersion: "v1", status: "Failure", message: "storage is (re)initializing", reason: "TooManyRequests", code: 429 },
});
const configMap = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", namespace: "n" } };

describe("HttpKubeClient: 429 Too Many Requests", () => {
  it("waits out Retry-After and retries, as client-go does (a CRD's storage still initializing)", async () => {
    const { client, requests } = await clientAnswering([tooMany("0"), tooMany("0"), { status: 200, body: configMap }]);
    expect(await client.get(GVR.configMaps, "c", "n")).toMatchObject({ metadata: { name: "c" } });
    expect(requests()).toBe(3);
  });

  it("gives up after 10 attempts with the API server's error", async () => {
    const { client, requests } = await clientAnswering([tooMany("0")]);
    // The Status's message, as client-go's StatusError prints it; the status code and request are fields.
    await expect(client.get(GVR.configMaps, "c", "n")).rejects.toMatchObject({
      message: "storage is (re)initializing",
      statusCode: 429,
      reason: "TooManyRequests",
      method: "GET",
      path: "/api/v1/namespaces/n/configmaps/c",
    });
    expect(requests()).toBe(10);
  });

  it("does not retry a 429 without Retry-After", async () => {
    const { client, requests } = await clientAnswering([tooMany()]);
    await expect(client.get(GVR.configMaps, "c", "n")).rejects.toMatchObject({ statusCode: 429 });
    expect(requests()).toBe(1);
  });
});

describe("HttpKubeClient: transient failures client-go retries", () => {
  const unavailable = (retryAfter?: string) => ({
    status: 503,
    ...(retryAfter === undefined ? {} : { headers: { "retry-after": retryAfter } }),
    body: { kind: "Status", apiVersion: "v1", status: "Failure", message: "the server is currently unable to handle the request", reason: "ServiceUnavailable", code: 503 },
  });

  it("waits out a 5xx's Retry-After and retries; a 5xx without one fails at once", async () => {
    const retried = await clientAnswering([unavailable("0"), { status: 200, body: configMap }]);
    expect(await retried.client.get(GVR.configMaps, "c", "n")).toMatchObject({ metadata: { name: "c" } });
    expect(retried.requests()).toBe(2);
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    const failed = await clientAnswering([unavailable()]);
    await expect(failed.client.get(GVR.configMaps, "c", "n")).rejects.toMatchObject({ statusCode: 503 });
    expect(failed.requests()).toBe(1);
  });

  it("sends a GET again a second after its connection was lost; a write is not sent twice", async () => {
    let n = 0;
    const client = await clientOf((req, res) => {
      n++;
      // the first request of each kind: the connection breaks before any answer
      if (n === 1 || (req.method === "POST" && n === 3)) {
        req.socket.destroy();
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(configMap));
    });
    const started = Date.now();
    expect(await client.get(GVR.configMaps, "c", "n")).toMatchObject({ metadata: { name: "c" } });
    expect(n).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    await expect(client.create(GVR.configMaps, configMap as never)).rejects.toThrow();
    expect(n).toBe(3);
  });
});

describe("HttpKubeClient: proxies", () => {
  it("goes through the cluster's proxy-url, as client-go does", async () => {
    const seen: string[] = [];
    // the proxy answers itself and records what it was asked to forward
    const proxy = await serve((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(configMap));
    });
    const kc = new KubeConfig();
    // nothing listens at the API server's address: only the proxy can answer
    kc.loadFromOptions({
      clusters: [{ name: "c", server: "http://127.0.0.1:9", skipTLSVerify: true, proxyUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` }],
      users: [{ name: "u" }],
      contexts: [{ name: "x", cluster: "c", user: "u" }],
      currentContext: "x",
    });
    const client = new HttpKubeClient(kc);
    expect(await client.get(GVR.configMaps, "c", "n")).toMatchObject({ metadata: { name: "c" } });
    expect(seen).toEqual(["GET http://127.0.0.1:9/api/v1/namespaces/n/configmaps/c"]);
    await client.close();
  });

  it("goes through $HTTP_PROXY when the kubeconfig names none, but never for a loopback API server (as Go's ProxyFromEnvironment)", async () => {
    const seen: string[] = [];
    const proxy = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(configMap));
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const saved = { HTTP_PROXY: process.env["HTTP_PROXY"], http_proxy: process.env["http_proxy"] };
    process.env["HTTP_PROXY"] = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    delete process.env["http_proxy"];
    const clientFor = (server: string): HttpKubeClient => {
      const kc = new KubeConfig();
      kc.loadFromOptions({ clusters: [{ name: "c", server, skipTLSVerify: true }], users: [{ name: "u" }], contexts: [{ name: "x", cluster: "c", user: "u" }], currentContext: "x" });
      return new HttpKubeClient(kc);
    };
    try {
      // an address that is not loopback (TEST-NET-1, an IP literal: no DNS): the proxy is asked, and answers itself; nothing dials that address
      const remote = clientFor("http://192.0.2.1:6443");
      expect(await remote.get(GVR.configMaps, "c", "n")).toMatchObject({ metadata: { name: "c" } });
      expect(seen).toEqual(["GET http://192.0.2.1:6443/api/v1/namespaces/n/configmaps/c"]);
      await remote.close();
      // the loopback API server is dialled directly
      const local = await clientAnswering([{ status: 200, body: configMap }]);
      expect(await local.client.get(GVR.configMaps, "c", "n")).toMatchObject({ metadata: { name: "c" } });
      expect(local.requests()).toBe(1);
      expect(seen).toHaveLength(1);
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });
});

describe("HttpKubeClient: discovery failures", () => {
  it("skips a group version whose aggregated API is Stale and reports it as client-go does", async () => {
    const core = { kind: "APIGroupDiscoveryList", apiVersion: "apidiscovery.k8s.io/v2", items: [{ metadata: { name: "" }, versions: [{ version: "v1", resources: [{ resource: "configmaps", responseKind: { kind: "ConfigMap" }, scope: "Namespaced", verbs: ["list", "get"] }] }] }] };
    const groups = {
      kind: "APIGroupDiscoveryList",
      apiVersion: "apidiscovery.k8s.io/v2",
      items: [
        { metadata: { name: "broken.example.io" }, versions: [{ version: "v1beta1", freshness: "Stale", resources: [{ resource: "gadgets", responseKind: { kind: "Gadget" }, scope: "Namespaced", verbs: ["list"] }] }] },
        { metadata: { name: "apps" }, versions: [{ version: "v1", freshness: "Current", resources: [{ resource: "deployments", responseKind: { kind: "Deployment" }, scope: "Namespaced", verbs: ["list"] }] }] },
      ],
    };
    const client = await clientOf((req, res) => {
      res.writeHead(200, { "content-type": "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList" });
      res.end(JSON.stringify(req.url === "/api" ? core : groups));
    });
    expect((await client.discover()).map((r) => `${r.group}/${r.version}/${r.resource}`)).toEqual(["/v1/configmaps", "apps/v1/deployments"]);
    expect(await client.discoveryFailures()).toEqual([{ groupVersion: "broken.example.io/v1beta1", error: "stale GroupVersion discovery: broken.example.io/v1beta1" }]);
  });
});

describe("HttpKubeClient: an object's name is required", () => {
  it("refuses a GET, PATCH or DELETE without a name, sending nothing (the collection's path would answer a List, or delete everything)", async () => {
    const { client, requests } = await clientAnswering([{ status: 200, body: { kind: "ConfigMapList", items: [] } }]);
    await expect(client.get(GVR.configMaps, "", "n")).rejects.toThrow("resource name may not be empty");
    await expect(client.patch(GVR.configMaps, "", "n", {})).rejects.toThrow("resource name may not be empty");
    await expect(client.delete(GVR.configMaps, "", "n")).rejects.toThrow("resource name may not be empty");
    expect(requests()).toBe(0);
  });
});

describe("HttpKubeClient requests", () => {
  it("sends its User-Agent (the API server's field manager is its part before the slash: velero-server for the server, as Velero's)", async () => {
    const agents: (string | undefined)[] = [];
    const client = await clientOf(
      (req, res) => {
        agents.push(req.headers["user-agent"]);
        res.writeHead(200, { "content-type": "application/json" });
        res.end('{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"n"}}');
      },
      { userAgent: kubeUserAgent("velero-server", "v9.9.9", "abc123") },
    );
    await client.get(GVR.configMaps, "c", "n");
    expect(agents).toEqual([`velero-server/v9.9.9 (linux/${process.arch === "x64" ? "amd64" : process.arch}) abc123`]);
  });

  it("with qps and burst (--client-qps, --client-burst), sends `burst` requests at once and then no faster than qps", async () => {
    const arrived: number[] = [];
    const client = await clientOf(
      (_req, res) => {
        arrived.push(performance.now());
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(configMap));
      },
      { qps: 20, burst: 2 },
    );
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 6 }, () => client.get(GVR.configMaps, "c", "n")));
    expect(arrived).toHaveLength(6);
    // 2 at once, then 4 more at 50 ms each: the last cannot arrive before 200 ms (lower bounds only)
    expect((arrived[5] as number) - t0).toBeGreaterThanOrEqual(195);
  });

  it("opens at most maxConnections connections (--max-concurrent-k8s-connections); requests beyond them wait, none fails", async () => {
    const peak = async (options: HttpKubeClientOptions): Promise<{ inFlight: number; sockets: number }> => {
      let inFlight = 0;
      let most = 0;
      const ports = new Set<number>();
      const client = await clientOf((req, res) => {
        ports.add(req.socket.remotePort ?? 0);
        most = Math.max(most, ++inFlight);
        setTimeout(() => {
          inFlight--;
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify(configMap));
        }, 20);
      }, options);
      const got = await Promise.all(Array.from({ length: 6 }, () => client.get(GVR.configMaps, "c", "n")));
      expect(got.every((o) => o?.metadata.name === "c")).toBe(true);
      await new Promise<void>((resolve) => (server as Server).close(() => resolve()));
      server = undefined;
      return { inFlight: most, sockets: ports.size };
    };
    expect(await peak({ maxConnections: 2 })).toEqual({ inFlight: 2, sockets: 2 });
    // the default (Velero's 30) does not hold six back
    expect(await peak({})).toEqual({ inFlight: 6, sockets: 6 });
  });

  it("reads integers beyond 2^53 exactly and writes them back exactly (bigint)", async () => {
    const bodies: string[] = [];
    const client = await clientOf((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        if (body) bodies.push(body);
        res.writeHead(200, { "content-type": "application/json" });
        res.end(body || '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"n"},"spec":{"max":9223372036854775807,"f":0.1,"n":5}}');
      });
    });
    const item = (await client.get(GVR.configMaps, "c", "n")) as unknown as { spec: Record<string, unknown> };
    expect(item.spec).toEqual({ max: 9223372036854775807n, f: 0.1, n: 5 });
    await client.create(GVR.configMaps, item as never);
    expect(bodies[0]).toContain('"spec":{"max":9223372036854775807,"f":0.1,"n":5}');
  });
});

describe("HttpKubeClient: LISTs not older than a resourceVersion", () => {
  /** A server of the given version recording each LIST's query; `refuse` answers its LISTs with a Too-large 504. */
  async function serverOf(minor: string, refuse = false): Promise<{ client: HttpKubeClient; lists: URLSearchParams[] }> {
    const lists: URLSearchParams[] = [];
    const client = await clientOf((req, res) => {
      const url = new URL(req.url ?? "/", "http://x");
      res.setHeader("content-type", "application/json");
      if (url.pathname === "/version") return void res.end(JSON.stringify({ major: "1", minor, gitVersion: `v1.${minor}` }));
      lists.push(url.searchParams);
      if (refuse && url.searchParams.has("resourceVersion")) {
        res.writeHead(504);
        return void res.end(JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", message: "Timeout: Too large resource version: 99, current: 7", reason: "Timeout", code: 504 }));
      }
      res.end(JSON.stringify({ kind: "ConfigMapList", apiVersion: "v1", metadata: { resourceVersion: "7" }, items: [configMap] }));
    });
    return { client, lists };
  }

  it("asks Kubernetes 1.31 and later (\"31+\" too) for resourceVersionMatch=NotOlderThan on the first page only", async () => {
    for (const minor of ["31", "36", "31+"]) {
      const { client, lists } = await serverOf(minor);
      await client.list(GVR.configMaps, { namespace: "n", notOlderThan: "5" });
      expect(lists.map((q) => [q.get("resourceVersion"), q.get("resourceVersionMatch")])).toEqual([["5", "NotOlderThan"]]);
      await new Promise<void>((resolve) => server?.close(() => resolve()));
      server = undefined;
    }
  });

  it("lists consistently on Kubernetes before 1.31 (its watch cache would wait 3 s for a resourceVersion it has not seen)", async () => {
    const { client, lists } = await serverOf("30");
    expect((await client.list(GVR.configMaps, { namespace: "n", notOlderThan: "5" })).items).toHaveLength(1);
    expect(lists.map((q) => q.has("resourceVersion"))).toEqual([false]);
  });

  it("falls back to a consistent LIST when the resourceVersion is refused, and asks no more for that resource", async () => {
    const { client, lists } = await serverOf("36", true);
    expect((await client.list(GVR.configMaps, { namespace: "n", notOlderThan: "99" })).items).toHaveLength(1);
    expect((await client.list(GVR.configMaps, { namespace: "m", notOlderThan: "99" })).items).toHaveLength(1);
    expect(lists.map((q) => q.get("resourceVersion"))).toEqual(["99", null, null]);
  });
});

describe("HttpKubeClient: the kubeconfig's per-request headers", () => {
  it("are worked out once for requests close together (client-node re-reads the TLS files each time) and again a second later (a refreshed token)", async () => {
    const seen: string[] = [];
    const local = await serve((req, res) => {
      seen.push(String(req.headers.authorization));
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(configMap));
    });
    const kc = kubeConfigOf(local, "first");
    let applied = 0;
    const apply = kc.applyToHTTPSOptions.bind(kc);
    kc.applyToHTTPSOptions = async (opts) => {
      applied++;
      return apply(opts);
    };
    const client = new HttpKubeClient(kc);
    await Promise.all(Array.from({ length: 20 }, () => client.get(GVR.configMaps, "c", "n")));
    // once for the connection's TLS material, once for the headers of all 20 requests
    expect(applied).toBe(2);
    expect(new Set(seen)).toEqual(new Set(["Bearer first"]));
    (kc.getCurrentUser() as { token?: string }).token = "second";
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await client.get(GVR.configMaps, "c", "n");
    expect(seen.at(-1)).toBe("Bearer second");
    expect(applied).toBe(3);
    await client.close();
  });
});

describe("HttpKubeClient: an expired token in the reused headers", () => {
  it("asks the kubeconfig again on a 401 and sends the request once more, with the new token", async () => {
    const seen: string[] = [];
    const local = await serve((req, res) => {
      seen.push(String(req.headers.authorization));
      const ok = req.headers.authorization === "Bearer second";
      res.writeHead(ok ? 200 : 401, { "content-type": "application/json" });
      res.end(JSON.stringify(ok ? configMap : { kind: "Status", apiVersion: "v1", status: "Failure", message: "Unauthorized", reason: "Unauthorized", code: 401 }));
    });
    const kc = kubeConfigOf(local, "first");
    const client = new HttpKubeClient(kc);
    await expect(client.get(GVR.configMaps, "c", "n")).rejects.toMatchObject({ statusCode: 401 });
    // the first token was refused twice (the retry asked the kubeconfig again: still "first")
    expect(seen).toEqual(["Bearer first", "Bearer first"]);
    (kc.getCurrentUser() as { token?: string }).token = "second";
    // within the reuse window the cached "first" is refused, then the fresh "second" is accepted
    expect(await client.get(GVR.configMaps, "c", "n")).toMatchObject({ metadata: { name: "c" } });
    expect(seen.slice(2)).toEqual(["Bearer first", "Bearer second"]);
    await client.close();
  });
});

/** A client of the server `s` whose user's credential comes from the exec plugin `plugin`. */
function execCredentialClient(s: Server, plugin: string): HttpKubeClient {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "c", server: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, skipTLSVerify: true }],
    users: [{ name: "u", exec: { apiVersion: "client.authentication.k8s.io/v1", command: plugin, args: [], env: [], interactiveMode: "Never" } as never }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
  return new HttpKubeClient(kc);
}

describe("HttpKubeClient: exec credentials", () => {
  it("asks an exec credential plugin again after a 401, though its credential had no expiry (client-node would keep it for ever), as client-go does", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vt-exec-cred-"));
    try {
      const counter = join(dir, "n");
      const plugin = join(dir, "cred.sh");
      writeFileSync(plugin, `#!/bin/sh\nn=$(cat "${counter}" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "${counter}"\nprintf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"token-%s"}}' "$n"\n`, { mode: 0o755 });
      const seen: string[] = [];
      const s = await serve((req, res) => {
        seen.push(req.headers.authorization ?? "");
        const ok = req.headers.authorization === "Bearer token-2";
        res.writeHead(ok ? 200 : 401, { "content-type": "application/json" });
        res.end(JSON.stringify(ok ? configMap : { kind: "Status", apiVersion: "v1", status: "Failure", message: "Unauthorized", reason: "Unauthorized", code: 401 }));
      });
      const client = execCredentialClient(s, plugin);
      expect(await client.get(GVR.configMaps, "c", "n")).toMatchObject({ metadata: { name: "c" } });
      expect(seen).toEqual(["Bearer token-1", "Bearer token-2"]);
      await client.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("HttpKubeClient: a broken exec credential", () => {
  it("says the plugin's output is not JSON without quoting it (V8's message would show part of the token)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vt-exec-cred-"));
    try {
      const plugin = join(dir, "cred.sh");
      writeFileSync(plugin, `#!/bin/sh\nprintf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":TOKENMARKER42}}'\n`, { mode: 0o755 });
      const s = await serve((_req, res) => res.end(JSON.stringify(configMap)));
      const client = execCredentialClient(s, plugin);
      const failure = await client.get(GVR.configMaps, "c", "n").then(
        () => "",
        (err: unknown) => (err as Error).message,
      );
      expect(failure).toContain("getting credentials: decoding the exec credential plugin's output: Unexpected token 'T' in JSON");
      expect(failure).not.toContain("TOKENMARKER");
      await client.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("HttpKubeClient: LIST pages", () => {
  /**
   * A LIST server over `names` (in key order) serving `limit` items a page with index tokens;
   * `expire(n)` decides whether the n-th continued page (from 1) answers 410 Expired, and with
   * which token to go on ("" for none). `names` may change between requests (objects created).
   */
  async function pagedServer(names: string[], expire: (n: number, cont: string) => string | undefined = () => undefined): Promise<{ client: HttpKubeClient; queries: URLSearchParams[] }> {
    const queries: URLSearchParams[] = [];
    let continued = 0;
    const client = await clientOf((req, res) => {
      const url = new URL(req.url ?? "/", "http://x");
      res.setHeader("content-type", "application/json");
      if (url.pathname === "/version") return void res.end(JSON.stringify({ major: "1", minor: "36", gitVersion: "v1.36.3" }));
      queries.push(url.searchParams);
      const limit = Number(url.searchParams.get("limit") ?? names.length);
      const cont = url.searchParams.get("continue") ?? "";
      if (cont !== "") {
        const offered = expire(++continued, cont);
        if (offered !== undefined) {
          res.writeHead(410);
          const metadata = offered === "" ? {} : { continue: offered };
          return void res.end(JSON.stringify({ kind: "Status", apiVersion: "v1", metadata, status: "Failure", message: "The provided continue parameter is too old to display a consistent list result.", reason: "Expired", code: 410 }));
        }
      }
      // a token names the key to start after: "after:<name>"
      const after = cont.startsWith("after:") ? cont.slice("after:".length) : undefined;
      const rest = after === undefined ? names : names.filter((n) => n > after);
      const page = rest.slice(0, limit);
      const more = rest.length > limit;
      res.end(
        JSON.stringify({
          kind: "ConfigMapList",
          apiVersion: "v1",
          metadata: { resourceVersion: "7", ...(more ? { continue: `after:${page.at(-1)}` } : {}) },
          items: page.map((name) => ({ metadata: { name, namespace: "n" } })),
        }),
      );
    });
    return { client, queries };
  }

  const names = (pages: { items: { metadata: { name?: string } }[] }[]): string[] => pages.flatMap((p) => p.items.map((i) => i.metadata.name ?? ""));

  it("hands over one page at a time, asking for the next only when the consumer wants it", async () => {
    const { client, queries } = await pagedServer(["a", "b", "c", "d", "e"]);
    const pages = client.listPages(GVR.configMaps, { namespace: "n", limit: 2 })[Symbol.asyncIterator]();
    const first = await pages.next();
    expect(first.value?.items.map((i: { metadata: { name?: string } }) => i.metadata.name)).toEqual(["a", "b"]);
    expect(first.value?.items[0]).toMatchObject({ apiVersion: "v1", kind: "ConfigMap" });
    expect(queries).toHaveLength(1);
    const rest = [];
    for (let r = await pages.next(); !r.done; r = await pages.next()) rest.push(r.value);
    expect(names(rest)).toEqual(["c", "d", "e"]);
    expect(queries.map((q) => q.get("continue"))).toEqual([null, "after:b", "after:d"]);
  });

  it("sizes pages by the bytes of the resource's items when no limit is given: small items 500 to a page, 300 KiB ones about 4 MiB a page", async () => {
    let blob = "";
    const sizes: number[] = [];
    const queries: URLSearchParams[] = [];
    const all = Array.from({ length: 1200 }, (_, i) => `k${String(i).padStart(4, "0")}`);
    const client = await clientOf((req, res) => {
      const url = new URL(req.url ?? "/", "http://x");
      res.setHeader("content-type", "application/json");
      if (url.pathname === "/version") return void res.end(JSON.stringify({ major: "1", minor: "36", gitVersion: "v1.36.3" }));
      queries.push(url.searchParams);
      const after = url.searchParams.get("continue") ?? "";
      const rest = all.filter((n) => n > after);
      const page = rest.slice(0, Number(url.searchParams.get("limit")));
      const body = JSON.stringify({
        kind: url.pathname.endsWith("/secrets") ? "SecretList" : "ConfigMapList",
        apiVersion: "v1",
        metadata: { resourceVersion: "7", ...(rest.length > page.length ? { continue: page.at(-1) } : {}) },
        items: page.map((name) => ({ metadata: { name, namespace: "n" }, data: { blob } })),
      });
      sizes.push(body.length);
      res.end(body);
    });
    const listed = async (gvr: typeof GVR.secrets): Promise<string[]> => {
      const pages = [];
      for await (const page of client.listPages(gvr, { namespace: "n" })) pages.push(page);
      return names(pages);
    };
    expect(await listed(GVR.configMaps)).toEqual(all);
    // a resource's first page is small while its items' size is unknown
    expect(queries.map((q) => q.get("limit"))).toEqual(["20", "500", "500", "500"]);

    blob = "x".repeat(300 * 1024);
    queries.length = 0;
    sizes.length = 0;
    expect(await listed(GVR.secrets)).toEqual(all);
    expect(queries[0]?.get("limit")).toBe("20");
    expect(queries[1]?.get("limit")).toBe("13");
    // after the first, no page is much above 4 MiB
    expect(Math.max(...sizes.slice(1))).toBeLessThan(4.2 * 1024 * 1024);
    // the size learnt applies to the next LIST of the resource (another namespace, the next backup)
    queries.length = 0;
    await listed(GVR.secrets);
    expect(queries[0]?.get("limit")).toBe("13");
  });

  it("remembers the size of each LIST it made whole, by resource, namespace and selector (lastListBytes): all its pages; not a LIST cut short", async () => {
    const sizes: number[] = [];
    const client = await clientOf((req, res) => {
      const url = new URL(req.url ?? "/", "http://x");
      res.setHeader("content-type", "application/json");
      if (url.pathname === "/version") return void res.end(JSON.stringify({ major: "1", minor: "36", gitVersion: "v1.36.3" }));
      const count = url.pathname.startsWith("/api/v1/namespaces/big/") ? 5 : 0;
      const after = Number(url.searchParams.get("continue") ?? "0");
      const page = Array.from({ length: count }, (_, i) => `k${i}`).slice(after, after + 2);
      const body = JSON.stringify({
        kind: "ConfigMapList",
        apiVersion: "v1",
        metadata: { resourceVersion: "7", ...(after + page.length < count ? { continue: String(after + page.length) } : {}) },
        items: page.map((name) => ({ metadata: { name, namespace: "big" } })),
      });
      sizes.push(body.length);
      res.end(body);
    });
    const drain = async (options: { namespace: string; labelSelector?: string; maxItems?: number }) => {
      for await (const page of client.listPages(GVR.configMaps, { ...options, limit: 2 })) void page;
    };
    expect(client.lastListBytes(GVR.configMaps, { namespace: "big" })).toBeUndefined();
    await drain({ namespace: "big" });
    expect(sizes).toHaveLength(3);
    expect(client.lastListBytes(GVR.configMaps, { namespace: "big" })).toBe(sizes.reduce((a, b) => a + b));
    sizes.length = 0;
    await drain({ namespace: "empty" });
    expect(client.lastListBytes(GVR.configMaps, { namespace: "empty" })).toBe(sizes[0]);
    // another selector, resource or namespace is another LIST
    expect(client.lastListBytes(GVR.configMaps, { namespace: "big", labelSelector: "app=x" })).toBeUndefined();
    expect(client.lastListBytes(GVR.secrets, { namespace: "big" })).toBeUndefined();
    // a LIST stopped at maxItems says nothing of the whole
    await drain({ namespace: "big", labelSelector: "app=x", maxItems: 2 });
    expect(client.lastListBytes(GVR.configMaps, { namespace: "big", labelSelector: "app=x" })).toBeUndefined();
  });

  it("goes on with the token the API server offers when a continue token expires (etcd compacted), listing no key twice", async () => {
    const current = ["a", "b", "c", "d", "e"];
    const { client, queries } = await pagedServer(current, (n) => (n === 1 ? "after:b" : undefined));
    current.push("f"); // created after the first page: the rest of the list is as of a newer state
    const pages = [];
    for await (const page of client.listPages(GVR.configMaps, { namespace: "n", limit: 2 })) pages.push(page);
    expect(names(pages)).toEqual(["a", "b", "c", "d", "e", "f"]);
    expect(queries.map((q) => q.get("continue"))).toEqual([null, "after:b", "after:b", "after:d"]);
  });

  it("lists again from the start when the expired token comes with none to go on with, skipping the keys already handed over", async () => {
    const current = ["b", "d", "f", "h"];
    const { client, queries } = await pagedServer(current, (n) => {
      if (n !== 1) return undefined;
      // created meanwhile: "a" sorts before the keys handed over (it is not added), "i" after them
      current.unshift("a");
      current.push("i");
      return "";
    });
    const pages = [];
    for await (const page of client.listPages(GVR.configMaps, { namespace: "n", limit: 2 })) pages.push(page);
    expect(names(pages)).toEqual(["b", "d", "f", "h", "i"]);
    expect(queries.map((q) => q.get("continue"))).toEqual([null, "after:d", null, "after:b", "after:f"]);
  });

  it("fails with the API server's expiry when the paged list cannot get past it", async () => {
    const { client } = await pagedServer(["a", "b", "c"], () => "");
    const drain = async (): Promise<void> => {
      for await (const page of client.listPages(GVR.configMaps, { namespace: "n", limit: 1 })) void page;
    };
    await expect(drain()).rejects.toMatchObject({ statusCode: 410, reason: "Expired", message: expect.stringContaining("too old") });
  });

  it("list(): a continue token that expires makes it list again in one request without a limit (client-go's FullListIfExpired), one consistent state", async () => {
    const current = ["b", "d", "f"];
    const { client, queries } = await pagedServer(current, (n) => {
      if (n !== 1) return undefined;
      current.unshift("a"); // created meanwhile, before the keys already listed
      return "after:b"; // a token to go on with is not taken: the whole list is read again
    });
    const all = await client.list(GVR.configMaps, { namespace: "n", limit: 2 });
    expect(all.items.map((i) => i.metadata.name)).toEqual(["a", "b", "d", "f"]);
    expect(queries.map((q) => [q.get("continue"), q.get("limit")])).toEqual([
      [null, "2"],
      ["after:d", "2"],
      [null, null],
    ]);
  });

  it("stops at maxItems without asking for another page", async () => {
    const { client, queries } = await pagedServer(["a", "b", "c", "d", "e"]);
    const listed = await client.list(GVR.configMaps, { namespace: "n", limit: 2, maxItems: 3 });
    expect(listed.items.map((i) => i.metadata.name)).toEqual(["a", "b", "c"]);
    expect(queries).toHaveLength(2);
  });
});
