import { describe, expect, it } from "vitest";
import { KubeApiError } from "../kube/errors.js";
import { captureLogger, type LogRecord } from "../testing/capturing-logger.js";
import { DEFAULT_FAKE_RESOURCES, FakeKubeClient, res } from "../testing/fake-kube-client.js";
import { GVR } from "../kube/gvr.js";
import { checkNamespaceExists, checkVeleroResources, checkVeleroResourcesPatiently, REQUIRED_VELERO_KINDS, warnUnusedInstallCredentials } from "./crd-check.js";

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

describe("checkVeleroResourcesPatiently (an API server the start had to wait for)", () => {
  it("looks again (fresh discovery) while the just-started API server does not serve the kinds yet, and passes once it does", async () => {
    let calls = 0;
    let invalidated = 0;
    const kube = {
      discover: async () => (++calls < 3 ? KUBERNETES_ONLY : [...KUBERNETES_ONLY, ...veleroResources()]),
      invalidateDiscovery: () => void invalidated++,
    };
    const records: LogRecord[] = [];
    await checkVeleroResourcesPatiently(kube, captureLogger(records), 30_000, async () => undefined);
    expect(calls).toBe(3);
    expect(invalidated).toBe(2);
    expect(records.filter((r) => (r.message ?? "").startsWith("the API server has only just started"))).toHaveLength(1);
  });

  it("fails at once without patience, and after it when the kinds never come", async () => {
    const kube = new FakeKubeClient([...KUBERNETES_ONLY]);
    await expect(checkVeleroResourcesPatiently(kube, captureLogger(), 0)).rejects.toThrow(/Velero custom resources not found/);
    let slept = 0;
    await expect(checkVeleroResourcesPatiently(kube, captureLogger(), 50, async () => void (slept++, await new Promise((r) => setTimeout(r, 30))))).rejects.toThrow(
      /Velero custom resources not found/,
    );
    expect(slept).toBeGreaterThanOrEqual(1);
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

describe("warnUnusedInstallCredentials (a server run outside the cluster after velero install --secret-file)", () => {
  const withSecret = () =>
    new FakeKubeClient().seed(GVR.secrets, { apiVersion: "v1", kind: "Secret", metadata: { namespace: "velero", name: "cloud-credentials" }, data: { cloud: "c2VjcmV0" } });

  it("says once that the installed Secret is not read, and how to give it to this server", async () => {
    const records: LogRecord[] = [];
    expect(await warnUnusedInstallCredentials(withSecret(), "velero", { inCluster: false, env: {} }, captureLogger(records))).toBe(true);
    expect(records).toHaveLength(1);
    expect(records[0]?.level).toBe("warn");
    expect(records[0]?.message).toContain(`Secret "cloud-credentials" in namespace "velero" (velero install --secret-file) holds the plugins' credentials`);
    expect(records[0]?.message).toContain("kubectl -n velero get secret cloud-credentials -o jsonpath='{.data.cloud}' | base64 -d > credentials-velero");
    expect(records[0]?.message).not.toContain("c2VjcmV0");
  });

  it("says nothing in a pod, with a credentials variable set, or without the Secret", async () => {
    const records: LogRecord[] = [];
    const log = captureLogger(records);
    expect(await warnUnusedInstallCredentials(withSecret(), "velero", { inCluster: true, env: {} }, log)).toBe(false);
    expect(await warnUnusedInstallCredentials(withSecret(), "velero", { inCluster: false, env: { AWS_SHARED_CREDENTIALS_FILE: "/c" } }, log)).toBe(false);
    expect(await warnUnusedInstallCredentials(withSecret(), "velero", { inCluster: false, env: { GOOGLE_APPLICATION_CREDENTIALS: "/c" } }, log)).toBe(false);
    expect(await warnUnusedInstallCredentials(new FakeKubeClient(), "velero", { inCluster: false, env: {} }, log)).toBe(false);
    expect(records).toEqual([]);
  });
});
