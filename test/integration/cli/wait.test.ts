// The CLI's waits for the server (run in process) against the REAL API server and a running
// velero-ts server: `backup create --wait` and `restore create --wait` follow the object through a
// watch on it by name and end the moment its phase is terminal, as Velero's CLI (an informer)
// does; `backup logs`, `backup describe --details` (DownloadRequests) and `version`
// (a ServerStatusRequest) take the server's answer the moment it is written. The CLI's sleeps
// between reads never end by themselves here, so only the watches can end each wait.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import { GVR } from "../../../host/src/kube/gvr.ts";
import type { RunningServer } from "../../../host/src/server/server.ts";
import { runCliWithWatchOnlyWaits, type InProcessRun } from "../../helpers/cli-in-process.ts";
import { createNamespaces, setUpVeleroEnv, startVeleroServer, tearDownVelero, type VeleroTestEnv } from "../../helpers/velero-server.ts";

const suffix = randomBytes(3).toString("hex");
const APP = `vt-wait-app-${suffix}`;
const RESTORED = `vt-wait-restored-${suffix}`;
const VELERO = `vt-wait-velero-${suffix}`;

describe("--wait through a watch (real API server, velero-ts server)", () => {
  let env: VeleroTestEnv | undefined;
  let server: RunningServer | undefined;
  const home = mkdtempSync(join(tmpdir(), "vt-wait-home-"));

  beforeAll(async () => {
    env = await setUpVeleroEnv("vt-wait-");
    await createNamespaces(env.kube, [APP, VELERO]);
    await env.kube.create(GVR.configMaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings", namespace: APP }, data: { k: "v" } } as UnstructuredItem);
    server = await startVeleroServer(env, VELERO, { logEnv: "VT_WAIT_LOG" });
  }, 300_000);

  afterAll(async () => {
    await tearDownVelero(env, server, [APP, RESTORED, VELERO]);
    rmSync(home, { recursive: true, force: true });
  });

  const run = (...argv: string[]): Promise<InProcessRun> => runCliWithWatchOnlyWaits([...argv, "--namespace", VELERO], { kubeconfig: env?.endpoints.kubeconfig ?? "", home });

  it("velero backup create --wait returns once the backup is Completed, woken by the watch", async () => {
    const r = await run("backup", "create", "waited", "--include-namespaces", APP, "--wait");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Backup request "waited" submitted successfully.');
    expect(r.stdout).toMatch(/backup waited: Completed, (\d+)\/\1 items backed up/);
    expect(r.stdout).toContain("Backup completed with status: Completed.");
    // each wait between reads was cut short by a change the watch reported
    for (const s of r.sleeps) expect(s.aborted).toBe(true);
  }, 120_000);

  it("velero restore create --wait returns once the restore is Completed, woken by the watch", async () => {
    const r = await run("restore", "create", "waited-restore", "--from-backup", "waited", "--namespace-mappings", `${APP}:${RESTORED}`, "--wait");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Restore completed with status: Completed.");
    for (const s of r.sleeps) expect(s.aborted).toBe(true);
    expect(await env?.kube.get(GVR.configMaps, "settings", RESTORED)).toMatchObject({ data: { k: "v" } });
  }, 120_000);

  it("velero backup logs, backup describe --details and version take the server's answer as soon as the watch reports it", async () => {
    const logs = await run("backup", "logs", "waited");
    expect(logs.stderr).toBe("");
    expect(logs.code).toBe(0);
    expect(logs.stdout).toMatch(/level=info msg="Backing up item"/);
    for (const s of logs.sleeps) expect(s.aborted).toBe(true);

    const describe = await run("backup", "describe", "waited", "--details");
    expect(describe.stderr).toBe("");
    expect(describe.code).toBe(0);
    expect(describe.stdout).toMatch(/Resource List:\n\s+v1\/ConfigMap:\n/);
    for (const s of describe.sleeps) expect(s.aborted).toBe(true);

    const version = await run("version");
    expect(version.stderr).toBe("");
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/Server:\n\tVersion: v\d/);
    for (const s of version.sleeps) expect(s.aborted).toBe(true);
  }, 120_000);
});
