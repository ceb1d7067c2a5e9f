/**
 * Configuration keys and their validation, spelled exactly as velero-plugin-for-aws spells them so
 * that existing BackupStorageLocation and VolumeSnapshotLocation objects work unchanged. Unknown keys
 * fail Init, as in the Go plugin (Velero's host never adds keys beyond bucket/prefix/caCert/
 * credentialsFile).
 */
import { redactUrlPasswords, ValidationError, type ValidationIssue } from "@velero-ts/plugin-sdk";

/** BackupStorageLocation `spec.config` keys the object store accepts. */
export const OBJECT_STORE_CONFIG_KEYS = {
  region: "region",
  s3Url: "s3Url",
  publicUrl: "publicUrl",
  kmsKeyId: "kmsKeyId",
  customerKeyEncryptionFile: "customerKeyEncryptionFile",
  customerKeyEncryptionSecret: "customerKeyEncryptionSecret",
  s3ForcePathStyle: "s3ForcePathStyle",
  signatureVersion: "signatureVersion",
  credentialsFile: "credentialsFile",
  profile: "profile",
  serverSideEncryption: "serverSideEncryption",
  insecureSkipTLSVerify: "insecureSkipTLSVerify",
  enableSharedConfig: "enableSharedConfig",
  tagging: "tagging",
  checksumAlgorithm: "checksumAlgorithm",
} as const;

/** Keys Velero's host adds to every object store config itself (always valid). */
export const HOST_OBJECT_STORE_CONFIG_KEYS = {
  bucket: "bucket",
  prefix: "prefix",
  caCert: "caCert",
} as const;

/** VolumeSnapshotLocation `spec.config` keys the volume snapshotter accepts. */
export const VOLUME_SNAPSHOTTER_CONFIG_KEYS = {
  region: "region",
  profile: "profile",
  credentialsFile: "credentialsFile",
  enableSharedConfig: "enableSharedConfig",
  ebsKmsKeyId: "ebsKmsKeyId",
} as const;

/** Checksum algorithms the object store accepts (the Go plugin's list); "" disables checksums. */
export const CHECKSUM_ALGORITHMS = ["CRC32", "CRC32C", "SHA1", "SHA256", "CRC64NVME"] as const;
export type ChecksumAlgorithmName = (typeof CHECKSUM_ALGORITHMS)[number];

/** The checksum the Go plugin uses when `checksumAlgorithm` is absent. */
export const DEFAULT_CHECKSUM_ALGORITHM: ChecksumAlgorithmName = "CRC32";

/** The environment variable Velero sets to the mounted cloud-credentials file. */
export const SHARED_CREDENTIALS_FILE_ENV = "AWS_SHARED_CREDENTIALS_FILE";

const S3_MAX_TAGS = 10;
const S3_MAX_TAG_KEY_LENGTH = 128;
const S3_MAX_TAG_VALUE_LENGTH = 256;

/** Where credentials come from; never holds secret material itself. */
export interface CredentialSource {
  /** Profile in the credentials file or the shared config; undefined = "default". */
  profile?: string;
  /** A shared credentials file (config key, else AWS_SHARED_CREDENTIALS_FILE); undefined = default chain. */
  credentialsFile?: string;
}

/** Object store settings parsed from an Init config. */
export interface S3Settings extends CredentialSource {
  bucket: string;
  prefix: string;
  /** Undefined: detect from the bucket (AWS) or fall back to the environment / us-east-1 (s3Url). */
  region?: string;
  s3Url?: string;
  publicUrl?: string;
  forcePathStyle: boolean;
  insecureSkipTLSVerify: boolean;
  caCert?: string;
  kmsKeyId?: string;
  serverSideEncryption?: string;
  customerKeyEncryptionFile?: string;
  customerKeyEncryptionSecret?: string;
  /** "" disables the SDK's default request checksums and response validation. */
  checksumAlgorithm: ChecksumAlgorithmName | "";
  /** URL-query-encoded tags ("k1=v1&k2=v2") applied to every uploaded object. */
  tagging?: string;
  signatureVersion?: string;
}

/** Volume snapshotter settings parsed from an Init config. */
export interface Ec2Settings extends CredentialSource {
  region: string;
  ebsKmsKeyId?: string;
}

/** Fails with the Go plugin's message when `config` has keys outside `validKeys`. */
export function validateConfigKeys(config: Record<string, string>, validKeys: readonly string[], what: string): void {
  const valid = new Set(validKeys);
  const invalid = Object.keys(config)
    .filter((key) => !valid.has(key))
    .sort();
  if (invalid.length === 0) return;
  throw new ValidationError(
    `${what} config has invalid keys [${invalid.join(" ")}]; valid keys are [${validKeys.join(" ")}]`,
    invalid.map((key) => ({ path: `config.${key}`, reason: "unknown key" })),
  );
}

/** Validates and parses an object store (BSL) Init config. */
export function parseObjectStoreConfig(config: Record<string, string>, env: NodeJS.ProcessEnv = process.env): S3Settings {
  const K = OBJECT_STORE_CONFIG_KEYS;
  validateConfigKeys(
    config,
    [...Object.values(K), ...Object.values(HOST_OBJECT_STORE_CONFIG_KEYS)],
    "object store \"velero.io/aws\"",
  );
  const issues: ValidationIssue[] = [];
  const value = (key: string): string | undefined => nonEmpty(config[key]);

  const settings: S3Settings = {
    bucket: config[HOST_OBJECT_STORE_CONFIG_KEYS.bucket] ?? "",
    prefix: config[HOST_OBJECT_STORE_CONFIG_KEYS.prefix] ?? "",
    forcePathStyle: parseBool(config, K.s3ForcePathStyle, issues),
    insecureSkipTLSVerify: parseBool(config, K.insecureSkipTLSVerify, issues),
    checksumAlgorithm: parseChecksumAlgorithm(config, issues),
    ...defined({
      region: value(K.region),
      s3Url: parseUrl(config, K.s3Url, issues),
      publicUrl: parseUrl(config, K.publicUrl, issues),
      caCert: value(HOST_OBJECT_STORE_CONFIG_KEYS.caCert),
      kmsKeyId: value(K.kmsKeyId),
      serverSideEncryption: value(K.serverSideEncryption),
      customerKeyEncryptionFile: value(K.customerKeyEncryptionFile),
      customerKeyEncryptionSecret: value(K.customerKeyEncryptionSecret),
      tagging: value(K.tagging),
      signatureVersion: value(K.signatureVersion),
      ...credentialSource(config, env),
    }),
  };

  const sseMethods = [K.kmsKeyId, K.customerKeyEncryptionFile, K.customerKeyEncryptionSecret].filter((key) => value(key));
  if (sseMethods.length > 1) {
    issues.push({
      path: `config.${sseMethods[1]}`,
      reason: `use only one of ${K.kmsKeyId}, ${K.customerKeyEncryptionFile} or ${K.customerKeyEncryptionSecret} (got ${sseMethods.join(", ")})`,
    });
  }
  if (settings.customerKeyEncryptionSecret !== undefined && settings.customerKeyEncryptionSecret.split("/").length !== 2) {
    issues.push({
      path: `config.${K.customerKeyEncryptionSecret}`,
      reason: `"${settings.customerKeyEncryptionSecret}" is not in the form secretName/key`,
    });
  }
  if (settings.tagging !== undefined) {
    const reason = checkTagging(settings.tagging);
    if (reason) issues.push({ path: `config.${K.tagging}`, reason });
  }
  throwIfIssues(issues, "object store \"velero.io/aws\"");
  return settings;
}

/** Validates and parses a volume snapshotter (VSL) Init config. */
export function parseVolumeSnapshotterConfig(
  config: Record<string, string>,
  env: NodeJS.ProcessEnv = process.env,
): Ec2Settings {
  const K = VOLUME_SNAPSHOTTER_CONFIG_KEYS;
  validateConfigKeys(config, Object.values(K), "volume snapshotter \"velero.io/aws\"");
  const region = nonEmpty(config[K.region]);
  if (region === undefined) {
    throw new ValidationError(
      `volume snapshotter "velero.io/aws": missing ${K.region} in the VolumeSnapshotLocation config; set spec.config.region to the volumes' AWS region`,
      [{ path: `config.${K.region}`, reason: "required" }],
    );
  }
  return { region, ...defined({ ebsKmsKeyId: nonEmpty(config[K.ebsKmsKeyId]), ...credentialSource(config, env) }) };
}

/**
 * Checks an S3 `tagging` value ("k1=v1&k2=v2"): at most 10 tags, each `key=value`, keys up to 128
 * and values up to 256 characters. Returns the problem, or undefined when it is valid. (Unlike the
 * Go plugin, a single tag without "&" is accepted: S3 accepts it.)
 */
export function checkTagging(tagging: string): string | undefined {
  const tags = tagging.split("&");
  if (tags.length > S3_MAX_TAGS) return `S3 allows at most ${S3_MAX_TAGS} tags per object, got ${tags.length}`;
  for (const tag of tags) {
    const parts = tag.split("=");
    if (parts.length !== 2 || parts[0] === "") return `"${tag}" is not key=value (separate tags with "&")`;
    const [key = "", val = ""] = parts.map(safeDecode);
    if ([...key].length > S3_MAX_TAG_KEY_LENGTH) return `tag key "${key}" is longer than ${S3_MAX_TAG_KEY_LENGTH} characters`;
    if ([...val].length > S3_MAX_TAG_VALUE_LENGTH) {
      return `value of tag "${key}" is longer than ${S3_MAX_TAG_VALUE_LENGTH} characters`;
    }
  }
  return undefined;
}

function credentialSource(config: Record<string, string>, env: NodeJS.ProcessEnv): CredentialSource {
  // Velero mounts the cloud-credentials secret and points AWS_SHARED_CREDENTIALS_FILE at it; a
  // per-location credential (spec.credential) arrives as the credentialsFile key and wins.
  const credentialsFile = nonEmpty(config["credentialsFile"]) ?? nonEmpty(env[SHARED_CREDENTIALS_FILE_ENV]);
  return defined({ profile: nonEmpty(config["profile"]), credentialsFile });
}

function parseChecksumAlgorithm(config: Record<string, string>, issues: ValidationIssue[]): ChecksumAlgorithmName | "" {
  const raw = config[OBJECT_STORE_CONFIG_KEYS.checksumAlgorithm];
  if (raw === undefined) return DEFAULT_CHECKSUM_ALGORITHM;
  if (raw === "" || (CHECKSUM_ALGORITHMS as readonly string[]).includes(raw)) return raw as ChecksumAlgorithmName | "";
  issues.push({
    path: `config.${OBJECT_STORE_CONFIG_KEYS.checksumAlgorithm}`,
    reason: `invalid checksum algorithm "${raw}"; use one of ${CHECKSUM_ALGORITHMS.join(", ")} or "" to disable checksums`,
  });
  return DEFAULT_CHECKSUM_ALGORITHM;
}

/** Go's strconv.ParseBool spellings; "" means false. */
const TRUE_VALUES = new Set(["1", "t", "T", "TRUE", "true", "True"]);
const FALSE_VALUES = new Set(["", "0", "f", "F", "FALSE", "false", "False"]);

function parseBool(config: Record<string, string>, key: string, issues: ValidationIssue[]): boolean {
  const raw = config[key] ?? "";
  if (TRUE_VALUES.has(raw)) return true;
  if (FALSE_VALUES.has(raw)) return false;
  issues.push({ path: `config.${key}`, reason: `could not parse "${raw}" (expected bool: true or false)` });
  return false;
}

function parseUrl(config: Record<string, string>, key: string, issues: ValidationIssue[]): string | undefined {
  const raw = nonEmpty(config[key]);
  if (raw === undefined) return undefined;
  let scheme: string | undefined;
  try {
    scheme = new URL(raw).protocol;
  } catch {
    scheme = undefined;
  }
  if (scheme !== "http:" && scheme !== "https:") {
    issues.push({ path: `config.${key}`, reason: `invalid URL "${redactUrlPasswords(raw)}": it must parse and start with http:// or https://` });
    return undefined;
  }
  return raw;
}

function throwIfIssues(issues: ValidationIssue[], what: string): void {
  if (issues.length === 0) return;
  const detail = issues.map((issue) => `${issue.path.replace(/^config\./, "")}: ${issue.reason}`).join("; ");
  throw new ValidationError(`${what}: invalid config: ${detail}`, issues);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, " "));
  } catch {
    return text;
  }
}

/** Drops undefined properties (exactOptionalPropertyTypes-friendly spreading). */
function defined<T extends Record<string, unknown>>(record: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
