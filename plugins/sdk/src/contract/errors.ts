/**
 * Error types shared by plugins and the host. Brand checks do not rely on `instanceof`, because a
 * third-party plugin may bundle its own copy of the SDK.
 */

const BRAND = Symbol.for("velero-ts.VeleroError");

/** Base class of every error the SDK defines. `code` is stable and machine-readable. */
export class VeleroError extends Error {
  readonly code: string;
  readonly [BRAND] = true;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** True for any VeleroError, including ones created by another copy of the SDK. */
export function isVeleroError(value: unknown): value is VeleroError {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/** One invalid input: where it is and why it is invalid. */
export interface ValidationIssue {
  path: string;
  reason: string;
}

/** Input (configuration, an object, a flag) is invalid. */
export class ValidationError extends VeleroError {
  readonly issues: ValidationIssue[];
  constructor(message: string, issues: ValidationIssue[] = [], options?: { cause?: unknown }) {
    super("VELERO_VALIDATION", message, options);
    this.issues = issues;
  }
}

/** The named thing does not exist. */
export class NotFoundError extends VeleroError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("VELERO_NOT_FOUND", message, options);
  }
}

/**
 * The plugin does not offer this operation, e.g. an object store that cannot create signed URLs.
 * Sent as gRPC UNIMPLEMENTED; the conformance suites accept it where an operation is optional.
 */
export class UnsupportedError extends VeleroError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("VELERO_UNSUPPORTED", message, options);
  }
}

/**
 * Whether an error's text says the object does not exist, in the words object stores use for it:
 * how Velero's host tells a missing backup tarball from other errors (isTarballNotFoundError; a
 * Go plugin's error reaches it as text, its status code unread).
 */
export function saysNotFound(text: string): boolean {
  return /not found|does not exist|nosuchkey|blobnotfound|objectnotexist/i.test(text);
}

/** Why a plugin call failed, independent of the transport. */
export type PluginErrorReason = "unavailable" | "aborted" | "invalid" | "internal" | "unknown";

/** One frame of a remote stack trace, as carried in Velero's generated.Stack status detail. */
export interface RemoteStackFrame {
  file: string;
  line: number;
  function: string;
}

/** A plugin call failed; the message is the plugin's own. */
export class PluginError extends VeleroError {
  readonly kind: string;
  readonly pluginName: string;
  readonly reason: PluginErrorReason;
  readonly remoteStack: RemoteStackFrame[];
  constructor(
    init: { kind: string; pluginName: string; reason: PluginErrorReason; message: string; remoteStack?: RemoteStackFrame[] },
    options?: { cause?: unknown },
  ) {
    super("VELERO_PLUGIN_ERROR", init.message, options);
    this.kind = init.kind;
    this.pluginName = init.pluginName;
    this.reason = init.reason;
    this.remoteStack = init.remoteStack ?? [];
  }
}

/** The plugin process is gone or unreachable; the host may restart it. */
export class PluginUnavailableError extends VeleroError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("VELERO_PLUGIN_UNAVAILABLE", message, options);
  }
}

/**
 * A plugin call made no progress within the host's time limit (no reply, or a stream that stopped
 * moving): the plugin, or the storage it talks to, stopped answering. The call was cancelled.
 */
export class PluginTimeoutError extends VeleroError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("VELERO_PLUGIN_TIMEOUT", message, options);
  }
}

/** The plugin spoke the protocol wrongly (bad handshake, version mismatch, bad listing). */
export class PluginProtocolError extends VeleroError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("VELERO_PLUGIN_PROTOCOL", message, options);
  }
}

const URL_PASSWORD = /(\b[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^\s/?#@:"']*:)[^\s/?#@"']*@/g;

/**
 * `text` with the password of every URL in it replaced by "xxxxx", as Go's url.Redacted writes it
 * (`http://user:xxxxx@host/`): for messages and logs that quote a configured endpoint.
 */
export function redactUrlPasswords(text: string): string {
  return text.replace(URL_PASSWORD, "$1xxxxx@");
}

/** The message of any thrown value. */
export function getErrorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === "string") return error;
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}
