/**
 * One vtframes1 socket: frames written in the same tick leave in one write (small ones copied into
 * one buffer, large payloads handed to writev uncopied via cork/uncork); received bytes are parsed
 * by FrameDecoder. A corrupt frame destroys the socket with the FrameError.
 */
import { connect, type Socket } from "node:net";
import type { FramesAddress } from "./channel.js";
import { encodeFrame, FrameDecoder, FrameError, frameHeader, HEADER_BYTES, PREFACE, type Frame, type FramePayload, type FrameType } from "./codec.js";
import { noteReceiveBuffers } from "./reclaim.js";

/** Frames with a payload up to this size are copied next to their header (one buffer). */
const COPY_PAYLOAD_BYTES = 16 * 1024;
/** Batches up to this size are written as one concatenated buffer instead of writev. */
const CONCAT_BATCH_BYTES = 64 * 1024;

export interface LinkHandlers {
  onFrame(frame: Frame): void;
  /** Called once when the socket is gone; `error` is a FrameError for a corrupt stream. */
  onClose(error: Error | undefined): void;
}

export class FrameLink {
  readonly socket: Socket;
  readonly #decoder: FrameDecoder;
  readonly #out: Buffer[] = [];
  #outBytes = 0;
  #flushScheduled = false;
  #closed = false;
  #error: Error | undefined;

  /**
   * The client end: dials `address` with a socket that reads into the decoder's buffers (large
   * payloads straight into their own buffer, FrameDecoder.readBuffer()).
   */
  static connect(address: FramesAddress, handlers: LinkHandlers): FrameLink {
    const decoder = new FrameDecoder();
    let link: FrameLink | undefined;
    const onread = {
      buffer: () => decoder.readBuffer(),
      callback: (n: number): boolean => {
        if (link) link.#decode(handlers, () => decoder.received(n, handlers.onFrame));
        return true;
      },
    };
    const socket = "path" in address ? connect({ path: address.path, onread }) : connect({ port: address.port, host: address.host, onread });
    link = new FrameLink(socket, "client", handlers, decoder);
    return link;
  }

  /** `decoder`: the one the socket's `onread` feeds (FrameLink.connect); otherwise "data" events feed a new one. */
  constructor(socket: Socket, role: "client" | "server", handlers: LinkHandlers, decoder?: FrameDecoder) {
    this.socket = socket;
    // "data" chunks are fresh buffers node never reuses, so large messages may stay in pieces.
    this.#decoder = decoder ?? new FrameDecoder({ expectPreface: role === "server", scatter: true });
    socket.setNoDelay?.(true);
    if (role === "client") this.#queue(PREFACE);
    if (!decoder) {
      socket.on("data", (chunk: Buffer) => {
        noteReceiveBuffers(chunk.length);
        this.#decode(handlers, () => this.#decoder.push(chunk, handlers.onFrame));
      });
    }
    socket.on("error", (error) => {
      this.#error ??= error;
    });
    socket.on("close", () => {
      this.#closed = true;
      handlers.onClose(this.#error);
    });
  }

  #decode(handlers: LinkHandlers, decode: () => void): void {
    if (this.#closed) return;
    try {
      decode();
    } catch (error) {
      // A corrupt stream closes this connection only; anything else is a bug in a listener
      // and propagates like an exception in any socket handler (after failing the calls).
      this.destroy(error instanceof Error ? error : new Error(String(error)));
      if (!(error instanceof FrameError)) throw error;
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  send(type: FrameType, flags: number, streamId: number, payload?: FramePayload): void {
    if (this.#closed) return;
    if (payload && !(payload instanceof Uint8Array)) {
      this.#sendSplit(type, flags, streamId, payload.head, payload.body);
      return;
    }
    if (!payload || payload.length <= COPY_PAYLOAD_BYTES) {
      this.#queue(encodeFrame(type, flags, streamId, payload));
    } else {
      this.#queue(frameHeader(type, flags, streamId, payload.length));
      this.#queue(Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength));
    }
  }

  /** Header and head in one buffer; the body too when small, else handed to writev as it is. */
  #sendSplit(type: FrameType, flags: number, streamId: number, head: Buffer, body: Buffer): void {
    const length = head.length + body.length;
    const inline = body.length <= COPY_PAYLOAD_BYTES;
    const first = Buffer.allocUnsafe(HEADER_BYTES + head.length + (inline ? body.length : 0));
    first.writeUInt32BE(length, 0);
    first.writeUInt32BE(streamId, 4);
    first[8] = type;
    first[9] = flags;
    first.writeUInt16BE(0, 10);
    first.set(head, HEADER_BYTES);
    if (inline) {
      first.set(body, HEADER_BYTES + head.length);
      this.#queue(first);
    } else {
      this.#queue(first);
      this.#queue(body);
    }
  }

  /** Tears the connection down; `error` is reported to onClose (e.g. a FrameError). */
  destroy(error?: Error): void {
    if (error) this.#error ??= error;
    this.#closed = true;
    this.#out.length = 0;
    this.socket.destroy();
  }

  /** Ends the socket after queued frames are written. */
  end(): void {
    this.#flush();
    this.socket.end();
  }

  #queue(buffer: Buffer): void {
    this.#out.push(buffer);
    this.#outBytes += buffer.length;
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(() => this.#flush());
    }
  }

  #flush(): void {
    this.#flushScheduled = false;
    const out = this.#out;
    if (out.length === 0 || this.#closed) return;
    const bytes = this.#outBytes;
    this.#outBytes = 0;
    if (out.length === 1) {
      this.socket.write(out[0] as Buffer);
    } else if (bytes <= CONCAT_BATCH_BYTES) {
      this.socket.write(Buffer.concat(out, bytes));
    } else {
      this.socket.cork();
      for (const buffer of out) this.socket.write(buffer);
      this.socket.uncork();
    }
    out.length = 0;
  }
}
