// Restore hooks against the REAL control plane: the restore controller (RestoreServer harness of
// test/integration/restore) restores a pod, the scheduler binds it, kwok reports it Running, then the
// post-restore exec hook goes through HttpKubeClient.exec → kube-apiserver pods/exec → kwok's server.
//
// HONESTY NOTE: there is no kubelet and no container. kwok's ClusterExec (test/peers/env.ts) runs the hook's
// command as a PROCESS ON THIS HOST, cwd = the environment's exec dir; it writes only under that dir. The init
// hook container is proven to be ADDED to the restored pod spec; it is never run (kwok only fakes its status).
// To prove the exec hook ran only once the pod was Running, the hook command itself asks the API server
// (kubectl on 127.0.0.1 with the env's kubeconfig) for the pod's phase and records it in the marker file.
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import { GVR } from "../../../host/src/kube/gvr.ts";
import type { HttpKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import { buildBackupTarball } from "../../../host/src/restore/testing/backup-tarball.ts";
import { loadPeers } from "../../peers/env.ts";
import { loadEndpoints, type Endpoints } from "../../helpers/endpoints.ts";
import { connect, RestoreServer, suffix } from "../restore/harness.ts";

let kube: HttpKubeClient;
let server: RestoreServer;
let ep: Endpoints;
let kubectl: string;
const namespaces: string[] = [];

beforeAll(async () => {
  ep = loadEndpoints();
  if (!ep.exec) throw new Error(`${ep.dir}/endpoints.json has no "exec" section: the environment predates kwok's ClusterExec config; start a new one`);
  kubectl = loadPeers().bin.kubectl;
  kube = await connect();
  server = await RestoreServer.start({ kube });
});

afterAll(async () => {
  await server?.stop();
  for (const ns of namespaces) {
    await kube?.delete(GVR.namespaces, ns).catch(() => undefined);
    rmSync(join(ep.exec.workDir, ns), { recursive: true, force: true });
  }
});

const nsItem = (name: string): UnstructuredItem => ({ apiVersion: "v1", kind: "Namespace", metadata: { name }, spec: { finalizers: ["kubernetes"] } });
const sh = (script: string): string => JSON.stringify(["/bin/sh", "-c", script]);

function newNamespace(tag: string): string {
  const ns = `rh-${tag}-${suffix()}`;
  namespaces.push(ns);
  mkdirSync(join(ep.exec.workDir, ns), { recursive: true });
  return ns;
}
const marker = (ns: string): string | undefined => {
  const p = join(ep.exec.workDir, ns, "marker");
  return existsSync(p) ? readFileSync(p, "utf8") : undefined;
};
const pod = (ns: string, annotations: Record<string, string>): UnstructuredItem => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "p", namespace: ns, uid: "old-uid", annotations },
  spec: { nodeName: "some-old-node", containers: [{ name: "main", image: "nginx:1.25" }, { name: "side", image: "busybox:1.36" }] },
  status: { phase: "Running" },
});

async function results(name: string): Promise<{ errors: Record<string, unknown> }> {
  return (await server.restoreFile<{ errors: Record<string, unknown> }>(name, "results"))!;
}

describe("restore hooks (real API server → kwok local exec)", () => {
  it("adds the init hook container and runs the post-restore exec hook once the restored pod is Running", async () => {
    const ns = newNamespace("ok");
    // The hook records the pod's phase as the API server reports it at the moment the hook runs.
    const phaseQuery = `${kubectl} --kubeconfig=${ep.kubeconfig} get pod p -n ${ns} -o jsonpath={.status.phase}`;
    await server.backupFromTarball(
      `rh-${ns}`,
      await buildBackupTarball([
        nsItem(ns),
        pod(ns, {
          "init.hook.restore.velero.io/container-image": "busybox:1.36",
          "init.hook.restore.velero.io/container-name": "prepare",
          "init.hook.restore.velero.io/command": '["/bin/sh","-c","echo prepared"]',
          "post.hook.restore.velero.io/container": "side",
          "post.hook.restore.velero.io/command": sh(`echo "restored phase=$(${phaseQuery})" >> ${ns}/marker`),
          "post.hook.restore.velero.io/exec-timeout": "20s",
          "post.hook.restore.velero.io/wait-timeout": "60s",
        }),
      ]),
    );
    const r = await server.restore(`rh-${ns}`, { backupName: `rh-${ns}` });
    expect(r.status?.phase).toBe("Completed");
    expect(r.status?.hookStatus).toEqual({ hooksAttempted: 1 });
    expect(marker(ns)).toBe("restored phase=Running\n");
    const restored = await kube.get(GVR.pods, "p", ns);
    const spec = restored?.spec as { initContainers?: { name: string; image: string; command: string[] }[]; containers: { name: string }[] };
    expect(spec.initContainers).toEqual([expect.objectContaining({ name: "prepare", image: "busybox:1.36", command: ["/bin/sh", "-c", "echo prepared"] })]);
    expect(spec.containers.map((c) => c.name)).toEqual(["main", "side"]);
  });

  it("a failing post-restore exec hook (on-error Fail) makes the restore PartiallyFailed with the hook's error; the pod stays restored", async () => {
    const ns = newNamespace("fail");
    await server.backupFromTarball(
      `rh-${ns}`,
      await buildBackupTarball([
        nsItem(ns),
        pod(ns, {
          "post.hook.restore.velero.io/command": sh(`echo tried >> ${ns}/marker; exit 4`),
          "post.hook.restore.velero.io/on-error": "Fail",
          "post.hook.restore.velero.io/wait-timeout": "60s",
        }),
      ]),
    );
    const r = await server.restore(`rh-${ns}`, { backupName: `rh-${ns}` });
    expect(r.status?.phase).toBe("PartiallyFailed");
    expect(r.status?.hookStatus).toEqual({ hooksAttempted: 1, hooksFailed: 1 });
    expect(marker(ns)).toBe("tried\n");
    expect(JSON.stringify((await results(`rh-${ns}`)).errors)).toMatch(/container main failed to execute.*exit status 4/);
    expect(await kube.get(GVR.pods, "p", ns)).toBeDefined();
  });
});
