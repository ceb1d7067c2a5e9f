// Item blocks (Velero ≥1.15) against the REAL control plane through `velero server`'s composition
// root (startServer): the built-in ItemBlockActions (velero.io/pod, velero.io/pvc) and an external
// one from the fixture plugin (test.io/iba-peer, over the go-plugin gRPC protocol) group items into
// blocks; the pre hooks of every pod of a block run before any item of the block is backed up, the
// post hooks after all of them.
//
// HONESTY NOTE (as in ../hooks/backup-hooks.test.ts): kwok's ClusterExec runs every exec'd hook
// command as a PROCESS ON THIS HOST with cwd = the environment's exec dir; the marker files are
// written by those host processes. What is proven: which hooks run, in which order relative to each
// other and (through the backup log in the bucket) to the backup of the block's items.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Backup, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { GVR } from "../../../host/src/kube/gvr.ts";
import type { HttpKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import type { RunningServer } from "../../../host/src/server/server.ts";
import { loadEndpoints } from "../../helpers/endpoints.ts";
import { itemPaths } from "../../helpers/velero-tarball.ts";
import { backupDir, backupTarball, createNamespaces, eventually, runToEnd, setUpVeleroEnv, startVeleroServer, tearDownVelero, type VeleroTestEnv } from "../../helpers/velero-server.ts";

const suffix = randomBytes(3).toString("hex");
const VELERO = `vt-ib-velero-${suffix}`;
const SHARED = `vt-ib-shared-${suffix}`;
const PEERS = `vt-ib-peers-${suffix}`;
const PV = `vt-ib-pv-${suffix}`;

describe("item blocks: related items backed up together, hooks around each block (real API server, kwok exec, fixture plugin)", () => {
  let env: VeleroTestEnv | undefined;
  let kube: HttpKubeClient;
  let server: RunningServer | undefined;
  let bucketRoot: string;
  let workDir: string;

  const sh = (script: string): string => JSON.stringify(["/bin/sh", "-c", script]);
  /** Pre and post hooks appending "pre <pod>" / "post <pod>" to <ns>/marker in the exec dir. */
  const hooks = (ns: string, pod: string): Record<string, string> => ({
    "pre.hook.backup.velero.io/command": sh(`echo pre ${pod} >> ${ns}/marker`),
    "post.hook.backup.velero.io/command": sh(`echo post ${pod} >> ${ns}/marker`),
  });
  const marker = (ns: string): string | undefined => {
    const p = join(workDir, ns, "marker");
    return existsSync(p) ? readFileSync(p, "utf8") : undefined;
  };

  async function createPod(ns: string, name: string, options: { claim?: string; labels?: Record<string, string>; annotations?: Record<string, string> } = {}): Promise<void> {
    await eventually(`pod ${ns}/${name} to be created`, () =>
      kube
        .create(GVR.pods, {
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name, namespace: ns, labels: options.labels ?? {}, annotations: { ...hooks(ns, name), ...options.annotations } },
          spec: {
            containers: [{ name: "main", image: "busybox", ...(options.claim ? { volumeMounts: [{ name: "data", mountPath: "/data" }] } : {}) }],
            ...(options.claim ? { volumes: [{ name: "data", persistentVolumeClaim: { claimName: options.claim } }] } : {}),
          },
        } as unknown as UnstructuredItem)
        .then(() => true),
    );
  }
  const running = (ns: string, name: string) =>
    eventually(`pod ${ns}/${name} Running`, async () => {
      const pod = await kube.get(GVR.pods, name, ns);
      return (pod?.status as { phase?: string } | undefined)?.phase === "Running" && Boolean((pod?.spec as { nodeName?: string }).nodeName);
    });
  const backupLog = (name: string): string[] => gunzipSync(readFileSync(join(backupDir(bucketRoot, name), `${name}-logs.gz`))).toString("utf8").split("\n");
  const runBackup = (name: string, ns: string): Promise<Backup> => runToEnd<Backup>(kube, "Backup", VELERO, name, { includedNamespaces: [ns] }, { timeoutMs: 120_000 });

  beforeAll(async () => {
    const endpoints = loadEndpoints();
    if (!endpoints.exec) throw new Error(`${endpoints.dir}/endpoints.json has no "exec" section: the environment predates kwok's ClusterExec config; start a new one`);
    workDir = endpoints.exec.workDir;
    env = await setUpVeleroEnv("vt-item-blocks-", { endpoints, fixturePlugin: true });
    ({ kube, bucketRoot } = env);
    await createNamespaces(kube, [VELERO, SHARED, PEERS]);
    for (const ns of [SHARED, PEERS]) mkdirSync(join(workDir, ns), { recursive: true });

    // SHARED: pods a-first and b-second mount one PVC (bound to a PV); c-alone mounts nothing.
    await kube.create(GVR.persistentVolumes, {
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: { name: PV },
      spec: { capacity: { storage: "1Gi" }, accessModes: ["ReadWriteMany"], hostPath: { path: `/tmp/${PV}` }, storageClassName: "", claimRef: { namespace: SHARED, name: "shared" } },
    } as unknown as UnstructuredItem);
    await kube.create(GVR.persistentVolumeClaims, {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: "shared", namespace: SHARED },
      spec: { accessModes: ["ReadWriteMany"], resources: { requests: { storage: "1Gi" } }, storageClassName: "", volumeName: PV },
    } as unknown as UnstructuredItem);
    await eventually("the PVC to be Bound", async () => ((await kube.get(GVR.persistentVolumeClaims, "shared", SHARED))?.status as { phase?: string } | undefined)?.phase === "Bound");
    await createPod(SHARED, "a-first", { claim: "shared" });
    await createPod(SHARED, "b-second", { claim: "shared" });
    await createPod(SHARED, "c-alone");

    // PEERS: test.io/iba-peer applies to pods labelled fixture/peer=yes and relates the pod their
    // fixture/peer annotation names. p1 is labelled (→ p3); p2 names p4 but is not labelled.
    await createPod(PEERS, "p1", { labels: { "fixture/peer": "yes" }, annotations: { "fixture/peer": "p3" } });
    await createPod(PEERS, "p2", { annotations: { "fixture/peer": "p4" } });
    await createPod(PEERS, "p3");
    await createPod(PEERS, "p4");
    for (const [ns, name] of [[SHARED, "a-first"], [SHARED, "b-second"], [SHARED, "c-alone"], [PEERS, "p1"], [PEERS, "p2"], [PEERS, "p3"], [PEERS, "p4"]] as const) await running(ns, name);

    server = await startVeleroServer(env, VELERO, { logEnv: "VT_ITEM_BLOCKS_LOG" });
  }, 300_000);

  afterAll(async () => {
    await tearDownVelero(env, server, [VELERO, SHARED, PEERS], async (k) => {
      await k.delete(GVR.persistentVolumes, PV).catch(() => undefined);
    });
    for (const ns of [SHARED, PEERS]) if (workDir) rmSync(join(workDir, ns), { recursive: true, force: true });
  });

  it("lists the built-in ItemBlockActions (Velero's order: its binary's ListPlugins sorts names) before the plugin's", () => {
    const names = server?.plugins.list().filter((p) => p.kind === "ItemBlockAction").map((p) => p.name);
    expect(names).toEqual(["velero.io/pod", "velero.io/pvc", "velero.io/service-account", "test.io/iba", "test.io/iba-peer"]);
  });

  it("two pods sharing a PVC: one block (pod → PVC → PV and the other pod); both pre hooks, then the block's items, then both post hooks", async () => {
    const name = `ib-shared-${suffix}`;
    const b = await runBackup(name, SHARED);
    expect(b.status).toMatchObject({ phase: "Completed", hookStatus: { hooksAttempted: 6 } });
    // zero counts left out, as Go writes them (omitempty)
    expect(b.status).not.toHaveProperty("errors");
    // Without item blocks this would read "pre a-first, post a-first, pre b-second, post b-second, ...".
    expect(marker(SHARED)).toBe("pre a-first\npre b-second\npost a-first\npost b-second\npre c-alone\npost c-alone\n");

    const log = backupLog(name);
    const line = (what: RegExp): number => {
      const i = log.findIndex((l) => what.test(l));
      expect(i, `backup log line ${what}`).toBeGreaterThanOrEqual(0);
      return i;
    };
    // Velero's hook lines name the hook by its command (and carry no pod name); fields are sorted by key.
    const hook = (phase: string, pod: string) => line(new RegExp(`msg="running exec hook" .*hookCommand="\\[/bin/sh -c echo ${phase} ${pod} `));
    const backedUp = (resource: string, itemName: string) => line(new RegExp(`msg="Backing up item".* name=${itemName} .*resource=${resource}(\\s|$)`));
    const items = [backedUp("pods", "a-first"), backedUp("persistentvolumeclaims", "shared"), backedUp("persistentvolumes", PV), backedUp("pods", "b-second")];
    const lastPre = Math.max(hook("pre", "a-first"), hook("pre", "b-second"));
    const firstPost = Math.min(hook("post", "a-first"), hook("post", "b-second"));
    expect(lastPre).toBeLessThan(Math.min(...items));
    expect(Math.max(...items)).toBeLessThan(firstPost);
    expect(firstPost).toBeLessThan(hook("pre", "c-alone"));
    expect(log.some((l) => /Backing Up Item Block including pods .*\/a-first \(4 items in block\)/.test(l))).toBe(true);

    const paths = itemPaths(backupTarball(bucketRoot, name));
    expect(paths).toEqual(
      expect.arrayContaining([
        `resources/pods/namespaces/${SHARED}/a-first.json`,
        `resources/pods/namespaces/${SHARED}/b-second.json`,
        `resources/pods/namespaces/${SHARED}/c-alone.json`,
        `resources/persistentvolumeclaims/namespaces/${SHARED}/shared.json`,
        `resources/persistentvolumes/cluster/${PV}.json`,
      ]),
    );
    expect(paths.filter((p) => p === `resources/persistentvolumeclaims/namespaces/${SHARED}/shared.json`)).toHaveLength(1);
  });

  it("an external plugin's ItemBlockAction groups the pods it relates, only where its AppliesTo selector matches", async () => {
    const name = `ib-peers-${suffix}`;
    const b = await runBackup(name, PEERS);
    expect(b.status).toMatchObject({ phase: "Completed", hookStatus: { hooksAttempted: 8 } });
    // zero counts left out, as Go writes them (omitempty)
    expect(b.status).not.toHaveProperty("errors");
    // p1 (labelled) and p3 share a block; p2 is not labelled, so its annotation relates nothing.
    expect(marker(PEERS)).toBe("pre p1\npre p3\npost p1\npost p3\npre p2\npost p2\npre p4\npost p4\n");
    const log = backupLog(name);
    // As in Velero, "Executing ItemBlock action" is written on the backup's logger (no item fields):
    // which item it was for is told by the "Processing item" line before it.
    const ranFor = (pod: string): boolean => {
      const start = log.findIndex((l) => /msg="Processing item"/.test(l) && new RegExp(` name=${pod}\\b`).test(l) && /resource=pods\b/.test(l));
      expect(start, `"Processing item" of pod ${pod}`).toBeGreaterThanOrEqual(0);
      const next = log.findIndex((l, i) => i > start && /msg="Processing item"/.test(l));
      return log.slice(start, next < 0 ? undefined : next).some((l) => /msg="Executing ItemBlock action".*plugin=test\.io\/iba-peer/.test(l));
    };
    expect(ranFor("p1")).toBe(true);
    expect(ranFor("p2")).toBe(false);
    expect(itemPaths(backupTarball(bucketRoot, name)).filter((p) => p.startsWith(`resources/pods/namespaces/${PEERS}/`)).sort()).toEqual(
      ["p1", "p2", "p3", "p4"].map((p) => `resources/pods/namespaces/${PEERS}/${p}.json`),
    );
  });
});
