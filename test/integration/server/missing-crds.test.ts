// `velero server` against a cluster without Velero's CRDs (a second kube-apiserver on the run's
// etcd under a prefix of its own: an empty cluster): it stops at once naming every missing kind
// and the fix, as Velero's veleroResourcesExist does, instead of waiting on watches that cannot
// start. Through the composition root and through the CLI (exit code 1, one line on stderr).
// Then `velero install --crds-only` there: it creates the CRDs and waits until each is Established,
// through a watch on the CRDs (its sleeps between reads, when it needs any, never end by themselves
// in this test: the API server often establishes all 13 before the first read).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GVR } from "../../../host/src/kube/gvr.ts";
import { createKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import { startServer } from "../../../host/src/server/server.ts";
import { createSilentLogger } from "../../../host/src/shared/logging.ts";
import { ROOT } from "../../../scripts/build-plugins.ts";
import { loadEndpoints } from "../../helpers/endpoints.ts";
import { runCliWithWatchOnlyWaits } from "../../helpers/cli-in-process.ts";
import { runProcess } from "../../helpers/run-process.ts";
import { startSecondApiServer, type SecondApiServer } from "../../helpers/second-apiserver.ts";

const SFX = Math.random().toString(36).slice(2, 8);
let empty: SecondApiServer | undefined;
let pluginDir: string;

beforeAll(async () => {
  empty = await startSecondApiServer(loadEndpoints(), `vt-nocrds-${SFX}`);
  // the server's namespace exists (it is checked first, as in Velero); the CRDs do not
  const client = createKubeClient({ kubeconfig: empty.kubeconfig });
  await client.create(GVR.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: "velero" } });
  await client.close();
  pluginDir = mkdtempSync(join(tmpdir(), "vt-nocrds-plugins-"));
}, 90_000);

afterAll(async () => {
  await empty?.stop();
  rmSync(pluginDir, { recursive: true, force: true });
});

const MISSING = /custom resource Backup not found in Velero API group velero\.io\/v1; .*custom resource DataUpload not found in Velero API group velero\.io\/v2alpha1: Velero custom resources not found; run 'velero install --crds-only' to create \(or update\) the custom resource definitions/;

describe("velero server on a cluster without Velero's CRDs", () => {
  it("refuses to start, naming each missing kind and the fix", async () => {
    await expect(
      startServer({ kubeconfig: empty?.kubeconfig, namespace: "velero", pluginDir, metricsAddress: "127.0.0.1:0", logger: createSilentLogger() }),
    ).rejects.toThrow(MISSING);
  });

  it("`velero server` exits 1 with that error on one line", async () => {
    const r = await runProcess(process.execPath, [join(ROOT, "host", "dist", "main.js"), "server", "--namespace", "velero", "--kubeconfig", empty?.kubeconfig ?? "", "--plugin-dir", pluginDir, "--metrics-address", "127.0.0.1:0"], {
      env: { ...process.env, HOME: pluginDir },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(MISSING);
    expect(r.stderr).toMatch(/^An error occurred: custom resource /m);
  });
});

describe("velero server in a namespace that does not exist", () => {
  it("refuses to start, naming the namespace and the fix (Velero's namespaceExists), before anything else", async () => {
    const ns = `vt-no-such-ns-${SFX}`;
    await expect(
      startServer({ kubeconfig: loadEndpoints().kubeconfig, namespace: ns, pluginDir, metricsAddress: "127.0.0.1:0", logger: createSilentLogger() }),
    ).rejects.toThrow(`namespaces "${ns}" not found: the server watches Velero's resources in namespace "${ns}"; create it (velero install does), or pass the namespace Velero is installed in with --namespace`);
  });
});

describe("velero install --crds-only on that cluster", () => {
  it("creates the CRDs and waits until each is Established, any wait ended by a watch on the CRDs", async () => {
    const r = await runCliWithWatchOnlyWaits(["install", "--crds-only", "--kubeconfig", empty?.kubeconfig ?? ""], { kubeconfig: empty?.kubeconfig ?? "", home: pluginDir });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("CustomResourceDefinition/backups.velero.io: created");
    for (const s of r.sleeps) expect(s.aborted).toBe(true);
    const client = createKubeClient({ kubeconfig: empty?.kubeconfig });
    try {
      const crds = (await client.list(GVR.customResourceDefinitions)).items.filter((c) => c.metadata.name.endsWith(".velero.io"));
      expect(crds).toHaveLength(13);
      for (const crd of crds) {
        const conditions = (crd["status"] as { conditions?: { type: string; status: string }[] }).conditions ?? [];
        expect(conditions, crd.metadata.name).toContainEqual(expect.objectContaining({ type: "Established", status: "True" }));
      }
    } finally {
      await client.close();
    }
  });
});
