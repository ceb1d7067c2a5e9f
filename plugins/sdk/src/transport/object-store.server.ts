// generated.ObjectStore served from registered ObjectStore implementations, plugin side.
import { Readable } from "node:stream";
import * as grpc from "@grpc/grpc-js";
import type { ObjectStoreHandlers } from "@velero-ts/proto/generated/generated/ObjectStore";
import type { PutObjectRequest__Output } from "@velero-ts/proto/generated/generated/PutObjectRequest";
import { ValidationError } from "../contract/errors.js";
import { NANOS_PER_MS } from "./convert.js";
import { InflightCalls, trackCall, unary } from "./handler.js";
import type { PluginRegistry } from "./registry.js";
import { OBJECT_CHUNK_BYTES, rechunk, writableOrEnded } from "./stream.js";

export function objectStoreHandlers(registry: PluginRegistry, calls: InflightCalls, getObjectChunkBytes = OBJECT_CHUNK_BYTES): ObjectStoreHandlers {
  const store = (name: string) => registry.get("ObjectStore", name);
  return {
    Init: unary(calls, async (req) => {
      await (await store(req.plugin)).init({ ...req.config });
      return {};
    }),

    PutObject: (call, callback) => {
      const tracked = trackCall(calls, (status) => callback(status));
      let body: Readable | undefined;
      // Chunks go into the body one per read() and it buffers nothing ahead (highWaterMark 0), so
      // a paused-mode consumer (for await, read()) gets them as they arrived: a Readable asks
      // for more on every read() and hands out everything it holds as ONE concatenated copy.
      // The rest wait here (vtframes1 delivers a message as several chunks), the call paused.
      const queued: Buffer[] = [];
      let wanted = false;
      let ended = false;
      const start = (first: PutObjectRequest__Output): Readable => {
        const stream = new Readable({
          highWaterMark: 0,
          read: () => {
            const next = queued.shift();
            if (next) stream.push(next);
            if (queued.length > 0) return;
            if (ended) stream.push(null);
            else if (!next) {
              wanted = true;
              call.resume();
            }
          },
        });
        store(first.plugin)
          .then((s) => s.putObject(first.bucket, first.key, stream))
          .then(
            () => {
              tracked.settle();
              callback(null, {});
            },
            (err: unknown) => {
              tracked.fail(err);
              stream.destroy();
            },
          );
        return stream;
      };
      call.on("data", (msg: PutObjectRequest__Output) => {
        body ??= start(msg);
        if (msg.body.length === 0) return;
        if (wanted) {
          wanted = false;
          body.push(msg.body);
          return;
        }
        queued.push(msg.body);
        call.pause();
      });
      // The host gave up on the upload (its source failed): the object must not be completed, so
      // the body fails instead of ending (a store then aborts its upload).
      let cancelled = false;
      call.on("cancelled", () => {
        cancelled = true;
        body?.destroy(new Error("the host cancelled the upload (PutObject): the object is incomplete and must not be stored"));
      });
      call.on("end", () => {
        if (cancelled) return;
        if (body) {
          if (queued.length > 0) ended = true;
          else body.push(null);
          return;
        }
        // Velero's Go host sends NO message for an empty body, so plugin, bucket and key are
        // unknown; Go plugin servers fail here too. Our host always sends at least one message.
        tracked.fail(
          new ValidationError(
            "PutObject stream carried no messages, so the plugin name, bucket and key are unknown; send at least one PutObjectRequest (with an empty body for an empty object)",
          ),
        );
      });
      call.on("error", (err) => body?.destroy(err));
    },

    ObjectExists: unary(calls, async (req) => ({ exists: await (await store(req.plugin)).objectExists(req.bucket, req.key) })),

    GetObject: (call) => {
      const tracked = trackCall(calls, (status) => call.emit("error", status));
      const run = async (): Promise<void> => {
        const body = await (await store(call.request.plugin)).getObject(call.request.bucket, call.request.key);
        // !!! chunk framing: every message <= 16384 bytes by default (stream.ts) !!!
        for await (const chunk of rechunk(body, getObjectChunkBytes)) {
          if (call.cancelled) break;
          if (!call.write({ data: chunk })) await writableOrEnded(call, ["drain", "cancelled", "close"]);
        }
        // (a cancelled call is over too: it must not stay among the calls a crash would fail)
        tracked.settle();
        if (!call.cancelled) call.end();
      };
      run().catch((err: unknown) => tracked.fail(err));
    },

    ListCommonPrefixes: unary(calls, async (req) => ({
      prefixes: await (await store(req.plugin)).listCommonPrefixes(req.bucket, req.prefix, req.delimiter),
    })),

    ListObjects: unary(calls, async (req) => ({ keys: await (await store(req.plugin)).listObjects(req.bucket, req.prefix) })),

    DeleteObject: unary(calls, async (req) => {
      await (await store(req.plugin)).deleteObject(req.bucket, req.key);
      return {};
    }),

    // ttl is a Go time.Duration: nanoseconds.
    CreateSignedURL: unary(calls, async (req) => ({
      url: await (await store(req.plugin)).createSignedUrl(req.bucket, req.key, Number(req.ttl) / NANOS_PER_MS),
    })),
  };
}


