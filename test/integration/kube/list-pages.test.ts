// LISTs a page at a time against the real API server, and a LIST whose continue token expires for
// real. For the expiry, a second kube-apiserver runs on the run's etcd under its own
// --etcd-prefix with its watch cache off (so a continued LIST reads etcd at the revision of the
// list's first page, as an API server does for any resource it does not cache; the run's own
// API server serves continued LISTs from its cache's snapshots), etcd is compacted past that
// revision (what kube-apiserver itself does every 5 minutes), and the next page answers 410
// Expired with a token to go on with.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import type { ListPage } from "../../../host/src/kube/client.ts";
import { GVR } from "../../../host/src/kube/gvr.ts";
import { createKubeClient, type HttpKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import { captureLogger, type LogRecord } from "../../helpers/capture-logger.ts";
import { loadEndpoints } from "../../helpers/endpoints.ts";
import { loadPeers } from "../../peers/env.ts";

const SFX = Math.random().toString(36).slice(2, 8);
const NS = `vt-pages-${SFX}`;
const endpoints = loadEndpoints();
const clients: HttpKubeClient[] = [];
let second: ChildProcess | undefined;
let work: string | undefined;

afterAll(async () => {
  for (const c of clients) await c.close();
  second?.kill("SIGKILL");
  if (work) rmSync(work, { recursive: true, force: true });
  const kube = createKubeClient({ kubeconfig: endpoints.kubeconfig });
  await kube.delete(GVR.namespaces, NS).catch(() => undefined);
  await kube.close();
});

function client(kubeconfig: string, records?: LogRecord[]): HttpKubeClient {
  const kube = createKubeClient({ kubeconfig, ...(records ? { logger: captureLogger(records) } : {}) });
  clients.push(kube);
  return kube;
}

async function configMapsIn(kube: HttpKubeClient, namespace: string, count: number): Promise<void> {
  await kube.create(GVR.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
  for (let i = 0; i < count; i++) {
    await kube.create(GVR.configMaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `cm-${String(i).padStart(2, "0")}`, namespace, labels: { "vt-pages": "1" } }, data: { i: String(i) } } as UnstructuredItem);
  }
}

const names = (items: UnstructuredItem[]): string[] => items.map((i) => i.metadata.name ?? "");

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** etcd's current revision and a compaction up to it, through etcd's JSON gateway. */
async function etcd(path: string, body: object): Promise<{ header?: { revision?: string } }> {
  const response = await fetch(`${endpoints.etcd.endpoint}${path}`, { method: "POST", body: JSON.stringify(body) });
  expect(response.status).toBe(200);
  return (await response.json()) as { header?: { revision?: string } };
}

describe("LIST pages (real API server)", () => {
  beforeAll(async () => {
    // (the namespace also gets the kube-root-ca.crt ConfigMap from the controller manager)
    await configMapsIn(client(endpoints.kubeconfig), NS, 30);
  });

  it("hands over a LIST in pages of `limit` items, in key order, the same items as the whole LIST", async () => {
    const kube = client(endpoints.kubeconfig);
    const pages: ListPage[] = [];
    for await (const page of kube.listPages(GVR.configMaps, { namespace: NS, labelSelector: "vt-pages=1", limit: 7 })) pages.push(page);
    expect(pages.map((p) => p.items.length)).toEqual([7, 7, 7, 7, 2]);
    const paged = pages.flatMap((p) => p.items);
    expect(names(paged)).toEqual(Array.from({ length: 30 }, (_, i) => `cm-${String(i).padStart(2, "0")}`));
    expect(paged[0]).toMatchObject({ apiVersion: "v1", kind: "ConfigMap", data: { i: "0" } });
    expect(names((await kube.list(GVR.configMaps, { namespace: NS, labelSelector: "vt-pages=1" })).items)).toEqual(names(paged));
  });
});

describe("a LIST whose continue token expires (a second kube-apiserver on the run's etcd, etcd compacted mid-list)", () => {
  let kubeconfig: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "vt-expiry-"));
    const port = await freePort();
    const pki = join(endpoints.dir, "pki");
    const log = openSync(join(work, "kube-apiserver.log"), "w");
    second = spawn(
      loadPeers().bin.kubeApiserver,
      [
        `--etcd-servers=${endpoints.etcd.endpoint}`,
        `--etcd-prefix=/vt-expiry-${SFX}`,
        "--watch-cache=false",
        "--bind-address=127.0.0.1",
        `--secure-port=${port}`,
        "--advertise-address=127.0.0.1",
        "--endpoint-reconciler-type=none",
        `--cert-dir=${work}`,
        `--tls-cert-file=${join(pki, "apiserver.crt")}`,
        `--tls-private-key-file=${join(pki, "apiserver.key")}`,
        `--client-ca-file=${join(pki, "ca.crt")}`,
        `--token-auth-file=${join(pki, "tokens.csv")}`,
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        `--service-account-key-file=${join(pki, "sa.pub")}`,
        `--service-account-signing-key-file=${join(pki, "sa.key")}`,
        "--service-cluster-ip-range=10.96.0.0/16",
        "--authorization-mode=RBAC",
        "--profiling=false",
      ],
      { stdio: ["ignore", log, log] },
    );
    // the run's kubeconfig (its admin certificate), pointed at the second API server
    kubeconfig = join(work, "kubeconfig");
    writeFileSync(kubeconfig, readFileSync(endpoints.kubeconfig, "utf8").replace(endpoints.apiServer, `https://127.0.0.1:${port}`));
    const kube = client(kubeconfig);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const ready = await kube.serverVersion().then(
        () => kube.list(GVR.namespaces).then(() => true),
        () => false,
      ).catch(() => false);
      if (ready) break;
      if (second.exitCode !== null || Date.now() > deadline) throw new Error(`the second kube-apiserver did not come up: ${readFileSync(join(work, "kube-apiserver.log"), "utf8").slice(-2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await configMapsIn(kube, NS, 30);
  }, 90_000);

  it("goes on from the next key with the token the API server offers: every object once, including one created meanwhile", async () => {
    const records: LogRecord[] = [];
    const kube = client(kubeconfig, records);
    const pages = kube.listPages(GVR.configMaps, { namespace: NS, limit: 10 })[Symbol.asyncIterator]();
    const first = await pages.next();
    expect(names(first.value?.items ?? [])).toHaveLength(10);

    // meanwhile: an object is created after the first page's key, and etcd is compacted past the
    // revision the continue token reads at
    await kube.create(GVR.configMaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cm-zz-late", namespace: NS } } as UnstructuredItem);
    const { header } = await etcd("/v3/kv/range", { key: Buffer.from("/").toString("base64"), limit: 1, keys_only: true });
    expect(header?.revision).toBeDefined();
    await etcd("/v3/kv/compaction", { revision: header?.revision, physical: true });

    const listed = [...(first.value?.items ?? [])];
    for (let r = await pages.next(); !r.done; r = await pages.next()) listed.push(...r.value.items);
    const all = names((await kube.list(GVR.configMaps, { namespace: NS })).items);
    expect(all).toHaveLength(31);
    expect(names(listed)).toEqual(all);
    const expired = records.filter((r) => r.level === "warn" && /continue token expired/.test(r.message ?? ""));
    expect(expired).toHaveLength(1);
    expect(String(expired[0]?.fields["err"])).toMatch(/too old to display a consistent list result/);
  });
});
