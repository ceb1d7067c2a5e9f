// Public entry of @velero-ts/plugin-sdk: API types, plugin contracts, serve() and the plugin logger.
export type {
  UnstructuredItem,
  Duration,
  Backup,
  BackupSpec,
  BackupStatus,
  BackupPhase,
  BackupProgress,
  BackupResourceHookSpec,
  ExecHook,
  HookStatus,
  Restore,
  RestoreSpec,
  RestoreStatus,
  RestorePhase,
  RestoreResourceHookSpec,
  RestoreExecHook,
  Schedule,
  ScheduleSpec,
  ScheduleStatus,
  SchedulePhase,
  BackupStorageLocation,
  BackupStorageLocationSpec,
  BackupStorageLocationStatus,
  BackupStorageLocationAccessMode,
  VolumeSnapshotLocation,
  VolumeSnapshotLocationSpec,
  DownloadRequest,
  DownloadTargetKind,
  DeleteBackupRequest,
  ServerStatusRequest,
  PluginInfo,
  PodVolumeBackup,
  PodVolumeOperationPhase,
  BackupRepository,
} from "./api/v1/types.js";
export type {
  ObjectMeta,
  OwnerReference,
  ManagedFieldsEntry,
  LabelSelector,
  LabelSelectorRequirement,
  SecretKeySelector,
  TypedLocalObjectReference,
} from "./api/v1/meta.js";
export { VELERO_GROUP, VELERO_VERSION, VELERO_API_VERSION } from "./api/v1/types.js";
export { LABELS, ANNOTATIONS, BACKUP_FORMAT_VERSION, MAX_LABEL_VALUE_LENGTH } from "./api/v1/labels.js";
export type {
  ResourceSelector,
  ResourceSelectorInit,
  ResourceIdentifier,
  OperationProgress,
  ObjectStore,
  VolumeSnapshotter,
  CreateVolumeFromSnapshotInput,
  VolumeInfo,
  BackupItemAction,
  BackupItemActionOutput,
  BackupItemActionV2,
  BackupItemActionV2Output,
  RestoreItemAction,
  RestoreItemActionInput,
  RestoreItemActionOutput,
  RestoreItemActionV2,
  RestoreItemActionV2Output,
  DeleteItemAction,
  ItemBlockAction,
  PluginKindMap,
} from "./contract/plugins.js";
export { emptyResourceSelector, resourceSelectorOf } from "./contract/plugins.js";
export { fromLabelSelector, formatLabelSelector, LABEL_KEY, LABEL_VALUE, labelSelectorError, MATCH_EVERYTHING, parseLabelSelector } from "./contract/labels.js";
export type { LabelMatcher } from "./contract/labels.js";
export { getPluginConfig, pluginConfigLabelSelector, veleroServerFlags } from "./contract/server-flags.js";
export type { PluginConfigMap, VeleroServerFlags } from "./contract/server-flags.js";
export { HOST_OBJECT_STORE_CONFIG_KEYS, validateObjectStoreConfigKeys, validateVolumeSnapshotterConfigKeys } from "./contract/config-keys.js";
export { PLUGIN_KINDS, PLUGIN_LISTING_ORDER, VELERO_BUILTIN_PLUGINS, comparePluginListing, isPluginKind, validatePluginName, qualifyPluginName, veleroBuiltinClash } from "./contract/kinds.js";
export type { PluginKind } from "./contract/kinds.js";
export {
  VeleroError,
  isVeleroError,
  ValidationError,
  NotFoundError,
  UnsupportedError,
  saysNotFound,
  PluginError,
  PluginUnavailableError,
  PluginTimeoutError,
  PluginProtocolError,
  getErrorMessage,
  redactUrlPasswords,
} from "./contract/errors.js";
export type { ValidationIssue, PluginErrorReason, RemoteStackFrame } from "./contract/errors.js";
export { serve, PluginServerBuilder, resolvePluginCommand, PLUGIN_COMMAND_ENV, PLUGIN_NETWORK_ENV } from "./serve.js";
export type { ServeOptions, RunningPlugin, PluginFactory, PluginFactoryContext } from "./serve.js";
export { createPluginLogger, createNoopPluginLogger, credentialRedactPaths, withChildBindings } from "./logger.js";
export { CREDENTIAL_FIELDS, isCredentialField, REDACTED, redactCredentials, redactCredentialText } from "./redact.js";
export type { PluginLogger, PluginLogLevel, PluginLoggerOptions } from "./logger.js";
export { jsonSyntaxMessage, parseJson, parseLosslessJson, stringifyLosslessJson } from "./transport/json.js";
