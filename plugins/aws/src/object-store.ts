/**
 * `velero.io/aws` ObjectStore: S3 and S3-compatible stores, configured with the keys of
 * velero-plugin-for-aws (see config.ts).
 */
import { readFile } from "node:fs/promises";
import type { Readable } from "node:stream";
import type { GetObjectCommandInput } from "@aws-sdk/client-s3";
import { createNoopPluginLogger, NotFoundError, ValidationError, VeleroError, type ObjectStore, type PluginLogger } from "@velero-ts/plugin-sdk";
import { OBJECT_STORE_CONFIG_KEYS, parseObjectStoreConfig, type S3Settings } from "./config.js";
import { classifyAwsError, explainAwsError } from "./errors.js";
import { paced } from "./memory.js";
import { createAwsS3Api, type S3Api, type S3ApiFactory, type UploadParams } from "./s3-api.js";
import { readSecretInCluster, type SecretReader } from "./secret-reader.js";

/** SSE-C keys are AES-256 keys. */
export const CUSTOMER_KEY_BYTES = 32;
/** S3 refuses presigned URLs valid for longer than 7 days. */
export const MAX_SIGNED_URL_TTL_SECONDS = 7 * 24 * 60 * 60;

export interface S3ObjectStoreOptions {
  log?: PluginLogger;
  /** Builds the S3 port from settings; tests pass a fake. */
  createApi?: S3ApiFactory;
  /** Reads customerKeyEncryptionFile. */
  readKeyFile?: (path: string) => Promise<Buffer>;
  /** Reads customerKeyEncryptionSecret. */
  readSecret?: SecretReader;
  env?: NodeJS.ProcessEnv;
}

interface Configured {
  api: S3Api;
  settings: S3Settings;
  /** base64 of the 32-byte SSE-C key, when SSE-C is configured. */
  customerKey?: string;
}

export class S3ObjectStore implements ObjectStore {
  readonly #log: PluginLogger;
  readonly #createApi: S3ApiFactory;
  readonly #readKeyFile: (path: string) => Promise<Buffer>;
  readonly #readSecret: SecretReader;
  readonly #env: NodeJS.ProcessEnv;
  #state: Configured | undefined;

  constructor(options: S3ObjectStoreOptions = {}) {
    this.#log = options.log ?? createNoopPluginLogger();
    this.#createApi = options.createApi ?? createAwsS3Api;
    this.#readKeyFile = options.readKeyFile ?? ((path) => readFile(path));
    this.#readSecret = options.readSecret ?? readSecretInCluster;
    this.#env = options.env ?? process.env;
  }

  /**
   * (Re)configures the store. Velero may call Init several times on one instance (two locations
   * with this provider, or a restarted process); the last configuration wins. Requests already in
   * flight finish on the client they started with.
   */
  async init(config: Record<string, string>): Promise<void> {
    const settings = parseObjectStoreConfig(config, this.#env);
    const customerKey = await this.#loadCustomerKey(settings);
    if (settings.signatureVersion !== undefined && settings.signatureVersion !== "4") {
      this.#log.warn(
        { bucket: settings.bucket },
        `signatureVersion "${settings.signatureVersion}" is not supported; requests and signed URLs use signature version 4`,
      );
    }
    const api = await this.#createApi(settings, this.#log);
    this.#state = { api, settings, ...(customerKey ? { customerKey } : {}) };
    this.#log.debug(
      { bucket: settings.bucket, region: api.target.region, endpoint: api.target.endpoint ?? "aws" },
      "object store initialized",
    );
  }

  async putObject(bucket: string, key: string, body: Readable): Promise<void> {
    const { api, settings, customerKey } = this.#configured();
    const params: UploadParams = { Bucket: bucket, Key: key, Body: paced(body) };
    if (settings.tagging) params.Tagging = settings.tagging;
    if (settings.kmsKeyId) {
      params.ServerSideEncryption = "aws:kms";
      params.SSEKMSKeyId = settings.kmsKeyId;
    } else if (customerKey) {
      Object.assign(params, sseCustomerParams(customerKey));
    } else if (settings.serverSideEncryption) {
      params.ServerSideEncryption = settings.serverSideEncryption as UploadParams["ServerSideEncryption"];
    }
    if (settings.checksumAlgorithm !== "") params.ChecksumAlgorithm = settings.checksumAlgorithm;
    try {
      await api.upload(params);
    } catch (error) {
      body.destroy();
      throw this.#wrap(error, `failed to put object "${key}" in bucket "${bucket}"`, bucket);
    }
  }

  async objectExists(bucket: string, key: string): Promise<boolean> {
    const { api, customerKey } = this.#configured();
    try {
      await api.headObject({ Bucket: bucket, Key: key, ...(customerKey ? sseCustomerParams(customerKey) : {}) });
      return true;
    } catch (error) {
      if (classifyAwsError(error).kind === "not-found") return false;
      throw this.#wrap(error, `failed to check whether object "${key}" exists in bucket "${bucket}"`, bucket);
    }
  }

  async getObject(bucket: string, key: string): Promise<Readable> {
    const { api, customerKey } = this.#configured();
    const params: GetObjectCommandInput = { Bucket: bucket, Key: key, ...(customerKey ? sseCustomerParams(customerKey) : {}) };
    try {
      return paced(await api.getObject(params));
    } catch (error) {
      if (classifyAwsError(error).kind === "not-found") {
        throw new NotFoundError(`object "${key}" not found in bucket "${bucket}"`, { cause: error });
      }
      throw this.#wrap(error, `failed to get object "${key}" from bucket "${bucket}"`, bucket);
    }
  }

  async listCommonPrefixes(bucket: string, prefix: string, delimiter: string): Promise<string[]> {
    const prefixes: string[] = [];
    await this.#paginate(bucket, { Prefix: prefix, Delimiter: delimiter }, (page) => {
      for (const common of page.CommonPrefixes ?? []) if (common.Prefix !== undefined) prefixes.push(common.Prefix);
    }, `failed to list common prefixes under "${prefix}" in bucket "${bucket}"`);
    return prefixes;
  }

  /**
   * Every key under the prefix. Like the Go plugin, keys come back in reverse lexical order so that
   * deleting them in order removes objects before a store's "folder" placeholder object.
   */
  async listObjects(bucket: string, prefix: string): Promise<string[]> {
    const keys: string[] = [];
    await this.#paginate(bucket, { Prefix: prefix }, (page) => {
      for (const object of page.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key);
    }, `failed to list objects under "${prefix}" in bucket "${bucket}"`);
    return keys.sort().reverse();
  }

  async deleteObject(bucket: string, key: string): Promise<void> {
    const { api } = this.#configured();
    try {
      await api.deleteObject({ Bucket: bucket, Key: key });
    } catch (error) {
      if (classifyAwsError(error).kind === "not-found") return;
      throw this.#wrap(error, `failed to delete object "${key}" from bucket "${bucket}"`, bucket);
    }
  }

  /** A presigned GET URL valid for `ttlMs` (rounded up to whole seconds), against publicUrl if set. */
  async createSignedUrl(bucket: string, key: string, ttlMs: number): Promise<string> {
    const { api, customerKey } = this.#configured();
    const seconds = Math.max(1, Math.ceil(ttlMs / 1000));
    if (!Number.isFinite(seconds) || seconds > MAX_SIGNED_URL_TTL_SECONDS) {
      throw new ValidationError(
        `cannot sign a URL for object "${key}" valid for ${ttlMs} ms: S3 allows at most ${MAX_SIGNED_URL_TTL_SECONDS} seconds (7 days)`,
        [{ path: "ttl", reason: "longer than 7 days" }],
      );
    }
    try {
      // as the Go plugin, an SSE-C location signs its key's headers into the URL
      return await api.presignGetObject({ Bucket: bucket, Key: key, ...(customerKey ? sseCustomerParams(customerKey) : {}) }, seconds);
    } catch (error) {
      throw this.#wrap(error, `failed to sign a URL for object "${key}" in bucket "${bucket}"`, bucket);
    }
  }

  async #paginate(
    bucket: string,
    query: { Prefix: string; Delimiter?: string },
    onPage: (page: Awaited<ReturnType<S3Api["listObjectsV2"]>>) => void,
    what: string,
  ): Promise<void> {
    const { api } = this.#configured();
    let token: string | undefined;
    do {
      let page: Awaited<ReturnType<S3Api["listObjectsV2"]>>;
      try {
        page = await api.listObjectsV2({ Bucket: bucket, ...query, ...(token ? { ContinuationToken: token } : {}) });
      } catch (error) {
        throw this.#wrap(error, what, bucket);
      }
      onPage(page);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  #configured(): Configured {
    if (!this.#state) {
      throw new VeleroError("VELERO_NOT_INITIALIZED", 'object store "velero.io/aws" is not initialized: call Init first');
    }
    return this.#state;
  }

  /** `<what> (endpoint "...", region "..."): <explanation>`, with the SDK error as cause. */
  #wrap(error: unknown, what: string, bucket: string): VeleroError {
    const { api, settings } = this.#configured();
    const target = {
      ...api.target,
      bucket,
      ...(settings.profile ? { profile: settings.profile } : {}),
      ...(settings.credentialsFile ? { credentialsFile: settings.credentialsFile } : {}),
    };
    const where = `${target.endpoint ? `endpoint "${target.endpoint}"` : "AWS S3"}, region "${target.region}"`;
    return new VeleroError("VELERO_OBJECT_STORE", `${what} (${where}): ${explainAwsError(error, target)}`, { cause: error });
  }

  async #loadCustomerKey(settings: S3Settings): Promise<string | undefined> {
    const K = OBJECT_STORE_CONFIG_KEYS;
    if (settings.customerKeyEncryptionFile) {
      const path = settings.customerKeyEncryptionFile;
      let bytes: Buffer;
      try {
        bytes = await this.#readKeyFile(path);
      } catch (error) {
        throw new ValidationError(`could not read ${K.customerKeyEncryptionFile} "${path}": ${(error as Error).message}`, [
          { path: `config.${K.customerKeyEncryptionFile}`, reason: "unreadable" },
        ], { cause: error });
      }
      // The Go plugin uses the first 32 bytes of the file.
      if (bytes.length < CUSTOMER_KEY_BYTES) {
        throw new ValidationError(`contents of ${K.customerKeyEncryptionFile} "${path}" are not exactly ${CUSTOMER_KEY_BYTES} bytes`, [
          { path: `config.${K.customerKeyEncryptionFile}`, reason: `shorter than ${CUSTOMER_KEY_BYTES} bytes` },
        ]);
      }
      return bytes.subarray(0, CUSTOMER_KEY_BYTES).toString("base64");
    }
    if (settings.customerKeyEncryptionSecret) {
      const [name = "", key = ""] = settings.customerKeyEncryptionSecret.split("/");
      const namespace = this.#env["VELERO_NAMESPACE"];
      if (!namespace) {
        throw new ValidationError(`${K.customerKeyEncryptionSecret} needs the VELERO_NAMESPACE environment variable, which is not set`);
      }
      const bytes = await this.#readSecret(namespace, name, key);
      if (bytes.length !== CUSTOMER_KEY_BYTES) {
        throw new ValidationError(
          `customer key from secret ${namespace}/${name}/${key} must be exactly ${CUSTOMER_KEY_BYTES} bytes, got ${bytes.length} bytes`,
          [{ path: `config.${K.customerKeyEncryptionSecret}`, reason: "wrong key length" }],
        );
      }
      return bytes.toString("base64");
    }
    return undefined;
  }
}

/** SSE-C request parameters; the SDK adds the key's MD5. */
function sseCustomerParams(customerKey: string): { SSECustomerAlgorithm: string; SSECustomerKey: string } {
  return { SSECustomerAlgorithm: "AES256", SSECustomerKey: customerKey };
}
