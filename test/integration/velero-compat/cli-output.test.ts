// Differential test of the CLI: the real Velero v1.18.1 `velero` and ours, run as child processes
// against the same objects in the real API server, must print the same thing. Tables and
// `create -o json|yaml` and `get NAME -o json|yaml` byte for byte (with the exit code); lists
// of `get -o json|yaml` as the same objects once parsed (the list's resourceVersion differs); `schedule describe` byte for
// byte. Backup and restore `describe` need a server for their DownloadRequests: they are compared in
// real-velero.test.ts step 5.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import { installCrds } from "../../../host/src/kube/crds.ts";
import { GVR } from "../../../host/src/kube/gvr.ts";
import { createKubeClient, type HttpKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import { loadEndpoints } from "../../helpers/endpoints.ts";
import { GO_ZERO_KEYS, withoutGoZeroValues } from "../../helpers/go-zero-values.ts";
import type { ProcessResult } from "../../helpers/run-process.ts";
import { bothClis, suffix } from "./harness.ts";

const NS = `vt-cli-${suffix()}`;
let kube: HttpKubeClient;

/** Runs the same command with Velero's CLI and ours. */
async function both(...args: string[]): Promise<{ go: ProcessResult; ours: ProcessResult }> {
  return bothClis([...args, "-n", NS]);
}

/** Test cases named by their command line. */
const named = (cases: string[][]): [string, string[]][] => cases.map((args) => [args.join(" "), args]);

/** Keys whose zero values Go prints (struct fields without omitempty) or velero-ts prints (stored). */
const CLI_ZERO_KEYS = new Set([...GO_ZERO_KEYS, "hooks", "metadata", "default", "warnings", "errors", "template"]);
/** metav1.Duration fields Go prints as "0s" when unset. */
const ZERO_DURATION_KEYS = new Set(["ttl", "csiSnapshotTimeout", "itemOperationTimeout"]);

beforeAll(async () => {
  kube = createKubeClient({ kubeconfig: loadEndpoints().kubeconfig });
  await installCrds(kube);
  await kube.create(GVR.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } });
  const create = async (gvr: (typeof GVR)[keyof typeof GVR], obj: Record<string, unknown>, status?: Record<string, unknown>): Promise<void> => {
    const name = (obj["metadata"] as { name: string }).name;
    await kube.create(gvr, { apiVersion: "velero.io/v1", ...obj, metadata: { namespace: NS, ...(obj["metadata"] as object) } } as UnstructuredItem);
    // Velero's CRDs have no status subresource: status is written with the object
    if (status) await kube.patch(gvr, name, NS, { status });
  };
  const at = (minutesAgo: number): string => new Date(Date.now() - minutesAgo * 60_000).toISOString().replace(/\.\d{3}Z$/, "Z");
  await create(GVR.backupStorageLocations, { kind: "BackupStorageLocation", metadata: { name: "default" }, spec: { provider: "aws", objectStorage: { bucket: "b", prefix: "p" }, config: { region: "us-east-1" }, default: true } }, { phase: "Available", lastValidationTime: at(1) });
  await create(GVR.volumeSnapshotLocations, { kind: "VolumeSnapshotLocation", metadata: { name: "vsl" }, spec: { provider: "aws", config: { region: "us-east-1" } } });
  await create(
    GVR.backups,
    { kind: "Backup", metadata: { name: "nightly", labels: { "velero.io/storage-location": "default", app: "web" } }, spec: { includedNamespaces: ["web"], labelSelector: { matchLabels: { app: "web" } }, storageLocation: "default", ttl: "720h0m0s" } },
    { phase: "Completed", startTimestamp: at(30), completionTimestamp: at(29), expiration: new Date(Date.now() + 20 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, "Z"), progress: { totalItems: 12, itemsBackedUp: 12 }, version: 1, formatVersion: "1.1.0" },
  );
  await create(
    GVR.backups,
    { kind: "Backup", metadata: { name: "partial" }, spec: { includedNamespaces: ["*"], storageLocation: "default", ttl: "24h0m0s" } },
    { phase: "PartiallyFailed", startTimestamp: at(20), completionTimestamp: at(19), errors: 2, warnings: 5, expiration: new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z") },
  );
  // (a stored ttl Go cannot parse would make Velero's whole `backup get` fail with "time: invalid
  // duration"; velero-ts lists such a backup, so that case is not compared)
  await create(GVR.backups, { kind: "Backup", metadata: { name: "invalid" }, spec: { ttl: "1h0m0s", labelSelector: { matchExpressions: [{ key: "app", operator: "Bogus", values: ["a"] }] } } }, { phase: "FailedValidation", validationErrors: ["invalid label selector"] });
  await create(GVR.restores, { kind: "Restore", metadata: { name: "nightly-restore" }, spec: { backupName: "nightly", includedNamespaces: ["*"] } }, { phase: "Completed", startTimestamp: at(10), completionTimestamp: at(9), progress: { totalItems: 12, itemsRestored: 12 } });
  await create(GVR.schedules, { kind: "Schedule", metadata: { name: "daily" }, spec: { schedule: "0 1 * * *", template: { includedNamespaces: ["web"], ttl: "168h0m0s" } } }, { phase: "Enabled", lastBackup: at(60) });
  await create(GVR.schedules, { kind: "Schedule", metadata: { name: "paused" }, spec: { schedule: "@every 1h", paused: true, template: {} } }, { phase: "Enabled" });
  // a template with its own labels and a resource policy: what `backup create --from-schedule` copies and rewrites
  await create(GVR.schedules, {
    kind: "Schedule",
    metadata: { name: "templated", labels: { owner: "ops" }, annotations: { note: "n" } },
    spec: { schedule: "@every 1h", paused: true, template: { metadata: { labels: { team: "a" } }, includedNamespaces: ["web"], resourcePolicy: { apiGroup: "v1", kind: "ConfigMap", name: "rp" } } },
  });
}, 120_000);

afterAll(async () => {
  await kube?.delete(GVR.namespaces, NS).catch(() => undefined);
  kube?.close();
});

describe("the velero CLI prints what Velero v1.18.1's CLI prints", () => {
  it.each(named([
    ["backup", "get"],
    ["backup", "get", "nightly", "--show-labels"],
    ["backup", "get", "-l", "app=web"],
    ["get", "backups", "-L", "app"],
    ["restore", "get"],
    // Without names Velero v1.18.1 lists the schedules of every namespace (its ListOptions carry no
    // namespace, unlike backup and restore get); velero-ts lists --namespace's. With names both Get
    // in --namespace, so these compare byte for byte whatever other suites' schedules exist.
    ["schedule", "get", "daily", "paused"],
    ["backup-location", "get"],
    ["snapshot-location", "get"],
    ["restore", "get", "-l", "nothing=here"],
    // schedule describe reads only the Schedule (no DownloadRequest), so it runs here too
    ["schedule", "describe", "daily", "--colorized=true"],
    ["schedule", "describe", "daily", "paused", "--colorized=false"],
  ]))("velero %s: the same output", async (_line, args) => {
    const { go, ours } = await both(...args);
    expect(ours.code, `velero-ts: ${ours.stderr}; Velero: ${go.stderr}`).toBe(go.code);
    expect(ours.stdout).toBe(go.stdout);
  });

  it.each(named([
    ["backup", "create", "x", "--include-namespaces", "a,b", "--ttl", "24h", "--selector", "app=web", "--snapshot-volumes=false", "-o", "yaml"],
    ["backup", "create", "x", "--exclude-resources", "secrets", "--include-cluster-resources=true", "--labels", "k=v", "-o", "json"],
    ["restore", "create", "r", "--from-backup", "nightly", "--namespace-mappings", "web:web-copy", "--existing-resource-policy", "update", "-o", "yaml"],
    ["schedule", "create", "s", "--schedule", "@every 6h", "--include-namespaces", "web", "--ttl", "72h", "-o", "json"],
    ["backup-location", "create", "second", "--provider", "aws", "--bucket", "other", "--prefix", "x", "--config", "region=eu-west-1", "-o", "yaml"],
    ["snapshot-location", "create", "ebs", "--provider", "aws", "--config", "region=eu-west-1", "-o", "json"],
    ["restore", "create", "r2", "--from-backup", "nightly", "--restore-volumes=false", "--include-resources", "deployments", "--status-include-resources", "deployments", "--preserve-nodeports", "-o", "json"],
    ["backup-location", "create", "third", "--provider", "aws", "--bucket", "b3", "--config", "region=eu-west-1,profile=x", "--credential", "creds=cloud", "--access-mode", "ReadOnly", "--backup-sync-period", "90s", "-o", "json"],
    ["snapshot-location", "create", "ebs2", "--provider", "aws", "--credential", "creds=cloud", "-o", "yaml"],
    ["backup", "create", "x", "--labels", "b=2,a=1", "--resource-policies-configmap", "rp", "--ordered-resources", "pods=ns/a;persistentvolumes=pv1", "-o", "json"],
    ["backup", "create", "x", "--from-schedule", "templated", "--labels", "k=v", "-o", "json"],
    ["backup", "create", "x", "--from-schedule", "daily", "-o", "yaml"],
  ]))("velero %s: the same new object, byte for byte", async (_line, args) => {
    const { go, ours } = await both(...args);
    expect(ours.code).toBe(go.code);
    // With --from-schedule Velero's builder logs which labels it used, to stdout when the
    // template sets labels (before the object: -o json no longer parses); velero-ts writes that
    // line to stderr, so it is compared there.
    const logLine = /^time="[^"]+" level=info msg="(?:No )?Schedule\.template\.metadata\.labels set - [^\n]*\n/m;
    const goLog = logLine.exec(go.stdout) ?? logLine.exec(go.stderr);
    if (args.includes("--from-schedule")) {
      expect(goLog?.[0]).toBeDefined();
      // the same message and fields (Velero's templated line adds its logSource)
      const fields = (line: string): string => line.replace(/^time="[^"]+" /, "").replace(/ logSource="[^"]*"/, "");
      expect(fields(logLine.exec(ours.stderr)?.[0] ?? "")).toBe(fields(goLog?.[0] ?? "-"));
    }
    expect(ours.stdout).toBe(go.stdout.replace(logLine, ""));
  });

  // Backups and Schedules are printed as their typed Go values (field order, zero values), as Velero's
  it.each(named([
    ["backup", "get", "nightly", "-o", "json"],
    ["backup", "get", "invalid", "-o", "json"],
    ["backup", "get", "nightly", "-o", "yaml"],
    ["schedule", "get", "daily", "-o", "json"],
    ["schedule", "get", "paused", "-o", "yaml"],
    ["restore", "get", "nightly-restore", "-o", "json"],
    ["backup-location", "get", "default", "-o", "json"],
    ["snapshot-location", "get", "vsl", "-o", "yaml"],
  ]))("velero %s: the same object, byte for byte", async (_line, args) => {
    const { go, ours } = await both(...args);
    expect(ours.code).toBe(go.code);
    expect(ours.stdout).toBe(go.stdout);
  });

  it.each(named([
    ["backup", "get", "-o", "json"],
    ["backup", "get", "nightly", "-o", "yaml"],
    ["restore", "get", "-o", "yaml"],
    ["schedule", "get", "-o", "json"],
    ["backup-location", "get", "-o", "yaml"],
  ]))("velero %s: the same objects", async (_line, args) => {
    const { go, ours } = await both(...args);
    expect(ours.code).toBe(go.code);
    // a list's resourceVersion is the cluster's at the moment of each LIST: the two runs may differ
    const parse = (text: string): unknown => {
      const value = (args.includes("json") ? JSON.parse(text) : parseYaml(text)) as { kind?: string; metadata?: { resourceVersion?: string }; items?: { metadata: { namespace?: string } }[] };
      if (value.kind?.endsWith("List")) expect(value.metadata?.resourceVersion, "the list's resourceVersion").toMatch(/^\d+$/);
      if (value.kind?.endsWith("List")) delete value.metadata?.resourceVersion;
      // Velero's `schedule get` lists every namespace's schedules (see above): this namespace's are compared.
      if (value.kind === "ScheduleList") value.items = value.items?.filter((i) => i.metadata.namespace === NS);
      return value;
    };
    const [o, g] = withoutGoZeroValues(parse(ours.stdout), parse(go.stdout), CLI_ZERO_KEYS, ZERO_DURATION_KEYS);
    expect(o).toEqual(g);
  });
});

describe("velero install --dry-run -o json prints the Deployment and DaemonSets Velero v1.18.1's installer builds", () => {
  it("with the repository, maintenance, node-agent (Linux and Windows) and CSI polling flags: the same server and node-agent args, env, and Windows scheduling", async () => {
    const json = (o: object): string => JSON.stringify(o);
    for (const [name, key, value] of [
      ["vt-node-agent-config", "config.json", { loadConcurrency: { globalConfig: 2 } }],
      ["vt-repo-config", "kopia", { cacheLimitMB: 2048 }],
      ["vt-maintenance-config", "global", { keepLatestMaintenanceJobs: 2 }],
    ] as const) {
      await kube.create(GVR.configMaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: NS }, data: { [key]: json(value) } } as UnstructuredItem);
    }
    const flags = [
      "install", "--provider", "aws", "--bucket", "b", "--no-secret", "--plugins", "velero/velero-plugin-for-aws:v1.13.0", "--image", "velero/velero:v1.18.1",
      "--use-volume-snapshots=false", "--use-node-agent", "--use-node-agent-windows", "--node-agent-configmap", "vt-node-agent-config",
      "--backup-repository-configmap", "vt-repo-config", "--repo-maintenance-job-configmap", "vt-maintenance-config", "--keep-latest-maintenance-jobs", "3",
      "--maintenance-job-cpu-request", "100m", "--maintenance-job-mem-limit", "1Gi", "--csi-snapshot-early-frequent-polling", "--pod-volume-operation-timeout", "2h",
      "--garbage-collection-frequency", "30m", "--features", "EnableCSI", "--dry-run", "-o", "json",
    ];
    const { go, ours } = await both(...flags);
    expect(go.code, go.stderr).toBe(0);
    expect(ours.code, ours.stderr).toBe(0);
    type Spec = { os?: unknown; affinity?: unknown; tolerations?: unknown; securityContext?: unknown; containers: { name: string; args: string[]; env?: { name: string }[]; securityContext?: unknown }[] };
    const workloads = (text: string): Record<string, Spec> =>
      Object.fromEntries(
        (JSON.parse(text) as { items: { kind: string; metadata: { name: string }; spec: { template: { spec: Spec } } }[] }).items
          .filter((i) => i.kind === "Deployment" || i.kind === "DaemonSet")
          .map((i) => [`${i.kind}/${i.metadata.name}`, i.spec.template.spec]),
      );
    const g = workloads(go.stdout);
    const o = workloads(ours.stdout);
    expect(Object.keys(o).sort()).toEqual(Object.keys(g).sort());
    expect(Object.keys(g).sort()).toEqual(["DaemonSet/node-agent", "DaemonSet/node-agent-windows", "Deployment/velero"]);
    for (const key of Object.keys(g)) {
      const [gs, os] = [g[key] as Spec, o[key] as Spec];
      expect(os.containers[0]?.name, key).toBe(gs.containers[0]?.name);
      expect(os.containers[0]?.args, `${key} args`).toEqual(gs.containers[0]?.args);
      expect(os.containers[0]?.env?.map((e) => e.name), `${key} env`).toEqual(gs.containers[0]?.env?.map((e) => e.name));
      expect(os.os, `${key} os`).toEqual(gs.os);
      expect(os.affinity, `${key} affinity`).toEqual(gs.affinity);
      expect(os.tolerations, `${key} tolerations`).toEqual(gs.tolerations);
      expect(os.securityContext, `${key} pod securityContext`).toEqual(gs.securityContext);
      expect(os.containers[0]?.securityContext, `${key} container securityContext`).toEqual(gs.containers[0]?.securityContext);
    }
    // and Velero refuses a ConfigMap that does not exist before installing anything, as velero-ts does
    const missing = await both(...flags.map((f) => (f === "vt-node-agent-config" ? "vt-no-such-config" : f)));
    expect(missing.go.code).not.toBe(0);
    expect(missing.ours.code).not.toBe(0);
    for (const r of [missing.go, missing.ours]) expect(r.stderr).toContain("--node-agent-configmap specified ConfigMap vt-no-such-config is invalid: fail to find ConfigMap vt-no-such-config");
  });

  it("-o yaml: every resource but the CRDs' schemas is the same object (zero values, canonical quantities), and no YAML aliases", async () => {
    const flags = [
      "install", "--provider", "aws", "--bucket", "b", "--secret-file", "/dev/null", "--plugins", "velero/velero-plugin-for-aws:v1.13.0", "--image", "velero/velero:v1.18.1",
      "--use-node-agent", "--velero-pod-cpu-limit", "2000", "--velero-pod-mem-limit", "1.5Gi", "--velero-pod-cpu-request", "0.25", "--velero-pod-mem-request", "1024Mi",
      "--node-agent-pod-cpu-limit", "1E-3", "--node-agent-pod-mem-limit", "0m", "--backup-location-config", "region=minio,s3ForcePathStyle=true", "--dry-run", "-o", "yaml",
    ];
    const { go, ours } = await both(...flags);
    expect(go.code, go.stderr).toBe(0);
    expect(ours.code, ours.stderr).toBe(0);
    expect(ours.stdout).not.toMatch(/^\s*(- )?[&*]\w+/m);
    // our CRDs are not made by controller-gen: its annotation and the schemas are compared by the CRD tests
    const comparable = (text: string) =>
      (parseYaml(text) as { items: { kind: string; metadata: { annotations?: Record<string, string> }; spec?: unknown }[] }).items.map((i) => {
        if (i.kind !== "CustomResourceDefinition") return i;
        const { ["controller-gen.kubebuilder.io/version"]: _made, ...annotations } = i.metadata.annotations ?? {};
        return { ...i, metadata: { ...i.metadata, annotations: Object.keys(annotations).length ? annotations : undefined }, spec: "not compared" };
      });
    expect(comparable(ours.stdout)).toEqual(comparable(go.stdout));
  });
});
