// ObjectStore over gRPC (generated.ObjectStore), host side. Maps contract calls to proto only.
import { Readable } from "node:stream";
import * as grpc from "@grpc/grpc-js";
import type { ObjectStoreClient } from "@velero-ts/proto/generated/generated/ObjectStore";
import type { Bytes__Output } from "@velero-ts/proto/generated/generated/Bytes";
import type { ObjectExistsResponse__Output } from "@velero-ts/proto/generated/generated/ObjectExistsResponse";
import type { ListCommonPrefixesResponse__Output } from "@velero-ts/proto/generated/generated/ListCommonPrefixesResponse";
import type { ListObjectsResponse__Output } from "@velero-ts/proto/generated/generated/ListObjectsResponse";
import type { CreateSignedURLResponse__Output } from "@velero-ts/proto/generated/generated/CreateSignedURLResponse";
import type { ObjectStore } from "../contract/plugins.js";
import { serviceClient, trackStream, type PluginConnection } from "./connection.js";
import { NANOS_PER_MS } from "./convert.js";
import { noteReceiveBuffers } from "./frames/reclaim.js";
import { fromServiceError, type CallContext } from "./status.js";
import { chunkBytes, FRAMES_OBJECT_CHUNK_BYTES, rechunk, writableOrEnded } from "./stream.js";
import { callTimeoutError, callUnary } from "./unary.js";

const KIND = "ObjectStore";

export interface ObjectStoreClientOptions {
  /**
   * PutObject message size; default 16384 (what Velero's Go host sends) over gRPC, 1 MiB over
   * vtframes1. Up to 1 MiB stays within what Go plugin servers accept (4 MiB) and is much faster
   * for large objects.
   */
  chunkBytes?: number;
  /**
   * How long a call may go without progress before it is cancelled and fails with
   * PluginTimeoutError; 0 or unset: no limit (Velero's Go host sets none). Progress is a reply to
   * a unary call; for PutObject, the plugin taking the next chunk or, after the last one,
   * finishing the upload (time spent waiting for the caller's body does not count); for GetObject,
   * the next chunk arriving while the caller is reading (a paused caller does not count).
   */
  idleTimeoutMs?: number;
}

/** ObjectStore implemented by calls to a plugin process. */
export class ObjectStoreGrpcClient implements ObjectStore {
  readonly #conn: PluginConnection;
  readonly #client: ObjectStoreClient;
  readonly #name: string;
  readonly #chunkBytes: number;
  readonly #idleTimeoutMs: number;

  constructor(conn: PluginConnection, name: string, options: ObjectStoreClientOptions = {}) {
    this.#conn = conn;
    this.#client = serviceClient<ObjectStoreClient>(conn, "objectStore");
    this.#name = name;
    this.#chunkBytes = chunkBytes(options.chunkBytes ?? (conn.protocol === "vtframes1" ? FRAMES_OBJECT_CHUNK_BYTES : undefined));
    this.#idleTimeoutMs = options.idleTimeoutMs !== undefined && options.idleTimeoutMs > 0 ? options.idleTimeoutMs : 0;
  }

  #ctx(method: string): CallContext {
    return { kind: KIND, name: this.#name, method };
  }

  async init(config: Record<string, string>): Promise<void> {
    await callUnary(this.#client, this.#ctx("Init"), { plugin: this.#name, config }, this.#idleTimeoutMs);
  }

  /**
   * Streams the body in 16384-byte messages, each repeating plugin/bucket/key (as Go does). An
   * empty body still sends ONE message: Go plugin servers fail on a stream with zero messages.
   */
  async putObject(bucket: string, key: string, body: Readable): Promise<void> {
    const ctx = this.#ctx("PutObject");
    let finished = false;
    let callError: grpc.ServiceError | null = null;
    let onDone: () => void = () => {};
    const callDone = new Promise<void>((resolve) => (onDone = resolve));
    const call = this.#client.PutObject((err: grpc.ServiceError | null) => {
      finished = true;
      callError = err;
      // The plugin gave up (or we cancelled): stop reading the source now.
      if (err && !body.destroyed) body.destroy();
      onDone();
    });
    // no progress: the plugin neither takes the next chunk nor (after the last) finishes the upload
    let timedOut: Error | undefined;
    const idle = new IdleTimer(this.#idleTimeoutMs, () => {
      if (finished) return;
      timedOut = callTimeoutError(ctx, this.#idleTimeoutMs, "made no progress for");
      abortUpload(call);
    });
    let sourceError: unknown;
    try {
      let sent = 0;
      for await (const chunk of rechunk(body, this.#chunkBytes)) {
        // (a timed-out call is over even before its callback runs: write nothing more to it)
        if (finished || timedOut) break;
        sent++;
        if (!call.write({ plugin: this.#name, bucket, key, body: chunk })) {
          idle.arm();
          await writableOrEnded(call, ["drain", "status", "close"]);
          idle.disarm();
        }
      }
      if (!finished && !timedOut) {
        if (sent === 0) call.write({ plugin: this.#name, bucket, key, body: Buffer.alloc(0) });
        call.end();
        idle.arm();
      }
    } catch (error) {
      sourceError = error;
      if (!finished) abortUpload(call);
    }
    await callDone;
    idle.disarm();
    if (timedOut) throw timedOut;
    const failed = callError as grpc.ServiceError | null;
    // Our own cancellation after a source error reports the source error, not "Cancelled".
    if (failed && !(sourceError !== undefined && failed.code === grpc.status.CANCELLED)) throw fromServiceError(failed, ctx);
    if (sourceError !== undefined) throw sourceError;
  }

  async objectExists(bucket: string, key: string): Promise<boolean> {
    const res = await callUnary<object, ObjectExistsResponse__Output>(
      this.#client,
      this.#ctx("ObjectExists"),
      { plugin: this.#name, bucket, key },
      this.#idleTimeoutMs,
    );
    return res.exists;
  }

  /**
   * Resolves with a stream once the first chunk (or the end) arrives, so a missing object rejects
   * here (NotFoundError when the plugin says NOT_FOUND). The gRPC stream is paused whenever the
   * consumer is slower than the plugin, so memory stays bounded whatever the object size.
   */
  getObject(bucket: string, key: string): Promise<Readable> {
    const ctx = this.#ctx("GetObject");
    const call = this.#client.GetObject({ plugin: this.#name, bucket, key });
    trackStream(this.#conn, call);
    // vtframes1 accounts for its read buffers itself; over gRPC each message's body is a buffer of its own
    const reclaim = this.#conn.protocol === "grpc";
    return new Promise<Readable>((resolve, reject) => {
      let started = false;
      let consumerGone = false;
      const fail = (error: Error): void => {
        idle.disarm();
        if (!started) {
          started = true;
          out.destroy();
          reject(error);
        } else {
          out.destroy(error);
        }
      };
      // no progress: no chunk arrives while the caller waits for one (a paused caller is not the plugin's fault)
      const idle = new IdleTimer(this.#idleTimeoutMs, () => {
        if (callDone) return;
        callDone = true;
        call.cancel();
        fail(callTimeoutError(ctx, this.#idleTimeoutMs, "sent nothing for"));
      });
      const out = new Readable({
        highWaterMark: 1024 * 1024,
        read: () => {
          if (!callDone) idle.arm();
          call.resume();
        },
        destroy: (err, cb) => {
          idle.disarm();
          if (!callDone) {
            consumerGone = true;
            call.cancel();
          }
          cb(err);
        },
      });
      let callDone = false;
      const start = (): void => {
        if (!started) {
          started = true;
          resolve(out);
        }
      };
      idle.arm();
      call.on("data", (msg: Bytes__Output) => {
        start();
        if (reclaim) noteReceiveBuffers(msg.data.length);
        if (msg.data.length > 0 && !out.push(msg.data)) {
          call.pause();
          idle.disarm();
        } else {
          idle.arm();
        }
      });
      call.on("end", () => {
        if (callDone) return;
        callDone = true;
        idle.disarm();
        start();
        out.push(null);
      });
      call.on("error", (err: unknown) => {
        if (callDone) return;
        callDone = true;
        if (consumerGone) return;
        fail(fromServiceError(err, ctx));
      });
    });
  }

  async listCommonPrefixes(bucket: string, prefix: string, delimiter: string): Promise<string[]> {
    const res = await callUnary<object, ListCommonPrefixesResponse__Output>(
      this.#client,
      this.#ctx("ListCommonPrefixes"),
      { plugin: this.#name, bucket, prefix, delimiter },
      this.#idleTimeoutMs,
    );
    return res.prefixes;
  }

  async listObjects(bucket: string, prefix: string): Promise<string[]> {
    const res = await callUnary<object, ListObjectsResponse__Output>(
      this.#client,
      this.#ctx("ListObjects"),
      { plugin: this.#name, bucket, prefix },
      this.#idleTimeoutMs,
    );
    return res.keys;
  }

  async deleteObject(bucket: string, key: string): Promise<void> {
    await callUnary(this.#client, this.#ctx("DeleteObject"), { plugin: this.#name, bucket, key }, this.#idleTimeoutMs);
  }

  /** `ttlMs` is sent as a Go time.Duration (nanoseconds). */
  async createSignedUrl(bucket: string, key: string, ttlMs: number): Promise<string> {
    const res = await callUnary<object, CreateSignedURLResponse__Output>(
      this.#client,
      this.#ctx("CreateSignedURL"),
      { plugin: this.#name, bucket, key, ttl: Math.round(ttlMs * NANOS_PER_MS) },
      this.#idleTimeoutMs,
    );
    return res.url;
  }
}


/** A restartable one-shot timer; a limit of 0 never fires. */
class IdleTimer {
  readonly #ms: number;
  readonly #onIdle: () => void;
  #timer: NodeJS.Timeout | undefined;
  constructor(ms: number, onIdle: () => void) {
    this.#ms = ms;
    this.#onIdle = onIdle;
  }
  arm(): void {
    if (this.#ms <= 0) return;
    if (this.#timer) this.#timer.refresh();
    else this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#onIdle();
    }, this.#ms);
  }
  disarm(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

export function createObjectStoreClient(conn: PluginConnection, name: string, options?: ObjectStoreClientOptions): ObjectStore {
  return new ObjectStoreGrpcClient(conn, name, options);
}

/**
 * Cancels a client-streaming call so the server can never see a clean end. grpc-js's cancel()
 * closes the HTTP/2 stream with node's Http2Stream.close(), which ends the writable side first:
 * the queued DATA and an END_STREAM can reach the server before the RST_STREAM, and a server
 * reading "end of stream" completes the upload with what it got (a truncated object). Destroying
 * the HTTP/2 stream instead sends only the RST_STREAM. grpc-js does not expose the stream: it is
 * looked up on the call's internal chain, and cancel() follows in any case.
 */
function abortUpload(call: { cancel(): void }): void {
  const seen = new Set<unknown>();
  let node: unknown = call;
  for (let depth = 0; depth < 12 && node && typeof node === "object" && !seen.has(node); depth++) {
    seen.add(node);
    const stream = (node as { http2Stream?: { destroyed?: boolean; destroy(err?: Error): void } }).http2Stream;
    if (stream) {
      if (!stream.destroyed) stream.destroy(new Error("upload cancelled: its source failed"));
      break;
    }
    const next = node as { call?: unknown; child?: unknown; nextCall?: unknown; underlyingCalls?: { call?: unknown }[] };
    node = next.call ?? next.child ?? next.nextCall ?? next.underlyingCalls?.at(-1)?.call;
  }
  call.cancel();
}
