/**
 * Client configuration shared by the S3 and EC2 adapters: where credentials come from and how TLS
 * is verified, following velero-plugin-for-aws's config builder.
 */
import { Agent as HttpsAgent } from "node:https";
import { rootCertificates } from "node:tls";
import { fromIni } from "@aws-sdk/credential-provider-ini";
import { VeleroError, getErrorMessage } from "@velero-ts/plugin-sdk";
import type { CredentialSource } from "./config.js";
import { describeCredentials } from "./errors.js";

/** A TCP connect that takes longer than this fails, so an unreachable endpoint errors promptly. */
export const CONNECTION_TIMEOUT_MS = 10_000;

export interface TlsOptions {
  insecureSkipTLSVerify: boolean;
  /** PEM added to the system roots (BSL caCert / caCertRef). */
  caCert?: string | undefined;
}

/** The part of an SDK client config that depends on credentials and TLS. */
export interface AwsClientBaseConfig {
  credentials?: ReturnType<typeof fromIni>;
  profile?: string;
  requestHandler: { connectionTimeout: number; httpsAgent?: HttpsAgent };
}

/**
 * Credentials: a credentials file (the location's credentialsFile, else AWS_SHARED_CREDENTIALS_FILE)
 * read as both credentials and shared config file, with `profile`; otherwise the SDK's default chain
 * with `profile`. Like the Go plugin, credentials from a file are loaded eagerly so that a missing
 * file or profile fails Init with a clear message rather than the first request.
 */
export async function awsClientBaseConfig(source: CredentialSource, tls?: TlsOptions): Promise<AwsClientBaseConfig> {
  const requestHandler: AwsClientBaseConfig["requestHandler"] = { connectionTimeout: CONNECTION_TIMEOUT_MS };
  if (tls && (tls.insecureSkipTLSVerify || tls.caCert)) {
    requestHandler.httpsAgent = new HttpsAgent({
      keepAlive: true,
      rejectUnauthorized: !tls.insecureSkipTLSVerify,
      ...(tls.caCert ? { ca: [...rootCertificates, tls.caCert] } : {}),
    });
  }
  if (!source.credentialsFile) {
    return { requestHandler, ...(source.profile ? { profile: source.profile } : {}) };
  }
  const credentials = fromIni({
    filepath: source.credentialsFile,
    configFilepath: source.credentialsFile,
    ignoreCache: true,
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

/** The endpoint the SDK takes from AWS_ENDPOINT_URL_<SERVICE> / AWS_ENDPOINT_URL, if any. */
export function configuredEndpoint(service: "S3" | "EC2", env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env[`AWS_ENDPOINT_URL_${service}`] || env["AWS_ENDPOINT_URL"] || undefined;
}
