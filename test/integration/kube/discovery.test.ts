// Discovery against the real API server: aggregated discovery (two requests) must describe exactly
// the same resources, versions, scopes, verbs, short names and preferred versions as the legacy
// per-group-version discovery (one request per group version), including a CRD serving two versions.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import type { ApiResource } from "../../../host/src/kube/client.ts";
import { GVR } from "../../../host/src/kube/gvr.ts";
import { createKubeClient, type HttpKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import { captureLogger, type LogRecord } from "../../helpers/capture-logger.ts";
import { loadEndpoints } from "../../helpers/endpoints.ts";
import { eventually } from "../../helpers/velero-server.ts";
import { schemalessCrd } from "../../helpers/crd.ts";

const group = `disc${randomBytes(3).toString("hex")}.vt.example.io`;
let aggregated: HttpKubeClient;
let legacy: HttpKubeClient;
const records: LogRecord[] = [];

const key = (r: ApiResource): string => `${r.group}/${r.version}/${r.resource}`;
const sorted = (list: ApiResource[]): ApiResource[] =>
  [...list].map((r) => ({ ...r, verbs: [...r.verbs].sort(), shortNames: [...r.shortNames].sort() })).sort((a, b) => key(a).localeCompare(key(b)));

beforeAll(async () => {
  const { kubeconfig } = loadEndpoints();
  aggregated = createKubeClient({ kubeconfig, logger: captureLogger(records, { client: "aggregated" }) });
  legacy = createKubeClient({ kubeconfig, aggregatedDiscovery: false, logger: captureLogger(records, { client: "legacy" }) });
  await aggregated.apply(
    GVR.customResourceDefinitions,
    schemalessCrd({
      group,
      kind: "Gizmo",
      plural: "gizmos",
      scope: "Cluster",
      shortNames: ["gz"],
      versions: [
        { name: "v1", served: true, storage: true },
        { name: "v2beta1", served: true, storage: false },
      ],
    }),
    { fieldManager: "vt-test" },
  );
  await eventually("the gizmo CRD to be in both discoveries", async () => {
    aggregated.invalidateDiscovery();
    legacy.invalidateDiscovery();
    const [a, l] = await Promise.all([aggregated.discover(), legacy.discover()]);
    return a.some((r) => r.group === group) && l.some((r) => r.group === group) ? true : undefined;
  });
}, 120_000);

afterAll(async () => {
  // The CRD (uniquely named) stays: deleting a CRD while another suite's real Velero backs up can make
  // that backup PartiallyFailed (Velero LISTs the resources its discovery cached, and gets a 404).
  await aggregated.close();
  await legacy.close();
});

describe("discovery (real API server)", () => {
  it("aggregated discovery lists exactly what legacy discovery lists", async () => {
    aggregated.invalidateDiscovery();
    legacy.invalidateDiscovery();
    const [a, l] = await Promise.all([aggregated.discover(), legacy.discover()]);
    expect(a.length).toBeGreaterThan(40);
    expect(sorted(a)).toEqual(sorted(l));
    // each client really took its own path
    const paths = (client: string) => new Set(records.filter((r) => r.fields["client"] === client && r.fields["discovery"]).map((r) => r.fields["discovery"]));
    expect([...paths("aggregated")]).toEqual(["aggregated"]);
    expect([...paths("legacy")]).toEqual(["legacy"]);
  });

  it("reports each version of a two-version CRD, the group's preferred one marked, its scope, kind and short names", async () => {
    const gizmos = (await aggregated.discover()).filter((r) => r.group === group);
    expect(gizmos.map((r) => [r.version, r.preferred, r.kind, r.namespaced, r.shortNames]).sort()).toEqual([
      ["v1", true, "Gizmo", false, ["gz"]],
      ["v2beta1", false, "Gizmo", false, ["gz"]],
    ]);
    expect(gizmos[0]?.verbs).toEqual(expect.arrayContaining(["create", "delete", "get", "list", "watch"]));
  });
});
