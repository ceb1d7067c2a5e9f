/** Errors from the Kubernetes API server, with helpers to recognise the common statuses. */
import { VeleroError } from "@velero-ts/plugin-sdk";

/** A non-2xx answer from the API server. `reason` is the Status reason ("NotFound", "Conflict", ...). */
export class KubeApiError extends VeleroError {
  readonly statusCode: number;
  readonly reason: string;
  /** The request that failed, when known (not in the message, which is the Status's own). */
  readonly method: string | undefined;
  readonly path: string | undefined;
  /** An expired LIST's Status: the token the API server offers to list the rest with. */
  readonly continueToken: string | undefined;
  constructor(init: { statusCode: number; reason: string; message: string; method?: string; path?: string; continueToken?: string }, options?: { cause?: unknown }) {
    super("VELERO_KUBE_API", init.message, options);
    this.statusCode = init.statusCode;
    this.reason = init.reason;
    this.method = init.method;
    this.path = init.path;
    this.continueToken = init.continueToken;
  }
}

/**
 * pods/exec ended in a Failure status without an exit code (the command could not be run or
 * waited for). `statusMessage` is the node's own message, as a SPDY client such as Velero's hook
 * executor reports it; `stdout`/`stderr` what the command wrote before.
 */
export class ExecError extends KubeApiError {
  readonly statusMessage: string;
  readonly stdout: string;
  readonly stderr: string;
  constructor(init: { statusCode: number; reason: string; message: string; statusMessage: string; stdout: string; stderr: string }) {
    super(init);
    this.statusMessage = init.statusMessage;
    this.stdout = init.stdout;
    this.stderr = init.stderr;
  }
}

/** Velero's pod command executor's default timeout of a hook command. */
export const DEFAULT_EXEC_TIMEOUT_MS = 30_000;

/**
 * The timeout a hook command runs with, as Velero's pod command executor sets it: exactly 0 (or
 * unset) is its 30 s default, a negative timeout is none (its timer is armed for a positive one).
 */
export function execTimeoutMs(parsedMs: number): number {
  return parsedMs === 0 ? DEFAULT_EXEC_TIMEOUT_MS : parsedMs < 0 ? Infinity : parsedMs;
}

/**
 * A failed hook command's error as Velero's pod command executor reports it: the node's status
 * message (ExecError), or `timed out after <duration>` (`timeout`, Go's format), else the error's
 * own message.
 */
export function execFailureText(err: unknown, timeout: string): string {
  if (err instanceof ExecError) return err.statusMessage;
  if (err instanceof KubeApiError && err.reason === "Timeout") return `timed out after ${timeout}`;
  return err instanceof Error ? err.message : String(err);
}

function statusOf(err: unknown): number | undefined {
  if (typeof err === "object" && err !== null && "statusCode" in err && typeof err.statusCode === "number") return err.statusCode;
  return undefined;
}

/**
 * The API server could not serve a read at the resourceVersion asked for: "Too large resource
 * version" (504 with a ResourceVersionTooLarge cause, after waiting for its cache), an expired one
 * (410), or a request it refused over the resourceVersion parameters (400).
 */
export function isResourceVersionRefusal(err: unknown): boolean {
  if (!(err instanceof KubeApiError)) return false;
  if (err.statusCode === 410) return true;
  return [400, 500, 504].includes(err.statusCode) && /resource ?version/i.test(err.message);
}

/** 403: authorization (RBAC) refused the request. */
export function isForbidden(err: unknown): boolean {
  return statusOf(err) === 403;
}

export function isNotFound(err: unknown): boolean {
  return statusOf(err) === 404;
}

/** 422: the API server refused the object or the change (e.g. a patch that would change an immutable uid). */
export function isInvalid(err: unknown): boolean {
  return statusOf(err) === 422;
}

export function isConflict(err: unknown): boolean {
  return statusOf(err) === 409 && (err as { reason?: string }).reason !== "AlreadyExists";
}

export function isAlreadyExists(err: unknown): boolean {
  return statusOf(err) === 409 && (err as { reason?: string }).reason === "AlreadyExists";
}

/** A LIST continue token (or a resourceVersion) too old to read at: 410 with reason Expired. */
export function isExpired(err: unknown): err is KubeApiError {
  return err instanceof KubeApiError && err.statusCode === 410 && err.reason === "Expired";
}

/** The watch's resourceVersion is too old (410 Gone / reason Expired): re-list. */
export function isGone(err: unknown): boolean {
  return statusOf(err) === 410;
}
