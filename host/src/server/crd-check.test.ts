import { describe, expect, it } from "vitest";
import { KubeApiError } from "../kube/errors.js";
import { captureLogger, type LogRecord } from "../testing/capturing-logger.js";
import { DEFAULT_FAKE_RESOURCES, FakeKubeClient, res } from "../testing/fake-kube-client.js";
import { checkNamespaceExists, checkVeleroResources, REQUIRED_VELERO_KINDS } from "./crd-check.js";

const plural = (kind: string): string => `${kind.toLowerCase()}s`;
/** The fake cluster's resources without the Velero ones it serves by default. */
const KUBERNETES_ONLY = DEFAULT_FAKE_RESOURCES.filter((r) => r.group !== "velero.io");
const veleroResources = (skip: string[] = []) =>
  Object.entries(REQUIRED_VELERO_KINDS).flatMap(([gv, kinds]) => {
    const [group, version] = gv.split("/") as [string, string];
    return kinds.filter((k) => !skip.includes(k)).map((kind) => res(group, version, plural(kind), kind, true, version === "v1"));
  });

describe("checkVeleroResources (velero server start-up)", () => {
  it("passes when every Velero kind is served, logging each as Velero does", async () => {
    const records: LogRecord[] = [];
    await checkVeleroResources(new FakeKubeClient([...KUBERNETES_ONLY, ...veleroResources()]), captureLogger(records));
    expect(records.map((r) => r.message)).toEqual([
      "Checking existence of Velero custom resource definitions",
      ...Array.from({ length: 13 }, () => "Found custom resource"),
      "All Velero custom resource definitions exist",
    ]);
    expect(records.filter((r) => r.message === "Found custom resource").map((r) => r.fields["kind"])).toContain("DataUpload");
  });

  it("fails naming every missing kind with its group version, and the fix", async () => {
    const kube = new FakeKubeClient([...KUBERNETES_ONLY, ...veleroResources(["Schedule", "DataUpload"])]);
    await expect(checkVeleroResources(kube, captureLogger())).rejects.toThrow(
      "custom resource Schedule not found in Velero API group velero.io/v1; custom resource DataUpload not found in Velero API group velero.io/v2alpha1: Velero custom resources not found; run 'velero install --crds-only' to create (or update) the custom resource definitions",
    );
  });

  it("does not take a kind of another group (or version) for Velero's", async () => {
    const lookalikes = veleroResources().map((r) => ({ ...r, group: r.group === "velero.io" ? "example.io" : r.group }));
    await expect(checkVeleroResources(new FakeKubeClient([...KUBERNETES_ONLY, ...lookalikes]), captureLogger())).rejects.toThrow(/custom resource Backup not found in Velero API group velero.io\/v1/);
  });
});

describe("checkNamespaceExists (velero server start-up)", () => {
  it("passes for an existing namespace, logging as Velero does", async () => {
    const records: LogRecord[] = [];
    const kube = new FakeKubeClient().seed({ group: "", version: "v1", resource: "namespaces" }, { apiVersion: "v1", kind: "Namespace", metadata: { name: "velero" } });
    await checkNamespaceExists(kube, "velero", captureLogger(records));
    expect(records.map((r) => `${r.message} ${String(r.fields["namespace"])}`)).toEqual(["Checking existence of namespace. velero", "Namespace exists velero"]);
  });

  it("refused by RBAC: the API server's message (naming the identity) and the fix", async () => {
    const kube = new FakeKubeClient();
    const message = 'namespaces "velero" is forbidden: User "system:serviceaccount:velero:velero" cannot get resource "namespaces" in API group "" in the namespace "velero"';
    kube.failNext("get", "namespaces", new KubeApiError({ statusCode: 403, reason: "Forbidden", message }));
    await expect(checkNamespaceExists(kube, "velero", captureLogger())).rejects.toThrow(
      `${message}: the server's identity may not read its namespace; bind it to a role that may (velero install binds its ServiceAccount "velero" to cluster-admin)`,
    );
  });

  it("fails naming the namespace and the fix", async () => {
    await expect(checkNamespaceExists(new FakeKubeClient(), "veleroo", captureLogger())).rejects.toThrow('namespaces "veleroo" not found');
  });
});
