/**
 * Opens the BackupStore of a BackupStorageLocation: Init config as Velero builds it (location
 * config + bucket + prefix + caCert + credentialsFile, nothing else), then an ObjectBackupStore.
 */
import { getErrorMessage, type BackupStorageLocation, type ObjectStore } from "@velero-ts/plugin-sdk";
import type { PluginManager } from "../plugins/manager.js";
import type { Logger } from "../shared/logging.js";
import type { BackupStore } from "./backup-store.js";
import type { CredentialFileStore } from "./credentials.js";
import { ObjectBackupStore } from "./object-backup-store.js";

export interface OpenBackupStoreOptions {
  /**
   * The location is being validated for the first time: its provider's firstValidationConfig is
   * added (velero.io/filesystem creates its bucket directory then, never later: a missing one
   * then means an unmounted volume).
   */
  firstValidation?: boolean;
  /**
   * The plugin manager to open the object store through instead of the getter's: a backup's or
   * restore's view (PluginManager.withLog), so what the plugin logs during the upload or
   * download lands in that operation's log, as with Velero's per-operation plugin managers.
   */
  plugins?: Pick<PluginManager, "getObjectStore">;
}

export type BackupStoreGetter = (location: BackupStorageLocation, options?: OpenBackupStoreOptions) => Promise<BackupStore>;

export interface ObjectStoreConfig {
  bucket: string;
  prefix: string;
  config: Record<string, string>;
}

/** Builds the ObjectStore Init config of a location; throws on an invalid bucket. */
export async function objectStoreConfigFor(location: BackupStorageLocation, credentials: CredentialFileStore): Promise<ObjectStoreConfig> {
  const name = location.metadata.name ?? "";
  const spec = location.spec;
  if (!spec?.objectStorage) throw new Error(`backup storage location "${name}" does not use object storage`);
  if (!spec.provider) throw new Error("object storage provider name must not be empty");
  const bucket = spec.objectStorage.bucket.replace(/^\/+|\/+$/g, "");
  const prefix = (spec.objectStorage.prefix ?? "").replace(/^\/+|\/+$/g, "");
  if (bucket.includes("/") && !bucket.startsWith("arn:aws:s3:")) {
    throw new Error(
      `backup storage location's bucket name "${spec.objectStorage.bucket}" must not contain a '/' (if using a prefix, put it in the 'Prefix' field instead)`,
    );
  }
  const config: Record<string, string> = { ...(spec.config ?? {}), bucket, prefix };
  // Velero's words around these errors (a location's status message and a backup's reason)
  if (spec.objectStorage.caCertRef) {
    const ref = spec.objectStorage.caCertRef;
    config.caCert = (await wrapError("error getting CA certificate from secret", () => credentials.secretValue(ref))).toString("utf8");
  } else if (spec.objectStorage.caCert) {
    config.caCert = Buffer.from(spec.objectStorage.caCert, "base64").toString("utf8");
  }
  const credential = spec.credential;
  if (credential) config.credentialsFile = await wrapError("unable to get credentials", () => credentials.path(credential));
  return { bucket, prefix, config };
}

export interface BackupStoreGetterOptions {
  plugins: Pick<PluginManager, "getObjectStore">;
  /** Init config added, per provider, when a location is validated for the first time. */
  firstValidationConfig?: Record<string, Record<string, string>>;
  credentials: CredentialFileStore;
  logger: Logger;
}

export function createBackupStoreGetter(options: BackupStoreGetterOptions): BackupStoreGetter {
  return async (location, open = {}) => {
    const { bucket, prefix, config } = await objectStoreConfigFor(location, options.credentials);
    if (open.firstValidation) Object.assign(config, options.firstValidationConfig?.[location.spec.provider]);
    const objectStore: ObjectStore = await (open.plugins ?? options.plugins).getObjectStore(location.spec.provider, config);
    return new ObjectBackupStore({ objectStore, bucket, prefix, logger: options.logger.child({ bucket, prefix }) });
  };
}

/** Runs fn; a failure is rethrown as `<context>: <its message>` (Go's errors.Wrap), keeping the original as cause. */
async function wrapError<T>(context: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new Error(`${context}: ${getErrorMessage(err)}`, { cause: err });
  }
}
