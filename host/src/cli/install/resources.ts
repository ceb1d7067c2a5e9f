/**
 * The objects `velero install` creates, in Velero's order and shape (pkg/install/resources.go,
 * deployment.go, daemonset.go): CRDs, Namespace, ClusterRoleBinding, ServiceAccount, Secret
 * cloud-credentials, BackupStorageLocation and VolumeSnapshotLocation "default", Deployment velero
 * (one init container per plugin image) and the node-agent DaemonSets (Linux, Windows). Pure functions.
 */
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import { canonicalQuantity, isUnboundedQuantity } from "../../shared/quantity.js";
import { formatGoDuration } from "../flags/duration.js";
import { defaultPullPolicy, pluginContainer } from "./plugin-container.js";

/** The server image installed when --image is not given. */
export const DEFAULT_IMAGE = "velero-ts/velero:v0.1.0";
export const DEFAULT_NAMESPACE = "velero";

/** Settings `velero install` takes from its flags as they are (same name, same type in both). */
export interface InstallPassThroughOptions {
  provider?: string;
  bucket?: string;
  prefix?: string;
  podAnnotations?: Record<string, string>;
  podLabels?: Record<string, string>;
  serviceAccountName?: string;
  restoreOnly?: boolean;
  privilegedNodeAgent?: boolean;
  noDefaultBackupLocation?: boolean;
  defaultVolumesToFsBackup?: boolean;
  uploaderType?: string;
  defaultSnapshotMoveData?: boolean;
  disableInformerCache?: boolean;
  scheduleSkipImmediately?: boolean;
  itemBlockWorkerCount?: number;
  concurrentBackups?: number;
  kubeletRootDir?: string;
  nodeAgentDisableHostPath?: boolean;
  serverPriorityClassName?: string;
  nodeAgentPriorityClassName?: string;
  useNodeAgentWindows?: boolean;
  csiSnapshotEarlyFrequentPolling?: boolean;
  keepLatestMaintenanceJobs?: number;
  maintenanceJobCpuRequest?: string;
  maintenanceJobMemRequest?: string;
  maintenanceJobCpuLimit?: string;
  maintenanceJobMemLimit?: string;
  backupRepositoryConfigmap?: string;
  repoMaintenanceJobConfigmap?: string;
  nodeAgentConfigmap?: string;
}

export interface VeleroInstallOptions extends InstallPassThroughOptions {
  namespace: string;
  image: string;
  serviceAccountAnnotations?: Record<string, string>;
  veleroResources: PodResources;
  nodeAgentResources: PodResources;
  secretData?: Buffer;
  useNodeAgent?: boolean;
  useVolumeSnapshots: boolean;
  bslConfig?: Record<string, string>;
  vslConfig?: Record<string, string>;
  defaultRepoMaintainFrequencyNs?: number;
  garbageCollectionFrequencyNs?: number;
  podVolumeOperationTimeoutNs?: number;
  plugins: string[];
  caCert?: Buffer;
  features: string[];
}

export interface PodResources {
  cpuRequest: string;
  memRequest: string;
  cpuLimit: string;
  memLimit: string;
}

export const DEFAULT_VELERO_RESOURCES: PodResources = { cpuRequest: "500m", memRequest: "128Mi", cpuLimit: "1000m", memLimit: "512Mi" };
export const DEFAULT_NODE_AGENT_RESOURCES: PodResources = { cpuRequest: "0", memRequest: "0", cpuLimit: "0", memLimit: "0" };

export function veleroLabels(): Record<string, string> {
  return { component: "velero" };
}

function meta(namespace: string | undefined, name: string): UnstructuredItem["metadata"] {
  return { name, ...(namespace ? { namespace } : {}), labels: veleroLabels() };
}

/**
 * A container's requests and limits, each in the canonical form a Go client prints ("1000m" is
 * "1"); "0" means unbounded and is left out. The values were validated (validatePodResources).
 */
function resources(r: PodResources): Record<string, Record<string, string>> {
  const pick = (cpu: string, mem: string): Record<string, string> => ({
    ...(isUnboundedQuantity(cpu) ? {} : { cpu: canonicalQuantity(cpu) }),
    ...(isUnboundedQuantity(mem) ? {} : { memory: canonicalQuantity(mem) }),
  });
  const out: Record<string, Record<string, string>> = {};
  const limits = pick(r.cpuLimit, r.memLimit);
  const requests = pick(r.cpuRequest, r.memRequest);
  if (Object.keys(limits).length) out.limits = limits;
  if (Object.keys(requests).length) out.requests = requests;
  return out;
}

export function namespaceObject(namespace: string): UnstructuredItem {
  const labels = veleroLabels();
  for (const mode of ["enforce", "audit", "warn"]) {
    labels[`pod-security.kubernetes.io/${mode}`] = "privileged";
    labels[`pod-security.kubernetes.io/${mode}-version`] = "latest";
  }
  return { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace, labels } };
}

export function clusterRoleBindingName(namespace: string): string {
  return namespace === DEFAULT_NAMESPACE ? "velero" : `velero-${namespace}`;
}

export function clusterRoleBinding(namespace: string): UnstructuredItem {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: meta(undefined, clusterRoleBindingName(namespace)),
    subjects: [{ kind: "ServiceAccount", namespace, name: "velero" }],
    roleRef: { kind: "ClusterRole", name: "cluster-admin", apiGroup: "rbac.authorization.k8s.io" },
  };
}

export function serviceAccount(namespace: string, annotations?: Record<string, string>): UnstructuredItem {
  const metadata = meta(namespace, "velero");
  if (annotations && Object.keys(annotations).length) metadata.annotations = annotations;
  return { apiVersion: "v1", kind: "ServiceAccount", metadata };
}

export function credentialsSecret(namespace: string, data: Buffer): UnstructuredItem {
  return { apiVersion: "v1", kind: "Secret", metadata: meta(namespace, "cloud-credentials"), type: "Opaque", data: { cloud: data.toString("base64") } };
}

export function backupStorageLocation(o: VeleroInstallOptions): UnstructuredItem {
  const objectStorage: Record<string, string> = { bucket: o.bucket ?? "" };
  if (o.prefix) objectStorage.prefix = o.prefix;
  if (o.caCert) objectStorage.caCert = o.caCert.toString("base64");
  return {
    apiVersion: "velero.io/v1",
    kind: "BackupStorageLocation",
    metadata: meta(o.namespace, "default"),
    spec: {
      provider: o.provider ?? "",
      objectStorage,
      ...(o.bslConfig && Object.keys(o.bslConfig).length ? { config: o.bslConfig } : {}),
      default: true,
    },
  };
}

export function volumeSnapshotLocation(o: VeleroInstallOptions): UnstructuredItem {
  return {
    apiVersion: "velero.io/v1",
    kind: "VolumeSnapshotLocation",
    metadata: meta(o.namespace, "default"),
    spec: { provider: o.provider ?? "", ...(o.vslConfig && Object.keys(o.vslConfig).length ? { config: o.vslConfig } : {}) },
  };
}

const CREDENTIAL_ENV = ["GOOGLE_APPLICATION_CREDENTIALS", "AWS_SHARED_CREDENTIALS_FILE", "AZURE_CREDENTIALS_FILE", "ALIBABA_CLOUD_CREDENTIALS_FILE"].map((name) => ({
  name,
  value: "/credentials/cloud",
}));

/** The `velero server` arguments Velero's installer puts in the Deployment. */
export function serverArgs(o: VeleroInstallOptions): string[] {
  const args = ["server"];
  if (o.features.length > 0) args.push(`--features=${o.features.join(",")}`);
  if (o.defaultVolumesToFsBackup) args.push("--default-volumes-to-fs-backup=true");
  if (o.defaultSnapshotMoveData) args.push("--default-snapshot-move-data=true");
  if (o.disableInformerCache) args.push("--disable-informer-cache=true");
  if (o.scheduleSkipImmediately) args.push("--schedule-skip-immediately=true");
  if (o.uploaderType) args.push(`--uploader-type=${o.uploaderType}`);
  if (o.restoreOnly) args.push("--restore-only");
  if ((o.defaultRepoMaintainFrequencyNs ?? 0) > 0) args.push(`--default-repo-maintain-frequency=${formatGoDuration(o.defaultRepoMaintainFrequencyNs ?? 0)}`);
  if ((o.garbageCollectionFrequencyNs ?? 0) > 0) args.push(`--garbage-collection-frequency=${formatGoDuration(o.garbageCollectionFrequencyNs ?? 0)}`);
  if ((o.podVolumeOperationTimeoutNs ?? 0) > 0) args.push(`--fs-backup-timeout=${formatGoDuration(o.podVolumeOperationTimeoutNs ?? 0)}`);
  if ((o.keepLatestMaintenanceJobs ?? 0) > 0) args.push(`--keep-latest-maintenance-jobs=${o.keepLatestMaintenanceJobs}`);
  if (o.maintenanceJobCpuLimit) args.push(`--maintenance-job-cpu-limit=${o.maintenanceJobCpuLimit}`);
  if (o.maintenanceJobCpuRequest) args.push(`--maintenance-job-cpu-request=${o.maintenanceJobCpuRequest}`);
  if (o.maintenanceJobMemLimit) args.push(`--maintenance-job-mem-limit=${o.maintenanceJobMemLimit}`);
  if (o.maintenanceJobMemRequest) args.push(`--maintenance-job-mem-request=${o.maintenanceJobMemRequest}`);
  if (o.backupRepositoryConfigmap) args.push(`--backup-repository-configmap=${o.backupRepositoryConfigmap}`);
  if (o.repoMaintenanceJobConfigmap) args.push(`--repo-maintenance-job-configmap=${o.repoMaintenanceJobConfigmap}`);
  if ((o.itemBlockWorkerCount ?? 0) > 0) args.push(`--item-block-worker-count=${o.itemBlockWorkerCount}`);
  if ((o.concurrentBackups ?? 0) > 0) args.push(`--concurrent-backups=${o.concurrentBackups}`);
  return args;
}

export function deployment(o: VeleroInstallOptions): UnstructuredItem {
  const pullPolicy = defaultPullPolicy(o.image);
  const volumeMounts: { name: string; mountPath: string }[] = [
    { name: "plugins", mountPath: "/plugins" },
    { name: "scratch", mountPath: "/scratch" },
  ];
  const env: Record<string, unknown>[] = [
    { name: "VELERO_SCRATCH_DIR", value: "/scratch" },
    { name: "VELERO_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
    { name: "LD_LIBRARY_PATH", value: "/plugins" },
  ];
  const volumes: Record<string, unknown>[] = [
    { name: "plugins", emptyDir: {} },
    { name: "scratch", emptyDir: {} },
  ];
  if (o.secretData) {
    volumes.push({ name: "cloud-credentials", secret: { defaultMode: 0o444, secretName: "cloud-credentials" } });
    volumeMounts.push({ name: "cloud-credentials", mountPath: "/credentials" });
    env.push(...CREDENTIAL_ENV);
  }
  if (o.csiSnapshotEarlyFrequentPolling) env.push({ name: "CSI_SNAPSHOT_EARLY_FREQUENT_POLLING", value: "true" });
  const podSpec: Record<string, unknown> = {
    restartPolicy: "Always",
    serviceAccountName: o.serviceAccountName || "velero",
    os: { name: "linux" },
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/os", operator: "NotIn", values: ["windows"] }] }],
        },
      },
    },
    containers: [
      {
        name: "velero",
        image: o.image,
        ports: [{ name: "metrics", containerPort: 8085 }],
        imagePullPolicy: pullPolicy,
        command: ["/velero"],
        args: serverArgs(o),
        volumeMounts,
        env,
        resources: resources(o.veleroResources),
      },
    ],
    volumes,
  };
  if (o.serverPriorityClassName) podSpec.priorityClassName = o.serverPriorityClassName;
  if (o.plugins.length > 0) podSpec.initContainers = o.plugins.map((image) => pluginContainer(image, pullPolicy));
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: meta(o.namespace, "velero"),
    spec: {
      selector: { matchLabels: { deploy: "velero" } },
      template: {
        metadata: {
          labels: { ...veleroLabels(), ...(o.podLabels ?? {}), deploy: "velero" },
          annotations: { "prometheus.io/scrape": "true", "prometheus.io/port": "8085", "prometheus.io/path": "/metrics", ...(o.podAnnotations ?? {}) },
        },
        spec: podSpec,
      },
    },
  };
}

/**
 * The node-agent DaemonSet (Linux nodes), or with `forWindows` the node-agent-windows one (Velero's
 * WithForWindows: Windows nodes by affinity and the os=windows taints, no security contexts).
 */
export function nodeAgentDaemonSet(o: VeleroInstallOptions, forWindows = false): UnstructuredItem {
  const name = forWindows ? "node-agent-windows" : "node-agent";
  const root = o.kubeletRootDir ?? "/var/lib/kubelet";
  const volumes: Record<string, unknown>[] = [];
  const volumeMounts: Record<string, unknown>[] = [];
  if (!o.nodeAgentDisableHostPath) {
    volumes.push({ name: "host-pods", hostPath: { path: `${root}/pods` } }, { name: "host-plugins", hostPath: { path: `${root}/plugins` } });
    volumeMounts.push(
      { name: "host-pods", mountPath: "/host_pods", mountPropagation: "HostToContainer" },
      { name: "host-plugins", mountPath: "/var/lib/kubelet/plugins", mountPropagation: "HostToContainer" },
    );
  }
  volumes.push({ name: "scratch", emptyDir: {} });
  volumeMounts.push({ name: "scratch", mountPath: "/scratch" });
  const env: Record<string, unknown>[] = [
    { name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
    { name: "VELERO_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
    { name: "VELERO_SCRATCH_DIR", value: "/scratch" },
  ];
  if (o.secretData) {
    volumes.push({ name: "cloud-credentials", secret: { defaultMode: 0o444, secretName: "cloud-credentials" } });
    volumeMounts.push({ name: "cloud-credentials", mountPath: "/credentials" });
    env.push(...CREDENTIAL_ENV);
  }
  const args = ["node-agent", "server"];
  if (o.features.length > 0) args.push(`--features=${o.features.join(",")}`);
  if (o.nodeAgentConfigmap) args.push(`--node-agent-configmap=${o.nodeAgentConfigmap}`);
  if (o.backupRepositoryConfigmap) args.push(`--backup-repository-configmap=${o.backupRepositoryConfigmap}`);
  const osAffinity = (operator: "In" | "NotIn") => ({
    nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/os", operator, values: ["windows"] }] }] } },
  });
  return {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: meta(o.namespace, name),
    spec: {
      selector: { matchLabels: { name } },
      template: {
        metadata: {
          labels: { ...veleroLabels(), ...(o.podLabels ?? {}), name, role: "node-agent" },
          ...(o.podAnnotations && Object.keys(o.podAnnotations).length ? { annotations: o.podAnnotations } : {}),
        },
        spec: {
          serviceAccountName: o.serviceAccountName || "velero",
          ...(forWindows ? {} : { securityContext: { runAsUser: 0 } }),
          volumes,
          containers: [
            {
              name,
              image: o.image,
              ports: [{ name: "metrics", containerPort: 8085 }],
              imagePullPolicy: defaultPullPolicy(o.image),
              command: ["/velero"],
              args,
              ...(forWindows ? {} : { securityContext: { privileged: o.privilegedNodeAgent === true } }),
              volumeMounts,
              env,
              resources: resources(o.nodeAgentResources),
            },
          ],
          ...(o.nodeAgentPriorityClassName ? { priorityClassName: o.nodeAgentPriorityClassName } : {}),
          ...(forWindows
            ? {
                os: { name: "windows" },
                affinity: osAffinity("In"),
                tolerations: [
                  { key: "os", operator: "Equal", effect: "NoSchedule", value: "windows" },
                  { key: "os", operator: "Equal", effect: "NoExecute", value: "windows" },
                ],
              }
            : { affinity: osAffinity("NotIn") }),
        },
      },
    },
  };
}

/** CRDs with Velero's component=velero label, v1 kinds first (as Velero lists them), status dropped. */
export function labelledCrds(crds: UnstructuredItem[]): UnstructuredItem[] {
  const version = (crd: UnstructuredItem): string =>
    ((crd.spec as { versions?: { name: string }[] } | undefined)?.versions?.[0]?.name ?? "v1") === "v1" ? "0" : "1";
  return [...crds]
    .sort((a, b) => (version(a) + a.metadata.name).localeCompare(version(b) + b.metadata.name))
    .map((crd) => {
      const { status: _status, ...rest } = crd;
      return { ...rest, metadata: { ...crd.metadata, labels: { ...(crd.metadata.labels ?? {}), ...veleroLabels() } } } as UnstructuredItem;
    });
}

/** Every resource to install, in order (Velero's AllResources). */
export function allResources(o: VeleroInstallOptions, crds: UnstructuredItem[]): UnstructuredItem[] {
  const out = [...labelledCrds(crds), namespaceObject(o.namespace)];
  if (!o.serviceAccountName) out.push(clusterRoleBinding(o.namespace), serviceAccount(o.namespace, o.serviceAccountAnnotations));
  if (o.secretData) out.push(credentialsSecret(o.namespace, o.secretData));
  if (!o.noDefaultBackupLocation) out.push(backupStorageLocation(o));
  if (o.useVolumeSnapshots) out.push(volumeSnapshotLocation(o));
  out.push(deployment(o));
  if (o.useNodeAgent) out.push(nodeAgentDaemonSet(o));
  if (o.useNodeAgentWindows) out.push(nodeAgentDaemonSet(o, true));
  return out;
}

/**
 * A resource as Velero's `install --dry-run -o yaml|json` prints it: its Go typed value carries
 * the zero values without omitempty (`creationTimestamp: null`, a Namespace's `spec: {}`, a
 * Deployment's `strategy: {}`, a DaemonSet's `updateStrategy: {}`, a container's `resources: {}`).
 * For printing only; what is sent to the API server is the resource as built.
 */
export function asGoPrintsIt(resource: UnstructuredItem): UnstructuredItem {
  const out = structuredClone(resource) as UnstructuredItem & { spec?: Record<string, unknown> };
  out.metadata = { ...out.metadata, creationTimestamp: null } as unknown as UnstructuredItem["metadata"];
  if (out.kind === "Namespace") out.spec ??= {};
  if (out.kind === "Deployment" || out.kind === "DaemonSet") {
    const spec = (out.spec ??= {});
    if (out.kind === "Deployment") spec["strategy"] ??= {};
    else spec["updateStrategy"] ??= {};
    const template = spec["template"] as { metadata?: Record<string, unknown>; spec?: Record<string, unknown> } | undefined;
    if (template) {
      template.metadata = { ...(template.metadata ?? {}), creationTimestamp: null };
      for (const field of ["initContainers", "containers"]) {
        for (const container of (template.spec?.[field] as Record<string, unknown>[] | undefined) ?? []) container["resources"] ??= {};
      }
    }
  }
  return out;
}
