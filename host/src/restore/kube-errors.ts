/**
 * Classifies errors thrown by a KubeClient without depending on the adapter's error class: reads
 * the HTTP status and the Kubernetes Status `reason` wherever the adapter put them.
 */

interface StatusLike {
  code?: number;
  reason?: string;
  message?: string;
  details?: { causes?: { message?: string }[] };
}

function statusOf(err: unknown): { code?: number; status?: StatusLike } {
  if (typeof err !== "object" || err === null) return {};
  const e = err as Record<string, unknown>;
  let body = e.body ?? e.status ?? e.response;
  if (typeof body === "string") {
    try {
      body = JSON.parse(body);
    } catch {
      body = undefined;
    }
  }
  const status = typeof body === "object" && body !== null ? (body as StatusLike) : undefined;
  const candidates = [e.statusCode, e.code, e.httpStatus, status?.code];
  const code = candidates.find((c): c is number => typeof c === "number");
  const reason = typeof e.reason === "string" ? e.reason : status?.reason;
  return { code, status: { ...status, reason } };
}

export function isNotFound(err: unknown): boolean {
  const { code, status } = statusOf(err);
  return status?.reason === "NotFound" || (code === 404 && status?.reason === undefined);
}

export function isAlreadyExists(err: unknown): boolean {
  const { code, status } = statusOf(err);
  return status?.reason === "AlreadyExists" || (code === 409 && status?.reason === undefined);
}

export function isConflict(err: unknown): boolean {
  const { code, status } = statusOf(err);
  return status?.reason === "Conflict" || (code === 409 && status?.reason !== "AlreadyExists");
}

/** A Service create that failed only because its node ports are taken (Velero issue 2308). */
export function isPortAllocatedError(err: unknown): boolean {
  const causes = statusOf(err).status?.details?.causes;
  return Array.isArray(causes) && causes.length > 0 && causes.every((c) => (c.message ?? "").includes("provided port is already allocated"));
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
