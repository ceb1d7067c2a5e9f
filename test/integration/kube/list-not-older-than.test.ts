// LISTs "not older than" a resourceVersion against the real API server (kube-apiserver with its
// watch cache and ConsistentListFromCache): the answer holds everything written up to that
// resourceVersion, it does not wait for the cache to catch up with writes made since (a consistent
// LIST right after a write elsewhere does), and a resourceVersion the server cannot serve makes the
// client fall back to consistent LISTs for that resource instead of failing.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import { GVR } from "../../../host/src/kube/gvr.ts";
import { createKubeClient, type HttpKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import { captureLogger, type LogRecord } from "../../helpers/capture-logger.ts";
import { loadEndpoints } from "../../helpers/endpoints.ts";

const ns = `vt-nolder-${randomBytes(3).toString("hex")}`;
let kube: HttpKubeClient;
const records: LogRecord[] = [];

const configMap = (name: string): UnstructuredItem => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: ns }, data: { v: name } }) as UnstructuredItem;

beforeAll(async () => {
  kube = createKubeClient({ kubeconfig: loadEndpoints().kubeconfig, logger: captureLogger(records, { client: "test" }) });
  await kube.create(GVR.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } } as UnstructuredItem);
}, 60_000);

afterAll(async () => {
  await kube.delete(GVR.namespaces, ns).catch(() => undefined);
  await kube.close();
});

describe("LIST not older than a resourceVersion (real API server)", () => {
  it("holds every object written up to that resourceVersion, across pages", async () => {
    for (let i = 0; i < 7; i++) await kube.create(GVR.configMaps, configMap(`cm-${i}`));
    // the last write's resourceVersion, from another resource: the lower bound of the LIST
    const marker = await kube.create(GVR.secrets, { apiVersion: "v1", kind: "Secret", metadata: { name: "marker", namespace: ns }, data: {} } as UnstructuredItem);
    const rv = marker.metadata.resourceVersion ?? "";
    expect(rv).toMatch(/^\d+$/);
    const listed = await kube.list(GVR.configMaps, { namespace: ns, notOlderThan: rv, limit: 3 });
    expect(listed.items.map((i) => i.metadata.name).filter((n) => n?.startsWith("cm-")).sort()).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => `cm-${i}`));
    expect(BigInt(listed.resourceVersion)).toBeGreaterThanOrEqual(BigInt(rv));
    const secrets = await kube.list(GVR.secrets, { namespace: ns, notOlderThan: rv });
    expect(secrets.items.map((i) => i.metadata.name)).toContain("marker");
  });

  it("falls back to a consistent LIST, once per resource, when the server cannot serve the resourceVersion", async () => {
    const far = String(BigInt((await kube.list(GVR.configMaps, { namespace: ns })).resourceVersion) + 10_000_000n);
    records.length = 0;
    // kube-apiserver waits ~3 s for its cache to reach a resourceVersion from the future, then
    // answers 504 "Too large resource version"
    const first = await kube.list(GVR.serviceAccounts, { namespace: ns, notOlderThan: far });
    expect(first.items.map((i) => i.metadata.name)).toContain("default");
    const refusals = (): typeof records => records.filter((r) => r.message?.includes("refused"));
    expect(refusals()).toHaveLength(1);
    expect(refusals()[0]?.fields["resource"]).toBe("/serviceaccounts");
    expect(String(refusals()[0]?.fields["err"])).toMatch(/Too large resource version/);
    // the resource is remembered: the next LIST does not ask (and get refused) again
    const second = await kube.list(GVR.serviceAccounts, { namespace: ns, notOlderThan: far });
    expect(second.items.map((i) => i.metadata.name)).toContain("default");
    expect(refusals()).toHaveLength(1);
  }, 30_000);
});
