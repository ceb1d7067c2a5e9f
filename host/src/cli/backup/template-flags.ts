/**
 * The backup-template flags shared by `backup create` and `schedule create` (Velero's
 * backup.CreateOptions.BindFlags), and the pure builder of a BackupSpec from them.
 */
import type { Command } from "commander";
import type { V1LabelSelector } from "@kubernetes/client-node";
import type { BackupSpec } from "@velero-ts/plugin-sdk";
import { validateNamespaceIncludesExcludes } from "../../shared/includes-excludes.js";
import { UsageError } from "../../shared/errors.js";
import { addBoolFlag, addValueFlag } from "../command-kit.js";
import { formatGoDuration, parseDurationFlag, parseNonNegativeDurationFlag } from "../flags/duration.js";
import { parseLabelSelector, parseOrLabelSelectors } from "../flags/label-selector.js";
import { parseIntFlag, parseMapFlag, parseStringArray, sortedByKey } from "../flags/values.js";

export interface BackupTemplateOptions {
  ttl?: number;
  includeNamespaces: string[];
  excludeNamespaces?: string[];
  includeResources?: string[];
  excludeResources?: string[];
  includeClusterScopedResources?: string[];
  excludeClusterScopedResources?: string[];
  includeNamespaceScopedResources?: string[];
  excludeNamespaceScopedResources?: string[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  storageLocation?: string;
  volumeSnapshotLocations?: string[];
  selector?: V1LabelSelector;
  orSelector?: V1LabelSelector[];
  orderedResources?: string;
  csiSnapshotTimeout?: number;
  itemOperationTimeout?: number;
  snapshotVolumes?: boolean;
  snapshotMoveData?: boolean;
  includeClusterResources?: boolean;
  defaultVolumesToFsBackup?: boolean;
  defaultVolumesToRestic?: boolean;
  resourcePoliciesConfigmap?: string;
  dataMover?: string;
  parallelFilesUpload?: number;
}

const list = (_flag: string) => (value: string): string[] => parseStringArray(value);

export function bindBackupTemplateFlags(cmd: Command, noun: "backup" | "schedule"): void {
  const what = "the backup";
  addValueFlag(cmd, "--ttl <duration>", "How long before the backup can be garbage collected.", (v) => parseNonNegativeDurationFlag("--ttl", v, "the server's --default-backup-ttl"));
  addValueFlag(cmd, "--include-namespaces <namespaces>", `Namespaces to include in ${what} (use '*' for all namespaces).`, list("--include-namespaces"), ["*"]);
  addValueFlag(cmd, "--exclude-namespaces <namespaces>", `Namespaces to exclude from ${what}.`, list("--exclude-namespaces"));
  addValueFlag(cmd, "--include-resources <resources>", `Resources to include in ${what}, formatted as resource.group, such as storageclasses.storage.k8s.io (use '*' for all resources). Cannot work with include-cluster-scoped-resources, exclude-cluster-scoped-resources, include-namespace-scoped-resources and exclude-namespace-scoped-resources.`, list("--include-resources"));
  addValueFlag(cmd, "--exclude-resources <resources>", `Resources to exclude from ${what}, formatted as resource.group, such as storageclasses.storage.k8s.io. Cannot work with include-cluster-scoped-resources, exclude-cluster-scoped-resources, include-namespace-scoped-resources and exclude-namespace-scoped-resources.`, list("--exclude-resources"));
  addValueFlag(cmd, "--include-cluster-scoped-resources <resources>", `Cluster-scoped resources to include in ${what}, formatted as resource.group, such as storageclasses.storage.k8s.io(use '*' for all resources). Cannot work with include-resources, exclude-resources and include-cluster-resources.`, list("x"));
  addValueFlag(cmd, "--exclude-cluster-scoped-resources <resources>", `Cluster-scoped resources to exclude from ${what}, formatted as resource.group, such as storageclasses.storage.k8s.io(use '*' for all resources). Cannot work with include-resources, exclude-resources and include-cluster-resources.`, list("x"));
  addValueFlag(cmd, "--include-namespace-scoped-resources <resources>", `Namespaced resources to include in ${what}, formatted as resource.group, such as deployments.apps(use '*' for all resources). Cannot work with include-resources, exclude-resources and include-cluster-resources.`, list("x"));
  addValueFlag(cmd, "--exclude-namespace-scoped-resources <resources>", `Namespaced resources to exclude from ${what}, formatted as resource.group, such as deployments.apps(use '*' for all resources). Cannot work with include-resources, exclude-resources and include-cluster-resources.`, list("x"));
  addValueFlag(cmd, "--labels <key=value,...>", `Labels to apply to the ${noun}.`, (v, prev: Record<string, string> | undefined) => parseMapFlag("--labels", v, prev));
  addValueFlag(cmd, "--annotations <key=value,...>", `Annotations to apply to the ${noun}.`, (v, prev: Record<string, string> | undefined) => parseMapFlag("--annotations", v, prev));
  cmd.option("--storage-location <name>", "Location in which to store the backup.");
  addValueFlag(cmd, "--volume-snapshot-locations <names>", "List of locations (at most one per provider) where volume snapshots should be stored.", (v, prev: string[] | undefined) => [...(prev ?? []), ...(v === "" ? [] : v.split(","))]); // pflag's StringSlice: "" adds nothing
  addValueFlag(cmd, "-l, --selector <selector>", "Only back up resources matching this label selector.", (v) => parseLabelSelector(v));
  addValueFlag(cmd, "--or-selector <selectors>", "Backup resources matching at least one of the label selector from the list. Label selectors should be separated by ' or '. For example, foo=bar or app=nginx", (v) => parseOrLabelSelectors(v));
  cmd.option("--ordered-resources <mapping>", "Mapping Kinds to an ordered list of specific resources of that Kind.  Resource names are separated by commas and their names are in format 'namespace/resourcename'. For cluster scope resource, simply use resource name. Key-value pairs in the mapping are separated by semi-colon.  Example: 'pods=ns1/pod1,ns1/pod2;persistentvolumeclaims=ns1/pvc4,ns1/pvc8'.  Optional.");
  addValueFlag(cmd, "--csi-snapshot-timeout <duration>", "How long to wait for CSI snapshot creation before timeout.", (v) => parseDurationFlag("--csi-snapshot-timeout", v));
  addValueFlag(cmd, "--item-operation-timeout <duration>", "How long to wait for async plugin operations before timeout.", (v) => parseDurationFlag("--item-operation-timeout", v));
  addBoolFlag(cmd, "--snapshot-volumes", "Take snapshots of PersistentVolumes as part of the backup. If the parameter is not set, it is treated as setting to 'true'.");
  addBoolFlag(cmd, "--snapshot-move-data", "Specify whether snapshot data should be moved");
  addBoolFlag(cmd, "--include-cluster-resources", "Include cluster-scoped resources in the backup. Cannot work with include-cluster-scoped-resources, exclude-cluster-scoped-resources, include-namespace-scoped-resources and exclude-namespace-scoped-resources.");
  addBoolFlag(cmd, "--default-volumes-to-fs-backup", "Use pod volume file system backup by default for volumes");
  addBoolFlag(cmd, "--default-volumes-to-restic", "Deprecated alias of --default-volumes-to-fs-backup (Velero before 1.10).");
  cmd.option("--resource-policies-configmap <name>", "Reference to the resource policies configmap that backup should use");
  cmd.option("--data-mover <name>", "Specify the data mover to be used by the backup. If the parameter is not set or set as 'velero', the built-in data mover will be used");
  addValueFlag(cmd, "--parallel-files-upload <n>", "Number of files uploads simultaneously when running a backup. This is only applicable for the kopia uploader", (v) => parseIntFlag("--parallel-files-upload", v));
}

/** Velero's ParseOrderedResources: "pods=ns1/p1,ns1/p2;persistentvolumes=pv1". */
export function parseOrderedResources(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of text.split(";")) {
    const kv = entry.split("=");
    if (kv.length !== 2) {
      throw new UsageError(`invalid --ordered-resources entry "${entry}": expected kind=ns/name,ns/name;kind2=name (for example 'pods=ns1/pod1,ns1/pod2')`);
    }
    out[(kv[0] as string).trim()] = (kv[1] as string).trim();
  }
  return sortedByKey(out);
}

/** Velero's ValidateNamespaceIncludesExcludes. */
export function validateNamespaceFilters(includes: string[], excludes: string[]): void {
  // Velero's CLI runs the server's check (collections.ValidateNamespaceIncludesExcludes), its
  // errors aggregated as apimachinery prints them
  const errs = validateNamespaceIncludesExcludes(includes, excludes);
  if (errs.length === 1) throw new UsageError(errs[0] as string);
  if (errs.length > 1) throw new UsageError(`[${errs.join(", ")}]`);
}

/** Old (--include-resources ...) and new (--include-cluster-scoped-resources ...) filters cannot be mixed. */
export function validateResourceFilters(o: BackupTemplateOptions): void {
  const old = !!(o.includeResources?.length || o.excludeResources?.length || o.includeClusterResources !== undefined);
  const scoped = !!(
    o.includeClusterScopedResources?.length ||
    o.excludeClusterScopedResources?.length ||
    o.includeNamespaceScopedResources?.length ||
    o.excludeNamespaceScopedResources?.length
  );
  if (old && scoped) {
    throw new UsageError(
      "include-resources, exclude-resources and include-cluster-resources are old filter parameters; include-cluster-scoped-resources, exclude-cluster-scoped-resources, include-namespace-scoped-resources and exclude-namespace-scoped-resources are new filter parameters; use one kind or the other",
    );
  }
  if (o.selector && o.orSelector) throw new UsageError("either a 'selector' or an 'or-selector' can be specified, but not both");
}

function setIfNonEmpty<K extends keyof BackupSpec>(spec: BackupSpec, key: K, value: BackupSpec[K] | undefined): void {
  if (value === undefined) return;
  if (Array.isArray(value) && value.length === 0) return;
  spec[key] = value;
}

/** Builds the BackupSpec exactly as Velero's BuildBackup does (durations always present, "0s" = server default). */
export function buildBackupSpec(o: BackupTemplateOptions): BackupSpec {
  const spec: BackupSpec = { metadata: {} };
  setIfNonEmpty(spec, "includedNamespaces", o.includeNamespaces);
  setIfNonEmpty(spec, "excludedNamespaces", o.excludeNamespaces);
  setIfNonEmpty(spec, "includedResources", o.includeResources);
  setIfNonEmpty(spec, "excludedResources", o.excludeResources);
  setIfNonEmpty(spec, "includedClusterScopedResources", o.includeClusterScopedResources);
  setIfNonEmpty(spec, "excludedClusterScopedResources", o.excludeClusterScopedResources);
  setIfNonEmpty(spec, "includedNamespaceScopedResources", o.includeNamespaceScopedResources);
  setIfNonEmpty(spec, "excludedNamespaceScopedResources", o.excludeNamespaceScopedResources);
  setIfNonEmpty(spec, "labelSelector", o.selector);
  setIfNonEmpty(spec, "orLabelSelectors", o.orSelector);
  setIfNonEmpty(spec, "snapshotVolumes", o.snapshotVolumes);
  spec.ttl = formatGoDuration(o.ttl ?? 0);
  setIfNonEmpty(spec, "includeClusterResources", o.includeClusterResources);
  spec.hooks = {};
  if (o.storageLocation) spec.storageLocation = o.storageLocation;
  setIfNonEmpty(spec, "volumeSnapshotLocations", o.volumeSnapshotLocations);
  setIfNonEmpty(spec, "defaultVolumesToFsBackup", o.defaultVolumesToFsBackup ?? o.defaultVolumesToRestic);
  if (o.orderedResources) spec.orderedResources = parseOrderedResources(o.orderedResources);
  spec.csiSnapshotTimeout = formatGoDuration(o.csiSnapshotTimeout ?? 0);
  spec.itemOperationTimeout = formatGoDuration(o.itemOperationTimeout ?? 0);
  // a TypedLocalObjectReference: its apiGroup pointer has no omitempty (Velero prints "apiGroup": null)
  if (o.resourcePoliciesConfigmap) spec.resourcePolicy = { apiGroup: null, kind: "configmap", name: o.resourcePoliciesConfigmap } as unknown as BackupSpec["resourcePolicy"];
  setIfNonEmpty(spec, "snapshotMoveData", o.snapshotMoveData);
  if (o.dataMover) spec.datamover = o.dataMover;
  if (o.parallelFilesUpload && o.parallelFilesUpload > 0) spec.uploaderConfig = { parallelFilesUpload: o.parallelFilesUpload };
  return spec;
}
