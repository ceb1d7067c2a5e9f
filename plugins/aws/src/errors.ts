/**
 * Turns AWS SDK failures into messages an operator can act on. Messages name the bucket, key,
 * region and endpoint involved, never credentials.
 */
import { getErrorMessage } from "@velero-ts/plugin-sdk";

/** Where a request went; used to name the target in error messages. */
export interface AwsTarget {
  service: "S3" | "EC2";
  region: string;
  /** A custom endpoint (s3Url, AWS_ENDPOINT_URL_*); undefined = the AWS default for the region. */
  endpoint?: string;
  bucket?: string;
  profile?: string;
  credentialsFile?: string;
}

/** What went wrong, in the categories the plugin reports differently. */
export type AwsFailureKind =
  | "not-found"
  | "no-such-bucket"
  | "access-denied"
  | "wrong-region"
  | "unreachable"
  | "no-credentials"
  | "other";

export interface AwsFailure {
  kind: AwsFailureKind;
  /** The AWS error code ("AccessDenied") or network code ("ECONNREFUSED"), when known. */
  code?: string;
  /** The region S3 says the bucket is in, when it says so. */
  bucketRegion?: string;
}

const ACCESS_DENIED_CODES = new Set([
  "AccessDenied",
  "Forbidden",
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "InvalidToken",
  "InvalidClientTokenId",
  "AuthFailure",
  "UnauthorizedOperation",
  "AccountProblem",
]);
const WRONG_REGION_CODES = new Set(["PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException"]);
const NOT_FOUND_CODES = new Set(["NoSuchKey", "NotFound", "InvalidSnapshot.NotFound", "InvalidVolume.NotFound"]);
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "ECONNRESET",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "TimeoutError",
  "RequestTimeout",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_SOCKET",
  "CERT_HAS_EXPIRED",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $response?: { headers?: Record<string, unknown> };
  cause?: unknown;
}

/** Classifies an error thrown by an AWS SDK client or the network below it. */
export function classifyAwsError(error: unknown): AwsFailure {
  const shape = (typeof error === "object" && error !== null ? error : {}) as SdkErrorShape;
  const code = errorCode(shape);
  const status = typeof shape.$metadata?.httpStatusCode === "number" ? shape.$metadata.httpStatusCode : undefined;
  const bucketRegion = headerValue(shape, "x-amz-bucket-region");
  const withCode = code === undefined ? {} : { code };

  if (shape.name === "CredentialsProviderError") return { kind: "no-credentials", ...withCode };
  if (code === "NoSuchBucket") return { kind: "no-such-bucket", ...withCode };
  if (code !== undefined && UNREACHABLE_CODES.has(code)) return { kind: "unreachable", ...withCode };
  if ((code !== undefined && WRONG_REGION_CODES.has(code)) || status === 301) {
    return { kind: "wrong-region", ...withCode, ...(bucketRegion ? { bucketRegion } : {}) };
  }
  if ((code !== undefined && ACCESS_DENIED_CODES.has(code)) || status === 403) return { kind: "access-denied", ...withCode };
  if ((code !== undefined && NOT_FOUND_CODES.has(code)) || status === 404) return { kind: "not-found", ...withCode };
  return { kind: "other", ...withCode };
}

/**
 * One line explaining the failure and the fix, e.g.
 * `access denied (AccessDenied): Access Denied; check the credentials (profile "default", file "/credentials/cloud")`.
 */
export function explainAwsError(error: unknown, target: AwsTarget): string {
  const failure = classifyAwsError(error);
  const detail = sdkMessage(error, failure.code);
  const code = failure.code ? ` (${failure.code})` : "";
  switch (failure.kind) {
    case "no-such-bucket":
      return `bucket "${target.bucket ?? "?"}" does not exist${code}; create it or fix spec.objectStorage.bucket`;
    case "access-denied":
      return `access denied${code}: ${detail}; check the credentials (${describeCredentials(target)}) and their permissions${
        target.bucket ? ` on bucket "${target.bucket}"` : ""
      }`;
    case "wrong-region":
      return `wrong region${code}: the request used region "${target.region}"${
        failure.bucketRegion ? ` but bucket "${target.bucket ?? "?"}" is in "${failure.bucketRegion}"` : ""
      }; set config region to the ${target.service === "S3" ? "bucket's" : "volumes'"} region`;
    case "unreachable":
      return `endpoint ${describeEndpoint(target)} is unreachable${code}: ${detail}; check ${
        target.service === "S3" ? "s3Url" : "AWS_ENDPOINT_URL_EC2"
      }, the network and TLS settings`;
    case "no-credentials":
      return `no usable AWS credentials (${describeCredentials(target)}): ${detail}`;
    case "not-found":
      return `not found${code}: ${detail}`;
    case "other":
      return `${detail}${code}`;
  }
}

/** `"http://host:port"` or `the AWS S3 endpoint of region "x"`. */
export function describeEndpoint(target: AwsTarget): string {
  return target.endpoint ? `"${target.endpoint}"` : `of AWS ${target.service} in region "${target.region}"`;
}

/** A description of where the credentials come from; never the credentials themselves. */
export function describeCredentials(target: Pick<AwsTarget, "profile" | "credentialsFile">): string {
  const profile = `profile "${target.profile ?? "default"}"`;
  return target.credentialsFile ? `${profile} in file "${target.credentialsFile}"` : `${profile}, default credential chain`;
}

function errorCode(shape: SdkErrorShape): string | undefined {
  for (const candidate of [shape.Code, shape.code, shape.name]) {
    if (typeof candidate === "string" && candidate !== "" && candidate !== "Error" && candidate !== "AggregateError") {
      return candidate;
    }
  }
  // Node's fetch/undici and AggregateError wrap the socket error.
  if (typeof shape.cause === "object" && shape.cause !== null) return errorCode(shape.cause as SdkErrorShape);
  const nested = (shape as { errors?: unknown }).errors;
  if (Array.isArray(nested) && typeof nested[0] === "object" && nested[0] !== null) {
    return errorCode(nested[0] as SdkErrorShape);
  }
  return undefined;
}

function headerValue(shape: SdkErrorShape, name: string): string | undefined {
  const headers = shape.$response?.headers;
  if (!headers) return undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name && typeof value === "string" && value !== "") return value;
  }
  return undefined;
}

function sdkMessage(error: unknown, code: string | undefined): string {
  const message = getErrorMessage(error).trim();
  // The SDK's fallback message for bodiless errors (HEAD requests) is "UnknownError"/the code itself.
  if (message === "" || message === code || message === "UnknownError") return code ?? "unknown error";
  return message;
}

/** The `x-amz-bucket-region` header of a failed S3 request's reply, whatever its status. */
export function bucketRegionHeader(error: unknown): string | undefined {
  return headerValue((typeof error === "object" && error !== null ? error : {}) as SdkErrorShape, "x-amz-bucket-region");
}
