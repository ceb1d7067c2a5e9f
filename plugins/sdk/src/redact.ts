/**
 * What the loggers (the plugin logger here, the host's text and JSON loggers) never write:
 *  - the value of a credential field, by name at any depth: matched without regard to case, `-`
 *    or `_` (`Authorization`, `x-amz-security-token`, `client_secret`), and a nested `key` (a
 *    private key; a top-level `key` is an object-store key);
 *  - credentials inside any string: the password of a URL (`http://user:xxxxx@host`, as Go's
 *    url.Redacted writes it) and the signing parameters of a presigned URL (S3's X-Amz-Signature,
 *    X-Amz-Credential, X-Amz-Security-Token; GCS's; an Azure SAS `sig`).
 */
import { redactUrlPasswords } from "./contract/errors.js";

/** Field names whose values are credentials (the loggers also match them case-insensitively, ignoring `-` and `_`). */
export const CREDENTIAL_FIELDS: readonly string[] = [
  "password",
  "passwd",
  "secretAccessKey",
  "aws_secret_access_key",
  "accessKey",
  "secretKey",
  "token",
  "accessToken",
  "refreshToken",
  "idToken",
  "sessionToken",
  "aws_session_token",
  "securityToken",
  "x-amz-security-token",
  "bearerToken",
  "credentials",
  "authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
  "clientSecret",
  "apiKey",
  "privateKey",
  "private_key",
  "connectionString",
  "sasToken",
  "accountKey",
  "storageAccountKey",
  "customerKey",
  "SSECustomerKey",
  "x-amz-server-side-encryption-customer-key",
  // (the AWS plugin's SSE-C key file: a path, kept out of logs as the key is)
  "customerKeyEncryptionFile",
];

export const REDACTED = "[redacted]";

const normalise = (name: string): string => name.toLowerCase().replace(/[-_]/g, "");
const CREDENTIAL_NAMES = new Set(CREDENTIAL_FIELDS.map(normalise));
/** Decisions per field name (names come from code: a small set). */
const decided = new Map<string, boolean>();

/** Whether a field called `name` holds a credential (CREDENTIAL_FIELDS, any case, `-`/`_` ignored). */
export function isCredentialField(name: string): boolean {
  let credential = decided.get(name);
  if (credential === undefined) {
    credential = CREDENTIAL_NAMES.has(normalise(name));
    if (decided.size < 10_000) decided.set(name, credential);
  }
  return credential;
}

const SIGNED_URL_PARAMS = /([?&](?:X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|X-Goog-Signature|X-Goog-Credential|Signature|AWSAccessKeyId|GoogleAccessId|sig)=)[^&\s"'<>]+/gi;

/**
 * `text` with the password of every URL in it and the signing parameters of presigned URLs
 * replaced; `text` itself (the same string) when it holds neither.
 */
export function redactCredentialText(text: string): string {
  const url = text.includes("://");
  if (!url && !text.includes("=")) return text;
  const signed = text.replace(SIGNED_URL_PARAMS, `$1${REDACTED}`);
  return url ? redactUrlPasswords(signed) : signed;
}

const MAX_DEPTH = 10;

/**
 * `value` with credential fields (any depth; a nested `key`) and credentials in strings redacted:
 * the same value when nothing needed it, otherwise a copy of the parts that changed. Plain
 * objects and arrays are walked; other objects (Dates, Buffers, class instances) are kept.
 */
export function redactCredentials<T>(value: T): T {
  return walk(value, 0) as T;
}

function walk(value: unknown, depth: number): unknown {
  if (typeof value === "string") return redactCredentialText(value);
  if (typeof value !== "object" || value === null || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      const r = walk(v, depth + 1);
      if (r !== v) (out ??= value.slice())[i] = r;
    }
    return out ?? value;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const obj = value as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  for (const k of Object.keys(obj)) {
    const v = obj[k];
    const r = isCredentialField(k) || (k === "key" && depth > 0) ? REDACTED : walk(v, depth + 1);
    if (r !== v) (out ??= { ...obj })[k] = r;
  }
  return out ?? value;
}
