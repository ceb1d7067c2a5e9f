/**
 * velero install: validates the flags like Velero, builds every resource (install/resources.ts),
 * creates them in order printing Velero's progress lines, waits for the CRDs to be Established,
 * and with --wait reports why the Deployment is not ready yet instead of hanging silently.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { Command } from "commander";
import { getErrorMessage, type UnstructuredItem } from "@velero-ts/plugin-sdk";
import { loadVeleroCrds } from "../../kube/crds.js";
import type { GroupVersionResource } from "../../kube/client.js";
import { UsageError, ClusterError } from "../../shared/errors.js";
import { compareQuantities, isUnboundedQuantity, parseQuantity } from "../../shared/quantity.js";
import { actionFor, addBoolFlag, addOutputFlags, addValueFlag, validateOutputFormat, type Verb } from "../command-kit.js";
import { EXIT_CODES } from "../exit-codes.js";
import type { Factory } from "../factory.js";
import { formatGoDuration, parseDurationFlag } from "../flags/duration.js";
import { parseIntFlag, parseMapFlag, parseStringArray } from "../flags/values.js";
import { isAlreadyExists } from "../kube-errors.js";
import { encodeObject } from "../output/encode.js";
import { ObjectChanges } from "../object-changes.js";
import { GVR } from "../resources.js";
import {
  allResources,
  asGoPrintsIt,
  DEFAULT_IMAGE,
  DEFAULT_NODE_AGENT_RESOURCES,
  DEFAULT_VELERO_RESOURCES,
  labelledCrds,
  type InstallPassThroughOptions,
  type PodResources,
  type VeleroInstallOptions,
} from "./resources.js";
import { waitForDeployment, waitForDaemonSet } from "./wait-ready.js";

/** `velero install` flags; the pass-through ones are declared in InstallPassThroughOptions. */
export interface InstallFlags extends InstallPassThroughOptions {
  secretFile?: string;
  noSecret?: boolean;
  secret?: boolean;
  apply?: boolean;
  defaultBackupLocation?: boolean;
  image?: string;
  saAnnotations?: Record<string, string>;
  veleroPodCpuRequest?: string;
  veleroPodMemRequest?: string;
  veleroPodCpuLimit?: string;
  veleroPodMemLimit?: string;
  nodeAgentPodCpuRequest?: string;
  nodeAgentPodMemRequest?: string;
  nodeAgentPodCpuLimit?: string;
  nodeAgentPodMemLimit?: string;
  backupLocationConfig?: Record<string, string>;
  snapshotLocationConfig?: Record<string, string>;
  useVolumeSnapshots?: boolean;
  dryRun?: boolean;
  useNodeAgent?: boolean;
  useRestic?: boolean;
  wait?: boolean;
  waitTimeout?: number;
  defaultRepoMaintainFrequency?: number;
  garbageCollectionFrequency?: number;
  podVolumeOperationTimeout?: number;
  plugins?: string[];
  crdsOnly?: boolean;
  cacert?: string;
  features?: string;
  defaultVolumesToRestic?: boolean;
  output?: string;
}

/** Default time --wait allows for the Deployment (Velero: 3 minutes). */
export const DEFAULT_INSTALL_WAIT_NS = 180e9;

const KIND_GVR: Record<string, GroupVersionResource> = {
  CustomResourceDefinition: GVR.crds,
  Namespace: GVR.namespaces,
  ClusterRoleBinding: GVR.clusterRoleBindings,
  ServiceAccount: GVR.serviceAccounts,
  Secret: GVR.secrets,
  BackupStorageLocation: GVR.backupStorageLocations,
  VolumeSnapshotLocation: GVR.volumeSnapshotLocations,
  Deployment: GVR.deployments,
  DaemonSet: GVR.daemonSets,
};

/** Object stores built into velero-ts itself: they need no --plugins image. */
export const BUILTIN_PROVIDERS = ["velero.io/filesystem", "filesystem"];

/** Velero's install Validate(), one message per problem with the fix in it. */
/** Requests and limits from the flags, each flag not given taking its default. */
function podResources(defaults: PodResources, given: Partial<PodResources>): PodResources {
  return {
    cpuRequest: given.cpuRequest ?? defaults.cpuRequest,
    memRequest: given.memRequest ?? defaults.memRequest,
    cpuLimit: given.cpuLimit ?? defaults.cpuLimit,
    memLimit: given.memLimit ?? defaults.memLimit,
  };
}

function veleroPodResources(f: InstallFlags): PodResources {
  return podResources(DEFAULT_VELERO_RESOURCES, { cpuRequest: f.veleroPodCpuRequest, memRequest: f.veleroPodMemRequest, cpuLimit: f.veleroPodCpuLimit, memLimit: f.veleroPodMemLimit });
}

function nodeAgentPodResources(f: InstallFlags): PodResources {
  return podResources(DEFAULT_NODE_AGENT_RESOURCES, { cpuRequest: f.nodeAgentPodCpuRequest, memRequest: f.nodeAgentPodMemRequest, cpuLimit: f.nodeAgentPodCpuLimit, memLimit: f.nodeAgentPodMemLimit });
}

/**
 * As Velero's installer: every request and limit must be a quantity, and a request no more than
 * its limit unless the limit is "0" (unbounded). Refused before anything is created.
 */
function validatePodResources(r: PodResources): void {
  const parsed = (what: string, text: string) => {
    try {
      return parseQuantity(text);
    } catch (err) {
      throw new UsageError(`couldn't parse ${what} "${text}": ${getErrorMessage(err)}`);
    }
  };
  const cpuRequest = parsed("CPU request", r.cpuRequest);
  const memRequest = parsed("memory request", r.memRequest);
  const cpuLimit = parsed("CPU limit", r.cpuLimit);
  const memLimit = parsed("memory limit", r.memLimit);
  if (!isUnboundedQuantity(r.cpuLimit) && compareQuantities(cpuRequest, cpuLimit) > 0) {
    throw new UsageError(`CPU request "${r.cpuRequest}" must be less than or equal to CPU limit "${r.cpuLimit}"`);
  }
  if (!isUnboundedQuantity(r.memLimit) && compareQuantities(memRequest, memLimit) > 0) {
    throw new UsageError(`Memory request "${r.memRequest}" must be less than or equal to Memory limit "${r.memLimit}"`);
  }
}

export function validateInstallFlags(flags: InstallFlags): void {
  validateOutputFormat(flags.output, "install");
  if (flags.crdsOnly) return;
  const useNodeAgent = flags.useNodeAgent || flags.useRestic;
  const useSnapshots = flags.useVolumeSnapshots ?? true;
  if (flags.uploaderType && flags.uploaderType !== "kopia") {
    throw new UsageError(`invalid uploader type "${flags.uploaderType}": the only supported value is 'kopia'`);
  }
  if (flags.bucket?.startsWith("-")) throw new UsageError(`Bucket names cannot begin with a dash. Bucket name was: ${flags.bucket}`);
  if (flags.noDefaultBackupLocation) {
    if (flags.bucket) throw new UsageError("Cannot use both --bucket and --no-default-backup-location at the same time");
    if (flags.prefix) throw new UsageError("Cannot use both --prefix and --no-default-backup-location at the same time");
    if (Object.keys(flags.backupLocationConfig ?? {}).length) throw new UsageError("Cannot use both --backup-location-config and --no-default-backup-location at the same time");
  } else {
    if (!flags.provider) throw new UsageError("--provider is required (for example --provider aws), or pass --no-default-backup-location");
    if (!flags.bucket) throw new UsageError("--bucket is required, or pass --no-default-backup-location");
  }
  if (useSnapshots) {
    if (!flags.provider) throw new UsageError("--provider is required when --use-volume-snapshots is set to true");
  } else if (Object.keys(flags.snapshotLocationConfig ?? {}).length) {
    throw new UsageError("--snapshot-location-config must be empty when --use-volume-snapshots=false");
  }
  if (flags.noDefaultBackupLocation && !useSnapshots) {
    if (flags.provider) throw new UsageError("--provider must be empty when using --no-default-backup-location and --use-volume-snapshots=false");
  } else if ((flags.plugins ?? []).length === 0 && !BUILTIN_PROVIDERS.includes(flags.provider ?? "")) {
    throw new UsageError("--plugins flag is required (the image of the provider's plugin, for example --plugins velero/velero-plugin-for-aws:v1.13.0)");
  }
  if ((flags.defaultVolumesToFsBackup || flags.defaultVolumesToRestic) && !useNodeAgent) {
    throw new UsageError("--use-node-agent is required when using --default-volumes-to-fs-backup");
  }
  if (!flags.secretFile && !flags.noSecret) throw new UsageError("One of --secret-file or --no-secret is required");
  if (flags.secretFile && flags.noSecret) throw new UsageError("Cannot use both --secret-file and --no-secret");
  validatePodResources(veleroPodResources(flags));
  validatePodResources(nodeAgentPodResources(flags));
  for (const [flag, value] of [
    ["--default-repo-maintain-frequency", flags.defaultRepoMaintainFrequency],
    ["--garbage-collection-frequency", flags.garbageCollectionFrequency],
    ["--pod-volume-operation-timeout", flags.podVolumeOperationTimeout],
  ] as const) {
    if ((value ?? 0) < 0) throw new UsageError(`${flag} must be non-negative`);
  }
}

function readFileFlag(cwd: string, flag: string, file: string | undefined): Buffer | undefined {
  if (!file) return undefined;
  try {
    return readFileSync(resolve(cwd, file));
  } catch (err) {
    throw new UsageError(`cannot read ${flag} "${file}": ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}`);
  }
}

/** Pure apart from reading the secret/CA files: flags → VeleroInstallOptions. */
export function installOptions(namespace: string, cwd: string, flags: InstallFlags): VeleroInstallOptions {
  return {
    namespace,
    image: flags.image ?? DEFAULT_IMAGE,
    provider: flags.provider,
    bucket: flags.bucket,
    prefix: flags.prefix,
    podAnnotations: flags.podAnnotations,
    podLabels: flags.podLabels,
    serviceAccountAnnotations: flags.saAnnotations,
    serviceAccountName: flags.serviceAccountName,
    veleroResources: veleroPodResources(flags),
    nodeAgentResources: nodeAgentPodResources(flags),
    secretData: flags.noSecret ? undefined : readFileFlag(cwd, "--secret-file", flags.secretFile),
    restoreOnly: flags.restoreOnly,
    useNodeAgent: flags.useNodeAgent || flags.useRestic,
    privilegedNodeAgent: flags.privilegedNodeAgent,
    useVolumeSnapshots: flags.useVolumeSnapshots ?? true,
    bslConfig: flags.backupLocationConfig,
    vslConfig: flags.snapshotLocationConfig,
    defaultRepoMaintainFrequencyNs: flags.defaultRepoMaintainFrequency,
    garbageCollectionFrequencyNs: flags.garbageCollectionFrequency,
    podVolumeOperationTimeoutNs: flags.podVolumeOperationTimeout,
    plugins: flags.plugins ?? [],
    noDefaultBackupLocation: flags.noDefaultBackupLocation,
    caCert: readFileFlag(cwd, "--cacert", flags.cacert),
    features: (flags.features ?? "").split(","),
    defaultVolumesToFsBackup: flags.defaultVolumesToFsBackup || flags.defaultVolumesToRestic,
    uploaderType: flags.uploaderType ?? "kopia",
    defaultSnapshotMoveData: flags.defaultSnapshotMoveData,
    disableInformerCache: flags.disableInformerCache,
    scheduleSkipImmediately: flags.scheduleSkipImmediately,
    itemBlockWorkerCount: flags.itemBlockWorkerCount,
    concurrentBackups: flags.concurrentBackups,
    kubeletRootDir: flags.kubeletRootDir,
    nodeAgentDisableHostPath: flags.nodeAgentDisableHostPath,
    serverPriorityClassName: flags.serverPriorityClassName,
    nodeAgentPriorityClassName: flags.nodeAgentPriorityClassName,
    useNodeAgentWindows: flags.useNodeAgentWindows,
    csiSnapshotEarlyFrequentPolling: flags.csiSnapshotEarlyFrequentPolling,
    keepLatestMaintenanceJobs: flags.keepLatestMaintenanceJobs,
    maintenanceJobCpuRequest: flags.maintenanceJobCpuRequest,
    maintenanceJobMemRequest: flags.maintenanceJobMemRequest,
    maintenanceJobCpuLimit: flags.maintenanceJobCpuLimit,
    maintenanceJobMemLimit: flags.maintenanceJobMemLimit,
    backupRepositoryConfigmap: flags.backupRepositoryConfigmap,
    repoMaintenanceJobConfigmap: flags.repoMaintenanceJobConfigmap,
    nodeAgentConfigmap: flags.nodeAgentConfigmap,
  };
}

/** The ConfigMap flags Velero's install checks before installing, with what each must hold. */
const CONFIGMAP_FLAGS = [
  ["--node-agent-configmap", "nodeAgentConfigmap"],
  ["--repo-maintenance-job-configmap", "repoMaintenanceJobConfigmap"],
  ["--backup-repository-configmap", "backupRepositoryConfigmap"],
] as const;

/**
 * Velero's VerifyJSONConfigs for each ConfigMap flag given: the ConfigMap exists in the install
 * namespace, has data, and every value is a JSON object (the configuration it names).
 */
export async function verifyConfigMapFlags(f: Factory, namespace: string, flags: InstallFlags): Promise<void> {
  for (const [flag, key] of CONFIGMAP_FLAGS) {
    const name = flags[key];
    if (!name) continue;
    const problem = configMapProblem(await (await f.kube()).get(GVR.configMaps, name, namespace), name, namespace);
    if (problem) throw new UsageError(`${flag} specified ConfigMap ${name} is invalid: ${problem}`);
  }
}

/** What is wrong with ConfigMap `name` (read from `namespace`) as a JSON configuration, in Velero's words; undefined when nothing. */
function configMapProblem(cm: UnstructuredItem | undefined, name: string, namespace: string): string | undefined {
  if (!cm) return `fail to find ConfigMap ${name}: configmaps "${name}" not found (create it in namespace ${namespace} first)`;
  const data = (cm as { data?: Record<string, string> }).data;
  if (!data) return `data is not available in ConfigMap ${name}`;
  for (const [entry, text] of Object.entries(data)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      return `error to unmarshall data from ConfigMap ${name}: key "${entry}": ${(err as Error).message}`;
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return `error to unmarshall data from ConfigMap ${name}: key "${entry}" is not a JSON object`;
  }
  return undefined;
}

/** CRD readiness wait (Velero: up to a minute). */
export const CRD_READY_TIMEOUT_MS = 60_000;
const CRD_POLL_MS = 1000;

async function createOrApply(f: Factory, obj: UnstructuredItem, apply: boolean): Promise<void> {
  const id = `${obj.kind}/${obj.metadata.name}`;
  const gvr = KIND_GVR[obj.kind];
  // Velero's first line for each resource (its CreateClient), with --apply too
  f.out(`${id}: attempting to create resource client\n`);
  if (!gvr) throw new Error(`Error creating client for resource ${id}: no resource mapping for kind ${obj.kind}`);
  const kube = await f.kube();
  if (apply) {
    f.out(`${id}: attempting to apply resource\n`);
    await kube.apply(gvr, obj, { fieldManager: "velero-cli", force: true });
    f.out(`${id}: applied\n`);
    return;
  }
  f.out(`${id}: attempting to create resource\n`);
  try {
    await kube.create(gvr, obj);
    f.out(`${id}: created\n`);
  } catch (err) {
    if (!isAlreadyExists(err)) throw new ClusterError(`Error creating resource ${id}: ${(err as Error).message}`, { cause: err });
    f.out(`${id}: already exists, proceeding\n`);
  }
}

/** Waits until every CRD is Established: read once a second, and at once when a watch on the CRDs reports a change. */
async function waitForCrds(f: Factory, crds: UnstructuredItem[]): Promise<void> {
  const kube = await f.kube();
  const deadline = f.deps.now().getTime() + CRD_READY_TIMEOUT_MS;
  const pending = new Set(crds.map((c) => c.metadata.name));
  await new ObjectChanges(kube, GVR.crds, { matches: (name) => pending.has(name) }).until(CRD_POLL_MS, f.deps.sleep, async () => {
    for (const name of [...pending]) {
      const crd = await kube.get(GVR.crds, name);
      const conditions = (crd?.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [];
      if (conditions.some((c) => c.type === "Established" && c.status === "True")) pending.delete(name);
    }
    if (pending.size === 0) return true;
    if (f.deps.now().getTime() >= deadline) {
      throw new ClusterError(`timeout reached, CRDs not ready: ${[...pending].join(", ")} are not Established; check the API server log`);
    }
    return undefined;
  });
  kube.invalidateDiscovery();
}

class Install implements Verb {
  readonly #f: Factory;
  flags: InstallFlags = {};
  constructor(f: Factory) {
    this.#f = f;
  }
  complete(_args: string[], flags: InstallFlags): void {
    this.flags = {
      ...flags,
      noSecret: flags.noSecret ?? flags.secret === false,
      noDefaultBackupLocation: flags.noDefaultBackupLocation ?? flags.defaultBackupLocation === false,
      // `--features` is also the root command's global flag, which takes the value wherever it is
      // written: install's own (as Velero's, the feature flags put on the Deployment) reads it there.
      features: flags.features ?? this.#f.globals.features,
    };
  }
  validate(): void {
    validateInstallFlags(this.flags);
  }
  async run(): Promise<number> {
    const f = this.#f;
    const ns = f.namespace();
    const flags = this.flags;
    if (!flags.crdsOnly) await verifyConfigMapFlags(f, ns, flags);
    const crds = loadVeleroCrds();
    const resources = flags.crdsOnly ? labelledCrds(crds) : allResources(installOptions(ns, f.deps.cwd, flags), crds);
    const format = validateOutputFormat(flags.output, "install");
    if (format === "json" || format === "yaml") f.out(encodeObject({ apiVersion: "v1", items: resources.map(asGoPrintsIt), kind: "List" }, format));
    if (flags.dryRun) return EXIT_CODES.ok;
    const crdObjects = resources.filter((r) => r.kind === "CustomResourceDefinition");
    try {
      for (const crd of crdObjects) await createOrApply(f, crd, flags.apply === true);
      f.out("Waiting for resources to be ready in cluster...\n");
      await waitForCrds(f, crdObjects);
      for (const obj of resources.filter((r) => r.kind !== "CustomResourceDefinition")) await createOrApply(f, obj, flags.apply === true);
      if (flags.wait && !flags.crdsOnly) {
        const timeoutMs = (flags.waitTimeout ?? DEFAULT_INSTALL_WAIT_NS) / 1e6;
        f.out("Waiting for Velero deployment to be ready.\n");
        await waitForDeployment(f, ns, "velero", timeoutMs);
        if (flags.useNodeAgent || flags.useRestic) {
          f.out("Waiting for node-agent daemonset to be ready.\n");
          await waitForDaemonSet(f, ns, "node-agent", timeoutMs);
        }
        if (flags.useNodeAgentWindows) {
          f.out("Waiting for node-agent-windows daemonset to be ready.\n");
          await waitForDaemonSet(f, ns, "node-agent-windows", timeoutMs);
        }
      }
    } catch (err) {
      throw new ClusterError(`${(err as Error).message}\n\nError installing Velero. Use \`kubectl logs deploy/velero -n ${ns}\` to check the deploy logs`, {
        cause: err,
      });
    }
    if (flags.crdsOnly) return EXIT_CODES.ok;
    if (!flags.secretFile) f.out("\nNo secret file was specified, no Secret created.\n\n");
    if (flags.noDefaultBackupLocation) f.out("\nNo bucket and provider were specified, no default backup storage location created.\n\n");
    f.out(`Velero is installed! ⛵ Use 'kubectl logs deployment/velero -n ${ns}' to view the status.\n`);
    return EXIT_CODES.ok;
  }
}

const mapFlag = (flag: string) => (v: string, prev: Record<string, string> | undefined) => parseMapFlag(flag, v, prev);
const duration = (flag: string) => (v: string) => parseDurationFlag(flag, v);

export function newInstallCommand(f: Factory): Command {
  const cmd = new Command("install").summary("Install Velero").description(
    [
      "Install Velero onto a Kubernetes cluster using the supplied provider information, such as the provider's name, a bucket name, and a file containing the credentials to access that bucket. A prefix within the bucket and configuration for the backup store location may also be supplied. Additionally, volume snapshot information for the same provider may be supplied.",
      "All required CustomResourceDefinitions will be installed to the server, as well as the Velero Deployment and associated node-agent DaemonSet.",
      "The provided secret data will be created in a Secret named 'cloud-credentials'.",
      "All namespaced resources will be placed in the 'velero' namespace by default. The '--namespace' flag can be used to specify a different namespace to install into.",
      "Use '--wait' to wait for the Velero Deployment to be ready before proceeding.",
      "Use '-o yaml' or '-o json' with '--dry-run' to output all generated resources as text instead of sending the resources to the server. This is useful as a starting point for more customized installations.",
      `The Deployment runs the server image given by --image (default ${DEFAULT_IMAGE}). To run the server outside the cluster instead, use 'velero server --kubeconfig <file> -n <namespace>'.`,
    ].join("\n\n"),
  );
  cmd.option("--provider <name>", "Provider name for backup and volume storage");
  cmd.option("--bucket <name>", "Name of the object storage bucket where backups should be stored");
  cmd.option("--secret-file <file>", "File containing credentials for backup and volume provider. If not specified, --no-secret must be used for confirmation. Optional.");
  addBoolFlag(cmd, "--no-secret", "Flag indicating if a secret should be created. Must be used as confirmation if --secret-file is not provided. Optional.");
  addBoolFlag(cmd, "--apply", "Flag indicating if resources should be applied instead of created. This can be used for updating existing resources.");
  addBoolFlag(cmd, "--no-default-backup-location", "Flag indicating if a default backup location should be created. Must be used as confirmation if --bucket or --provider are not provided. Optional.");
  cmd.option("--image <image>", "Image to use for the Velero and node agent pods. Optional.");
  cmd.option("--prefix <prefix>", "Prefix under which all Velero data should be stored within the bucket. Optional.");
  addValueFlag(cmd, "--pod-annotations <key=value,...>", "Annotations to add to the Velero and node agent pods. Optional. Format is key1=value1,key2=value2", mapFlag("--pod-annotations"));
  addValueFlag(cmd, "--pod-labels <key=value,...>", "Labels to add to the Velero and node agent pods. Optional. Format is key1=value1,key2=value2", mapFlag("--pod-labels"));
  addValueFlag(cmd, "--sa-annotations <key=value,...>", "Annotations to add to the Velero ServiceAccount. Optional. Format is key1=value1,key2=value2", mapFlag("--sa-annotations"));
  cmd.option("--service-account-name <name>", "ServiceAccountName to be set to the Velero and node agent pods, it should be created before the installation, and the user also needs to create the rolebinding for it.");
  for (const [flag, what] of [
    ["--velero-pod-cpu-request", "CPU request for Velero pod"],
    ["--velero-pod-mem-request", "Memory request for Velero pod"],
    ["--velero-pod-cpu-limit", "CPU limit for Velero pod"],
    ["--velero-pod-mem-limit", "Memory limit for Velero pod"],
    ["--node-agent-pod-cpu-request", "CPU request for node-agent pod"],
    ["--node-agent-pod-mem-request", "Memory request for node-agent pod"],
    ["--node-agent-pod-cpu-limit", "CPU limit for node-agent pod"],
    ["--node-agent-pod-mem-limit", "Memory limit for node-agent pod"],
  ] as const) {
    cmd.option(`${flag} <quantity>`, `${what}. A value of "0" is treated as unbounded. Optional.`);
  }
  cmd.option("--kubelet-root-dir <dir>", "Kubelet root directory for the node agent. Optional.");
  addValueFlag(cmd, "--backup-location-config <key=value,...>", "Configuration to use for the backup storage location. Format is key1=value1,key2=value2", mapFlag("--backup-location-config"));
  addValueFlag(cmd, "--snapshot-location-config <key=value,...>", "Configuration to use for the volume snapshot location. Format is key1=value1,key2=value2", mapFlag("--snapshot-location-config"));
  addBoolFlag(cmd, "--use-volume-snapshots", "Whether or not to create snapshot location automatically. Set to false if you do not plan to create volume snapshots via a storage provider. (default true)");
  addBoolFlag(cmd, "--restore-only", "Run the server in restore-only mode. Optional.");
  addBoolFlag(cmd, "--dry-run", "Generate resources, but don't send them to the cluster. Use with -o. Optional.");
  addBoolFlag(cmd, "--use-node-agent", "Create Velero node-agent daemonset. Optional. Velero node-agent hosts and associates Velero modules that need to run in one or more Linux nodes.");
  addBoolFlag(cmd, "--use-node-agent-windows", "Create Velero node-agent-windows daemonset. Optional. Velero node-agent-windows hosts and associates Velero modules that need to run in one or more Windows nodes.");
  addBoolFlag(cmd, "--use-restic", "Deprecated alias of --use-node-agent (Velero before 1.10).");
  addBoolFlag(cmd, "--privileged-node-agent", "Use privileged mode for the node agent. Optional. Required to backup block devices.");
  addBoolFlag(cmd, "--wait", "Wait for Velero deployment to be ready. Optional.");
  addValueFlag(cmd, "--wait-timeout <duration>", `How long --wait waits for the Deployment (and node-agent) to be ready. (default ${formatGoDuration(DEFAULT_INSTALL_WAIT_NS)})`, duration("--wait-timeout"));
  addValueFlag(cmd, "--default-repo-maintain-frequency <duration>", "How often 'maintain' is run for backup repositories by default. Optional.", duration("--default-repo-maintain-frequency"));
  addValueFlag(cmd, "--garbage-collection-frequency <duration>", "How often the garbage collection runs for expired backups.(default 1h)", duration("--garbage-collection-frequency"));
  addValueFlag(cmd, "--pod-volume-operation-timeout <duration>", "How long to wait for pod volume operations to complete before timing out(default 4h). Optional.", duration("--pod-volume-operation-timeout"));
  addValueFlag(cmd, "--plugins <images>", "Plugin container images to install into the Velero Deployment", (v) => parseStringArray(v));
  addBoolFlag(cmd, "--crds-only", "Only generate CustomResourceDefinition resources. Useful for updating CRDs for an existing Velero install.");
  cmd.option("--cacert <file>", "File containing a certificate bundle to use when verifying TLS connections to the object store. Optional.");
  cmd.option("--features <features>", "Comma separated list of Velero feature flags to be set on the Velero deployment and the node-agent daemonset, if node-agent is enabled");
  addBoolFlag(cmd, "--default-volumes-to-fs-backup", "Bool flag to configure Velero server to use pod volume file system backup by default for all volumes on all backups. Optional.");
  addBoolFlag(cmd, "--default-volumes-to-restic", "Deprecated alias of --default-volumes-to-fs-backup (Velero before 1.10).");
  cmd.option("--uploader-type <type>", "The type of uploader to transfer the data of pod volumes, supported value: 'kopia'");
  addBoolFlag(cmd, "--default-snapshot-move-data", "Bool flag to configure Velero server to move data by default for all snapshots supporting data movement. Optional.");
  addBoolFlag(cmd, "--csi-snapshot-early-frequent-polling", "Bool flag to configure Velero server to use early frequent polling by default for all CSI snapshots. Optional.");
  addBoolFlag(cmd, "--disable-informer-cache", "Disable informer cache for Get calls on restore. Optional.");
  addBoolFlag(cmd, "--schedule-skip-immediately", "Skip the first scheduled backup immediately after creating a schedule. Default is false (don't skip).");
  addBoolFlag(cmd, "--node-agent-disable-host-path", "Don't mount the pod volume host path to node-agent. Optional.");
  addValueFlag(cmd, "--item-block-worker-count <n>", "Number of worker threads to process ItemBlocks. Default is one. Optional.", (v) => parseIntFlag("--item-block-worker-count", v));
  addValueFlag(cmd, "--concurrent-backups <n>", "Number of backups to process concurrently. Default is one. Optional.", (v) => parseIntFlag("--concurrent-backups", v));
  addValueFlag(cmd, "--keep-latest-maintenance-jobs <n>", "Number of latest maintenance jobs to keep each repository. Optional.", (v) => parseIntFlag("--keep-latest-maintenance-jobs", v));
  cmd.option("--maintenance-job-cpu-request <quantity>", "CPU request for maintenance jobs. Default is no limit.");
  cmd.option("--maintenance-job-mem-request <quantity>", "Memory request for maintenance jobs. Default is no limit.");
  cmd.option("--maintenance-job-cpu-limit <quantity>", "CPU limit for maintenance jobs. Default is no limit.");
  cmd.option("--maintenance-job-mem-limit <quantity>", "Memory limit for maintenance jobs. Default is no limit.");
  cmd.option("--backup-repository-configmap <name>", "The name of configMap containing backup repository configurations.");
  cmd.option("--repo-maintenance-job-configmap <name>", "The name of ConfigMap containing repository maintenance Job configurations.");
  cmd.option("--node-agent-configmap <name>", "The name of ConfigMap containing node-agent configurations.");
  cmd.option("--server-priority-class-name <name>", "Priority class name for the Velero server deployment. Optional.");
  cmd.option("--node-agent-priority-class-name <name>", "Priority class name for the node agent daemonset. Optional.");
  addOutputFlags(cmd, { defaultTable: false, labels: false });
  cmd.addHelpText(
    "after",
    `
Examples:
  # velero install --provider aws --plugins velero/velero-plugin-for-aws:v1.13.0 --bucket backups --secret-file ./aws-iam-creds --backup-location-config region=us-east-2 --snapshot-location-config region=us-east-2
  # velero install --provider aws --plugins velero/velero-plugin-for-aws:v1.13.0 --bucket velero --secret-file ./credentials-velero --use-volume-snapshots=false --backup-location-config region=minio,s3ForcePathStyle="true",s3Url=http://minio.velero.svc:9000
  # velero install --provider velero.io/filesystem --plugins <filesystem plugin image> --bucket backups --no-secret --use-volume-snapshots=false --backup-location-config path=/var/velero-backups
  # velero install --crds-only --dry-run -o yaml`,
  );
  return cmd.action(actionFor(f, () => new Install(f)));
}
