/**
 * Config key checks with the semantics and words of Velero's Go plugin framework
 * (framework.ValidateObjectStoreConfigKeys / ValidateVolumeSnapshotterConfigKeys), for a plugin's
 * `init()`. What a host puts into the config besides the location's own `spec.config`:
 *  - object stores (Velero and velero-ts alike): always `bucket` and `prefix` (empty when the
 *    location has none); `caCert` when the location sets one (caCert or caCertRef); and
 *    `credentialsFile`, the path of a file holding the location's `spec.credential` Secret key, when
 *    it sets one;
 *  - volume snapshotters: `credentialsFile` when the VolumeSnapshotLocation sets `spec.credential`.
 * A store that refuses unknown keys must accept those, or every location using it is Unavailable.
 */
import { ValidationError } from "./errors.js";

/** The keys every host adds to an object store's config (Go's framework allows them without being told). */
export const HOST_OBJECT_STORE_CONFIG_KEYS: readonly string[] = ["bucket", "prefix", "caCert"];

/**
 * Throws a ValidationError ("config has invalid keys [a b]; valid keys are [...]", as Go's
 * framework says it) when `config` holds a key that is neither in `validKeys` nor one of
 * HOST_OBJECT_STORE_CONFIG_KEYS. List `credentialsFile` among `validKeys` if the store reads
 * per-location credentials.
 */
export function validateObjectStoreConfigKeys(config: Readonly<Record<string, string>>, ...validKeys: string[]): void {
  validateConfigKeys(config, [...validKeys, ...HOST_OBJECT_STORE_CONFIG_KEYS]);
}

/** As validateObjectStoreConfigKeys, with no key allowed unless listed (as Go's). */
export function validateVolumeSnapshotterConfigKeys(config: Readonly<Record<string, string>>, ...validKeys: string[]): void {
  validateConfigKeys(config, validKeys);
}

function validateConfigKeys(config: Readonly<Record<string, string>>, validKeys: string[]): void {
  const valid = new Set(validKeys);
  // (sorted: Go lists them in map order, which varies from run to run)
  const invalid = Object.keys(config)
    .filter((k) => !valid.has(k))
    .sort();
  if (invalid.length === 0) return;
  throw new ValidationError(
    `config has invalid keys [${invalid.join(" ")}]; valid keys are [${validKeys.join(" ")}]`,
    invalid.map((k) => ({ path: `config.${k}`, reason: "not a valid key" })),
  );
}
