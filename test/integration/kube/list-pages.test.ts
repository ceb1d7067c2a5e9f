// LISTs a page at a time against the real API server, and a LIST whose continue token expires for
// real. For the expiry, a second kube-apiserver runs on the run's etcd under its own
// --etcd-prefix with its watch cache off (so a continued LIST reads etcd at the revision of the
// list's first page, as an API server does for any resource it does not cache; the run's own
// API server serves continued LISTs from its cache's snapshots), etcd is compacted past that
// revision (what kube-apiserver itself does every 5 minutes), and the next page answers 410
// Expired with a token to go on with.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import type { ListPage } from "../../../host/src/kube/client.ts";
import { GVR } from "../../../host/src/kube/gvr.ts";
import { createKubeClient, type HttpKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import { captureLogger, type LogRecord } from "../../helpers/capture-logger.ts";
import { loadEndpoints } from "../../helpers/endpoints.ts";
import { startSecondApiServer, type SecondApiServer } from "../../helpers/second-apiserver.ts";

const SFX = Math.random().toString(36).slice(2, 8);
const NS = `vt-pages-${SFX}`;
const endpoints = loadEndpoints();
const clients: HttpKubeClient[] = [];
let second: SecondApiServer | undefined;

afterAll(async () => {
  for (const c of clients) await c.close();
  await second?.stop();
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
    second = await startSecondApiServer(endpoints, `vt-expiry-${SFX}`, ["--watch-cache=false"]);
    kubeconfig = second.kubeconfig;
    await configMapsIn(client(kubeconfig), NS, 30);
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
