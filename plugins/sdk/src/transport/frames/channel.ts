/**
 * The host end of a vtframes1 connection: one socket to the plugin, many concurrent calls
 * (stream ids). Connecting is lazy; when the socket goes away every call in flight fails with
 * UNAVAILABLE (INTERNAL for a corrupt stream) and the next call dials again. Calls marked
 * waitForReady (the health check) wait for the socket to accept a connection, retrying, until
 * their deadline.
 */
import * as grpc from "@grpc/grpc-js";
import { FrameError, FrameType, PROTOCOL_NAME, type Frame, type FramePayload } from "./codec.js";
import { FramesClientCall, type CallChannel } from "./client-call.js";
import { FrameLink } from "./link.js";

export type FramesAddress = { path: string } | { host: string; port: number };

const FIRST_RETRY_MS = 10;
const MAX_RETRY_MS = 200;
const MAX_STREAM_ID = 0xffff_ffff;

export class FramesChannel implements CallChannel {
  readonly target: string;
  readonly #address: FramesAddress;
  readonly #calls = new Map<number, FramesClientCall>();
  readonly #waiting = new Set<FramesClientCall>();
  #link: FrameLink | undefined;
  #connected = false;
  #nextStreamId = 1;
  #retryMs = FIRST_RETRY_MS;
  #retryTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(target: string, address: FramesAddress) {
    this.target = target;
    this.#address = address;
  }

  nextStreamId(): number {
    const id = this.#nextStreamId;
    this.#nextStreamId = id >= MAX_STREAM_ID ? 1 : id + 1;
    return id;
  }

  /** Starts a call now, or (waitForReady) once the socket is connected. */
  start(call: FramesClientCall, waitForReady: boolean): void {
    if (this.#closed) {
      queueMicrotask(() => call.fail(grpc.status.UNAVAILABLE, `the ${PROTOCOL_NAME} connection to ${this.target} is closed`));
      return;
    }
    this.#ensureLink();
    if (waitForReady && !this.#connected) {
      this.#waiting.add(call);
      call.once("close", () => this.#waiting.delete(call));
      return;
    }
    this.#calls.set(call.streamId, call);
    call.open();
  }

  send(type: FrameType, flags: number, streamId: number, payload?: FramePayload): void {
    this.#link?.send(type, flags, streamId, payload);
  }

  finished(streamId: number): void {
    this.#calls.delete(streamId);
  }

  /** Fails every call and closes the socket; later calls fail with UNAVAILABLE. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    this.#link?.destroy();
    this.#failAll([...this.#calls.values(), ...this.#waiting], grpc.status.UNAVAILABLE, `the ${PROTOCOL_NAME} connection to ${this.target} was closed`);
  }

  #ensureLink(): void {
    if (this.#link && !this.#link.closed) return;
    const link = FrameLink.connect(this.#address, {
      onFrame: (frame) => this.#onFrame(frame),
      onClose: (error) => this.#onClose(link, error),
    });
    const socket = link.socket;
    this.#link = link;
    this.#connected = false;
    socket.once("connect", () => {
      if (this.#link !== link) return;
      this.#connected = true;
      this.#retryMs = FIRST_RETRY_MS;
      const waiting = [...this.#waiting];
      this.#waiting.clear();
      for (const call of waiting) {
        this.#calls.set(call.streamId, call);
        call.open();
      }
    });
  }

  #onFrame(frame: Frame): void {
    if (frame.type === FrameType.OPEN || frame.type === FrameType.END || frame.type === FrameType.CANCEL) {
      throw new FrameError(`unexpected frame type ${frame.type} from the server (stream ${frame.streamId})`);
    }
    this.#calls.get(frame.streamId)?.onFrame(frame);
  }

  #onClose(link: FrameLink, error: Error | undefined): void {
    if (this.#link !== link) return;
    const wasConnected = this.#connected;
    this.#link = undefined;
    this.#connected = false;
    const calls = [...this.#calls.values()];
    this.#calls.clear();
    if (error instanceof FrameError) {
      this.#failAll(calls, grpc.status.INTERNAL, `${PROTOCOL_NAME} connection to ${this.target} broke: ${error.message}`);
    } else {
      const why = wasConnected ? "closed by the plugin" : `failed (${error?.message ?? "closed before connecting"})`;
      this.#failAll(calls, grpc.status.UNAVAILABLE, `${PROTOCOL_NAME} connection to ${this.target} ${why}`);
    }
    if (this.#waiting.size > 0 && !this.#closed) {
      this.#retryTimer = setTimeout(() => {
        if (this.#waiting.size > 0 && !this.#closed) this.#ensureLink();
      }, this.#retryMs);
      this.#retryMs = Math.min(MAX_RETRY_MS, this.#retryMs * 2);
    }
  }

  #failAll(calls: FramesClientCall[], code: grpc.status, details: string): void {
    for (const call of calls) call.fail(code, details);
  }
}
