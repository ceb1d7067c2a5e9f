// The backup path end to end against the REAL control plane: `velero server`'s composition root
// (startServer) with the velero.io/filesystem object store. A namespace with a Deployment (pods
// by kwok), ConfigMaps, a Secret, a Service, a PVC bound to a PV, a ServiceAccount bound to a
// ClusterRole, and a custom resource. Checks: the bucket holds exactly Velero's keys; the tarball
// (read by an independent reader) holds exactly the expected items for a table of filters; item
// JSON equals what the API server returns; kill -9 mid-backup then restart ends Failed.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Backup, BackupSpec, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { GVR } from "../../../host/src/kube/gvr.ts";
import type { HttpKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import { startServer, type RunningServer } from "../../../host/src/server/server.ts";
import { createSilentLogger } from "../../../host/src/shared/logging.ts";
import { itemPaths } from "../../helpers/velero-tarball.ts";
import { backupDir, backupKeys, backupTarball, createFilesystemLocation, createNamespaces, eventually, locationAvailable, runToEnd, setUpVeleroEnv, startVeleroServer, tearDownVelero, type VeleroTestEnv } from "../../helpers/velero-server.ts";
import { schemalessCrd } from "../../helpers/crd.ts";

const suffix = randomBytes(3).toString("hex");
const APP = `vt-bk-app-${suffix}`;
const VELERO = `vt-bk-velero-${suffix}`;
const PV = `vt-bk-pv-${suffix}`;
const CRB = `vt-bk-crb-${suffix}`;
const ROLE = `vt-bk-role-${suffix}`;
const CRD_GROUP = "vt.example.io";
const CRD = `widgets.${CRD_GROUP}`;
const WIDGETS = { group: CRD_GROUP, version: "v1", resource: "widgets" };
const DEPLOYMENTS = { group: "apps", version: "v1", resource: "deployments" };
const SERVICES = { group: "", version: "v1", resource: "services" };

const obj = (apiVersion: string, kind: string, name: string, rest: Record<string, unknown> = {}, namespace?: string): UnstructuredItem =>
  ({ apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}), ...((rest.metadata as object) ?? {}) }, ...Object.fromEntries(Object.entries(rest).filter(([k]) => k !== "metadata")) }) as UnstructuredItem;

describe("backup (real API server, filesystem object store)", () => {
  let env: VeleroTestEnv | undefined;
  let kube: HttpKubeClient;
  let server: RunningServer | undefined;
  let bucketRoot: string;
  let pluginDir: string;
  let kubeconfig: string;

  const keysOf = (backup: string): string[] => backupKeys(bucketRoot, backup);
  const tarOf = (backup: string) => backupTarball(bucketRoot, backup);
  const runBackup = (name: string, spec: Partial<BackupSpec>): Promise<Backup> => runToEnd<Backup>(kube, "Backup", VELERO, name, spec);

  beforeAll(async () => {
    env = await setUpVeleroEnv("vt-backup-");
    ({ kube, bucketRoot, pluginDir } = env);
    kubeconfig = env.endpoints.kubeconfig;

    await createNamespaces(kube, [APP, VELERO]);
    await kube.apply(
      GVR.customResourceDefinitions,
      schemalessCrd({ group: CRD_GROUP, kind: "Widget", plural: "widgets" }),
      { fieldManager: "vt-test" },
    );
    await eventually("the widget CRD to be served", async () => {
      kube.invalidateDiscovery();
      return (await kube.discover()).some((r) => r.group === CRD_GROUP);
    });
    await kube.create(GVR.configMaps, obj("v1", "ConfigMap", "cm-a", { metadata: { labels: { tier: "web" } }, data: { html: "<b>a & b</b>" } }, APP));
    await kube.create(GVR.configMaps, obj("v1", "ConfigMap", "cm-b", { data: { k: "v" } }, APP));
    await kube.create(GVR.configMaps, obj("v1", "ConfigMap", "cm-excluded", { metadata: { labels: { "velero.io/exclude-from-backup": "true" } } }, APP));
    await kube.create(GVR.secrets, obj("v1", "Secret", "s1", { type: "Opaque", data: { password: Buffer.from("hunter2").toString("base64") } }, APP));
    await kube.create(SERVICES, obj("v1", "Service", "web", { spec: { selector: { app: "web" }, ports: [{ port: 80 }] } }, APP));
    await kube.create(GVR.serviceAccounts, obj("v1", "ServiceAccount", "runner", {}, APP));
    await kube.create(GVR.clusterRoles, obj("rbac.authorization.k8s.io/v1", "ClusterRole", ROLE, { rules: [] }));
    await kube.create(
      GVR.clusterRoleBindings,
      obj("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", CRB, {
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: ROLE },
        subjects: [{ kind: "ServiceAccount", name: "runner", namespace: APP }],
      }),
    );
    await kube.create(
      GVR.persistentVolumes,
      obj("v1", "PersistentVolume", PV, {
        spec: { capacity: { storage: "1Gi" }, accessModes: ["ReadWriteOnce"], hostPath: { path: `/tmp/${PV}` }, storageClassName: "", claimRef: { namespace: APP, name: "data" } },
      }),
    );
    await kube.create(
      GVR.persistentVolumeClaims,
      obj("v1", "PersistentVolumeClaim", "data", { spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, storageClassName: "", volumeName: PV } }, APP),
    );
    await kube.create(
      DEPLOYMENTS,
      obj(
        "apps/v1",
        "Deployment",
        "web",
        {
          metadata: { labels: { app: "web" } },
          spec: {
            replicas: 1,
            selector: { matchLabels: { app: "web" } },
            template: {
              metadata: { labels: { app: "web" } },
              spec: { containers: [{ name: "main", image: "busybox" }], volumes: [{ name: "data", persistentVolumeClaim: { claimName: "data" } }] },
            },
          },
        },
        APP,
      ),
    );
    await kube.create(WIDGETS, obj(`${CRD_GROUP}/v1`, "Widget", "w1", { spec: { size: 3 } }, APP));
    await eventually("the PVC to be Bound", async () => ((await kube.get(GVR.persistentVolumeClaims, "data", APP))?.status as { phase?: string })?.phase === "Bound");
    await eventually("the Deployment's pod to be Running", async () => {
      const { items } = await kube.list(GVR.pods, { namespace: APP });
      return items.some((p) => (p.status as { phase?: string })?.phase === "Running");
    });

    server = await startVeleroServer(env, VELERO, { logEnv: "VT_BACKUP_LOG" });
  }, 300_000);

  afterAll(async () => {
    await tearDownVelero(env, server, [APP, VELERO], async (k) => {
      await k.delete(GVR.persistentVolumes, PV);
      await k.delete(GVR.clusterRoleBindings, CRB);
      await k.delete(GVR.clusterRoles, ROLE);
    });
  });

  it("backs up the namespace: exactly Velero's keys, the namespace's items plus PV, RBAC and CRD, and item JSON as served", async () => {
    const b = await runBackup("full", { includedNamespaces: [APP] });
    expect(b.status).toMatchObject({ phase: "Completed", formatVersion: "1.1.0" });
    // zero counts left out, as Go writes them (omitempty)
    expect(b.status).not.toHaveProperty("errors");
    expect(keysOf("full")).toEqual([
      "full-itemoperations.json.gz",
      "full-logs.gz",
      "full-podvolumebackups.json.gz",
      "full-resource-list.json.gz",
      "full-results.gz",
      "full-volumeinfo.json.gz",
      "full-volumesnapshots.json.gz",
      "full.tar.gz",
      "velero-backup.json",
    ]);
    const entries = tarOf("full");
    expect(entries[0]?.name).toBe("metadata/version");
    expect(entries.every((e) => e.type === "0" && e.mode === 0o755)).toBe(true);
    const items = itemPaths(entries);
    const cluster = items.filter((p) => p.includes("/cluster/"));
    expect(cluster).toEqual(
      [
        `resources/clusterrolebindings.rbac.authorization.k8s.io/cluster/${CRB}.json`,
        `resources/clusterroles.rbac.authorization.k8s.io/cluster/${ROLE}.json`,
        `resources/customresourcedefinitions.apiextensions.k8s.io/cluster/${CRD}.json`,
        `resources/namespaces/cluster/${APP}.json`,
        `resources/persistentvolumes/cluster/${PV}.json`,
      ].sort(),
    );
    expect(items.filter((p) => !p.includes("/cluster/")).every((p) => p.includes(`/namespaces/${APP}/`))).toBe(true);
    for (const want of [
      `resources/configmaps/namespaces/${APP}/cm-a.json`,
      `resources/configmaps/namespaces/${APP}/cm-b.json`,
      `resources/secrets/namespaces/${APP}/s1.json`,
      `resources/services/namespaces/${APP}/web.json`,
      `resources/serviceaccounts/namespaces/${APP}/runner.json`,
      `resources/persistentvolumeclaims/namespaces/${APP}/data.json`,
      `resources/deployments.apps/namespaces/${APP}/web.json`,
      `resources/widgets.${CRD_GROUP}/namespaces/${APP}/w1.json`,
    ]) {
      expect(items).toContain(want);
    }
    expect(items.some((p) => p.startsWith(`resources/pods/namespaces/${APP}/web-`))).toBe(true);
    expect(items.some((p) => p.startsWith(`resources/replicasets.apps/namespaces/${APP}/web-`))).toBe(true);
    expect(items).not.toContain(`resources/configmaps/namespaces/${APP}/cm-excluded.json`);
    // Every item is also written under its preferred version.
    for (const p of items) {
      const [, gr, ...rest] = p.split("/");
      expect(entries.some((e) => e.name.startsWith(`resources/${gr}/`) && e.name.endsWith(rest.join("/")) && e.name.includes("-preferredversion/"))).toBe(true);
    }
    // Item JSON is what the API server returned (objects nobody modifies since).
    const byName = new Map(entries.map((e) => [e.name, e.data.toString("utf8")]));
    const cases: [string, { group: string; version: string; resource: string }, string, string | undefined][] = [
      [`resources/configmaps/namespaces/${APP}/cm-a.json`, GVR.configMaps, "cm-a", APP],
      [`resources/secrets/namespaces/${APP}/s1.json`, GVR.secrets, "s1", APP],
      [`resources/serviceaccounts/namespaces/${APP}/runner.json`, GVR.serviceAccounts, "runner", APP],
      [`resources/widgets.${CRD_GROUP}/namespaces/${APP}/w1.json`, WIDGETS, "w1", APP],
      [`resources/clusterroles.rbac.authorization.k8s.io/cluster/${ROLE}.json`, GVR.clusterRoles, ROLE, undefined],
    ];
    for (const [path, gvr, name, ns] of cases) {
      expect(JSON.parse(byName.get(path) ?? "null")).toEqual(await kube.get(gvr, name, ns));
    }
    expect(byName.get(`resources/configmaps/namespaces/${APP}/cm-a.json`)).toContain("\\u003cb\\u003ea \\u0026 b\\u003c/b\\u003e");
    const stored = JSON.parse(readFileSync(join(backupDir(bucketRoot, "full"), "velero-backup.json"), "utf8")) as Backup;
    expect(stored).toMatchObject({ apiVersion: "velero.io/v1", kind: "Backup", status: { phase: "Completed" } });
  });

  it.each([
    {
      name: "old filters: resources in one namespace",
      spec: { includedNamespaces: [APP], includedResources: ["configmaps", "secrets"] },
      want: ["configmaps/cm-a", "configmaps/cm-b", "configmaps/kube-root-ca.crt", "secrets/s1"],
    },
    { name: "label selector", spec: { includedNamespaces: [APP], includedResources: ["configmaps"], labelSelector: { matchLabels: { tier: "web" } } }, want: ["configmaps/cm-a"] },
    {
      name: "or-label-selectors",
      spec: { includedNamespaces: [APP], includedResources: ["configmaps", "deployments"], orLabelSelectors: [{ matchLabels: { tier: "web" } }, { matchLabels: { app: "web" } }] },
      want: ["configmaps/cm-a", "deployments.apps/web"],
    },
    {
      name: "includeClusterResources=false keeps the PV out",
      spec: { includedNamespaces: [APP], includedResources: ["persistentvolumeclaims", "persistentvolumes"], includeClusterResources: false },
      want: ["persistentvolumeclaims/data"],
    },
    {
      name: "auto cluster scope pulls the bound PV in",
      spec: { includedNamespaces: [APP], includedResources: ["persistentvolumeclaims", "persistentvolumes"] },
      want: ["persistentvolumeclaims/data", `persistentvolumes/${PV}`],
    },
    {
      name: "new-style scoped filters",
      spec: { includedNamespaces: [APP], includedNamespaceScopedResources: ["serviceaccounts"], excludedClusterScopedResources: ["*"] },
      want: ["serviceaccounts/default", "serviceaccounts/runner"],
    },
    {
      name: "glob namespace include with a custom resource",
      spec: { includedNamespaces: [`vt-bk-app-${suffix.slice(0, 3)}*`], includedResources: ["widgets.vt.example.io"] },
      want: [`widgets.${CRD_GROUP}/w1`],
    },
  ])("filter table: $name", async ({ name, spec, want }) => {
    const backupName = `f-${name.replace(/[^a-z]+/gi, "-").toLowerCase().slice(0, 40)}-${randomBytes(2).toString("hex")}`;
    const b = await runBackup(backupName, spec as Partial<BackupSpec>);
    expect(b.status?.phase, `failureReason: ${b.status?.failureReason ?? "none"}; errors: ${b.status?.errors ?? 0}`).toBe("Completed");
    const got = itemPaths(tarOf(backupName)).map((p) => {
      const parts = p.split("/");
      return `${parts[1]}/${(parts.at(-1) as string).replace(/\.json$/, "")}`;
    });
    expect(got.sort()).toEqual([...want].sort());
  });

  it("a CRD created after the server started is discovered afresh: its custom resources are backed up", async () => {
    const gadgets = { group: CRD_GROUP, version: "v1", resource: "gadgets" };
    await kube.apply(
      GVR.customResourceDefinitions,
      obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", `gadgets.${CRD_GROUP}`, {
        spec: {
          group: CRD_GROUP,
          names: { kind: "Gadget", listKind: "GadgetList", plural: "gadgets", singular: "gadget" },
          scope: "Namespaced",
          versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } }],
        },
      }),
      { fieldManager: "vt-test" },
    );
    // The CRD stays, as the widgets one does: deleting a CRD while other suites run real Velero
    // fails their backups (Velero lists what its discovery cached minutes ago, and gets a 404).
    // Waits for the API server to serve it without touching the (shared) discovery cache.
    await eventually("the gadget CRD to be served", async () => (await kube.list(gadgets, { namespace: APP }).then(() => true).catch(() => false)) || undefined);
    await kube.create(gadgets, obj(`${CRD_GROUP}/v1`, "Gadget", "g1", { spec: { size: 1 } }, APP));
    const b = await runBackup("late-crd", { includedNamespaces: [APP], includedResources: ["gadgets.vt.example.io"] });
    expect(b.status?.phase).toBe("Completed");
    expect(itemPaths(tarOf("late-crd"))).toContain(`resources/gadgets.${CRD_GROUP}/namespaces/${APP}/g1.json`);
  });

  it("holds every object written before the Backup was created, the last writes included (its LISTs are not older than the Backup)", async () => {
    // writes right up to the Backup's creation, with no pause: creates, then an update of one of
    // them; the backup's LISTs (NotOlderThan the Backup's resourceVersion) must see them all
    const names = Array.from({ length: 25 }, (_, i) => `late-${i}`);
    for (const name of names) await kube.create(GVR.configMaps, obj("v1", "ConfigMap", name, { data: { v: "1" } }, APP));
    await kube.patch(GVR.configMaps, "late-24", APP, { data: { v: "2" } });
    const b = await runBackup("last-writes", { includedNamespaces: [APP], includedResources: ["configmaps"] });
    expect(b.status?.phase).toBe("Completed");
    const entries = tarOf("last-writes");
    const paths = itemPaths(entries);
    for (const name of names) expect(paths).toContain(`resources/configmaps/namespaces/${APP}/${name}.json`);
    const last = entries.find((e) => e.name === `resources/configmaps/namespaces/${APP}/late-24.json`);
    expect(JSON.parse(last?.data.toString("utf8") ?? "{}").data).toEqual({ v: "2" });
  });

  it("mixing old and new filters fails validation and writes nothing", async () => {
    const b = await runBackup("mixed", { includedResources: ["pods"], includedClusterScopedResources: ["persistentvolumes"] });
    expect(b.status?.phase).toBe("FailedValidation");
    expect(b.status?.validationErrors?.[0]).toContain("They cannot be used together");
    expect(keysOf("mixed")).toEqual([]);
  });

  /** Starts a server on `ns` (as after a crash), hands `check` the backup once it left InProgress, then stops it and deletes `ns`. */
  const afterRestart = async (ns: string, name: string, check: (b: Backup) => void): Promise<void> => {
    const restarted = await startServer({ kube, namespace: ns, pluginDir, metricsAddress: "127.0.0.1:0", logger: createSilentLogger() });
    try {
      check(
        await eventually(`backup ${name} to leave InProgress`, async () => {
          const cur = (await kube.get(GVR.backups, name, ns)) as unknown as Backup;
          return cur.status?.phase !== "InProgress" ? cur : undefined;
        }),
      );
    } finally {
      await restarted.stop();
      await kube.delete(GVR.namespaces, ns);
    }
  };

  it("kill -9 of the server mid-backup, then restart: the backup ends Failed with a reason, never Completed", async () => {
    const crashNs = `vt-bk-crash-${suffix}`;
    await createNamespaces(kube, [crashNs]);
    await createFilesystemLocation(kube, crashNs, bucketRoot, "crash");
    // Bundled inside the repo so its external packages resolve from node_modules.
    const script = join(import.meta.dirname, "../../../node_modules/.cache/vt-backup-test", `crash-server-${suffix}.mjs`);
    await build({ entryPoints: [join(import.meta.dirname, "crash-server.ts")], bundle: true, platform: "node", format: "esm", packages: "external", outfile: script, logLevel: "warning" });
    const mark = (m: string) => process.env.VT_BACKUP_LOG === "1" && process.stderr.write(`[crash-test] ${new Date().toISOString()} ${m}\n`);
    mark("bundled");
    const child: ChildProcess = spawn(process.execPath, [script, kubeconfig, crashNs, pluginDir], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout?.on("data", (d: Buffer) => d.toString().includes("started") && resolve());
        child.on("exit", (code) => reject(new Error(`crash server exited early with ${code}`)));
      });
      mark("child started");
      await locationAvailable(kube, crashNs);
      await kube.create(GVR.backups, { apiVersion: "velero.io/v1", kind: "Backup", metadata: { namespace: crashNs, name: "interrupted" }, spec: { includedNamespaces: [APP] } } as unknown as UnstructuredItem);
      await eventually("the backup to be InProgress", async () => ((await kube.get(GVR.backups, "interrupted", crashNs)) as unknown as Backup)?.status?.phase === "InProgress");
      mark("in progress; killing");
      // the backup's scratch directory (its tarball being written) is under the process's own
      await eventually("the backup's scratch directory", async () => existsSync(join(tmpdir(), `velero-ts-${child.pid}`)));
      child.kill("SIGKILL");
      await new Promise((r) => child.once("exit", r));
      mark("killed");
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
    expect(((await kube.get(GVR.backups, "interrupted", crashNs)) as unknown as Backup).status?.phase).toBe("InProgress");

    await afterRestart(crashNs, "interrupted", (b) => {
      mark("failed after restart");
      // the restarted server removed what the killed one left in $TMPDIR
      expect(existsSync(join(tmpdir(), `velero-ts-${child.pid}`))).toBe(false);
      expect(b.status?.phase).toBe("Failed");
      expect(b.status?.failureReason).toContain("InProgress");
      expect(existsSync(join(bucketRoot, "crash", "backups", "interrupted", "velero-backup.json"))).toBe(false);
    });
  });

  it.each(["Finalizing", "WaitingForPluginOperations"])(
    "a server killed after the upload's first metadata write (phase %s, before the tarball): the restarted server fails the backup and does not take that status",
    async (storedPhase) => {
      const crashNs = `vt-bk-crash3-${storedPhase.length}-${suffix}`;
      await createNamespaces(kube, [crashNs]);
      await createFilesystemLocation(kube, crashNs, bucketRoot, `crash3-${storedPhase.length}`);
      // the state the kill leaves: the CR InProgress, its log and its first metadata write in the bucket, no tarball
      await kube.create(GVR.backups, { apiVersion: "velero.io/v1", kind: "Backup", metadata: { namespace: crashNs, name: "cut" }, spec: { includedNamespaces: [APP] }, status: { phase: "InProgress" } } as unknown as UnstructuredItem);
      const cr = (await kube.get(GVR.backups, "cut", crashNs)) as unknown as Backup;
      const dir = join(bucketRoot, `crash3-${storedPhase.length}`, "backups", "cut");
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, "velero-backup.json"), JSON.stringify({ ...cr, status: { phase: storedPhase, progress: { totalItems: 5, itemsBackedUp: 5 } } }));
      await writeFile(join(dir, "cut-logs.gz"), gzipSync("log\n"));
      await afterRestart(crashNs, "cut", (b) => {
        expect(b.status?.phase).toBe("Failed");
        expect(b.status?.failureReason).toContain("InProgress");
        expect(existsSync(join(dir, "cut.tar.gz"))).toBe(false);
      });
    },
  );

  it("kill -9 after the bucket holds the finished backup but before its CR is patched: the restarted server takes the bucket's status (Completed), not Failed", async () => {
    const crashNs = `vt-bk-crash2-${suffix}`;
    await createNamespaces(kube, [crashNs]);
    await createFilesystemLocation(kube, crashNs, bucketRoot, "crash2");
    const script = join(import.meta.dirname, "../../../node_modules/.cache/vt-backup-test", `crash-server-${suffix}.mjs`);
    await build({ entryPoints: [join(import.meta.dirname, "crash-server.ts")], bundle: true, platform: "node", format: "esm", packages: "external", outfile: script, logLevel: "warning" });
    const child: ChildProcess = spawn(process.execPath, [script, kubeconfig, crashNs, pluginDir, "final-patch"], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
    try {
      await eventually("the crash server to start", async () => out.includes("started"));
      await locationAvailable(kube, crashNs);
      await kube.create(GVR.backups, { apiVersion: "velero.io/v1", kind: "Backup", metadata: { namespace: crashNs, name: "uploaded" }, spec: { includedNamespaces: [APP] } } as unknown as UnstructuredItem);
      await eventually("the final patch to stall", async () => out.includes("final patch stalled"));
      child.kill("SIGKILL");
      await new Promise((r) => child.once("exit", r));
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
    const stored = JSON.parse(readFileSync(join(bucketRoot, "crash2", "backups", "uploaded", "velero-backup.json"), "utf8")) as Backup;
    expect(stored.status?.phase).toBe("Completed");
    const before = (await kube.get(GVR.backups, "uploaded", crashNs)) as unknown as Backup;
    expect(before.status?.phase).toBe("InProgress");

    await afterRestart(crashNs, "uploaded", (b) => {
      expect(b.status?.phase).toBe("Completed");
      expect(b.status?.completionTimestamp).toBe(stored.status?.completionTimestamp);
      expect(b.status?.progress).toEqual(stored.status?.progress);
    });
  });
});
