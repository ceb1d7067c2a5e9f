/**
 * A server call over vtframes1 with the grpc-js handler-call surface the server adapters use:
 * `request`, `metadata`, `cancelled` and the "cancelled" event; server streaming write()/end()
 * (write() false under backpressure, then "drain") and `emit("error", status)`; client streaming
 * "data"/"end" with pause()/resume(); unary and client streaming answer through the callback.
 * Every call emits "close" when it is over.
 */
import * as grpc from "@grpc/grpc-js";
import { STATUS_DETAILS_KEY } from "../status.js";
import { contiguous, decodeCredit, encodeStatus, FLAG_END_STREAM, FrameError, FrameType, messageBytes, type Frame, type FramePayload, type MessageBytes } from "./codec.js";
import { FlowControlledStream } from "./flow.js";
import { serviceError, type CallShape } from "./client-call.js";
import { splitRequestDeserializer, splitResponseSerializer, type SplitDeserializer, type SplitSerializer } from "./split-messages.js";

/** What a server call needs from its connection. */
export interface ServerCallConnection {
  send(type: FrameType, flags: number, streamId: number, payload?: FramePayload): void;
  finished(call: FramesServerCall): void;
}

/** The status a handler reports: grpc-js' ServerStatus / ServiceError shape, loosely. */
interface StatusLike {
  code?: number;
  details?: string;
  message?: string;
  metadata?: grpc.Metadata;
}

type Handler = (call: FramesServerCall, callback: (error: StatusLike | null, response?: unknown) => void) => void;

export class FramesServerCall extends FlowControlledStream {
  readonly streamId: number;
  readonly metadata = new grpc.Metadata();
  request: unknown;
  cancelled = false;
  readonly #connection: ServerCallConnection;
  readonly #method: grpc.MethodDefinition<unknown, unknown>;
  readonly #shape: CallShape;
  readonly #handler: Handler;
  /** Server streaming: writes large object bodies uncopied (GetObject). */
  readonly #splitResponse: SplitSerializer | undefined;
  /** Client streaming: reads large object bodies without assembling them (PutObject). */
  readonly #splitRequest: SplitDeserializer | undefined;
  #hasRequest = false;
  #started = false;
  #finished = false;

  constructor(options: { connection: ServerCallConnection; streamId: number; method: grpc.MethodDefinition<unknown, unknown>; shape: CallShape; handler: Handler }) {
    super();
    this.#connection = options.connection;
    this.streamId = options.streamId;
    this.#method = options.method;
    this.#shape = options.shape;
    this.#handler = options.handler;
    this.#splitResponse = this.#shape === "serverStream" ? splitResponseSerializer(this.#method) : undefined;
    this.#splitRequest = this.#shape === "clientStream" ? splitRequestDeserializer(this.#method) : undefined;
    // grpc-js server streams report a handler's failure through emit("error", status).
    if (this.#shape === "serverStream") this.on("error", (status: StatusLike) => this.#sendStatus(status));
    if (this.#shape === "clientStream") this.#start();
  }

  protected sendFrame(type: FrameType, flags: number, payload?: FramePayload): void {
    if (!this.#finished) this.#connection.send(type, flags, this.streamId, payload);
  }

  // ----- the grpc-js surface -----

  /** Server streaming: sends one message; false means wait for "drain". */
  write(message: unknown): boolean {
    if (this.#finished) return false;
    return this.sendMessage(this.#splitResponse?.(message) ?? this.#method.responseSerialize(message));
  }

  /** Server streaming: ends the call with OK. */
  end(): void {
    this.#sendStatus({ code: grpc.status.OK, details: "" });
  }

  getPeer(): string {
    return "vtframes1";
  }

  getDeadline(): number {
    return Infinity;
  }

  getPath(): string {
    return this.#method.path;
  }

  sendMetadata(): void {}

  // ----- frames from the connection -----

  onFrame(frame: Frame): void {
    switch (frame.type) {
      case FrameType.MESSAGE:
        if (this.#shape === "clientStream") this.receive(messageBytes(frame));
        else this.#setRequest(contiguous(messageBytes(frame)));
        if ((frame.flags & FLAG_END_STREAM) !== 0) this.#onEnd();
        return;
      case FrameType.END:
        this.#onEnd();
        return;
      case FrameType.CREDIT:
        this.addCredit(decodeCredit(frame.payload));
        return;
      case FrameType.CANCEL:
        this.onCancelled();
        return;
      default:
        throw new FrameError(`unexpected frame type ${frame.type} from the client on stream ${frame.streamId}`);
    }
  }

  /** The client cancelled, or the connection is gone. */
  onCancelled(): void {
    if (this.#finished) return;
    this.cancelled = true;
    this.#finish();
    this.emit("cancelled");
    // A client-streaming handler reading the request stream must stop waiting for more.
    if (this.#shape === "clientStream" && this.listenerCount("error") > 0) this.emit("error", serviceError(grpc.status.CANCELLED, "Cancelled by client"));
    this.emit("close");
  }

  protected deliver(payload: MessageBytes): void {
    let messages: unknown[];
    try {
      messages = this.#splitRequest?.(payload) ?? [this.#method.requestDeserialize(contiguous(payload))];
    } catch (error) {
      this.#sendStatus({ code: grpc.status.INTERNAL, details: `cannot parse a ${this.#method.path} request message: ${String(error)}` });
      return;
    }
    for (const message of messages) {
      if (this.#finished) return;
      this.emit("data", message);
    }
  }

  protected deliverEnd(): void {
    this.emit("end");
  }

  #setRequest(payload: Buffer): void {
    if (this.#hasRequest) throw new FrameError(`a second request message on ${this.#method.path} (stream ${this.streamId}), which is not client streaming`);
    try {
      this.request = this.#method.requestDeserialize(payload);
      this.#hasRequest = true;
    } catch (error) {
      this.#sendStatus({ code: grpc.status.INTERNAL, details: `cannot parse the ${this.#method.path} request message: ${String(error)}` });
    }
  }

  #onEnd(): void {
    if (this.#shape === "clientStream") {
      this.receiveEnd();
      return;
    }
    if (this.#finished) return;
    if (!this.#hasRequest) {
      this.#sendStatus({ code: grpc.status.INTERNAL, details: `${this.#method.path} was called without a request message` });
      return;
    }
    this.#start();
  }

  #start(): void {
    if (this.#started) return;
    this.#started = true;
    try {
      this.#handler(this, (error, response) => this.#respond(error, response));
    } catch (error) {
      this.#sendStatus({ code: grpc.status.UNKNOWN, details: error instanceof Error ? error.message : String(error) });
    }
  }

  #respond(error: StatusLike | null, response?: unknown): void {
    if (this.#finished) return;
    if (error) {
      this.#sendStatus(error);
      return;
    }
    let bytes: Buffer;
    try {
      bytes = this.#method.responseSerialize(response);
    } catch (serializeError) {
      this.#sendStatus({ code: grpc.status.INTERNAL, details: `cannot serialize the ${this.#method.path} response: ${String(serializeError)}` });
      return;
    }
    this.sendMessage(bytes);
    this.#sendStatus({ code: grpc.status.OK, details: "" });
  }

  #sendStatus(status: StatusLike): void {
    if (this.#finished) return;
    const code = status.code ?? grpc.status.UNKNOWN;
    const details = status.details ?? status.message ?? "";
    const raw = status.metadata?.get(STATUS_DETAILS_KEY)[0];
    const statusDetails = Buffer.isBuffer(raw) ? raw : Buffer.alloc(0);
    this.sendFrame(FrameType.STATUS, 0, encodeStatus({ code, details, statusDetails }));
    this.#finish();
    this.emit("close");
  }

  #finish(): void {
    this.#finished = true;
    this.discardInbound();
    this.#connection.finished(this);
  }
}
