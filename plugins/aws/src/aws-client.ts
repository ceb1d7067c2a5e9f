/**
 * Client configuration shared by the S3 and EC2 adapters: where credentials come from and how TLS
 * is verified, following velero-plugin-for-aws's config builder.
 */
import { readFileSync } from "node:fs";
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { getCACertificates, rootCertificates } from "node:tls";
import { fromIni } from "@aws-sdk/credential-provider-ini";
import { loadSharedConfigFiles } from "@smithy/core/config";
import { VeleroError, getErrorMessage } from "@velero-ts/plugin-sdk";
import type { CredentialSource } from "./config.js";
import { describeCredentials } from "./errors.js";

/** A TCP connect that takes longer than this fails, so an unreachable endpoint errors promptly. */
export const CONNECTION_TIMEOUT_MS = 10_000;

/**
 * A request whose socket carries nothing for this long fails (TimeoutError, which the SDK retries,
 * 3 tries in all), so an endpoint that accepts the connection and then stops answering (a stalled
 * proxy, a black-holed route) fails the call instead of hanging it for ever, as the Go plugin's
 * does. Generous: S3 answers a part upload or a CompleteMultipartUpload well within it.
 */
export const SOCKET_IDLE_TIMEOUT_MS = 60_000;

export interface TlsOptions {
  insecureSkipTLSVerify: boolean;
  /** PEM added to the system roots (BSL caCert / caCertRef). */
  caCert?: string | undefined;
}

/** The part of an SDK client config that depends on credentials, TLS and proxies. */
export interface AwsClientBaseConfig {
  credentials?: ReturnType<typeof fromIni>;
  profile?: string;
  requestHandler: { connectionTimeout: number; socketTimeout: number; httpAgent: HttpAgent; httpsAgent: HttpsAgent };
}

/**
 * The certificates a TLS connection to AWS or an S3-compatible store is verified against, as the
 * Go plugin's: the system's trust store (which honours SSL_CERT_FILE and SSL_CERT_DIR), the file
 * AWS_CA_BUNDLE names, and the location's caCert; plus Node's bundled roots, so a container image
 * without a system store still reaches AWS.
 */
export function trustedCertificates(caCert: string | undefined, env: NodeJS.ProcessEnv = process.env): string[] {
  const certs = new Set<string>(rootCertificates);
  for (const c of getCACertificates("system")) certs.add(c);
  const bundle = env["AWS_CA_BUNDLE"];
  if (bundle) {
    try {
      certs.add(readFileSync(bundle, "utf8"));
    } catch (error) {
      throw new VeleroError("VELERO_AWS_CA_BUNDLE", `cannot read AWS_CA_BUNDLE ${bundle}: ${getErrorMessage(error)} (fix the path or unset the variable)`, { cause: error });
    }
  }
  if (caCert) certs.add(caCert);
  return [...certs];
}

/**
 * The HTTP(S) agents of every S3, EC2 and STS request: through the proxy HTTP_PROXY / HTTPS_PROXY
 * name (not for NO_PROXY hosts), as Go's default transport does (Velero's proxy documentation
 * tells users to set them on the Deployment); verified against trustedCertificates.
 */
export function awsRequestHandler(
  tls?: TlsOptions,
  env: NodeJS.ProcessEnv = process.env,
  socketTimeoutMs: number = SOCKET_IDLE_TIMEOUT_MS,
): AwsClientBaseConfig["requestHandler"] {
  return {
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    socketTimeout: socketTimeoutMs,
    httpAgent: new HttpAgent({ keepAlive: true, proxyEnv: env }),
    httpsAgent: new HttpsAgent({
      keepAlive: true,
      proxyEnv: env,
      rejectUnauthorized: !tls?.insecureSkipTLSVerify,
      ca: trustedCertificates(tls?.caCert, env),
    }),
  };
}

/**
 * Credentials: a credentials file (the location's credentialsFile, else AWS_SHARED_CREDENTIALS_FILE)
 * read as both credentials and shared config file, with `profile`; otherwise the SDK's default chain
 * with `profile`. Like the Go plugin, credentials from a file are loaded eagerly so that a missing
 * file or profile fails Init with a clear message rather than the first request.
 */
export async function awsClientBaseConfig(source: CredentialSource, tls?: TlsOptions, env: NodeJS.ProcessEnv = process.env): Promise<AwsClientBaseConfig> {
  const requestHandler = awsRequestHandler(tls, env);
  // As the Go SDK's chain: with no profile named in the config (AWS_PROFILE does not count), access keys in the
  // environment come before any credentials file
  const envKeysFirst = !source.profile && !!env["AWS_ACCESS_KEY_ID"] && !!env["AWS_SECRET_ACCESS_KEY"];
  if (!source.credentialsFile || envKeysFirst) {
    return { requestHandler, ...(source.profile ? { profile: source.profile } : {}) };
  }
  const credentials = fromIni({
    filepath: source.credentialsFile,
    configFilepath: source.credentialsFile,
    ignoreCache: true,
    // a profile that assumes a role asks STS through the same proxy and trust store
    clientConfig: { requestHandler },
    ...(source.profile ? { profile: source.profile } : {}),
  });
  try {
    await credentials();
  } catch (error) {
    throw new VeleroError(
      "VELERO_AWS_CREDENTIALS",
      `failed to load AWS credentials (${describeCredentials(source)}): ${getErrorMessage(error)}`,
      { cause: error },
    );
  }
  return { requestHandler, credentials, ...(source.profile ? { profile: source.profile } : {}) };
}

/**
 * The `region` of the profile in use (`profile`, else AWS_PROFILE, else "default"): from the
 * location's credentials file read as both config and credentials file, as the Go plugin loads
 * it, else from the default shared files (AWS_CONFIG_FILE, ~/.aws/config). The Go SDK signs with
 * it when the config has no region and an s3Url skips region detection.
 */
export async function profileRegion(source: CredentialSource, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const profile = source.profile ?? env["AWS_PROFILE"] ?? "default";
  const files = await loadSharedConfigFiles(source.credentialsFile ? { filepath: source.credentialsFile, configFilepath: source.credentialsFile, ignoreCache: true } : { ignoreCache: true });
  const region = files.configFile[profile]?.["region"] ?? files.credentialsFile[profile]?.["region"];
  return region || undefined;
}

/** The endpoint the SDK takes from AWS_ENDPOINT_URL_<SERVICE> / AWS_ENDPOINT_URL, if any. */
export function configuredEndpoint(service: "S3" | "EC2", env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env[`AWS_ENDPOINT_URL_${service}`] || env["AWS_ENDPOINT_URL"] || undefined;
}
