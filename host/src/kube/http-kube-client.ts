/**
 * The KubeClient adapter over @kubernetes/client-node 2.x (kubeconfig, auth, pods/exec) and undici
 * (plain HTTPS with one keep-alive pool for get/list/watch/patch, which is much faster than the
 * generated typed clients for dynamic resources).
 */
import { STATUS_CODES } from "node:http";
import type { RequestOptions } from "node:https";
import { Writable } from "node:stream";
import { createInterface } from "node:readline";
import type { KubeConfig, V1Status } from "@kubernetes/client-node";
import type { Dispatcher } from "undici";
import { getErrorMessage, jsonSyntaxMessage, parseLosslessJson, stringifyLosslessJson, type UnstructuredItem } from "@velero-ts/plugin-sdk";
import type { Logger } from "../shared/logging.js";
import { longTimeout } from "../shared/clock.js";
import { compareUtf8 } from "../shared/utf8-order.js";
import { createSilentLogger } from "../shared/logging.js";
import type { ApiResource, DiscoveryFailure, GroupVersionResource, KubeClient, ListOptions, ListPage, WatchEvent, WatchHandle } from "./client.js";
import { ExecError, isExpired, isResourceVersionRefusal, KubeApiError } from "./errors.js";
import { loadKubeConfig, type KubeConfigOptions } from "./kube-config.js";
import { GVR } from "./gvr.js";
import { Agent, EnvHttpProxyAgent, Exec, ProxyAgent, request, Socks5ProxyAgent } from "./vendor.js";
import { TokenBucket } from "./rate-limit.js";
import { VELERO_TS_VERSION } from "../shared/version.js";

/** How long the kubeconfig's per-request headers are reused (see #authHeaders). */
const AUTH_HEADERS_TTL_MS = 1_000;

/** Default LIST page size (Velero's --client-page-size default is 500). */
export const DEFAULT_PAGE_SIZE = 500;
/** Attempts of a request the API server answers 429 or 5xx with Retry-After, or a GET whose connection was lost (client-go's maxRetries). */
const MAX_429_ATTEMPTS = 10;
/** The wait before a GET whose connection was lost is sent again (client-go's: 1 s). */
const LOST_CONNECTION_RETRY_MS = 1_000;
/** How often one LIST goes on past an expired continue token before it fails. */
const MAX_LIST_RESTARTS = 3;
/**
 * What a LIST page aims at, in bytes, when the client chooses its size (no explicit limit): the
 * page size (--client-page-size) is a count, and 500 Helm release Secrets of up to 1 MiB each
 * would make one page of hundreds of MiB, held as text and as objects at once.
 */
const LIST_PAGE_TARGET_BYTES = 4 * 1024 * 1024;
/** The first page of a resource whose items' size is not known yet (learnt from its pages). */
const LIST_FIRST_PAGE_ITEMS = 20;
/** LISTs whose size lastListBytes remembers (the oldest is forgotten first). */
const LIST_SIZES_REMEMBERED = 10_000;
const CONNECT_RETRY_BASE_MS = 250;
const CONNECT_RETRY_MAX_MS = 4_000;

/** Whether `err` or one of its first causes (undici wraps socket errors) satisfies `test`. */
function someCause(err: unknown, test: (e: unknown) => boolean): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) if (test(e)) return true;
  return false;
}

/** The connection was refused (nothing was sent): ECONNREFUSED, as undici reports it. */
function isConnectionRefused(err: unknown): boolean {
  return someCause(err, (e) => (e as { code?: unknown }).code === "ECONNREFUSED");
}

const LOST_CONNECTION_CODES = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CLOSED"]);

/**
 * The connection broke under a request (reset, closed by the other side, EOF): client-go sends a
 * GET again after a second (rest.Request's IsRetryableError: connection reset, probable EOF, HTTP/2
 * connection lost); what else was sent may have been applied, so only GETs are.
 */
function isConnectionLost(err: unknown): boolean {
  return someCause(err, (e) => LOST_CONNECTION_CODES.has(String((e as { code?: unknown }).code)) || /other side closed|socket hang up|unexpected EOF|GOAWAY/i.test(getErrorMessage(e)));
}

/** Whether the URL's host is localhost or a loopback address (Go's proxy selection skips those). */
function isLoopbackUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, "");
  } catch {
    return false;
  }
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** A paged LIST whose continue token expired (list() then lists again in one request). */
class ListExpired extends Error {
  constructor(cause: unknown) {
    super("LIST continue token expired", { cause });
  }
}

/** The longest Retry-After honoured, so a broken header cannot stall a caller. */
const MAX_RETRY_AFTER_MS = 10_000;

/** Retry-After in ms (delta-seconds only, as the API server sends it), or undefined without one. */
function retryAfter(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Math.min(Number(value.trim()) * 1000, MAX_RETRY_AFTER_MS);
}
const DISCOVERY_CONCURRENCY = 8;
const DEFAULT_H2_PING_INTERVAL_MS = 15_000;

interface ApiResourceList {
  groupVersion: string;
  resources: { name: string; singularName?: string; kind: string; namespaced: boolean; verbs?: string[]; shortNames?: string[] }[];
}

interface ApiGroupList {
  groups: { name: string; versions: { groupVersion: string; version: string }[]; preferredVersion?: { version: string } }[];
}

interface RequestInit {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  /** Accept header; default application/json. */
  accept?: string;
  signal?: AbortSignal;
  /**
   * Whether a 5xx with Retry-After is waited out and sent again (default true). Not for a LIST
   * not older than a resourceVersion: the 504 "Too large resource version" the API server answers
   * it with (after ~3 s, Retry-After 1) is what makes it fall back to a consistent LIST.
   */
  retryServerErrors?: boolean;
}

/**
 * Aggregated discovery (apidiscovery.k8s.io/v2, GA in Kubernetes 1.30): every group, version and
 * resource in one answer each for /api and /apis. The trailing application/json lets an older API
 * server answer with the legacy lists instead.
 */
const AGGREGATED_DISCOVERY_ACCEPT = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;q=0.9";

interface APIGroupDiscoveryList {
  kind?: string;
  items?: {
    metadata?: { name?: string };
    /** In order of preference: the first one is the group's preferred version. */
    versions?: {
      version: string;
      freshness?: "Current" | "Stale";
      resources?: {
        resource: string;
        singularResource?: string;
        responseKind?: { group?: string; version?: string; kind?: string };
        scope?: "Cluster" | "Namespaced";
        verbs?: string[];
        shortNames?: string[];
      }[];
    }[];
  }[];
}

export interface HttpKubeClientOptions {
  logger?: Logger;
  /** LIST page size; 0 disables pagination. */
  pageSize?: number;
  /** Use aggregated discovery when the API server offers it (default true). */
  aggregatedDiscovery?: boolean;
  /**
   * The User-Agent header; its part before "/" is the field manager the API server records for
   * our writes (managedFields). Velero's: "velero-server/<version> (<os>/<arch>) <commit>" for
   * the server, "velero/…" for the CLI. Default: the CLI's.
   */
  userAgent?: string;
  /**
   * How often the HTTP/2 connection to the API server is PINGed; one that misses a PING (a
   * half-open connection after a load balancer failover, say) is dropped within twice this, and
   * every watch and request moves to a new one. Default 15 s (client-go notices in ~45 s; undici's
   * own default, 60 s, stalled every controller for ~2 minutes).
   */
  h2PingIntervalMs?: number;
  /**
   * How long requests whose connection the API server refuses are tried again (with backoff from
   * 250 ms to 4 s) before the error is returned: the server rides out an API server restart; the
   * CLI (default 0) reports at once.
   */
  connectRetryMs?: number;
  /**
   * Requests a second to the API server after a burst (Velero's --client-qps, client-go's QPS);
   * with `burst`, a token bucket every request (each attempt, watches as they start) waits on.
   * Undefined: no client-side limit (the API server's priority and fairness still applies).
   */
  qps?: number;
  /** Requests allowed at once before `qps` applies (--client-burst). */
  burst?: number;
  /**
   * Connections open to the API server at most (Velero's --max-concurrent-k8s-connections);
   * requests beyond what they carry wait for one. Default 30, Velero's.
   */
  maxConnections?: number;
}

/** Velero's --max-concurrent-k8s-connections default. */
export const DEFAULT_MAX_CONNECTIONS = 30;

/** A User-Agent as client-go builds it: "<command>/<version> (<os>/<arch>) <commit>". */
export function kubeUserAgent(command: string, version: string, commit = "unknown"): string {
  const arch = process.arch === "x64" ? "amd64" : process.arch === "ia32" ? "386" : process.arch;
  return `${command}/${version} (${process.platform}/${arch}) ${commit}`;
}

export class HttpKubeClient implements KubeClient {
  readonly #kc: KubeConfig;
  readonly #server: string;
  readonly #log: Logger;
  readonly #pageSize: number;
  /** "group/resource" of the resources whose LISTs refused a notOlderThan resourceVersion. */
  readonly #consistentOnly = new Set<string>();
  /** "group/resource" → the bytes of one of its items in LIST responses, as learnt from its pages. */
  readonly #itemBytes = new Map<string, number>();
  /** Bytes of the last complete LIST, by listSizeKey. */
  readonly #listBytes = new Map<string, number>();
  #catchesUp: Promise<boolean> | undefined;
  #auth: { at: number; headers: Promise<Record<string, string>> } | undefined;
  readonly #userAgent: string;
  readonly #h2PingIntervalMs: number;
  readonly #maxConnections: number;
  readonly #connectRetryMs: number;
  readonly #aggregatedDiscovery: boolean;
  readonly #rateLimit: TokenBucket | undefined;
  #agent: Dispatcher | undefined;
  #tls: Promise<RequestOptions> | undefined;
  #discovery: Promise<{ resources: ApiResource[]; failures: DiscoveryFailure[] }> | undefined;

  constructor(kc: KubeConfig, options: HttpKubeClientOptions = {}) {
    this.#kc = kc;
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new KubeApiError({ statusCode: 0, reason: "NoCluster", message: "kubeconfig has no current cluster" });
    this.#server = cluster.server.replace(/\/+$/, "");
    this.#log = options.logger ?? createSilentLogger();
    this.#pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    this.#userAgent = options.userAgent ?? kubeUserAgent("velero", VELERO_TS_VERSION);
    this.#h2PingIntervalMs = options.h2PingIntervalMs ?? DEFAULT_H2_PING_INTERVAL_MS;
    this.#maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    this.#connectRetryMs = options.connectRetryMs ?? 0;
    this.#aggregatedDiscovery = options.aggregatedDiscovery ?? true;
    // Either flag alone takes Velero's default (100) for the other.
    if (options.qps !== undefined || options.burst !== undefined) this.#rateLimit = new TokenBucket(options.qps ?? VELERO_DEFAULT_QPS, options.burst ?? VELERO_DEFAULT_BURST);
  }

  /** The kubeconfig this client uses (for components that need client-node directly). */
  get kubeConfig(): KubeConfig {
    return this.#kc;
  }

  async close(): Promise<void> {
    await this.#agent?.close();
    this.#agent = undefined;
  }

  // ---- transport ----------------------------------------------------------------------------

  async #options(): Promise<RequestOptions> {
    // TLS material is read once (#dispatcher); the headers at most once per AUTH_HEADERS_TTL_MS.
    const opts: RequestOptions = {};
    try {
      await this.#kc.applyToHTTPSOptions(opts);
    } catch (err) {
      // client-node parses an exec credential plugin's output with JSON.parse, whose message
      // would quote part of the token; client-go says "decoding stdout" and names the character.
      if (err instanceof SyntaxError) throw new Error(`getting credentials: decoding the exec credential plugin's output: ${jsonSyntaxMessage(err.message)}`, { cause: err });
      throw err;
    }
    return opts;
  }

  /**
   * The connection pool to the API server: direct, or through the cluster's `proxy-url` (http(s)
   * or socks5), or else through $HTTPS_PROXY/$HTTP_PROXY unless $NO_PROXY exempts the server,
   * as client-go connects.
   */
  async #dispatcher(): Promise<Dispatcher> {
    if (this.#agent) return this.#agent;
    this.#tls ??= this.#options();
    const tls = await this.#tls;
    if (this.#agent) return this.#agent;
    const requestTls = { ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: tls.rejectUnauthorized, servername: tls.servername };
    const pool = { keepAliveTimeout: 30_000, connections: this.#maxConnections };
    const proxyUrl = this.#kc.getCurrentCluster()?.proxyUrl;
    const env = process.env;
    if (proxyUrl?.startsWith("socks")) this.#agent = new Socks5ProxyAgent(proxyUrl, { ...pool, requestTls });
    else if (proxyUrl) this.#agent = new ProxyAgent({ uri: proxyUrl, ...pool, requestTls });
    // (as Go's ProxyFromEnvironment, never for localhost or a loopback address)
    else if ((env["HTTPS_PROXY"] || env["https_proxy"] || env["HTTP_PROXY"] || env["http_proxy"]) && !isLoopbackUrl(this.#server)) this.#agent = new EnvHttpProxyAgent({ ...pool, requestTls, connect: requestTls });
    else this.#agent = new Agent({ connect: requestTls, ...pool, h2Options: { pingInterval: this.#h2PingIntervalMs } });
    return this.#agent;
  }

  async #headers(contentType?: string, accept = "application/json"): Promise<Record<string, string>> {
    const headers: Record<string, string> = { accept, "user-agent": this.#userAgent, ...(await this.#authHeaders()) };
    if (contentType) headers["content-type"] = contentType;
    return headers;
  }

  /**
   * After a 401, an exec credential plugin is asked again, as client-go asks it again: client-node
   * keeps an exec credential without an expiry for ever (its ExecAuth token cache, emptied here),
   * and one that carries a client certificate was read into the connection pool's TLS options,
   * which are built anew (the old pool is closed).
   */
  async #forgetExecCredential(): Promise<void> {
    if (!this.#kc.getCurrentUser()?.exec) return;
    for (const a of (this.#kc as unknown as { authenticators?: unknown[] }).authenticators ?? []) {
      if (a && typeof a === "object" && "tokenCache" in a) (a as { tokenCache: Record<string, unknown> }).tokenCache = {};
    }
    this.#tls = undefined;
    const old = this.#agent;
    this.#agent = undefined;
    void old?.close().catch(() => undefined);
  }

  /**
   * The kubeconfig's per-request headers (Authorization, Impersonate-User), worked out at most once
   * per AUTH_HEADERS_TTL_MS: client-node's applyToHTTPSOptions also reads the CA, certificate and
   * key files again each time (in a pod, the service account's ca.crt), which a restore's 20,000
   * requests would pay for. A refreshed token (exec, OIDC, a rotated token file) is picked up
   * within the TTL, or at once when the API server answers 401 (#raw asks again and retries once);
   * a failed lookup is not kept.
   */
  #authHeaders(): Promise<Record<string, string>> {
    const now = Date.now();
    const cached = this.#auth;
    if (cached && now - cached.at < AUTH_HEADERS_TTL_MS) return cached.headers;
    const headers = this.#options().then((opts) => {
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(opts.headers ?? {})) if (v !== undefined) out[k.toLowerCase()] = String(v);
      return out;
    });
    this.#auth = { at: now, headers };
    headers.catch(() => {
      if (this.#auth?.headers === headers) this.#auth = undefined;
    });
    return headers;
  }

  #url(path: string, query?: RequestInit["query"]): string {
    const url = new URL(this.#server + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== "") url.searchParams.set(k, String(v));
    return url.toString();
  }

  /**
   * One request through undici's stream API (much cheaper per byte than fetch's web streams, which
   * matters for LISTs of thousands of items); a non-2xx answer becomes a KubeApiError.
   */
  async #raw(method: Dispatcher.HttpMethod, path: string, init: RequestInit = {}): Promise<Dispatcher.ResponseData> {
    const body = init.body === undefined ? undefined : typeof init.body === "string" ? init.body : stringifyLosslessJson(init.body);
    const started = Date.now();
    let refusals = 0;
    let reauthenticated = false;
    for (let attempt = 1; ; attempt++) {
      let response: Dispatcher.ResponseData;
      if (this.#rateLimit) await this.#rateLimit.take();
      try {
        response = await request(this.#url(path, init.query), {
          method,
          headers: await this.#headers(init.contentType ?? (init.body !== undefined ? "application/json" : undefined), init.accept),
          body,
          dispatcher: await this.#dispatcher(),
          signal: init.signal,
        });
      } catch (err) {
        if (method === "GET" && attempt < MAX_429_ATTEMPTS && !init.signal?.aborted && isConnectionLost(err)) {
          this.#log.debug({ method, path, attempt, err: getErrorMessage(err) }, `the connection to the API server was lost; trying again in ${LOST_CONNECTION_RETRY_MS} ms`);
          await new Promise((resolve) => setTimeout(resolve, LOST_CONNECTION_RETRY_MS));
          continue;
        }
        // Refused connections never reached the API server (it is restarting, say): any request
        // may be sent again, within the client's budget, with backoff, instead of failing (or
        // failing every item of a restore) during a blip.
        const waitMs = Math.min(CONNECT_RETRY_BASE_MS * 2 ** refusals, CONNECT_RETRY_MAX_MS);
        if (!isConnectionRefused(err) || init.signal?.aborted || Date.now() - started + waitMs > this.#connectRetryMs) throw err;
        refusals++;
        this.#log.warn({ method, path, attempt, err: getErrorMessage(err) }, `the API server refused the connection; trying again in ${waitMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, waitMs));
        continue;
      }
      const retryable = response.statusCode === 429 || (response.statusCode >= 500 && response.statusCode <= 599 && init.retryServerErrors !== false);
      const retryAfterMs = retryable && attempt < MAX_429_ATTEMPTS ? retryAfter(response.headers["retry-after"]) : undefined;
      if (retryAfterMs !== undefined) {
        // client-go's behaviour (rest checkWait): a 429 or 5xx with Retry-After (e.g. "storage is
        // (re)initializing" for a CRD just created) is waited out and retried, up to 10 attempts
        await response.body.dump();
        this.#log.debug({ method, path, attempt, retryAfterMs }, "the API server asked to retry later");
        await new Promise((resolve) => setTimeout(resolve, retryAfterMs));
        continue;
      }
      if (response.statusCode === 401 && !reauthenticated && this.#auth) {
        // The headers were reused (#authHeaders) and the token in them may have just expired (an
        // exec or OIDC credential): work them out afresh and send the request once more.
        reauthenticated = true;
        this.#auth = undefined;
        await response.body.dump();
        await this.#forgetExecCredential();
        this.#log.debug({ method, path, attempt }, "the API server refused the credentials; asking the kubeconfig for them again");
        continue;
      }
      if (response.statusCode < 200 || response.statusCode > 299) throw await toApiError(method, path, response);
      return response;
    }
  }

  async #json<T>(method: Dispatcher.HttpMethod, path: string, init: RequestInit = {}): Promise<T> {
    // Integers beyond 2^53 (a CR's int64 field) stay exact, as bigint; Velero keeps them as int64.
    return parseLosslessJson(await this.#text(method, path, init)) as T;
  }

  async #text(method: Dispatcher.HttpMethod, path: string, init: RequestInit = {}): Promise<string> {
    return (await this.#raw(method, path, init)).body.text();
  }

  // ---- discovery ----------------------------------------------------------------------------

  get listPageSize(): number {
    return this.#pageSize;
  }

  discover(): Promise<ApiResource[]> {
    return this.#discovered().then((d) => d.resources);
  }

  discoveryFailures(): Promise<DiscoveryFailure[]> {
    return this.#discovered().then((d) => d.failures);
  }

  #discovered(): Promise<{ resources: ApiResource[]; failures: DiscoveryFailure[] }> {
    this.#discovery ??= this.#discoverAll().catch((err: unknown) => {
      this.#discovery = undefined;
      throw err;
    });
    return this.#discovery;
  }

  invalidateDiscovery(): void {
    this.#discovery = undefined;
  }

  async #discoverAll(): Promise<{ resources: ApiResource[]; failures: DiscoveryFailure[] }> {
    const failures: DiscoveryFailure[] = [];
    if (this.#aggregatedDiscovery) {
      const [core, groups] = await Promise.all([
        this.#json<APIGroupDiscoveryList>("GET", "/api", { accept: AGGREGATED_DISCOVERY_ACCEPT }),
        this.#json<APIGroupDiscoveryList>("GET", "/apis", { accept: AGGREGATED_DISCOVERY_ACCEPT }),
      ]);
      if (core.kind === "APIGroupDiscoveryList" && groups.kind === "APIGroupDiscoveryList") {
        const resources = [...this.#fromAggregated(core, true, failures), ...this.#fromAggregated(groups, false, failures)];
        this.#log.debug({ discovery: "aggregated", resources: resources.length }, "discovered the served resources");
        return { resources, failures };
      }
      // An API server without aggregated discovery answered with the legacy documents.
    }
    const resources = await this.#discoverLegacy(failures);
    this.#log.debug({ discovery: "legacy", resources: resources.length }, "discovered the served resources");
    return { resources, failures };
  }

  #fromAggregated(list: APIGroupDiscoveryList, core: boolean, failures: DiscoveryFailure[]): ApiResource[] {
    const out: ApiResource[] = [];
    for (const item of list.items ?? []) {
      const group = core ? "" : (item.metadata?.name ?? "");
      const versions = item.versions ?? [];
      for (const [index, v] of versions.entries()) {
        if (v.freshness === "Stale") {
          // An aggregated API whose server is unavailable: skipped, as a failed legacy lookup is.
          const groupVersion = group ? `${group}/${v.version}` : v.version;
          failures.push({ groupVersion, error: `stale GroupVersion discovery: ${groupVersion}` });
          this.#log.warn({ group, version: v.version }, `failed to discover group ${group}/${v.version}: its API service is unavailable`);
          continue;
        }
        for (const r of v.resources ?? []) {
          out.push({
            group,
            version: v.version,
            resource: r.resource,
            kind: r.responseKind?.kind ?? "",
            namespaced: r.scope === "Namespaced",
            verbs: r.verbs ?? [],
            shortNames: r.shortNames ?? [],
            ...(r.singularResource ? { singularName: r.singularResource } : {}),
            preferred: index === 0,
          });
        }
      }
    }
    return out;
  }

  async #discoverLegacy(failures: DiscoveryFailure[]): Promise<ApiResource[]> {
    const [core, groups] = await Promise.all([
      this.#json<ApiResourceList>("GET", "/api/v1"),
      this.#json<ApiGroupList>("GET", "/apis"),
    ]);
    const lists: { group: string; version: string; preferred: boolean }[] = [];
    for (const g of groups.groups) {
      const preferred = g.preferredVersion?.version ?? g.versions[0]?.version;
      for (const v of g.versions) lists.push({ group: g.name, version: v.version, preferred: v.version === preferred });
    }
    const fetched = await mapLimit(lists, DISCOVERY_CONCURRENCY, async (gv) => {
      try {
        return { gv, list: await this.#json<ApiResourceList>("GET", `/apis/${gv.group}/${gv.version}`) };
      } catch (err) {
        // An unavailable aggregated API must not break discovery (Velero logs and continues).
        failures.push({ groupVersion: `${gv.group}/${gv.version}`, error: getErrorMessage(err) });
        this.#log.warn({ err: String(err) }, `failed to discover group ${gv.group}/${gv.version}`);
        return { gv, list: undefined };
      }
    });
    const out: ApiResource[] = toResources({ group: "", version: "v1", preferred: true }, core);
    for (const { gv, list } of fetched) if (list) out.push(...toResources(gv, list));
    return out;
  }

  async serverVersion(): Promise<{ gitVersion: string; major: string; minor: string }> {
    const v = await this.#json<{ gitVersion: string; major: string; minor: string }>("GET", "/version");
    return { gitVersion: v.gitVersion, major: v.major, minor: v.minor };
  }

  // ---- CRUD ----------------------------------------------------------------------------------

  async get(gvr: GroupVersionResource, name: string, namespace?: string): Promise<UnstructuredItem | undefined> {
    requireName(name);
    try {
      return await this.#json<UnstructuredItem>("GET", resourcePath(gvr, namespace, name));
    } catch (err) {
      if (err instanceof KubeApiError && err.statusCode === 404) return undefined;
      throw err;
    }
  }

  /**
   * Whether the API server brings its watch cache up to a resourceVersion when a read asks for it
   * (ConsistentListFromCache, on by default from Kubernetes 1.31). Before that, a LIST not older
   * than a resourceVersion the cache of a quiet resource has not seen waits 3 s and fails, so the
   * client lists consistently there, as it does without notOlderThan. Asked once per client.
   */
  #catchesUpOnRequest(): Promise<boolean> {
    this.#catchesUp ??= this.serverVersion().then(
      (v) => {
        const minor = Number.parseInt(v.minor, 10); // "31+" on some distributions
        return v.major === "1" && Number.isFinite(minor) && minor >= 31;
      },
      () => {
        this.#catchesUp = undefined; // unknown: ask again next time
        return false;
      },
    );
    return this.#catchesUp;
  }

  /**
   * The whole list. As client-go's pager (FullListIfExpired), a continue token that expires part
   * way makes it list again in one request without a page limit, so the items and the
   * resourceVersion returned are one consistent state (an informer watches from it: items of
   * earlier pages changed meanwhile would otherwise be missed).
   */
  async list(gvr: GroupVersionResource, options: ListOptions = {}): Promise<{ items: UnstructuredItem[]; resourceVersion: string }> {
    const items: UnstructuredItem[] = [];
    let resourceVersion = "";
    try {
      for await (const page of this.#pages(gvr, options, true)) {
        for (const item of page.items) items.push(item);
        resourceVersion = page.resourceVersion;
      }
    } catch (err) {
      if (!(err instanceof ListExpired)) throw err;
      this.#log.warn({ resource: `${gvr.group}/${gvr.resource}`, namespace: options.namespace, err: getErrorMessage(err.cause) }, "LIST continue token expired; listing again in one request");
      const page = await this.#listPage(gvr, options, 0, undefined, undefined);
      return { items: options.maxItems !== undefined ? page.items.slice(0, options.maxItems) : page.items, resourceVersion: page.resourceVersion };
    }
    return { items, resourceVersion };
  }

  listPages(gvr: GroupVersionResource, options: ListOptions = {}): AsyncIterable<ListPage> {
    return this.#pages(gvr, options);
  }

  lastListBytes(gvr: GroupVersionResource, options: Pick<ListOptions, "namespace" | "labelSelector" | "fieldSelector"> = {}): number | undefined {
    return this.#listBytes.get(listSizeKey(gvr, options));
  }

  #rememberListBytes(gvr: GroupVersionResource, options: ListOptions, bytes: number): void {
    const key = listSizeKey(gvr, options);
    // re-inserted, so that the map's order is the order of last use
    this.#listBytes.delete(key);
    this.#listBytes.set(key, bytes);
    if (this.#listBytes.size > LIST_SIZES_REMEMBERED) this.#listBytes.delete(this.#listBytes.keys().next().value as string);
  }

  /**
   * The pages of a LIST, each asked for when the consumer asks for it. A continue token that
   * expires meanwhile (410 Expired: etcd was compacted past the list's resourceVersion, every 5
   * minutes by default) does not fail the list, as it does not fail client-go's pager: the list
   * goes on from the next key with the token the API server offers along with the error (the rest
   * is as of a newer state), or, from a server that offers none, lists again from the start and
   * skips the keys already handed over.
   */
  async *#pages(gvr: GroupVersionResource, options: ListOptions, throwWhenExpired = false): AsyncGenerator<ListPage> {
    const key = `${gvr.group}/${gvr.resource}`;
    const pageSize = options.limit ?? this.#pageSize;
    // without an explicit limit, each page's size is chosen from the size of the resource's items
    const sized = options.limit === undefined && pageSize > 0;
    const maxItems = options.maxItems;
    let notOlderThan = options.notOlderThan;
    if (notOlderThan !== undefined && (this.#consistentOnly.has(key) || !(await this.#catchesUpOnRequest()))) notOlderThan = undefined;
    const fetchPage = (cont: string | undefined): Promise<RawListPage> => this.#listPage(gvr, options, sized ? this.#pageLimit(key, pageSize) : pageSize, cont, notOlderThan);
    let page: RawListPage;
    try {
      page = await fetchPage(undefined);
    } catch (err) {
      // A resource whose storage is not the API server's own etcd (an aggregated API, events on
      // an --etcd-servers-overrides etcd) cannot compare our resourceVersion with its own and
      // answers "Too large resource version" after a wait: read it consistently from now on.
      if (notOlderThan === undefined || !isResourceVersionRefusal(err)) throw err;
      this.#consistentOnly.add(key);
      this.#log.debug({ resource: key, err: getErrorMessage(err) }, "LIST not older than a resourceVersion refused; listing consistently");
      notOlderThan = undefined;
      page = await fetchPage(undefined);
    }
    let handed = 0;
    /** Bytes of the pages so far (remembered for lastListBytes when the list completes in one go). */
    let bytes = page.bytes;
    /** The last key handed over (after a restart from the first page, the keys up to it are skipped). */
    let lastKey: string | undefined;
    let skipThrough: string | undefined;
    for (let restarts = 0; ; ) {
      let items = page.items;
      if (skipThrough !== undefined) {
        const after = skipThrough;
        items = items.filter((item) => compareUtf8(listKey(item), after) > 0);
      }
      if (maxItems !== undefined && handed + items.length > maxItems) items = items.slice(0, maxItems - handed);
      handed += items.length;
      const cont = page.continue;
      const last = items.at(-1);
      if (last) lastKey = listKey(last);
      yield { items, resourceVersion: page.resourceVersion };
      if (cont === undefined && maxItems === undefined && restarts === 0) this.#rememberListBytes(gvr, options, bytes);
      if (cont === undefined || (maxItems !== undefined && handed >= maxItems)) return;
      if (throwWhenExpired) {
        try {
          page = await fetchPage(cont);
        } catch (err) {
          throw isExpired(err) ? new ListExpired(err) : err;
        }
        bytes += page.bytes;
        continue;
      }
      const result = await this.#continuePage(key, fetchPage, cont);
      if (result.page) {
        page = result.page;
        bytes += page.bytes;
        continue;
      }
      // Expired without a token to go on with: list again, past what was handed over.
      if (++restarts > MAX_LIST_RESTARTS) throw result.error;
      this.#log.warn({ resource: key, namespace: options.namespace, err: getErrorMessage(result.error) }, "LIST continue token expired; listing again from the start, skipping the items already listed");
      skipThrough = lastKey;
      notOlderThan = undefined;
      page = await fetchPage(undefined);
    }
  }

  /**
   * The page after `cont`. An expired token is followed by the token the API server's Status
   * offers (a few times at most); `error` is the expiry when no such token came.
   */
  async #continuePage(resource: string, fetchPage: (cont: string) => Promise<RawListPage>, cont: string): Promise<{ page: RawListPage; error?: undefined } | { page?: undefined; error: KubeApiError }> {
    for (let attempt = 0; ; attempt++) {
      try {
        return { page: await fetchPage(cont) };
      } catch (err) {
        if (!isExpired(err)) throw err;
        if (!err.continueToken || attempt >= MAX_LIST_RESTARTS) return { error: err };
        this.#log.warn({ resource, err: getErrorMessage(err) }, "LIST continue token expired; going on from the next key with the token the API server offered (the rest of the list is as of a newer state)");
        cont = err.continueToken;
      }
    }
  }

  /**
   * The limit of a resource's next LIST page: about LIST_PAGE_TARGET_BYTES of its items, at most
   * `pageSize`; LIST_FIRST_PAGE_ITEMS while their size is not known.
   */
  #pageLimit(resource: string, pageSize: number): number {
    const itemBytes = this.#itemBytes.get(resource);
    if (itemBytes === undefined) return Math.min(pageSize, LIST_FIRST_PAGE_ITEMS);
    return Math.max(1, Math.min(pageSize, Math.floor(LIST_PAGE_TARGET_BYTES / Math.max(1, itemBytes))));
  }

  /** Learns the size of a resource's items from a page: a larger size at once, a smaller one halfway. */
  #learnItemBytes(resource: string, bytes: number, items: number): void {
    if (items === 0) return;
    const seen = bytes / items;
    const known = this.#itemBytes.get(resource);
    this.#itemBytes.set(resource, known === undefined || seen >= known ? seen : (known + seen) / 2);
  }

  async #listPage(gvr: GroupVersionResource, options: ListOptions, pageSize: number, cont: string | undefined, notOlderThan: string | undefined): Promise<RawListPage> {
    const text = await this.#text(
      "GET",
      resourcePath(gvr, options.namespace),
      {
        query: {
          labelSelector: options.labelSelector,
          fieldSelector: options.fieldSelector,
          limit: pageSize > 0 ? pageSize : undefined,
          continue: cont,
          // the continue token carries the first page's resourceVersion; the API server refuses both
          ...(notOlderThan && !cont ? { resourceVersion: notOlderThan, resourceVersionMatch: "NotOlderThan" } : {}),
        },
        retryServerErrors: !(notOlderThan && !cont),
      },
    );
    const page = parseLosslessJson(text) as { items: UnstructuredItem[] | null; metadata: { resourceVersion?: string; continue?: string }; apiVersion?: string; kind?: string };
    const kind = page.kind?.replace(/List$/, "");
    const items = page.items ?? [];
    this.#learnItemBytes(`${gvr.group}/${gvr.resource}`, text.length, items.length);
    for (const item of items) {
      // LIST responses omit apiVersion/kind on items; restore them like client-go's unstructured list does.
      if (!item.apiVersion && page.apiVersion) item.apiVersion = page.apiVersion;
      if (!item.kind && kind) item.kind = kind;
    }
    return { items, resourceVersion: page.metadata.resourceVersion ?? "", continue: page.metadata.continue || undefined, bytes: text.length };
  }

  create(gvr: GroupVersionResource, object: UnstructuredItem): Promise<UnstructuredItem> {
    return this.#json("POST", resourcePath(gvr, object.metadata.namespace), { body: object });
  }

  async update(gvr: GroupVersionResource, object: UnstructuredItem): Promise<UnstructuredItem> {
    requireName(object.metadata.name);
    return this.#json("PUT", resourcePath(gvr, object.metadata.namespace, object.metadata.name), { body: object });
  }

  async patch(gvr: GroupVersionResource, name: string, namespace: string | undefined, patch: object): Promise<UnstructuredItem> {
    requireName(name);
    return this.#json("PATCH", resourcePath(gvr, namespace, name), { body: patch, contentType: "application/merge-patch+json" });
  }

  async patchStatus(gvr: GroupVersionResource, name: string, namespace: string | undefined, patch: object): Promise<UnstructuredItem> {
    requireName(name);
    return this.#json("PATCH", resourcePath(gvr, namespace, name) + "/status", {
      body: patch,
      contentType: "application/merge-patch+json",
    });
  }

  async apply(gvr: GroupVersionResource, object: UnstructuredItem, options: { fieldManager: string; force?: boolean }): Promise<UnstructuredItem> {
    requireName(object.metadata.name);
    return this.#json("PATCH", resourcePath(gvr, object.metadata.namespace, object.metadata.name), {
      body: object,
      contentType: "application/apply-patch+yaml",
      query: { fieldManager: options.fieldManager, force: options.force ?? true },
    });
  }

  async delete(
    gvr: GroupVersionResource,
    name: string,
    namespace?: string,
    options: { propagationPolicy?: "Foreground" | "Background" | "Orphan" } = {},
  ): Promise<void> {
    requireName(name);
    try {
      const response = await this.#raw("DELETE", resourcePath(gvr, namespace, name), {
        body: options.propagationPolicy ? { kind: "DeleteOptions", apiVersion: "v1", propagationPolicy: options.propagationPolicy } : undefined,
      });
      await response.body.dump();
    } catch (err) {
      if (err instanceof KubeApiError && err.statusCode === 404) return;
      throw err;
    }
  }

  // ---- watch ---------------------------------------------------------------------------------

  async watch(
    gvr: GroupVersionResource,
    options: ListOptions & { resourceVersion?: string; timeoutSeconds?: number },
    onEvent: (event: WatchEvent) => void,
  ): Promise<WatchHandle> {
    const controller = new AbortController();
    const response = await this.#raw("GET", resourcePath(gvr, options.namespace), {
      query: {
        watch: true,
        allowWatchBookmarks: true,
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
        resourceVersion: options.resourceVersion,
        // client-go's reflector: a random 5 to 10 minutes, so a server's watches do not all end together
        timeoutSeconds: options.timeoutSeconds ?? 300 + Math.floor(Math.random() * 300),
      },
      signal: controller.signal,
    });
    let stopped = false;
    const done = (async (): Promise<void> => {
      const lines = createInterface({ input: response.body, crlfDelay: Infinity });
      try {
        for await (const line of lines) {
          if (!line) continue;
          const event = parseLosslessJson(line) as { type: string; object: UnstructuredItem & { code?: number; reason?: string; message?: string } };
          if (event.type === "ERROR") {
            const status = event.object;
            throw new KubeApiError({
              statusCode: status.code ?? 500,
              reason: status.reason ?? "WatchError",
              message: `watch ${groupResourcePath(gvr)} failed: ${status.message ?? "unknown error"}`,
            });
          }
          onEvent({ type: event.type as WatchEvent["type"], object: event.object });
        }
      } catch (err) {
        if (stopped) return;
        throw err;
      }
    })();
    done.catch(() => undefined);
    return {
      stop(): void {
        stopped = true;
        controller.abort();
      },
      done,
    };
  }

  // ---- logs and exec -------------------------------------------------------------------------

  async podLogs(namespace: string, pod: string, container: string): Promise<string> {
    requireName(pod);
    const response = await this.#raw("GET", `${resourcePath(GVR.pods, namespace, pod)}/log`, { query: { container }, accept: "text/plain, */*" });
    return await response.body.text();
  }

  async exec(input: {
    namespace: string;
    pod: string;
    container: string;
    command: string[];
    timeoutMs: number;
  }): Promise<{ stdout: string; stderr: string; exitCode: number }> {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const sink = (into: Buffer[]): Writable =>
      new Writable({
        write(chunk: Buffer, _enc, cb): void {
          into.push(Buffer.from(chunk));
          cb();
        },
      });
    return await new Promise((resolve, reject) => {
      let settled = false;
      let socket: { close(): void } | undefined;
      const finish = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        timer.cancel();
        socket?.close();
        fn();
      };
      // A hook's timeout is the user's: longTimeout takes delays beyond a Node timer's 24.8 days.
      const timer = longTimeout(() => {
        finish(() =>
          reject(
            new KubeApiError({
              statusCode: 0,
              reason: "Timeout",
              message: `exec in pod ${input.namespace}/${input.pod} container "${input.container}" timed out after ${input.timeoutMs}ms`,
            }),
          ),
        );
      }, input.timeoutMs);
      const onStatus = (status: V1Status): void => {
        const output = (): { stdout: string; stderr: string } => ({ stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") });
        if (status.status === "Success") return finish(() => resolve({ ...output(), exitCode: 0 }));
        const exitCode = exitCodeOf(status);
        if (exitCode !== undefined) return finish(() => resolve({ ...output(), exitCode }));
        // A Failure without an ExitCode cause: the command could not be run or waited for (no such container,
        // the node's exec handler failed, ...). Report the server's message instead of inventing an exit code.
        const statusMessage = nodeStatusMessage(status);
        finish(() =>
          reject(
            new ExecError({
              statusCode: status.code ?? 500,
              reason: status.reason ?? "InternalError",
              message: `exec in pod ${input.namespace}/${input.pod} container "${input.container}" failed: ${statusMessage}`,
              statusMessage,
              ...output(),
            }),
          ),
        );
      };
      new Exec(this.#kc)
        .exec(input.namespace, input.pod, input.container, input.command, sink(out), sink(err), null, false, onStatus)
        .then((ws) => {
          socket = ws;
          if (settled) ws.close();
          ws.on("close", () => {
            // A closed stream without a status frame: treat as failure unless already resolved.
            finish(() => resolve({ stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8"), exitCode: -1 }));
          });
        })
        .catch((e: unknown) => {
          void this.#execRefusal(input, e).then((error) => finish(() => reject(error)));
        });
    });
  }

  /**
   * Why the API server refused to start an exec (a 400 on the upgrade, whose body the WebSocket
   * client drops): the pod is read to give the server's own words for the usual causes, as Go's
   * exec client reports them; otherwise execConnectError's.
   */
  async #execRefusal(input: { namespace: string; pod: string; container: string }, e: unknown): Promise<KubeApiError> {
    const refused = execConnectError(input, e);
    if (refused.statusCode !== 400) return refused;
    try {
      const pod = await this.get({ group: "", version: "v1", resource: "pods" }, input.pod, input.namespace);
      const spec = (pod?.["spec"] ?? {}) as { nodeName?: string; containers?: { name?: string }[] };
      let message: string | undefined;
      if (pod && !(spec.containers ?? []).some((c) => c.name === input.container)) message = `container ${input.container} is not valid for pod ${input.pod}`;
      else if (pod && !spec.nodeName) message = `pod ${input.pod} does not have a host assigned`;
      if (message) return new KubeApiError({ statusCode: 400, reason: "BadRequest", message }, { cause: refused });
    } catch {
      // the pod cannot be read either: the first answer stands
    }
    return refused;
  }
}

/**
 * The node's message in an exec Failure status. Over WebSocket the API server translates the
 * node's SPDY stream and wraps a failure it reports as an InternalError of its own ("Internal error
 * occurred: " + the node's message, which it also gives as the one cause); a SPDY client (Velero's
 * hook executor) gets the node's message itself, and so does this.
 */
function nodeStatusMessage(status: V1Status): string {
  const message = status.message ?? "no message";
  const causes = status.details?.causes ?? [];
  const cause = causes.length === 1 ? causes[0]?.message : undefined;
  return status.reason === "InternalError" && cause && message === `Internal error occurred: ${cause}` ? cause : message;
}

/** Builds a client from kubeconfig options (the composition roots call this). */
export function createKubeClient(options: KubeConfigOptions & HttpKubeClientOptions = {}): HttpKubeClient {
  return new HttpKubeClient(loadKubeConfig(options), options);
}

/**
 * The WebSocket upgrade of pods/exec failed. client-node rejects with the `ws` ErrorEvent (not an Error), whose
 * message is e.g. "Unexpected server response: 400" (unknown container), 404 (no such pod) or 403.
 */
function execConnectError(input: { namespace: string; pod: string; container: string }, e: unknown): KubeApiError {
  const inner = e instanceof Error ? e : (e as { error?: unknown } | null)?.error instanceof Error ? ((e as { error: Error }).error) : undefined;
  const text = inner?.message ?? (typeof (e as { message?: unknown } | null)?.message === "string" ? (e as { message: string }).message : String(e));
  const statusCode = Number(/Unexpected server response: (\d{3})/.exec(text)?.[1] ?? 0);
  const reason = statusCode === 404 ? "NotFound" : statusCode === 403 ? "Forbidden" : statusCode === 400 ? "BadRequest" : "ExecConnectFailed";
  const hint =
    statusCode === 404 ? " (does the pod exist?)" : statusCode === 400 ? " (is the container name right and the pod's container running?)" : statusCode === 403 ? " (the identity needs create on pods/exec)" : "";
  return new KubeApiError(
    { statusCode, reason, message: `exec in pod ${input.namespace}/${input.pod} container "${input.container}" could not start: ${text}${hint}` },
    { cause: inner ?? e },
  );
}

/** The exit code of a NonZeroExitCode status (cause reason "ExitCode"); undefined when the status has none. */
function exitCodeOf(status: V1Status): number | undefined {
  const cause = status.details?.causes?.find((c) => c.reason === "ExitCode");
  const code = cause?.message ? Number(cause.message) : NaN;
  return Number.isFinite(code) ? code : undefined;
}

function groupResourcePath(gvr: GroupVersionResource): string {
  return gvr.group === "" ? gvr.resource : `${gvr.resource}.${gvr.group}`;
}

/** Velero's --client-qps and --client-burst defaults, for the one not given when the other is. */
const VELERO_DEFAULT_QPS = 100;
const VELERO_DEFAULT_BURST = 100;

export function resourcePath(gvr: GroupVersionResource, namespace?: string, name?: string): string {
  let path = gvr.group === "" ? `/api/${gvr.version}` : `/apis/${gvr.group}/${gvr.version}`;
  if (namespace) path += `/namespaces/${encodeURIComponent(namespace)}`;
  path += `/${gvr.resource}`;
  if (name !== undefined) path += `/${encodeURIComponent(name)}`;
  return path;
}

function toResources(gv: { group: string; version: string; preferred: boolean }, list: ApiResourceList): ApiResource[] {
  return list.resources
    .filter((r) => !r.name.includes("/"))
    .map((r) => ({
      group: gv.group,
      version: gv.version,
      resource: r.name,
      kind: r.kind,
      namespaced: r.namespaced,
      verbs: r.verbs ?? [],
      shortNames: r.shortNames ?? [],
      ...(r.singularName ? { singularName: r.singularName } : {}),
      preferred: gv.preferred,
    }));
}

/**
 * An object's own path needs its name: without one the path is the collection's, where a GET
 * answers the List (taken for the object) and a DELETE removes every object. client-go refuses the
 * same way.
 */
function requireName(name: string | undefined): void {
  if (!name) throw new KubeApiError({ statusCode: 0, reason: "BadRequest", message: "resource name may not be empty" });
}

/** A LIST page as the API server sent it (the items with apiVersion and kind filled in). */
interface RawListPage extends ListPage {
  /** The token for the next page; undefined on the last. */
  continue: string | undefined;
  /** Length of the response text. */
  bytes: number;
}

/** What lastListBytes remembers a LIST by. */
function listSizeKey(gvr: GroupVersionResource, options: Pick<ListOptions, "namespace" | "labelSelector" | "fieldSelector">): string {
  return `${gvr.group}/${gvr.version}/${gvr.resource}|${options.namespace ?? ""}|${options.labelSelector ?? ""}|${options.fieldSelector ?? ""}`;
}

/** An item's place in a LIST: the API server lists by storage key, ".../<namespace>/<name>", in byte order. */
function listKey(item: UnstructuredItem): string {
  const { namespace, name } = item.metadata;
  return namespace ? `${namespace}/${name ?? ""}` : (name ?? "");
}

async function toApiError(method: string, path: string, response: Dispatcher.ResponseData): Promise<KubeApiError> {
  const text = await response.body.text().catch(() => "");
  let reason = STATUS_CODES[response.statusCode] ?? "Error";
  let statusMessage: string | undefined;
  let continueToken: string | undefined;
  try {
    const status = JSON.parse(text) as { reason?: string; message?: string; metadata?: { continue?: unknown } };
    reason = status.reason ?? reason;
    statusMessage = typeof status.message === "string" && status.message !== "" ? status.message : undefined;
    // an expired LIST continue token: the API server offers one to go on with (inconsistently)
    if (typeof status.metadata?.continue === "string" && status.metadata.continue !== "") continueToken = status.metadata.continue;
  } catch {
    // not a Status object
  }
  // A Status's message alone, as client-go's StatusError prints it (and Velero's logs, results and
  // CLI show it); otherwise what the request was and what came back.
  const message = statusMessage ?? `${method} ${path}: ${response.statusCode} ${reason}: ${text.slice(0, 500)}`;
  return new KubeApiError({ statusCode: response.statusCode, reason, message, method, path, ...(continueToken ? { continueToken } : {}) });
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
