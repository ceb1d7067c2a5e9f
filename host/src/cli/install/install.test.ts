import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import { GVR } from "../resources.js";
import { createTestCli, type TestCli } from "../testing/run-cli.js";
import { explainPods } from "./wait-ready.js";
import { pluginContainerName } from "./plugin-container.js";

const SEED_FLAGS = [
  "install",
  "--provider",
  "aws",
  "--plugins",
  "velero/velero-plugin-for-aws:v1.4.1",
  "--bucket",
  "velero",
  "--secret-file",
  "./credentials-velero",
  "--use-volume-snapshots=false",
  "--backup-location-config",
  "region=minio,s3ForcePathStyle=true,s3Url=http://127.0.0.1:9000",
];

function cliWithCredentials(): TestCli {
  const cli = createTestCli();
  writeFileSync(join(cli.deps.cwd, "credentials-velero"), "[default]\naws_access_key_id = minio\naws_secret_access_key = minio123\n");
  // The fake API server does not run the CRD controller: mark new CRDs Established while the CLI waits.
  cli.onSleep = async () => {
    for (const crd of cli.kube.all(GVR.crds)) {
      if (!crd.status) await cli.kube.patchStatus(GVR.crds, crd.metadata.name, undefined, { status: { conditions: [{ type: "Established", status: "True" }] } });
    }
  };
  return cli;
}

describe("pluginContainerName", () => {
  it.each([
    ["velero/velero-plugin-for-aws:v1.13.0", "velero-velero-plugin-for-aws"],
    ["velero/velero-plugin-for-aws:v1.4.1", "velero-velero-plugin-for-aws"],
    ["registry.example.com:5000/team/plugin_x.y:1", "team-plugin-x-y"],
    ["plugin@sha256:abcdef", "plugin"],
    ["velero-ts/velero-plugin-aws:dev", "velero-ts-velero-plugin-aws"],
    [`org/${"p".repeat(70)}:1`, `org-${"p".repeat(53)}`],
  ])("names the init container for %s", (image, name) => {
    expect(pluginContainerName(image).slice(0, name.length)).toBe(name);
    expect(pluginContainerName(image).length).toBeLessThanOrEqual(63);
  });
});

describe("velero install", () => {
  it("creates everything in the seed's order and prints the seed's lines", async () => {
    const cli = cliWithCredentials();
    const r = await cli.run(...SEED_FLAGS);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines.slice(0, 3)).toEqual([
      "CustomResourceDefinition/backuprepositories.velero.io: attempting to create resource client",
      "CustomResourceDefinition/backuprepositories.velero.io: attempting to create resource",
      "CustomResourceDefinition/backuprepositories.velero.io: created",
    ]);
    expect(lines).toContain("CustomResourceDefinition/backups.velero.io: created");
    expect(lines.slice(lines.indexOf("Waiting for resources to be ready in cluster..."))).toEqual([
      "Waiting for resources to be ready in cluster...",
      "Namespace/velero: attempting to create resource client",
      "Namespace/velero: attempting to create resource",
      "Namespace/velero: created",
      "ClusterRoleBinding/velero: attempting to create resource client",
      "ClusterRoleBinding/velero: attempting to create resource",
      "ClusterRoleBinding/velero: created",
      "ServiceAccount/velero: attempting to create resource client",
      "ServiceAccount/velero: attempting to create resource",
      "ServiceAccount/velero: created",
      "Secret/cloud-credentials: attempting to create resource client",
      "Secret/cloud-credentials: attempting to create resource",
      "Secret/cloud-credentials: created",
      "BackupStorageLocation/default: attempting to create resource client",
      "BackupStorageLocation/default: attempting to create resource",
      "BackupStorageLocation/default: created",
      "Deployment/velero: attempting to create resource client",
      "Deployment/velero: attempting to create resource",
      "Deployment/velero: created",
      "Velero is installed! ⛵ Use 'kubectl logs deployment/velero -n velero' to view the status.",
    ]);
    const bsl = cli.kube.peek<{ spec: unknown }>(GVR.backupStorageLocations, "default", "velero");
    expect(bsl?.spec).toEqual({
      provider: "aws",
      objectStorage: { bucket: "velero" },
      config: { region: "minio", s3ForcePathStyle: "true", s3Url: "http://127.0.0.1:9000" },
      default: true,
    });
    expect(cli.kube.peek(GVR.volumeSnapshotLocations, "default", "velero")).toBeUndefined();
    const secret = cli.kube.peek<{ data: { cloud: string } }>(GVR.secrets, "cloud-credentials", "velero");
    expect(Buffer.from(secret?.data.cloud ?? "", "base64").toString()).toContain("aws_access_key_id = minio");
    const deploy = cli.kube.peek<{ spec: { template: { spec: Record<string, unknown> } } }>(GVR.deployments, "velero", "velero");
    expect(deploy?.spec.template.spec.initContainers).toEqual([
      { name: "velero-velero-plugin-for-aws", image: "velero/velero-plugin-for-aws:v1.4.1", imagePullPolicy: "IfNotPresent", volumeMounts: [{ name: "plugins", mountPath: "/target" }] },
    ]);
    expect((deploy?.spec.template.spec.containers as { args: string[] }[])[0]?.args).toEqual(["server", "--features=", "--uploader-type=kopia"]);
    const crds = cli.kube.all(GVR.crds);
    expect(crds.every((c) => c.metadata.labels?.component === "velero")).toBe(true);
  });

  it("is idempotent: a second run proceeds past what exists", async () => {
    const cli = cliWithCredentials();
    await cli.run(...SEED_FLAGS);
    const r = await cli.run(...SEED_FLAGS);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Namespace/velero: already exists, proceeding\n");
    expect(r.stdout).toContain("Deployment/velero: already exists, proceeding\n");
    expect(r.stdout).toContain("Velero is installed!");
  });

  it("prints every manifest without touching the cluster with --dry-run -o yaml", async () => {
    const cli = cliWithCredentials();
    const r = await cli.run(...SEED_FLAGS, "--use-node-agent", "--dry-run", "-o", "yaml");
    expect(r.code).toBe(0);
    const kinds = (parseYaml(r.stdout) as { items: { kind: string }[] }).items.map((i) => i.kind);
    expect(new Set(kinds)).toEqual(new Set(["CustomResourceDefinition", "Namespace", "ClusterRoleBinding", "ServiceAccount", "Secret", "BackupStorageLocation", "Deployment", "DaemonSet"]));
    expect(cli.kube.actions).toEqual([]);
    expect((await cli.run("install", "--crds-only", "--dry-run", "-o", "table")).stderr).toContain("'table' format is not supported with 'install' command");
  });

  it("prints the manifests as Velero's typed Go values do: zero values, canonical quantities, no YAML anchors", async () => {
    const cli = cliWithCredentials();
    const r = await cli.run(...SEED_FLAGS, "--use-node-agent", "--velero-pod-mem-limit", "1024Mi", "--node-agent-pod-cpu-limit", "1500m", "--dry-run", "-o", "yaml");
    expect(r.code).toBe(0);
    // the Deployment and the DaemonSet share the credential variables: written out twice, not as an alias
    expect(r.stdout).not.toMatch(/[&*]a\d/);
    type Workload = { metadata: { creationTimestamp?: null }; spec: Record<string, unknown> & { template: { metadata: { creationTimestamp?: null }; spec: { containers: { resources?: object }[]; initContainers?: { resources?: object }[] } } } };
    const items = (parseYaml(r.stdout) as { items: (Workload & { kind: string })[] }).items;
    expect(items.every((i) => "creationTimestamp" in i.metadata && i.metadata.creationTimestamp === null)).toBe(true);
    expect(items.find((i) => i.kind === "Namespace")?.spec).toEqual({});
    const deploy = items.find((i) => i.kind === "Deployment") as Workload;
    const ds = items.find((i) => i.kind === "DaemonSet") as Workload;
    expect(deploy.spec["strategy"]).toEqual({});
    expect(ds.spec["updateStrategy"]).toEqual({});
    expect(deploy.spec.template.metadata.creationTimestamp).toBeNull();
    // Velero v1.18.1 prints its default "1000m" as "1", 1024Mi as 1Gi, 1500m as is
    expect(deploy.spec.template.spec.containers[0]?.resources).toEqual({ limits: { cpu: "1", memory: "1Gi" }, requests: { cpu: "500m", memory: "128Mi" } });
    expect(r.stdout).toContain('cpu: "1"\n');
    expect(deploy.spec.template.spec.initContainers?.[0]?.resources).toEqual({});
    expect(ds.spec.template.spec.containers[0]?.resources).toEqual({ limits: { cpu: "1500m" } });
  });

  it("creates the workloads without the printing-only zero values", async () => {
    const cli = cliWithCredentials();
    expect((await cli.run(...SEED_FLAGS)).code).toBe(0);
    const deploy = cli.kube.all(GVR.deployments)[0] as UnstructuredItem & { spec: Record<string, unknown> };
    expect(deploy.metadata).not.toHaveProperty("creationTimestamp", null);
    expect(deploy.spec).not.toHaveProperty("strategy");
  });

  it.each([
    { flags: ["--velero-pod-cpu-limit", "abc"], message: `couldn't parse CPU limit "abc": quantities must match the regular expression` },
    { flags: ["--velero-pod-mem-request", "1Gii"], message: `couldn't parse memory request "1Gii": unable to parse quantity's suffix` },
    { flags: ["--velero-pod-cpu-request", "2", "--velero-pod-cpu-limit", "1"], message: `CPU request "2" must be less than or equal to CPU limit "1"` },
    { flags: ["--node-agent-pod-mem-request", "2Gi", "--node-agent-pod-mem-limit", "1Gi"], message: `Memory request "2Gi" must be less than or equal to Memory limit "1Gi"` },
  ])("refuses pod resources Velero's installer refuses, before creating anything: $message", async ({ flags, message }) => {
    const cli = cliWithCredentials();
    const r = await cli.run(...SEED_FLAGS, "--use-node-agent", ...flags);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(cli.kube.actions).toEqual([]);
  });

  it("takes a limit of 0 as unbounded: a request above it is fine and the limit is left out", async () => {
    const cli = cliWithCredentials();
    const r = await cli.run(...SEED_FLAGS, "--velero-pod-cpu-request", "4", "--velero-pod-cpu-limit", "0", "--dry-run", "-o", "json");
    expect(r.code).toBe(0);
    const deploy = (JSON.parse(r.stdout) as { items: { kind: string; spec: { template: { spec: { containers: { resources: { limits: object; requests: object } }[] } } } }[] }).items.find((i) => i.kind === "Deployment");
    expect(deploy?.spec.template.spec.containers[0]?.resources).toEqual({ limits: { memory: "512Mi" }, requests: { cpu: "4", memory: "128Mi" } });
  });

  it.each([
    { args: ["install", "--bucket", "b", "--no-secret", "--plugins", "p"], message: "--provider is required" },
    { args: ["install", "--provider", "aws", "--bucket", "b", "--plugins", "p"], message: "One of --secret-file or --no-secret is required" },
    { args: ["install", "--provider", "aws", "--bucket", "b", "--no-secret"], message: "--plugins flag is required" },
    { args: ["install", "--provider", "aws", "--bucket", "b", "--no-secret", "--plugins", "p", "--use-volume-snapshots=false", "--snapshot-location-config", "region=x"], message: "--snapshot-location-config must be empty" },
    { args: ["install", "--provider", "aws", "--bucket", "b", "--no-secret", "--plugins", "p", "--default-volumes-to-fs-backup"], message: "--use-node-agent is required" },
    { args: ["install", "--provider", "aws", "--bucket", "b", "--secret-file", "nope", "--plugins", "p"], message: 'cannot read --secret-file "nope": no such file' },
    { args: ["install", "--provider", "aws", "--bucket", "b", "--no-secret", "--plugins", "p", "--backup-location-config", "region"], message: 'invalid value "region" for --backup-location-config: expected key1=value1,key2=value2' },
  ])("rejects bad flags with exit 2: $message", async ({ args, message }) => {
    const r = await createTestCli().run(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it("passes Velero 1.18's repository, maintenance and node-agent flags on as its installer does, and adds the node-agent-windows DaemonSet", async () => {
    const cli = cliWithCredentials();
    const json = (o: object): string => JSON.stringify(o);
    cli.kube.seed(GVR.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: "velero" } });
    cli.kube.seed(
      GVR.configMaps,
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "node-agent-config", namespace: "velero" }, data: { "config.json": json({ loadConcurrency: { globalConfig: 2 } }) } },
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "repo-config", namespace: "velero" }, data: { kopia: json({ cacheLimitMB: 2048 }) } },
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "maintenance-config", namespace: "velero" }, data: { global: json({ keepLatestMaintenanceJobs: 2 }) } },
    );
    const r = await cli.run(
      ...SEED_FLAGS,
      "--use-node-agent",
      "--use-node-agent-windows",
      "--node-agent-configmap=node-agent-config",
      "--backup-repository-configmap=repo-config",
      "--repo-maintenance-job-configmap=maintenance-config",
      "--keep-latest-maintenance-jobs=3",
      "--maintenance-job-cpu-request=100m",
      "--maintenance-job-mem-limit=1Gi",
      "--csi-snapshot-early-frequent-polling",
      "--pod-volume-operation-timeout=2h",
      // also the root command's global flag: install's own goes on the Deployment and DaemonSets
      "--features",
      "EnableCSI",
      "--dry-run",
      "-o",
      "json",
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    type Pod = { os?: { name: string }; securityContext?: object; tolerations?: object[]; affinity: object; containers: { name: string; args: string[]; env: { name: string; value?: string }[]; securityContext?: object }[] };
    const items = (JSON.parse(r.stdout) as { items: { kind: string; metadata: { name: string }; spec: { template: { spec: Pod } } }[] }).items;
    const pod = (kind: string, name: string): Pod => {
      const found = items.find((i) => i.kind === kind && i.metadata.name === name);
      expect(found, `${kind}/${name}`).toBeDefined();
      return (found as { spec: { template: { spec: Pod } } }).spec.template.spec;
    };
    // Velero's pkg/install/deployment.go order
    expect(pod("Deployment", "velero").containers[0]?.args).toEqual([
      "server",
      "--features=EnableCSI",
      "--uploader-type=kopia",
      "--fs-backup-timeout=2h0m0s",
      "--keep-latest-maintenance-jobs=3",
      "--maintenance-job-cpu-request=100m",
      "--maintenance-job-mem-limit=1Gi",
      "--backup-repository-configmap=repo-config",
      "--repo-maintenance-job-configmap=maintenance-config",
    ]);
    expect(pod("Deployment", "velero").containers[0]?.env.at(-1)).toEqual({ name: "CSI_SNAPSHOT_EARLY_FREQUENT_POLLING", value: "true" });
    const linux = pod("DaemonSet", "node-agent");
    const windows = pod("DaemonSet", "node-agent-windows");
    for (const ds of [linux, windows]) {
      expect(ds.containers[0]?.args).toEqual(["node-agent", "server", "--features=EnableCSI", "--node-agent-configmap=node-agent-config", "--backup-repository-configmap=repo-config"]);
    }
    const osIs = (operator: string) => ({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/os", operator, values: ["windows"] }] }] } } });
    expect(linux.affinity).toEqual(osIs("NotIn"));
    expect(linux.securityContext).toEqual({ runAsUser: 0 });
    expect(windows.containers[0]?.name).toBe("node-agent-windows");
    expect(windows.os).toEqual({ name: "windows" });
    expect(windows.affinity).toEqual(osIs("In"));
    expect(windows.tolerations).toEqual([
      { key: "os", operator: "Equal", effect: "NoSchedule", value: "windows" },
      { key: "os", operator: "Equal", effect: "NoExecute", value: "windows" },
    ]);
    expect(windows.securityContext).toBeUndefined();
    expect(windows.containers[0]?.securityContext).toBeUndefined();
  });

  it.each([
    { flag: "--node-agent-configmap=missing", message: '--node-agent-configmap specified ConfigMap missing is invalid: fail to find ConfigMap missing: configmaps "missing" not found' },
    { flag: "--backup-repository-configmap=empty", message: "--backup-repository-configmap specified ConfigMap empty is invalid: data is not available in ConfigMap empty" },
    { flag: "--repo-maintenance-job-configmap=broken", message: '--repo-maintenance-job-configmap specified ConfigMap broken is invalid: error to unmarshall data from ConfigMap broken: key "global":' },
  ])("refuses a ConfigMap flag whose ConfigMap is missing or not JSON, before installing anything: $flag", async ({ flag, message }) => {
    const cli = cliWithCredentials();
    cli.kube.seed(
      GVR.configMaps,
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "empty", namespace: "velero" } },
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "broken", namespace: "velero" }, data: { global: "{not json" } },
    );
    const r = await cli.run(...SEED_FLAGS, flag);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(cli.kube.actions).toEqual([]);
  });

  it("accepts the seed's --use-restic alias for the node-agent DaemonSet", async () => {
    const cli = cliWithCredentials();
    const r = await cli.run(...SEED_FLAGS, "--use-restic", "--default-volumes-to-restic");
    expect(r.stdout).toContain("DaemonSet/node-agent: created");
    const args = (cli.kube.peek<{ spec: { template: { spec: { containers: { args: string[] }[] } } } }>(GVR.deployments, "velero", "velero")?.spec.template.spec.containers[0]?.args) ?? [];
    expect(args).toContain("--default-volumes-to-fs-backup=true");
  });

  it("explains why --wait is still waiting and gives up with the way out", async () => {
    const cli = cliWithCredentials();
    const markCrds = cli.onSleep;
    cli.onSleep = async (ms) => {
      await markCrds?.(ms);
      if (cli.kube.all(GVR.pods).length === 0 && cli.kube.peek(GVR.deployments, "velero", "velero")) {
        cli.kube.seed(GVR.pods, {
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name: "velero-abc", namespace: "velero", labels: { deploy: "velero" } },
          status: { phase: "Pending", conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: "no nodes available to schedule pods" }] },
        } as UnstructuredItem);
      }
    };
    const r = await cli.run(...SEED_FLAGS, "--wait", "--wait-timeout", "30s");
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("Waiting for Velero deployment to be ready.\n");
    expect(r.stdout).toContain("waiting for deployment velero: 1 pod(s) Pending, not scheduled: no nodes available to schedule pods (no nodes/kubelet in this cluster?)\n");
    expect(r.stderr).toContain("timed out after 30s waiting for deployment velero to be ready");
    expect(r.stderr).toContain("start 'velero server --kubeconfig <file> -n velero' locally");
  });

  it("explains pods scheduled on a node that never starts them", () => {
    expect(explainPods([{ metadata: { name: "p" }, spec: { nodeName: "node-1" }, status: { phase: "Pending" } }])).toBe(
      "1 pod(s) Pending on node node-1 (no kubelet is starting the containers?)",
    );
    expect(explainPods([])).toBe("no pods have been created yet (is kube-controller-manager running?)");
  });
});

describe("velero plugin add/remove and uninstall", () => {
  it("adds and removes plugin init containers on the installed deployment", async () => {
    const cli = cliWithCredentials();
    await cli.run(...SEED_FLAGS);
    expect((await cli.run("plugin", "add", "velero-ts/velero-plugin-gcp:dev", "--confirm")).code).toBe(0);
    type Deploy = { spec: { template: { spec: { initContainers?: { name: string }[] } } } };
    const names = (): string[] => (cli.kube.peek<Deploy>(GVR.deployments, "velero", "velero")?.spec.template.spec.initContainers ?? []).map((c) => c.name);
    expect(names()).toEqual(["velero-velero-plugin-for-aws", "velero-ts-velero-plugin-gcp"]);
    expect((await cli.run("plugin", "remove", "velero/velero-plugin-for-aws:v1.4.1")).code).toBe(0);
    expect(names()).toEqual(["velero-ts-velero-plugin-gcp"]);
    const missing = await cli.run("plugin", "remove", "nope");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("init container nope not found in Velero server deployment; plugins installed: velero-ts-velero-plugin-gcp (velero-ts/velero-plugin-gcp:dev)");
  });

  it("uninstalls namespace, binding and CRDs", async () => {
    const cli = cliWithCredentials();
    await cli.run(...SEED_FLAGS);
    const r = await cli.run("uninstall", "--force");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Velero namespace "velero" deleted\n');
    expect(r.stdout.endsWith("Velero uninstalled ⛵\n")).toBe(true);
    expect(cli.kube.all(GVR.crds)).toEqual([]);
    expect(cli.kube.peek(GVR.clusterRoleBindings, "velero")).toBeUndefined();
    expect((await cli.run("uninstall", "--force")).stdout).toContain('Velero namespace "velero" does not exist, skipping.');
  });
});


