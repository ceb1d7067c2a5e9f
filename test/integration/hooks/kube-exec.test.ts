// HttpKubeClient.exec (client-node's WebSocket Exec, v5/v4 channel protocol) against the real kube-apiserver,
// which forwards pods/exec to kwok's server at the node address 127.0.0.1. kwok's ClusterExec runs the command
// as a HOST process (cwd = endpoints.exec.workDir), not in a container; the commands here only touch that dir.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KubeApiError } from "../../../host/src/kube/errors.ts";
import { GVR } from "../../../host/src/kube/gvr.ts";
import { HttpKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import { loadKubeConfig } from "../../../host/src/kube/kube-config.ts";
import { loadEndpoints, type Endpoints } from "../../helpers/endpoints.ts";
import { suffix, waitFor } from "../restore/harness.ts";

let ep: Endpoints;
let kube: HttpKubeClient;
const ns = `vt-kexec-${suffix()}`;

beforeAll(async () => {
  ep = loadEndpoints();
  if (!ep.exec) throw new Error(`${ep.dir}/endpoints.json has no "exec" section: the environment predates kwok's ClusterExec config; start a new one`);
  kube = new HttpKubeClient(loadKubeConfig({ kubeconfig: ep.kubeconfig }));
  await kube.create(GVR.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  await kube.create(GVR.pods, { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: ns }, spec: { containers: [{ name: "main", image: "busybox" }] } });
  await waitFor("pod Running", async () => ((await kube.get(GVR.pods, "p", ns))?.status as { phase?: string } | undefined)?.phase === "Running" || undefined);
});

afterAll(async () => {
  await kube?.delete(GVR.namespaces, ns).catch(() => undefined);
  if (ep?.exec) rmSync(join(ep.exec.workDir, ns), { recursive: true, force: true });
  await kube?.close();
});

const exec = (command: string[], timeoutMs = 10_000) => kube.exec({ namespace: ns, pod: "p", container: "main", command, timeoutMs });

describe("HttpKubeClient.exec through kube-apiserver → kwok (host process)", () => {
  it("returns stdout and stderr separately with exit code 0, and the command's side effect is on the host", async () => {
    const r = await exec(["/bin/sh", "-c", `mkdir -p ${ns} && printf 'x%.0s' $(seq 1 70000) > ${ns}/big && cat ${ns}/big && echo oops >&2`]);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe("oops\n");
    // larger than one WebSocket frame / stream chunk: reassembled in order
    expect(r.stdout).toBe("x".repeat(70_000));
    expect(existsSync(join(ep.exec.workDir, ns, "big"))).toBe(true);
    expect(readFileSync(join(ep.exec.workDir, ns, "big"), "utf8").length).toBe(70_000);
  });

  it("a non-zero exit is a failure carrying the server's message (kwok sends no ExitCode cause)", async () => {
    const err = await exec(["/bin/sh", "-c", "echo partial; exit 5"]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as Error).message).toMatch(new RegExp(`exec in pod ${ns}/p container "main" failed: .*exit status 5`));
  });

  it("an unknown container or pod is an error naming them and the HTTP status, not an exit code", async () => {
    const err = await kube.exec({ namespace: ns, pod: "p", container: "nope", command: ["/bin/true"], timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).statusCode).toBe(400);
    // the API server's own words, as Go's exec client (and so Velero's hook results) report them
    expect((err as Error).message).toBe("container nope is not valid for pod p");
    const gone = await kube.exec({ namespace: ns, pod: "ghost", container: "main", command: ["/bin/true"], timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(KubeApiError);
    expect((gone as KubeApiError).reason).toBe("NotFound");
    expect((gone as Error).message).toMatch(new RegExp(`exec in pod ${ns}/ghost container "main" could not start: .*404`));
  });

  it("a pod not scheduled to a node: the API server's reason, as Velero reports it", async () => {
    await kube.create(GVR.pods, {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "pending", namespace: ns },
      spec: { nodeSelector: { "vt.example.io/no-such-node": "true" }, containers: [{ name: "main", image: "busybox" }] },
    });
    const err = await kube.exec({ namespace: ns, pod: "pending", container: "main", command: ["/bin/true"], timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as Error).message).toBe("pod pending does not have a host assigned");
  });

  it("gives up after timeoutMs with a Timeout error", async () => {
    const t0 = Date.now();
    const err = await exec(["/bin/sh", "-c", "sleep 15"], 1_000).catch((e: unknown) => e);
    expect(Date.now() - t0).toBeLessThan(8_000);
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).reason).toBe("Timeout");
    expect((err as Error).message).toMatch(/timed out after 1000ms/);
  });
});

describe("HttpKubeClient.podLogs through kube-apiserver → kwok (ClusterLogs)", () => {
  it("returns the container's log lines, and names the pod or container that does not exist", async () => {
    const lines = readFileSync(ep.exec.containerLog, "utf8").split("\n").filter((l) => l !== "").map((l) => l.split(" ").slice(3).join(" "));
    expect(await kube.podLogs(ns, "p", "main")).toBe(lines.map((l) => `${l}\n`).join(""));
    const noPod = await kube.podLogs(ns, "nope", "main").catch((e: unknown) => e);
    expect(noPod).toBeInstanceOf(KubeApiError);
    expect((noPod as KubeApiError).statusCode).toBe(404);
    expect((noPod as Error).message).toContain('pods "nope" not found');
    const noContainer = await kube.podLogs(ns, "p", "sidecar").catch((e: unknown) => e);
    expect(noContainer).toBeInstanceOf(KubeApiError);
    expect((noContainer as KubeApiError).statusCode).toBe(400);
    expect((noContainer as Error).message).toContain("container sidecar is not valid for pod p");
  });
});
