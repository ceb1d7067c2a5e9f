/**
 * Classifies errors coming out of the KubeClient adapter (HTTP status from the API server, or a
 * network failure), looking through the `cause` chain so wrapped errors classify too.
 */
function* chain(err: unknown): Generator<Record<string, unknown>> {
  let current: unknown = err;
  for (let depth = 0; depth < 8 && current && typeof current === "object"; depth++) {
    yield current as Record<string, unknown>;
    current = (current as { cause?: unknown }).cause;
  }
}

function numeric(value: unknown): number | undefined {
  return typeof value === "number" && value >= 100 && value < 600 ? value : undefined;
}

/** The HTTP status the API server answered with, if any. */
export function httpStatus(err: unknown): number | undefined {
  for (const e of chain(err)) {
    const direct = numeric(e.statusCode) ?? numeric(e.status) ?? numeric(e.code);
    if (direct) return direct;
    const body = e.body as Record<string, unknown> | undefined;
    const fromBody = body && typeof body === "object" ? numeric(body.code) : undefined;
    if (fromBody) return fromBody;
    const response = e.response as Record<string, unknown> | undefined;
    const fromResponse = response && typeof response === "object" ? (numeric(response.statusCode) ?? numeric(response.status)) : undefined;
    if (fromResponse) return fromResponse;
  }
  return undefined;
}

export function isAlreadyExists(err: unknown): boolean {
  if (httpStatus(err) === 409) return true;
  for (const e of chain(err)) {
    if (e.code === "VELERO_ALREADY_EXISTS" || /already exists/i.test(String(e.message ?? ""))) return true;
  }
  return false;
}

export function isNotFound(err: unknown): boolean {
  if (httpStatus(err) === 404) return true;
  for (const e of chain(err)) if (e.code === "VELERO_NOT_FOUND") return true;
  return false;
}

const NETWORK_CODES = ["ECONNREFUSED", "ENOTFOUND", "ETIMEDOUT", "ECONNRESET", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "UND_ERR_CONNECT_TIMEOUT"];

/** The code of a download whose object store (not the API server) could not be reached. */
export const DOWNLOAD_UNREACHABLE = "VELERO_DOWNLOAD_UNREACHABLE";

/** True when the API server could not be reached at all (as opposed to answering with an error). */
export function isUnreachable(err: unknown): boolean {
  for (const e of chain(err)) {
    if (e.code === DOWNLOAD_UNREACHABLE) return false;
    if (typeof e.code === "string" && NETWORK_CODES.includes(e.code)) return true;
    if (typeof e.errno === "string" && NETWORK_CODES.includes(e.errno)) return true;
    if (/ECONNREFUSED|ENOTFOUND|fetch failed|socket hang up/.test(String(e.message ?? ""))) return true;
  }
  return false;
}
