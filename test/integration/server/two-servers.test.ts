// Two `velero server`s watching the same namespace (an out-of-cluster server started next to the
// Deployment `velero install` made, say) against the real API server: each Backup and Restore is
// run by one of them only. The patch that starts one names the resourceVersion its server read,
// so the API server refuses the second server's (409 Conflict) and that server leaves it alone.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import { GVR } from "../../../host/src/kube/gvr.ts";
import { startServer, type RunningServer } from "../../../host/src/server/server.ts";
import { captureLogger, type LogRecord } from "../../helpers/capture-logger.ts";
import {
  createFilesystemLocation,
  createNamespaces,
  eventually,
  locationAvailable,
  setUpVeleroEnv,
  tearDownVelero,
  TERMINAL_PHASES,
  type VeleroTestEnv,
} from "../../helpers/velero-server.ts";

const SFX = Math.random().toString(36).slice(2, 8);
const VELERO = `vt-two-velero-${SFX}`;
const APP = `vt-two-app-${SFX}`;
const COUNT = 8;

let env: VeleroTestEnv | undefined;
const servers: RunningServer[] = [];
const logs: LogRecord[][] = [[], []];

beforeAll(async () => {
  env = await setUpVeleroEnv("vt-two-");
  await createNamespaces(env.kube, [VELERO, APP]);
  for (let i = 0; i < 20; i++) {
    await env.kube.create(GVR.configMaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { namespace: APP, name: `cm-${i}` }, data: { i: String(i) } } as UnstructuredItem);
  }
  await createFilesystemLocation(env.kube, VELERO, env.bucketRoot);
  for (const log of logs) {
    const e = env;
    servers.push(await startServer({ kube: e.kube, namespace: VELERO, pluginDir: e.pluginDir, metricsAddress: "127.0.0.1:0", storeValidationFrequency: "1s", logger: captureLogger(log) }));
  }
  await locationAvailable(env.kube, VELERO);
}, 120_000);

afterAll(async () => {
  for (const s of servers.slice(1)) await s.stop();
  await tearDownVelero(env, servers[0], [VELERO, APP]);
});

/** How many times each server logged `message` for the object `key`. */
function starts(message: string, key: string): number[] {
  return logs.map((records) => records.filter((r) => r.message === message && (r.fields["backup"] === key || r.fields["restore"] === key)).length);
}

describe("two servers watching one namespace (real API server)", () => {
  it("runs each of several Backups created at once on one server only, and each completes", async () => {
    const kube = env?.kube;
    if (!kube) throw new Error("no test environment");
    const names = Array.from({ length: COUNT }, (_, i) => `b-${i}`);
    await Promise.all(
      names.map((name) => kube.create(GVR.backups, { apiVersion: "velero.io/v1", kind: "Backup", metadata: { namespace: VELERO, name }, spec: { includedNamespaces: [APP] } } as unknown as UnstructuredItem)),
    );
    for (const name of names) {
      const b = await eventually(`backup ${name} to finish`, async () => {
        const got = (await kube.get(GVR.backups, name, VELERO)) as { status?: { phase?: string } } | undefined;
        return TERMINAL_PHASES.includes(got?.status?.phase ?? "") ? got : undefined;
      });
      expect(b.status?.phase, name).toBe("Completed");
      const counts = starts("backup InProgress", `${VELERO}/${name}`);
      expect(counts.reduce((a, c) => a + c, 0), `${name} started by the servers: ${counts.join(" + ")}`).toBe(1);
    }
  }, 180_000);

  it("runs a Restore on one server only", async () => {
    const kube = env?.kube;
    if (!kube) throw new Error("no test environment");
    await kube.create(GVR.restores, { apiVersion: "velero.io/v1", kind: "Restore", metadata: { namespace: VELERO, name: "r-0" }, spec: { backupName: "b-0", namespaceMapping: { [APP]: `${APP}-copy` } } } as unknown as UnstructuredItem);
    const r = await eventually("restore r-0 to finish", async () => {
      const got = (await kube.get(GVR.restores, "r-0", VELERO)) as { status?: { phase?: string } } | undefined;
      return TERMINAL_PHASES.includes(got?.status?.phase ?? "") ? got : undefined;
    });
    expect(r.status?.phase).toBe("Completed");
    const counts = starts("restore started", `${VELERO}/r-0`);
    expect(counts.reduce((a, c) => a + c, 0), `r-0 started by the servers: ${counts.join(" + ")}`).toBe(1);
    await kube.delete(GVR.namespaces, `${APP}-copy`).catch(() => undefined);
  }, 120_000);
});
