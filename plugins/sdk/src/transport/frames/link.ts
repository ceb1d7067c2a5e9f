/**
 * One vtframes1 socket: frames written in the same tick leave in one write (small ones copied into
 * one buffer, large payloads handed to writev uncopied via cork/uncork); received bytes are parsed
 * by FrameDecoder. A corrupt frame destroys the socket with the FrameError.
 */
import { connect, Socket, type Server, type OnReadOpts } from "node:net";
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
    const reader = readInto(decoder, handlers);
    const socket = "path" in address ? connect({ path: address.path, onread: reader.onread }) : connect({ port: address.port, host: address.host, onread: reader.onread });
    return reader.attach(new FrameLink(socket, "client", handlers, decoder));
  }

  /**
   * The server end, for a socket a net.Server accepted paused (`pauseOnConnect`). Node offers
   * `onread` only to sockets created from options, so the accepted socket's handle is moved into
   * one that has it: large payloads (PutObject's object messages) are then read straight into
   * their own buffers, as on the client end, instead of arriving as 64 KiB "data" chunks. Where
   * this Node's net internals are not the expected ones, the accepted socket is used as it is.
   */
  static accept(accepted: Socket, handlers: LinkHandlers): FrameLink {
    const decoder = new FrameDecoder({ expectPreface: true });
    const reader = readInto(decoder, handlers);
    const socket = adoptWithOnread(accepted, reader.onread);
    if (!socket) {
      const link = new FrameLink(accepted, "server", handlers);
      accepted.resume();
      return link;
    }
    return reader.attach(new FrameLink(socket, "server", handlers, decoder));
  }

  /** `decoder`: the one the socket's `onread` feeds (connect, accept); otherwise "data" events feed a new one. */
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

  /** Read-buffer mode: `n` bytes arrived in the buffer `decoder.readBuffer()` gave the socket. */
  decodeReceived(handlers: LinkHandlers, decoder: FrameDecoder, n: number): void {
    this.#decode(handlers, () => decoder.received(n, handlers.onFrame));
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

/** The `onread` options feeding `decoder`; frames go to the link once attached. */
function readInto(decoder: FrameDecoder, handlers: LinkHandlers): { onread: OnReadOpts; attach(link: FrameLink): FrameLink } {
  let decode: ((n: number) => void) | undefined;
  return {
    onread: {
      buffer: () => decoder.readBuffer(),
      callback: (n: number): boolean => {
        decode?.(n);
        return true;
      },
    },
    attach(link) {
      decode = (n) => link.decodeReceived(handlers, decoder, n);
      return link;
    },
  };
}

/** The net.Socket internals adoptWithOnread moves (stable since Node 12; checked before use). */
interface AcceptedSocketInternals {
  _handle?: { readStart?: unknown; useUserBuffer?: unknown } | null;
  _server?: Server | null;
  server?: Server | null;
}

/**
 * A socket with `onread` around the handle of `accepted` (not yet reading: its server was created
 * with `pauseOnConnect`), which is left empty and destroyed; undefined when the handle cannot be
 * taken. The new socket counts as the server's connection in its place (server.close() waits for it).
 */
function adoptWithOnread(accepted: Socket, onread: OnReadOpts): Socket | undefined {
  const internals = accepted as unknown as AcceptedSocketInternals;
  const handle = internals._handle;
  if (!handle || typeof handle.readStart !== "function" || typeof handle.useUserBuffer !== "function" || !internals._server) return undefined;
  const server = internals._server;
  internals._handle = null;
  internals._server = null;
  accepted.destroy();
  const socket = new Socket({ handle, onread, readable: true, writable: true } as ConstructorParameters<typeof Socket>[0]);
  const adopted = socket as unknown as AcceptedSocketInternals;
  adopted._server = server;
  adopted.server = server;
  return socket;
}
