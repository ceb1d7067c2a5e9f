// Backup exec hooks against the REAL control plane through `velero server`'s composition root (startServer):
// Backup CR → backup controller → backup engine → KubeClient.exec (HttpKubeClient, client-node's WebSocket
// Exec) → kube-apiserver pods/exec → kwok's server on the node address 127.0.0.1.
//
// HONESTY NOTE: there is no kubelet and no container. kwok's ClusterExec (test/peers/env.ts) runs every exec'd
// command as a PROCESS ON THIS HOST with cwd = the environment's exec dir (endpoints.exec.workDir). The marker
// files below are written by those host processes, inside that dir only. What is proven: the hook annotations are
// read, the commands travel the genuine pods/exec streaming path, pre runs before post, the outcome (exit status,
// timeout) drives on-error Fail/Continue and hookStatus. Not proven: anything about the command running in the
// pod's container image, its filesystem or its user.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Backup, BackupSpec } from "@velero-ts/plugin-sdk";
import { GVR } from "../../../host/src/kube/gvr.ts";
import type { HttpKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import type { RunningServer } from "../../../host/src/server/server.ts";
import { loadEndpoints } from "../../helpers/endpoints.ts";
import { itemPaths } from "../../helpers/velero-tarball.ts";
import { backupDir, backupTarball, createNamespaces, eventually, runToEnd, setUpVeleroEnv, startVeleroServer, tearDownVelero, type VeleroTestEnv } from "../../helpers/velero-server.ts";

const suffix = randomBytes(3).toString("hex");
const VELERO = `vt-hk-velero-${suffix}`;

describe("backup exec hooks (real API server → kwok local exec)", () => {
  let env: VeleroTestEnv | undefined;
  let kube: HttpKubeClient;
  let server: RunningServer | undefined;
  let bucketRoot: string;
  let workDir: string;
  const namespaces: string[] = [];

  /** A namespace with one Running pod carrying `annotations`; returns the namespace. Hooks write under workDir/<ns>/. */
  async function podNamespace(tag: string, annotations: (dir: string) => Record<string, string>): Promise<string> {
    const ns = `vt-hk-${tag}-${suffix}`;
    namespaces.push(ns);
    mkdirSync(join(workDir, ns), { recursive: true });
    await kube.create(GVR.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    await kube.create(GVR.pods, {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "app", namespace: ns, annotations: annotations(ns) },
      spec: { containers: [{ name: "main", image: "busybox" }, { name: "side", image: "busybox" }] },
    });
    await eventually(`pod ${ns}/app Running`, async () => ((await kube.get(GVR.pods, "app", ns))?.status as { phase?: string } | undefined)?.phase === "Running");
    return ns;
  }

  const marker = (ns: string, file = "marker"): string | undefined => {
    const p = join(workDir, ns, file);
    return existsSync(p) ? readFileSync(p, "utf8") : undefined;
  };
  const sh = (script: string): string => JSON.stringify(["/bin/sh", "-c", script]);

  const runBackup = (name: string, spec: Partial<BackupSpec>): Promise<Backup> => runToEnd<Backup>(kube, "Backup", VELERO, name, spec, { timeoutMs: 120_000 });
  const podsIn = (backup: string): string[] => itemPaths(backupTarball(bucketRoot, backup)).filter((p) => p.startsWith("resources/pods/namespaces/"));

  beforeAll(async () => {
    const endpoints = loadEndpoints();
    if (!endpoints.exec) throw new Error(`${endpoints.dir}/endpoints.json has no "exec" section: the environment predates kwok's ClusterExec config; start a new one`);
    workDir = endpoints.exec.workDir;
    env = await setUpVeleroEnv("vt-hooks-", { endpoints });
    ({ kube, bucketRoot } = env);
    await createNamespaces(kube, [VELERO]);
    server = await startVeleroServer(env, VELERO, { logEnv: "VT_BACKUP_LOG" });
  }, 300_000);

  afterAll(async () => {
    await tearDownVelero(env, server, [VELERO, ...namespaces]);
    for (const ns of namespaces) rmSync(join(workDir, ns), { recursive: true, force: true });
  });

  it("--concurrent-backups 3: two backups of one namespace never run at once (their hooks would run in the same pod), a backup of another namespace runs beside them", async () => {
    const slow = (dir: string) => ({ "pre.hook.backup.velero.io/command": sh(`echo start >> ${dir}/runs; sleep 2; echo end >> ${dir}/runs`) });
    const shared = await podNamespace("cc-a", (ns) => slow(join(workDir, ns)));
    const apart = await podNamespace("cc-b", (ns) => slow(join(workDir, ns)));
    const velero = `vt-hk-cc-${suffix}`;
    namespaces.push(velero);
    await createNamespaces(kube, [velero]);
    const concurrent = await startVeleroServer(env as VeleroTestEnv, velero, { logEnv: "VT_BACKUP_LOG", concurrency: 3 });
    try {
      const run = (name: string, ns: string) => runToEnd<Backup>(kube, "Backup", velero, name, { includedNamespaces: [ns] }, { timeoutMs: 120_000 });
      const [one, two, other] = await Promise.all([run("cc-1", shared), run("cc-2", shared), run("cc-3", apart)]);
      for (const b of [one, two, other]) expect(b.status?.phase).toBe("Completed");
      // one pod's pre hooks ran one after the other, never interleaved
      expect(marker(shared, "runs")).toBe("start\nend\nstart\nend\n");
      const span = (b: Backup) => [Date.parse(b.status?.startTimestamp ?? ""), Date.parse(b.status?.completionTimestamp ?? "")] as const;
      const [first, second] = [span(one), span(two)].sort((x, y) => x[0] - y[0]) as [readonly [number, number], readonly [number, number]];
      expect(second[0]).toBeGreaterThanOrEqual(first[1]);
      // the other namespace's backup ran beside the first
      expect(span(other)[0]).toBeLessThan(first[1]);
    } finally {
      await concurrent.stop();
    }
  });

  it("runs the pre hook, backs the pod up, then runs the post hook (marker file pre → post); hookStatus 2/0", async () => {
    const ns = await podNamespace("order", (d) => ({
      "pre.hook.backup.velero.io/command": sh(`echo pre >> ${d}/marker`),
      "pre.hook.backup.velero.io/container": "side",
      "post.hook.backup.velero.io/command": sh(`echo post >> ${d}/marker`),
    }));
    const b = await runBackup(`order-${suffix}`, { includedNamespaces: [ns] });
    expect(b.status).toMatchObject({ phase: "Completed", hookStatus: { hooksAttempted: 2 } });
    // zero counts left out, as Go writes them (omitempty)
    expect(b.status).not.toHaveProperty("errors");
    expect(b.status?.hookStatus, "a zero count is left out, as Go does").not.toHaveProperty("hooksFailed");
    expect(marker(ns)).toBe("pre\npost\n");
    expect(podsIn(`order-${suffix}`)).toContain(`resources/pods/namespaces/${ns}/app.json`);
  });

  it("spec hooks (spec.hooks.resources): label-selected pods only, several pre hooks in order, then post; the unlabelled pod gets none (3 attempted, not 6)", async () => {
    const ns = await podNamespace("spec", () => ({}));
    await kube.patch(GVR.pods, "app", ns, { metadata: { labels: { hooked: "yes" } } });
    await kube.create(GVR.pods, { apiVersion: "v1", kind: "Pod", metadata: { name: "other", namespace: ns }, spec: { containers: [{ name: "main", image: "busybox" }] } });
    const b = await runBackup(`spec-${suffix}`, {
      includedNamespaces: [ns],
      hooks: {
        resources: [
          {
            name: "freeze",
            includedNamespaces: [ns],
            labelSelector: { matchLabels: { hooked: "yes" } },
            pre: [
              { exec: { container: "side", command: ["/bin/sh", "-c", `echo pre1 >> ${ns}/marker`], onError: "Fail", timeout: "10s" } },
              { exec: { command: ["/bin/sh", "-c", `echo pre2 >> ${ns}/marker`] } },
            ],
            post: [{ exec: { command: ["/bin/sh", "-c", `echo post >> ${ns}/marker`] } }],
          },
        ],
      },
    });
    expect(b.status).toMatchObject({ phase: "Completed", hookStatus: { hooksAttempted: 3 } });
    // zero counts left out, as Go writes them (omitempty)
    expect(b.status).not.toHaveProperty("errors");
    expect(marker(ns)).toBe("pre1\npre2\npost\n");
    expect(podsIn(`spec-${suffix}`)).toEqual(expect.arrayContaining([`resources/pods/namespaces/${ns}/app.json`, `resources/pods/namespaces/${ns}/other.json`]));
  });

  it("a failing pre hook with on-error Fail: the pod is not backed up, the post hook never runs, the backup is PartiallyFailed", async () => {
    const ns = await podNamespace("fail", (d) => ({
      "pre.hook.backup.velero.io/command": sh(`echo pre >> ${d}/marker; exit 7`),
      "pre.hook.backup.velero.io/on-error": "Fail",
      "post.hook.backup.velero.io/command": sh(`echo post >> ${d}/marker`),
    }));
    const b = await runBackup(`fail-${suffix}`, { includedNamespaces: [ns] });
    // Velero: the item fails (error in the backup log) → PartiallyFailed, not Failed; the post hook is skipped.
    expect(b.status?.phase).toBe("PartiallyFailed");
    expect(b.status?.errors).toBeGreaterThanOrEqual(1);
    expect(b.status?.hookStatus).toEqual({ hooksAttempted: 1, hooksFailed: 1 });
    expect(marker(ns)).toBe("pre\n");
    expect(podsIn(`fail-${suffix}`)).not.toContain(`resources/pods/namespaces/${ns}/app.json`);
    // the backup log (in the bucket) carries kwok's report of the command's exit
    const log = gunzipSync(readFileSync(join(backupDir(bucketRoot, `fail-${suffix}`), `fail-${suffix}-logs.gz`))).toString("utf8");
    expect(log).toMatch(/Error executing hook/);
    expect(log).toMatch(/exit status 7/);
  });

  it("a failing pre hook with on-error Continue: the pod is backed up and the post hook runs; the hook error is still reported", async () => {
    const ns = await podNamespace("cont", (d) => ({
      "pre.hook.backup.velero.io/command": sh(`echo pre >> ${d}/marker; exit 1`),
      "pre.hook.backup.velero.io/on-error": "Continue",
      "post.hook.backup.velero.io/command": sh(`echo post >> ${d}/marker`),
    }));
    const b = await runBackup(`cont-${suffix}`, { includedNamespaces: [ns] });
    expect(b.status?.hookStatus).toEqual({ hooksAttempted: 2, hooksFailed: 1 });
    // Velero logs "Error executing hook" at error level even with Continue, and its log counter makes that an error.
    expect(b.status?.phase).toBe("PartiallyFailed");
    expect(marker(ns)).toBe("pre\npost\n");
    expect(podsIn(`cont-${suffix}`)).toContain(`resources/pods/namespaces/${ns}/app.json`);
  });

  it("a hook that outlives its timeout fails (on-error Fail → pod skipped), well before the command would have finished", async () => {
    const ns = await podNamespace("slow", (d) => ({
      "pre.hook.backup.velero.io/command": sh(`echo start >> ${d}/marker; sleep 20; echo late >> ${d}/marker`),
      "pre.hook.backup.velero.io/timeout": "2s",
      "pre.hook.backup.velero.io/on-error": "Fail",
      "post.hook.backup.velero.io/command": sh(`echo post >> ${d}/marker`),
    }));
    const t0 = Date.now();
    const b = await runBackup(`slow-${suffix}`, { includedNamespaces: [ns] });
    expect(Date.now() - t0).toBeLessThan(18_000);
    expect(b.status?.phase).toBe("PartiallyFailed");
    expect(b.status?.hookStatus).toEqual({ hooksAttempted: 1, hooksFailed: 1 });
    expect(marker(ns)).toBe("start\n");
    expect(podsIn(`slow-${suffix}`)).not.toContain(`resources/pods/namespaces/${ns}/app.json`);
  });
});
