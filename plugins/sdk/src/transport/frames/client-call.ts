/**
 * A client call over vtframes1 with the grpc-js call surface the client adapters use: unary and
 * client-streaming calls finish through their callback, server-streaming calls emit
 * data/end/error; every call emits "status" then "close", and has cancel(), pause()/resume()
 * (server streaming), write()/end() with "drain" (client streaming). Failures are grpc-js shaped
 * ServiceErrors, so status.ts maps them unchanged.
 */
import * as grpc from "@grpc/grpc-js";
import { STATUS_DETAILS_KEY } from "../status.js";
import { contiguous, decodeCredit, decodeStatus, FLAG_END_STREAM, FrameError, FrameType, messageBytes, type Frame, type FramePayload, type MessageBytes, type StatusPayload } from "./codec.js";
import { FlowControlledStream } from "./flow.js";
import { splitRequestSerializer, type SplitSerializer } from "./split-messages.js";

export type CallShape = "unary" | "serverStream" | "clientStream";

/** What a call needs from its channel. */
export interface CallChannel {
  readonly target: string;
  send(type: FrameType, flags: number, streamId: number, payload?: FramePayload): void;
  /** The call is over: forget its stream id. */
  finished(streamId: number): void;
}

export type UnaryCallback = (error: grpc.ServiceError | null, response?: unknown) => void;

/** A grpc-js style ServiceError. */
export function serviceError(code: grpc.status, details: string, statusDetails?: Buffer): grpc.ServiceError {
  const metadata = new grpc.Metadata();
  if (statusDetails && statusDetails.length > 0) metadata.set(STATUS_DETAILS_KEY, statusDetails);
  return Object.assign(new Error(`${code} ${grpc.status[code]}: ${details}`), { code, details, metadata });
}

export class FramesClientCall extends FlowControlledStream {
  readonly streamId: number;
  readonly #channel: CallChannel;
  readonly #method: grpc.MethodDefinition<unknown, unknown>;
  readonly #shape: CallShape;
  readonly #callback: UnaryCallback | undefined;
  /** The request of a unary / server-streaming call, sent by open(). */
  readonly #request: Uint8Array | undefined;
  /** Client streaming: writes large object bodies uncopied (PutObject). */
  readonly #splitRequest: SplitSerializer | undefined;
  #response: unknown;
  #hasResponse = false;
  #opened = false;
  #finished = false;
  #pendingStatus: StatusPayload | undefined;
  #deadlineTimer: NodeJS.Timeout | undefined;

  constructor(options: {
    channel: CallChannel;
    streamId: number;
    method: grpc.MethodDefinition<unknown, unknown>;
    shape: CallShape;
    request?: unknown;
    callback?: UnaryCallback;
  }) {
    super();
    this.#channel = options.channel;
    this.streamId = options.streamId;
    this.#method = options.method;
    this.#shape = options.shape;
    this.#callback = options.callback;
    this.#request = options.shape === "clientStream" ? undefined : options.method.requestSerialize(options.request);
    this.#splitRequest = options.shape === "clientStream" ? splitRequestSerializer(options.method) : undefined;
  }

  /** Fails the call with DEADLINE_EXCEEDED (and cancels it at the peer) at `deadline`. */
  setDeadline(deadline: Date | number | undefined): void {
    if (deadline === undefined) return;
    const ms = (deadline instanceof Date ? deadline.getTime() : deadline) - Date.now();
    if (!Number.isFinite(ms)) return;
    this.#deadlineTimer = setTimeout(() => this.#abort(grpc.status.DEADLINE_EXCEEDED, "Deadline exceeded"), Math.max(0, ms));
  }

  /** Sends OPEN (and the request of unary / server-streaming calls). */
  open(): void {
    if (this.#finished || this.#opened) return;
    this.#opened = true;
    this.#channel.send(FrameType.OPEN, 0, this.streamId, Buffer.from(this.#method.path, "utf8"));
    if (this.#request) this.sendMessage(this.#request, FLAG_END_STREAM);
  }

  protected sendFrame(type: FrameType, flags: number, payload?: FramePayload): void {
    if (!this.#finished) this.#channel.send(type, flags, this.streamId, payload);
  }

  // ----- the grpc-js surface -----

  /** Client streaming: sends one message; false means wait for "drain". */
  write(message: unknown): boolean {
    if (this.#finished) return false;
    return this.sendMessage(this.#splitRequest?.(message) ?? this.#method.requestSerialize(message));
  }

  /** Client streaming: no more messages. */
  end(): void {
    this.sendFrame(FrameType.END, 0);
  }

  cancel(): void {
    this.#abort(grpc.status.CANCELLED, "Cancelled on client");
  }

  getPeer(): string {
    return this.#channel.target;
  }

  // ----- frames from the channel -----

  onFrame(frame: Frame): void {
    switch (frame.type) {
      case FrameType.MESSAGE:
        this.receive(messageBytes(frame));
        return;
      case FrameType.CREDIT:
        this.addCredit(decodeCredit(frame.payload));
        return;
      case FrameType.STATUS:
        this.#onStatus(decodeStatus(frame.payload));
        return;
      default:
        throw new FrameError(`unexpected frame type ${frame.type} from the server on stream ${frame.streamId}`);
    }
  }

  /** The call failed locally (connection lost, corrupt stream, channel closed). */
  fail(code: grpc.status, details: string): void {
    if (this.#finished) return;
    this.#finish({ code, details, statusDetails: Buffer.alloc(0) });
  }

  protected deliver(payload: MessageBytes): void {
    let message: unknown;
    try {
      message = this.#method.responseDeserialize(contiguous(payload));
    } catch (error) {
      // A plugin's undecodable reply fails this call only (as over gRPC), never the host.
      this.#abort(grpc.status.INTERNAL, `the plugin at ${this.#channel.target} sent a ${this.#method.path} reply that is not a valid protobuf message: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    if (this.#shape === "serverStream") {
      this.emit("data", message);
    } else {
      this.#response = message;
      this.#hasResponse = true;
    }
  }

  protected deliverEnd(): void {
    const status = this.#pendingStatus;
    if (status) this.#finish(status);
  }

  #onStatus(status: StatusPayload): void {
    if (this.#finished) return;
    this.#channel.finished(this.streamId);
    if (status.code !== grpc.status.OK) {
      // Like grpc-js, a server stream's error surfaces a turn later than the messages that
      // preceded it in the same read, so a consumer handed the stream by the first message has
      // attached its listeners by then.
      if (this.#shape === "serverStream") setImmediate(() => this.#finish(status));
      else this.#finish(status);
      return;
    }
    // Deliver what the consumer has not read yet (a paused stream) before "end".
    this.#pendingStatus = status;
    this.receiveEnd();
  }

  #abort(code: grpc.status, details: string): void {
    if (this.#finished) return;
    if (this.#opened) this.#channel.send(FrameType.CANCEL, 0, this.streamId);
    this.#finish({ code, details, statusDetails: Buffer.alloc(0) });
  }

  #finish(status: StatusPayload): void {
    if (this.#finished) return;
    this.#finished = true;
    clearTimeout(this.#deadlineTimer);
    this.#channel.finished(this.streamId);
    this.discardInbound();
    let { code, details } = status;
    if (code === grpc.status.OK && this.#shape !== "serverStream" && !this.#hasResponse) {
      code = grpc.status.INTERNAL;
      details = `the plugin at ${this.#channel.target} ended ${this.#method.path} without a response message`;
    }
    const error = code === grpc.status.OK ? null : serviceError(code, details, status.statusDetails);
    const metadata = error?.metadata ?? new grpc.Metadata();
    if (this.#shape === "serverStream") {
      if (error) {
        if (this.listenerCount("error") > 0) this.emit("error", error);
      } else {
        this.emit("end");
      }
    } else {
      this.#callback?.(error, error ? undefined : this.#response);
    }
    this.emit("status", { code, details, metadata });
    this.emit("close");
  }
}
