// Generates the velero.io CRD manifests in this folder from compact schema fragments.
// Run: node plugins/sdk/crd/generate.ts   (the YAML files are committed; a unit test checks
// they are up to date). The schemas match Velero's published CRDs field for field.
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { DESCRIPTIONS } from "./descriptions.ts";

type Schema = Record<string, unknown>;

const str = (extra: Schema = {}): Schema => ({ type: "string", ...extra });
const nstr = (): Schema => ({ type: "string", nullable: true });
const int = (): Schema => ({ type: "integer" });
const int64 = (): Schema => ({ type: "integer", format: "int64" });
const bool = (): Schema => ({ type: "boolean" });
const nbool = (): Schema => ({ type: "boolean", nullable: true });
const time = (): Schema => ({ type: "string", format: "date-time", nullable: true });
const enumOf = (...values: string[]): Schema => ({ type: "string", enum: values });
const strList = (extra: Schema = {}): Schema => ({ type: "array", items: str(), ...extra });
const nstrList = (): Schema => strList({ nullable: true });
const strMap = (extra: Schema = {}): Schema => ({ type: "object", additionalProperties: str(), ...extra });
const obj = (properties: Record<string, Schema>, extra: Schema = {}): Schema => ({ type: "object", properties, ...extra });
/** `obj` with its properties sorted by name (as controller-gen emits them), so shared fragments can be spread in any order. */
const sortedObj = (properties: Record<string, Schema>, extra: Schema = {}): Schema =>
  obj(Object.fromEntries(Object.entries(properties).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))), extra);
const arr = (items: Schema, extra: Schema = {}): Schema => ({ type: "array", items, ...extra });

/** Generic descriptions of the fields inside the shared fragments below. */
const LABEL_SELECTOR_DOCS: Record<string, string> = {
  matchExpressions: "Label requirements that must all hold.",
  "matchExpressions.key": "Label key the requirement applies to.",
  "matchExpressions.operator": "How the key relates to the values: In, NotIn, Exists or DoesNotExist.",
  "matchExpressions.values": "Label values for In and NotIn; must be empty for Exists and DoesNotExist.",
  matchLabels: "Labels that must all be present with exactly these values.",
};

const SECRET_KEY_SELECTOR_DOCS: Record<string, string> = {
  key: "Key of the entry in the Secret's data.",
  name: "Name of the Secret, in the same namespace as this object.",
  optional: "True when a missing Secret or key is not an error.",
};

const TYPED_LOCAL_OBJECT_REFERENCE_DOCS: Record<string, string> = {
  apiGroup: "API group of the referenced object; empty for the core group.",
  kind: "Kind of the referenced object.",
  name: "Name of the referenced object, in the same namespace as this object.",
};

const OBJECT_REFERENCE_DOCS: Record<string, string> = {
  apiVersion: "API version of the referenced object.",
  fieldPath: "Path of a field inside the object when the reference is to part of it, such as spec.containers{name}.",
  kind: "Kind of the referenced object.",
  name: "Name of the referenced object.",
  namespace: "Namespace of the referenced object.",
  resourceVersion: "Resource version of the referenced object when the reference was made.",
  uid: "UID of the referenced object.",
};

const labelSelector = (extra: Schema = {}): Schema =>
  applyDescriptions(
    obj(
      {
        matchExpressions: arr(
          obj(
            { key: str(), operator: str(), values: strList({ "x-kubernetes-list-type": "atomic" }) },
            { required: ["key", "operator"] },
          ),
          { "x-kubernetes-list-type": "atomic" },
        ),
        matchLabels: strMap(),
      },
      { "x-kubernetes-map-type": "atomic", ...extra },
    ),
    LABEL_SELECTOR_DOCS,
    "labelSelector",
  );

const secretKeySelector = (): Schema =>
  applyDescriptions(
    obj({ key: str(), name: str({ default: "" }), optional: bool() }, { required: ["key"], "x-kubernetes-map-type": "atomic" }),
    SECRET_KEY_SELECTOR_DOCS,
    "secretKeySelector",
  );

const typedLocalObjectReference = (extra: Schema = {}): Schema =>
  applyDescriptions(
    obj({ apiGroup: str(), kind: str(), name: str() }, { required: ["kind", "name"], "x-kubernetes-map-type": "atomic", ...extra }),
    TYPED_LOCAL_OBJECT_REFERENCE_DOCS,
    "typedLocalObjectReference",
  );

const objectReference = (): Schema =>
  applyDescriptions(
    obj(
      {
        apiVersion: str(),
        fieldPath: str(),
        kind: str(),
        name: str(),
        namespace: str(),
        resourceVersion: str(),
        uid: str(),
      },
      { "x-kubernetes-map-type": "atomic" },
    ),
    OBJECT_REFERENCE_DOCS,
    "objectReference",
  );

/** The included/excluded namespace and resource lists shared by backups, restores and hooks. */
const resourceFilters = (): Record<string, Schema> => ({
  excludedNamespaces: nstrList(),
  excludedResources: nstrList(),
  includedNamespaces: nstrList(),
  includedResources: nstrList(),
});

/** The fields a Backup and a Restore spec share: resource filters, selectors, cluster scope, operation timeout. */
const itemSelection = (): Record<string, Schema> => ({
  ...resourceFilters(),
  includeClusterResources: nbool(),
  itemOperationTimeout: str(),
  labelSelector: labelSelector({ nullable: true }),
  orLabelSelectors: arr(labelSelector(), { nullable: true }),
});

/** The exec hook shared by backup and restore hooks; `extra` adds the side-specific timeouts. */
const execHook = (extra: Record<string, Schema>): Schema =>
  sortedObj({ command: strList({ minItems: 1 }), container: str(), onError: enumOf("Continue", "Fail"), ...extra }, { required: ["command"] });

/** `hooks.resources`: named hook selectors (filters and a label selector) plus the given hook lists. */
const hookSpec = (hooks: Record<string, Schema>, resourcesExtra: Schema = {}): Schema =>
  obj({
    resources: arr(
      sortedObj({ ...resourceFilters(), labelSelector: labelSelector({ nullable: true }), name: str(), ...hooks }, { required: ["name"] }),
      resourcesExtra,
    ),
  });

const backupHook = (): Schema => arr(obj({ exec: execHook({ timeout: str() }) }, { required: ["exec"] }));

const backupSpec = (): Schema =>
  sortedObj({
    ...itemSelection(),
    csiSnapshotTimeout: str(),
    datamover: str(),
    defaultVolumesToFsBackup: nbool(),
    defaultVolumesToRestic: nbool(),
    excludedClusterScopedResources: nstrList(),
    excludedNamespaceScopedResources: nstrList(),
    hooks: hookSpec({ post: backupHook(), pre: backupHook() }, { nullable: true }),
    includedClusterScopedResources: nstrList(),
    includedNamespaceScopedResources: nstrList(),
    metadata: obj({ labels: strMap() }),
    orderedResources: strMap({ nullable: true }),
    resourcePolicy: typedLocalObjectReference(),
    snapshotMoveData: nbool(),
    snapshotVolumes: nbool(),
    storageLocation: str(),
    ttl: str(),
    uploaderConfig: obj({ parallelFilesUpload: int() }, { nullable: true }),
    volumeGroupSnapshotLabelKey: str(),
    volumeSnapshotLocations: strList(),
  });

/** The status fields a Backup and a Restore share; `itemsDone` names the progress counter, `opsPrefix` the item-operation counters. */
const runStatus = (phases: string[], itemsDone: string, opsPrefix: string): Record<string, Schema> => ({
  completionTimestamp: time(),
  errors: int(),
  failureReason: str(),
  hookStatus: obj({ hooksAttempted: int(), hooksFailed: int() }, { nullable: true }),
  phase: enumOf(...phases),
  progress: obj({ [itemsDone]: int(), totalItems: int() }, { nullable: true }),
  [`${opsPrefix}ItemOperationsAttempted`]: int(),
  [`${opsPrefix}ItemOperationsCompleted`]: int(),
  [`${opsPrefix}ItemOperationsFailed`]: int(),
  startTimestamp: time(),
  validationErrors: nstrList(),
  warnings: int(),
});

const backupPhases = [
  "New",
  "Queued",
  "ReadyToStart",
  "FailedValidation",
  "InProgress",
  "WaitingForPluginOperations",
  "WaitingForPluginOperationsPartiallyFailed",
  "Finalizing",
  "FinalizingPartiallyFailed",
  "Completed",
  "PartiallyFailed",
  "Failed",
  "Deleting",
];

const restorePhases = [
  "New",
  "FailedValidation",
  "InProgress",
  "WaitingForPluginOperations",
  "WaitingForPluginOperationsPartiallyFailed",
  "Completed",
  "PartiallyFailed",
  "Failed",
  "Finalizing",
  "FinalizingPartiallyFailed",
];

const dataPathPhases = ["New", "Accepted", "Prepared", "InProgress", "Canceling", "Canceled", "Completed", "Failed"];

/** The status fields all four data-path kinds (pod volume and data mover) share. */
const dataPathStatus = (extra: Record<string, Schema>): Schema =>
  sortedObj({
    acceptedTimestamp: time(),
    completionTimestamp: time(),
    message: str(),
    phase: enumOf(...dataPathPhases),
    progress: obj({ bytesDone: int64(), totalBytes: int64() }),
    startTimestamp: time(),
    ...extra,
  });

const uploaderType = (): Schema => enumOf("kopia", "restic", "");
const nodeOS = (): Schema => enumOf("auto", "linux", "windows");
const availability = (): Schema => enumOf("Available", "Unavailable");
const accessMode = (): Schema => enumOf("ReadOnly", "ReadWrite");

interface Column {
  name: string;
  type: string;
  jsonPath: string;
  format?: string;
  priority?: number;
}

interface CrdInput {
  kind: string;
  plural: string;
  version?: string;
  shortNames?: string[];
  description: string;
  spec: Schema;
  status: Schema;
  /** Velero emits an empty `subresources` map for some kinds; kept for a byte-for-byte schema match. */
  emptySubresources: boolean;
  columns?: Column[];
}

const col = (name: string, type: string, jsonPath: string, extra: Partial<Column> = {}): Column => ({ name, type, jsonPath, ...extra });
const age = (): Column => col("Age", "date", ".metadata.creationTimestamp");

/**
 * Sets `description` on the schema node at each dotted path below `root` (through `properties`,
 * and through `items` of arrays). Throws on a path that does not exist, so a typo in a table fails
 * generation instead of silently describing nothing. The description goes first in the node.
 */
function applyDescriptions(root: Schema, table: Record<string, string>, where: string): Schema {
  for (const [path, text] of Object.entries(table)) {
    let node = root;
    for (const segment of path.split(".")) {
      while (node.type === "array" && node.items) node = node.items as Schema;
      const properties = node.properties as Record<string, Schema> | undefined;
      if (!properties || !Object.hasOwn(properties, segment)) throw new Error(`${where}: no schema at "${path}" (missing "${segment}")`);
      node = properties[segment] as Schema;
    }
    const rest = { ...node };
    delete rest.description;
    for (const key of Object.keys(node)) delete node[key];
    Object.assign(node, { description: text }, rest);
  }
  return root;
}

/**
 * Property paths below a CRD's spec and status (arrays walked through their items) that have no
 * description; `preserve-unknown-fields` subtrees are not entered.
 */
export function undescribedPaths(input: CrdInput): string[] {
  const out: string[] = [];
  const walk = (node: Schema, path: string): void => {
    if (typeof node.description !== "string") out.push(path);
    let inner = node;
    while (inner.type === "array" && inner.items) inner = inner.items as Schema;
    for (const [name, child] of Object.entries((inner.properties as Record<string, Schema> | undefined) ?? {})) walk(child, `${path}.${name}`);
  };
  const [version] = (crd(input).spec as { versions: { schema: { openAPIV3Schema: { properties: { spec: Schema; status: Schema } } } }[] }).versions;
  if (!version) throw new Error(`${input.kind}: no version`);
  walk(version.schema.openAPIV3Schema.properties.spec, "spec");
  walk(version.schema.openAPIV3Schema.properties.status, "status");
  return out;
}

function crd(input: CrdInput): Schema {
  const names: Schema = {
    kind: input.kind,
    listKind: `${input.kind}List`,
    plural: input.plural,
    ...(input.shortNames ? { shortNames: input.shortNames } : {}),
    singular: input.kind.toLowerCase(),
  };
  const described = applyDescriptions(
    { properties: { spec: structuredClone(input.spec), status: structuredClone(input.status) } },
    DESCRIPTIONS[input.kind] ?? {},
    input.kind,
  ).properties as { spec: Schema; status: Schema };
  const version: Schema = {
    ...(input.columns ? { additionalPrinterColumns: input.columns } : {}),
    name: input.version ?? "v1",
    schema: {
      openAPIV3Schema: {
        description: input.description,
        properties: {
          apiVersion: str(),
          kind: str(),
          metadata: { type: "object" },
          spec: described.spec,
          status: described.status,
        },
        type: "object",
      },
    },
    served: true,
    storage: true,
    // Velero's CRDs declare `subresources: {}` (no status subresource): status is written through
    // the main resource, so controllers must patch the object itself, never /status.
    ...(input.emptySubresources ? { subresources: {} } : {}),
  };
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { labels: { component: "velero" }, name: `${input.plural}.velero.io` },
    spec: { group: "velero.io", names, scope: "Namespaced", versions: [version] },
  };
}

const podVolumeSpecCommon = (): Record<string, Schema> => ({
  backupStorageLocation: str(),
  cancel: bool(),
  pod: objectReference(),
  repoIdentifier: str(),
  uploaderSettings: strMap({ nullable: true }),
  uploaderType: uploaderType(),
  volume: str(),
});

/** The printer columns of the data-path kinds; `incremental` adds the Incremental Bytes column of the backup side. */
const dataPathColumns = (incremental: boolean): Column[] => [
  col("Status", "string", ".status.phase"),
  col("Started", "date", ".status.startTimestamp"),
  col("Bytes Done", "integer", ".status.progress.bytesDone", { format: "int64" }),
  col("Total Bytes", "integer", ".status.progress.totalBytes", { format: "int64" }),
  ...(incremental ? [col("Incremental Bytes", "integer", ".status.incrementalBytes", { format: "int64", priority: 10 })] : []),
  col("Storage Location", "string", ".spec.backupStorageLocation"),
  age(),
  col("Node", "string", ".status.node"),
];

export const CRDS: CrdInput[] = [
  {
    kind: "Backup",
    plural: "backups",
    description: "A Velero backup request and its status.",
    emptySubresources: false,
    spec: backupSpec(),
    status: sortedObj({
      ...runStatus(backupPhases, "itemsBackedUp", "backup"),
      csiVolumeSnapshotsAttempted: int(),
      csiVolumeSnapshotsCompleted: int(),
      expiration: time(),
      formatVersion: str(),
      queuePosition: int(),
      version: int(),
      volumeSnapshotsAttempted: int(),
      volumeSnapshotsCompleted: int(),
    }),
  },
  {
    kind: "Restore",
    plural: "restores",
    description: "A Velero restore request and its status.",
    emptySubresources: false,
    spec: sortedObj({
      ...itemSelection(),
      backupName: str(),
      existingResourcePolicy: nstr(),
      hooks: hookSpec({
        postHooks: arr(
          obj({
            exec: execHook({ execTimeout: str(), waitForReady: nbool(), waitTimeout: str() }),
            init: obj({
              initContainers: arr(
                { type: "object", "x-kubernetes-preserve-unknown-fields": true },
                { "x-kubernetes-preserve-unknown-fields": true },
              ),
              timeout: str(),
            }),
          }),
        ),
      }),
      namespaceMapping: strMap(),
      preserveNodePorts: nbool(),
      resourceModifier: typedLocalObjectReference({ nullable: true }),
      restorePVs: nbool(),
      restoreStatus: obj({ excludedResources: nstrList(), includedResources: nstrList() }, { nullable: true }),
      scheduleName: str(),
      uploaderConfig: obj({ parallelFilesDownload: int(), writeSparseFiles: nbool() }, { nullable: true }),
    }),
    status: sortedObj(runStatus(restorePhases, "itemsRestored", "restore")),
  },
  {
    kind: "Schedule",
    plural: "schedules",
    description: "A cron schedule that creates Backups from a template.",
    emptySubresources: true,
    columns: [
      col("Status", "string", ".status.phase"),
      col("Schedule", "string", ".spec.schedule"),
      col("LastBackup", "date", ".status.lastBackup"),
      age(),
      col("Paused", "boolean", ".spec.paused"),
    ],
    spec: obj(
      {
        paused: bool(),
        schedule: str(),
        skipImmediately: bool(),
        template: backupSpec(),
        useOwnerReferencesInBackup: nbool(),
      },
      { required: ["schedule", "template"] },
    ),
    status: obj({
      lastBackup: time(),
      lastSkipped: time(),
      phase: enumOf("New", "Enabled", "FailedValidation"),
      validationErrors: strList(),
    }),
  },
  {
    kind: "BackupStorageLocation",
    plural: "backupstoragelocations",
    shortNames: ["bsl"],
    description: "An object storage location backups are written to and read from.",
    emptySubresources: true,
    columns: [
      col("Phase", "string", ".status.phase"),
      col("Last Validated", "date", ".status.lastValidationTime"),
      age(),
      col("Default", "boolean", ".spec.default"),
    ],
    spec: obj(
      {
        accessMode: accessMode(),
        backupSyncPeriod: nstr(),
        config: strMap(),
        credential: secretKeySelector(),
        default: bool(),
        objectStorage: obj(
          { bucket: str(), caCert: str({ format: "byte" }), caCertRef: secretKeySelector(), prefix: str() },
          { required: ["bucket"] },
        ),
        provider: str(),
        validationFrequency: nstr(),
      },
      { required: ["objectStorage", "provider"] },
    ),
    status: obj({
      accessMode: accessMode(),
      lastSyncedRevision: str(),
      lastSyncedTime: time(),
      lastValidationTime: time(),
      message: str(),
      phase: availability(),
    }),
  },
  {
    kind: "VolumeSnapshotLocation",
    plural: "volumesnapshotlocations",
    shortNames: ["vsl"],
    description: "A native volume snapshot provider and its configuration.",
    emptySubresources: false,
    spec: obj({ config: strMap(), credential: secretKeySelector(), provider: str() }, { required: ["provider"] }),
    status: obj({ phase: availability() }),
  },
  {
    kind: "DownloadRequest",
    plural: "downloadrequests",
    description: "A request for a signed URL of a file stored with a backup or restore.",
    emptySubresources: false,
    spec: obj(
      {
        target: obj(
          {
            kind: enumOf(
              "BackupLog",
              "BackupContents",
              "BackupVolumeSnapshots",
              "BackupItemOperations",
              "BackupResourceList",
              "BackupResults",
              "RestoreLog",
              "RestoreResults",
              "RestoreResourceList",
              "RestoreItemOperations",
              "CSIBackupVolumeSnapshots",
              "CSIBackupVolumeSnapshotContents",
              "BackupVolumeInfos",
              "RestoreVolumeInfo",
            ),
            name: str(),
          },
          { required: ["kind", "name"] },
        ),
      },
      { required: ["target"] },
    ),
    status: obj({ downloadURL: str(), expiration: time(), phase: enumOf("New", "Processed") }),
  },
  {
    kind: "DeleteBackupRequest",
    plural: "deletebackuprequests",
    description: "A request to delete a backup, its stored data and its snapshots.",
    emptySubresources: true,
    columns: [col("BackupName", "string", ".spec.backupName"), col("Status", "string", ".status.phase")],
    spec: obj({ backupName: str() }, { required: ["backupName"] }),
    status: obj({ errors: nstrList(), phase: enumOf("New", "InProgress", "Processed") }),
  },
  {
    kind: "ServerStatusRequest",
    plural: "serverstatusrequests",
    shortNames: ["ssr"],
    description: "A request for the server's version and registered plugins.",
    emptySubresources: false,
    spec: { type: "object" },
    status: obj({
      phase: enumOf("New", "Processed"),
      plugins: arr(obj({ kind: str(), name: str() }, { required: ["kind", "name"] }), { nullable: true }),
      processedTimestamp: time(),
      serverVersion: str(),
    }),
  },
  {
    kind: "BackupRepository",
    plural: "backuprepositories",
    description: "A backup repository (kopia) per volume namespace and storage location.",
    emptySubresources: true,
    columns: [age(), col("Repository Type", "string", ".spec.repositoryType")],
    spec: obj(
      {
        backupStorageLocation: str(),
        maintenanceFrequency: str(),
        repositoryConfig: strMap({ nullable: true }),
        repositoryType: uploaderType(),
        resticIdentifier: str(),
        volumeNamespace: str(),
      },
      { required: ["backupStorageLocation", "maintenanceFrequency", "volumeNamespace"] },
    ),
    status: obj({
      lastMaintenanceTime: time(),
      message: str(),
      phase: enumOf("New", "Ready", "NotReady"),
      recentMaintenance: arr(
        obj({
          completeTimestamp: time(),
          message: str(),
          result: enumOf("Succeeded", "Failed"),
          startTimestamp: time(),
        }),
      ),
    }),
  },
  {
    kind: "PodVolumeBackup",
    plural: "podvolumebackups",
    description: "A file-system backup of one pod volume.",
    emptySubresources: true,
    columns: [...dataPathColumns(true), col("Uploader", "string", ".spec.uploaderType")],
    spec: obj(
      { ...podVolumeSpecCommon(), node: str(), tags: strMap() },
      { required: ["backupStorageLocation", "node", "pod", "repoIdentifier", "volume"] },
    ),
    status: dataPathStatus({ incrementalBytes: int64(), path: str(), snapshotID: str() }),
  },
  {
    kind: "PodVolumeRestore",
    plural: "podvolumerestores",
    description: "A file-system restore of one pod volume.",
    emptySubresources: true,
    columns: [...dataPathColumns(false), col("Uploader Type", "string", ".spec.uploaderType")],
    spec: obj(
      { ...podVolumeSpecCommon(), snapshotID: str(), snapshotSize: int64(), sourceNamespace: str() },
      { required: ["backupStorageLocation", "pod", "repoIdentifier", "snapshotID", "sourceNamespace", "volume"] },
    ),
    status: dataPathStatus({ node: str() }),
  },
  {
    kind: "DataUpload",
    plural: "datauploads",
    version: "v2alpha1",
    description: "Moves the data of a CSI snapshot to the backup storage location.",
    emptySubresources: true,
    columns: dataPathColumns(true),
    spec: obj(
      {
        backupStorageLocation: str(),
        cancel: bool(),
        csiSnapshot: obj(
          { driver: str(), snapshotClass: str(), storageClass: str(), volumeSnapshot: str() },
          { nullable: true, required: ["storageClass", "volumeSnapshot"] },
        ),
        dataMoverConfig: strMap({ nullable: true }),
        datamover: str(),
        operationTimeout: str(),
        snapshotType: str(),
        sourceNamespace: str(),
        sourcePVC: str(),
      },
      { required: ["backupStorageLocation", "operationTimeout", "snapshotType", "sourceNamespace", "sourcePVC"] },
    ),
    status: dataPathStatus({
      acceptedByNode: str(),
      dataMoverResult: strMap({ nullable: true }),
      incrementalBytes: int64(),
      node: str(),
      nodeOS: nodeOS(),
      path: str(),
      snapshotID: str(),
    }),
  },
  {
    kind: "DataDownload",
    plural: "datadownloads",
    version: "v2alpha1",
    description: "Restores the data of a moved CSI snapshot into a volume.",
    emptySubresources: true,
    columns: dataPathColumns(false),
    spec: obj(
      {
        backupStorageLocation: str(),
        cancel: bool(),
        dataMoverConfig: strMap(),
        datamover: str(),
        nodeOS: nodeOS(),
        operationTimeout: str(),
        snapshotID: str(),
        snapshotSize: int64(),
        sourceNamespace: str(),
        targetVolume: obj({ namespace: str(), pv: str(), pvc: str() }, { required: ["namespace", "pv", "pvc"] }),
      },
      { required: ["backupStorageLocation", "operationTimeout", "snapshotID", "sourceNamespace", "targetVolume"] },
    ),
    status: dataPathStatus({ acceptedByNode: str(), node: str() }),
  },
];

/** File name of a CRD manifest: velero.io_<plural>.yaml. */
export function crdFileName(plural: string): string {
  return `velero.io_${plural}.yaml`;
}

/** The YAML text of every CRD, keyed by file name. */
export function renderCrds(): Map<string, string> {
  const out = new Map<string, string>();
  for (const input of CRDS) {
    out.set(crdFileName(input.plural), "# Generated by generate.ts; do not edit.\n---\n" + stringify(crd(input), { lineWidth: 0 }));
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = dirname(fileURLToPath(import.meta.url));
  for (const [file, text] of renderCrds()) writeFileSync(join(dir, file), text);
  for (const input of CRDS) {
    const missing = undescribedPaths(input);
    if (missing.length > 0) console.warn(`${input.kind}: ${missing.length} field(s) without a description: ${missing.join(", ")}`);
  }
}
