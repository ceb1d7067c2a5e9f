import { describe, expect, it } from "vitest";
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import { DEFAULT_FAKE_RESOURCES, FakeKubeClient, res } from "../../testing/fake-kube-client.js";
import { RemapCrdVersionAction } from "./remap-crd-version.js";

const BETA = { group: "apiextensions.k8s.io", version: "v1beta1", resource: "customresourcedefinitions" };

const crd = (spec: object, status: object = {}): UnstructuredItem => ({
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "widgets.example.io" },
  spec: { group: "example.io", ...spec },
  status,
});
const schemaless = crd({ versions: [{ name: "v1", served: true, storage: true }] });
const structural = crd({ versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object" } } }] });

function cluster(servesBeta: boolean): FakeKubeClient {
  const kube = new FakeKubeClient([...DEFAULT_FAKE_RESOURCES, ...(servesBeta ? [res(BETA.group, BETA.version, BETA.resource, "CustomResourceDefinition", false, false)] : [])]);
  if (servesBeta) kube.seed(BETA, { apiVersion: "apiextensions.k8s.io/v1beta1", kind: "CustomResourceDefinition", metadata: { name: "widgets.example.io" }, spec: { group: "example.io", version: "v1" } });
  return kube;
}

describe("velero.io/crd-remap-version", () => {
  it("backs up a CRD made through v1beta1 (no schema, NonStructuralSchema, preserveUnknownFields) as its v1beta1 object where the cluster serves v1beta1", async () => {
    const action = new RemapCrdVersionAction(cluster(true));
    for (const item of [schemaless, crd({ versions: [{ name: "v1", schema: { openAPIV3Schema: {} } }] }, { conditions: [{ type: "NonStructuralSchema" }] }), crd({ preserveUnknownFields: true, versions: [{ name: "v1", schema: { openAPIV3Schema: {} } }] })]) {
      const out = await action.execute(item);
      expect(out.item.apiVersion).toBe("apiextensions.k8s.io/v1beta1");
      expect(out.item.kind).toBe("CustomResourceDefinition");
      expect((out.item.spec as { version?: string }).version).toBe("v1");
    }
  });

  it("leaves a structural v1 CRD, a non-v1 item and any CRD on a cluster without v1beta1 as they are", async () => {
    expect((await new RemapCrdVersionAction(cluster(true)).execute(structural)).item).toBe(structural);
    const beta = { ...schemaless, apiVersion: "apiextensions.k8s.io/v1beta1" };
    expect((await new RemapCrdVersionAction(cluster(true)).execute(beta)).item).toBe(beta);
    // Kubernetes 1.22 and later serve no v1beta1 CRDs
    expect((await new RemapCrdVersionAction(cluster(false)).execute(schemaless)).item).toBe(schemaless);
  });

  it("fails the CRD, naming it, when its v1beta1 object cannot be read", async () => {
    const kube = new FakeKubeClient([...DEFAULT_FAKE_RESOURCES, res(BETA.group, BETA.version, BETA.resource, "CustomResourceDefinition", false, false)]);
    await expect(new RemapCrdVersionAction(kube).execute(schemaless)).rejects.toThrow('error fetching v1beta1 version of widgets.example.io: customresourcedefinitions.apiextensions.k8s.io "widgets.example.io" not found');
  });
});
