/**
 * Error transport (velero-compat.md 3.11). gRPC status codes exist only in this folder.
 *
 * Server side: every thrown value becomes a gRPC status: code UNKNOWN (like Velero's Go framework;
 * ValidationError -> INVALID_ARGUMENT, NotFoundError -> NOT_FOUND, UnsupportedError -> UNIMPLEMENTED,
 * a crash -> ABORTED), message =
 * the error message, and a `google.rpc.Status` in the `grpc-status-details-bin` trailer whose
 * details carry a `generated.Stack` built from the JS stack (Velero's host logs frame 0 as
 * error.file / error.function).
 *
 * Client side: a status becomes a PluginError (reason from the code, remote stack decoded), a
 * NotFoundError for NOT_FOUND, an UnsupportedError for UNIMPLEMENTED, or a PluginUnavailableError when the connection is gone.
 */
import * as grpc from "@grpc/grpc-js";
import { decodeMessage, encodeMessage } from "@velero-ts/proto";
import { parseJsStack } from "./js-stack.js";
import {
  getErrorMessage,
  isVeleroError,
  NotFoundError,
  PluginError,
  PluginUnavailableError,
  saysNotFound,
  UnsupportedError,
  type PluginErrorReason,
  type RemoteStackFrame,
} from "../contract/errors.js";

export const STATUS_DETAILS_KEY = "grpc-status-details-bin";
export const STACK_TYPE_URL = "type.googleapis.com/generated.Stack";

/** A status ready to hand to a grpc-js callback or `call.emit("error", …)`. */
export interface ServerStatus {
  code: grpc.status;
  details: string;
  metadata: grpc.Metadata;
}

/**
 * The most a status may put in its trailers: the message percent-encoded in grpc-message plus the
 * base64 of the google.rpc.Status (which repeats it, as Go's status package does). node:http2
 * refuses to send a header block over 64 KiB, and the call then ends in an RST_STREAM that says
 * nothing of the error; a longer message is cut to fit, with a note.
 */
export const MAX_STATUS_TRAILER_BYTES = 48 * 1024;

/** Maps any thrown value to the status a handler returns. */
export function toServerStatus(error: unknown, override?: { code: grpc.status; prefix?: string }): ServerStatus {
  const code = override?.code ?? codeFor(error);
  // An error that already is a gRPC status keeps its own message (Go's status.FromError), not
  // grpc-js' "5 NOT_FOUND: ..." rendering of it.
  let full = (override?.prefix ?? "") + (isServiceError(error) ? error.details : getErrorMessage(error));
  // Velero's host never looks at the status code: whether a missing object (the tarball of a
  // backup being deleted) is "not found" is read from the message's words. A NotFoundError whose
  // message has none of them gets them, or Velero's deletion of that backup fails for ever.
  if (code === grpc.status.NOT_FOUND && !saysNotFound(full)) full += " (not found)";
  const frames = error instanceof Error ? parseJsStack(error.stack ?? "") : [];
  let message = full;
  let details = encodeStatusDetails(code, message, frames);
  for (let attempt = 0; trailerBytes(message, details) > MAX_STATUS_TRAILER_BYTES && attempt < 8; attempt++) {
    const keep = Math.floor((message.length * MAX_STATUS_TRAILER_BYTES * 0.9) / trailerBytes(message, details)) - 200;
    message = `${cutAt(full, Math.max(0, keep))} … [message cut from ${full.length} characters to fit the gRPC status trailer]`;
    details = encodeStatusDetails(code, message, frames);
  }
  const metadata = new grpc.Metadata();
  metadata.set(STATUS_DETAILS_KEY, details);
  return { code, details: message, metadata };
}

/** Bytes of grpc-message (UTF-8, percent-encoded outside printable ASCII and for '%') plus the base64 details. */
function trailerBytes(message: string, details: Buffer): number {
  let n = 0;
  for (const byte of Buffer.from(message, "utf8")) n += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? 1 : 3;
  return n + Math.ceil(details.length / 3) * 4;
}

/** The first `length` UTF-16 units of `s`, not splitting a surrogate pair. */
function cutAt(s: string, length: number): string {
  if (length >= s.length) return s;
  const code = s.charCodeAt(length - 1);
  return s.slice(0, code >= 0xd800 && code <= 0xdbff ? length - 1 : length);
}

function codeFor(error: unknown): grpc.status {
  if (isVeleroError(error)) {
    if (error.code === "VELERO_VALIDATION") return grpc.status.INVALID_ARGUMENT;
    if (error.code === "VELERO_NOT_FOUND") return grpc.status.NOT_FOUND;
    if (error.code === "VELERO_UNSUPPORTED") return grpc.status.UNIMPLEMENTED;
  }
  // An error that already is a gRPC status (e.g. from a nested call) keeps its code, as in Go.
  if (isServiceError(error) && error.code !== grpc.status.OK) return error.code;
  return grpc.status.UNKNOWN;
}

/** Encodes google.rpc.Status{code, message, details: [Any(generated.Stack)]}. */
export function encodeStatusDetails(code: number, message: string, frames: RemoteStackFrame[]): Buffer {
  const stack = encodeMessage("generated.Stack", { frames });
  return encodeMessage("google.rpc.Status", {
    code,
    message,
    details: frames.length > 0 ? [{ type_url: STACK_TYPE_URL, value: stack }] : [],
  });
}

/** The generated.Stack frames in a status-details trailer; [] when absent or unreadable. */
export function decodeRemoteStack(metadata: grpc.Metadata | undefined): RemoteStackFrame[] {
  const raw = metadata?.get(STATUS_DETAILS_KEY)[0];
  if (!Buffer.isBuffer(raw)) return [];
  try {
    const status = decodeMessage("google.rpc.Status", raw) as { details?: { type_url?: string; value?: Uint8Array }[] };
    const any = status.details?.find((d) => d.type_url?.endsWith("/generated.Stack") === true);
    if (!any?.value) return [];
    const stack = decodeMessage("generated.Stack", any.value) as { frames?: RemoteStackFrame[] };
    return (stack.frames ?? []).map((f) => ({ file: f.file, line: f.line, function: f.function }));
  } catch {
    return [];
  }
}

export function isServiceError(error: unknown): error is grpc.ServiceError {
  return (
    error instanceof Error &&
    typeof (error as Partial<grpc.ServiceError>).code === "number" &&
    (error as Partial<grpc.ServiceError>).metadata instanceof grpc.Metadata
  );
}

/** Which plugin and method a client call was for (for error messages). */
export interface CallContext {
  kind: string;
  name: string;
  method: string;
}

/** Maps a failed client call to the domain error the host sees. */
export function fromServiceError(error: unknown, ctx: CallContext): Error {
  if (!isServiceError(error)) {
    return new PluginError(
      { kind: ctx.kind, pluginName: ctx.name, reason: "internal", message: `${ctx.kind} plugin "${ctx.name}": ${ctx.method} failed: ${getErrorMessage(error)}` },
      { cause: error },
    );
  }
  const details = error.details || error.message;
  if (error.code === grpc.status.UNAVAILABLE) {
    return new PluginUnavailableError(
      `${ctx.kind} plugin "${ctx.name}": ${ctx.method} failed: the plugin process is unavailable (${details})`,
      { cause: error },
    );
  }
  const remoteStack = decodeRemoteStack(error.metadata);
  // The text Velero shows for a plugin's error (its gRPC status error's Error()), whichever
  // transport carried it: "rpc error: code = Unknown desc = <what the plugin said>".
  const message = `rpc error: code = ${GO_CODE_NAMES[error.code] ?? `Code(${error.code})`} desc = ${details}`;
  const pluginError = new PluginError({ kind: ctx.kind, pluginName: ctx.name, reason: reasonFor(error.code), message, remoteStack }, { cause: error });
  if (error.code === grpc.status.NOT_FOUND) return new NotFoundError(message, { cause: pluginError });
  // (not a lost process: the plugin answered that it does not do this)
  if (error.code === grpc.status.UNIMPLEMENTED) return new UnsupportedError(message, { cause: pluginError });
  return pluginError;
}

/** grpc-go's codes.Code.String(). */
const GO_CODE_NAMES: Partial<Record<grpc.status, string>> = {
  [grpc.status.OK]: "OK",
  [grpc.status.CANCELLED]: "Canceled",
  [grpc.status.UNKNOWN]: "Unknown",
  [grpc.status.INVALID_ARGUMENT]: "InvalidArgument",
  [grpc.status.DEADLINE_EXCEEDED]: "DeadlineExceeded",
  [grpc.status.NOT_FOUND]: "NotFound",
  [grpc.status.ALREADY_EXISTS]: "AlreadyExists",
  [grpc.status.PERMISSION_DENIED]: "PermissionDenied",
  [grpc.status.RESOURCE_EXHAUSTED]: "ResourceExhausted",
  [grpc.status.FAILED_PRECONDITION]: "FailedPrecondition",
  [grpc.status.ABORTED]: "Aborted",
  [grpc.status.OUT_OF_RANGE]: "OutOfRange",
  [grpc.status.UNIMPLEMENTED]: "Unimplemented",
  [grpc.status.INTERNAL]: "Internal",
  [grpc.status.UNAVAILABLE]: "Unavailable",
  [grpc.status.DATA_LOSS]: "DataLoss",
  [grpc.status.UNAUTHENTICATED]: "Unauthenticated",
};

function reasonFor(code: grpc.status): PluginErrorReason {
  switch (code) {
    case grpc.status.ABORTED:
      return "aborted";
    case grpc.status.INVALID_ARGUMENT:
    // a message over the peer's size limit (Go plugins take 4 MiB): the request, not the process
    case grpc.status.RESOURCE_EXHAUSTED:
      return "invalid";
    case grpc.status.UNKNOWN:
      return "unknown";
    default:
      return "internal";
  }
}
