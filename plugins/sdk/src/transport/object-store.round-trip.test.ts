// ObjectStore over the plugin transports (gRPC and vtframes1): chunk framing, streaming edge cases, backpressure, error mapping.
import { Readable } from "node:stream";
import * as grpc from "@grpc/grpc-js";
import { serviceDefinition } from "@velero-ts/proto";
import type { ObjectStoreClient } from "@velero-ts/proto/generated/generated/ObjectStore";
import type { PutObjectRequest__Output } from "@velero-ts/proto/generated/generated/PutObjectRequest";
import type { Bytes__Output } from "@velero-ts/proto/generated/generated/Bytes";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NotFoundError, PluginError, PluginUnavailableError, ValidationError } from "../contract/errors.js";
import type { ObjectStore } from "../contract/plugins.js";
import { createNoopPluginLogger } from "../logger.js";
import { serve } from "../serve.js";
import { PLUGIN_PROTOCOLS, startTestPluginServer, type TestPluginServer } from "../testing/harness.js";
import { InMemoryObjectStore } from "../testing/in-memory-object-store.js";
import { readAll } from "../testing/object-store-conformance.js";
import { connectPlugin, serviceClient } from "./connection.js";
import { createObjectStoreClient } from "./object-store.client.js";
import { FRAMES_OBJECT_CHUNK_BYTES, GET_OBJECT_CHUNK_BYTES, OBJECT_CHUNK_BYTES } from "./stream.js";

const MiB = 1024 * 1024;

/** A store whose behaviour each test sets. */
class ScriptedStore extends InMemoryObjectStore {
  calls: unknown[][] = [];
  failWith: unknown = undefined;
  getBody: (() => Readable) | undefined;
  putSink: ((body: Readable) => Promise<void>) | undefined;

  override async putObject(bucket: string, key: string, body: Readable): Promise<void> {
    if (this.failWith !== undefined) throw this.failWith;
    if (this.putSink) return this.putSink(body);
    return super.putObject(bucket, key, body);
  }
  override async getObject(bucket: string, key: string): Promise<Readable> {
    if (this.failWith !== undefined) throw this.failWith;
    return this.getBody ? this.getBody() : super.getObject(bucket, key);
  }
  override async listCommonPrefixes(bucket: string, prefix: string, delimiter: string): Promise<string[]> {
    this.calls.push(["listCommonPrefixes", bucket, prefix, delimiter]);
    return [`${prefix}x${delimiter}`];
  }
  override async createSignedUrl(bucket: string, key: string, ttlMs: number): Promise<string> {
    this.calls.push(["createSignedUrl", bucket, key, ttlMs]);
    return `https://signed.invalid/${bucket}/${key}?ttl=${ttlMs}`;
  }
  override async objectExists(bucket: string, key: string): Promise<boolean> {
    if (this.failWith !== undefined) throw this.failWith;
    return super.objectExists(bucket, key);
  }
}

function throwFromNamedFunction(): never {
  throw new Error("disk on fire");
}

// Every case runs over both wire protocols: gRPC (Velero's host) and vtframes1 (the velero-ts host).
describe.each(PLUGIN_PROTOCOLS)("over %s", (protocol) => {
  let store: ScriptedStore;
  let plugin: TestPluginServer;
  let client: ObjectStore;

  beforeAll(async () => {
    store = new ScriptedStore();
    plugin = await startTestPluginServer(serve({ logger: createNoopPluginLogger() }).registerObjectStore("test.io/store", () => store), { protocol });
    client = plugin.objectStore("test.io/store");
  });
  afterAll(async () => {
    await plugin.close();
  });

  const reset = (): void => {
    store.failWith = undefined;
    store.getBody = undefined;
    store.putSink = undefined;
  };

  describe("ObjectStore unary calls", () => {
    it("passes init config, list arguments in the right order and the signed-URL TTL", async () => {
      reset();
      await client.init({ bucket: "b", prefix: "p", region: "r" });
      expect(store.config).toEqual({ bucket: "b", prefix: "p", region: "r" });
      expect(await client.listCommonPrefixes("b", "backups/", "/")).toEqual(["backups/x/"]);
      expect(store.calls.at(-1)).toEqual(["listCommonPrefixes", "b", "backups/", "/"]);
      // 10 minutes travels as 600000000000 ns (Go time.Duration) and comes back as ms.
      expect(await client.createSignedUrl("b", "k", 600_000)).toBe("https://signed.invalid/b/k?ttl=600000");
      expect(store.calls.at(-1)).toEqual(["createSignedUrl", "b", "k", 600_000]);
    });
  });

  describe("ObjectStore streaming", () => {
    it.each([
      { name: "empty", size: 0 },
      { name: "one byte", size: 1 },
      { name: "exactly one chunk", size: OBJECT_CHUNK_BYTES },
      { name: "one chunk plus one byte", size: OBJECT_CHUNK_BYTES + 1 },
      { name: "many chunks from odd-sized input pieces", size: 5 * OBJECT_CHUNK_BYTES + 123 },
    ])("round-trips an object: $name", async ({ size }) => {
      reset();
      const data = Buffer.alloc(size, 7);
      for (let i = 0; i < size; i++) data[i] = (i * 31) & 0xff;
      const pieces: Buffer[] = [];
      for (let off = 0; off < size; off += 1000 + (off % 7)) pieces.push(data.subarray(off, Math.min(size, off + 1000 + (off % 7))));
      await client.putObject("b", `obj-${size}`, Readable.from(pieces));
      const back = await readAll(await client.getObject("b", `obj-${size}`));
      expect(back.equals(data)).toBe(true);
    });

    it("frames GetObject in 256 KiB messages by default over grpc, 1 MiB over vtframes1", async () => {
      reset();
      const chunk = protocol === "grpc" ? GET_OBJECT_CHUNK_BYTES : FRAMES_OBJECT_CHUNK_BYTES;
      const size = 2 * chunk + 88_000;
      await client.putObject("b", "framed", Readable.from([Buffer.alloc(size, 1)]));
      const raw = serviceClient<ObjectStoreClient>(plugin.connection, "objectStore");
      const sizes = await new Promise<number[]>((resolve, reject) => {
        const got: number[] = [];
        const call = raw.GetObject({ plugin: "test.io/store", bucket: "b", key: "framed" });
        call.on("data", (m: Bytes__Output) => got.push(m.data.length));
        call.on("end", () => resolve(got));
        call.on("error", reject);
      });
      expect(sizes).toEqual([chunk, chunk, 88_000]);
    });

    it("sends bigger GetObject messages when the plugin opts in", async () => {
      const big = await startTestPluginServer(
        serve({ logger: createNoopPluginLogger() }).registerObjectStore("test.io/big", async () => {
          const s = new InMemoryObjectStore();
          await s.putObject("b", "k", Readable.from([Buffer.alloc(150_000, 2)]));
          return s;
        }),
        { getObjectChunkBytes: 65536, protocol },
      );
      try {
        const raw = serviceClient<ObjectStoreClient>(big.connection, "objectStore");
        const sizes = await new Promise<number[]>((resolve, reject) => {
          const got: number[] = [];
          const call = raw.GetObject({ plugin: "test.io/big", bucket: "b", key: "k" });
          call.on("data", (m: Bytes__Output) => got.push(m.data.length));
          call.on("end", () => resolve(got));
          call.on("error", reject);
        });
        expect(sizes).toEqual([65536, 65536, 18928]);
      } finally {
        await big.close();
      }
    });

    it("rejects a PutObject stream with no messages with a clear error", async () => {
      const raw = serviceClient<ObjectStoreClient>(plugin.connection, "objectStore");
      const err = await new Promise<grpc.ServiceError | null>((resolve) => raw.PutObject((e: grpc.ServiceError | null) => resolve(e)).end());
      expect(err?.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(err?.details).toMatch(/no messages.*at least one PutObjectRequest/);
    });

    it("keeps a slow GetObject consumer's backlog bounded (backpressure)", async () => {
      reset();
      const total = 32 * MiB;
      let produced = 0;
      store.getBody = () =>
        new Readable({
          read() {
            if (produced >= total) return void this.push(null);
            produced += 256 * 1024;
            this.push(Buffer.alloc(256 * 1024, 3));
          },
        });
      const body = await client.getObject("b", "huge");
      let consumed = 0;
      let maxLag = 0;
      for await (const chunk of body as AsyncIterable<Buffer>) {
        consumed += chunk.length;
        maxLag = Math.max(maxLag, produced - consumed);
        if ((consumed / OBJECT_CHUNK_BYTES) % 64 === 0) await new Promise((r) => setImmediate(r)); // a slow consumer
      }
      expect(consumed).toBe(total);
      expect(maxLag).toBeLessThan(8 * MiB);
    });

    it("keeps a slow PutObject sink's backlog bounded (backpressure)", async () => {
      reset();
      const total = 32 * MiB;
      let produced = 0;
      let consumed = 0;
      let maxLag = 0;
      store.putSink = async (body) => {
        for await (const chunk of body as AsyncIterable<Buffer>) {
          consumed += chunk.length;
          maxLag = Math.max(maxLag, produced - consumed);
          if ((consumed / OBJECT_CHUNK_BYTES) % 64 === 0) await new Promise((r) => setImmediate(r));
        }
      };
      const source = new Readable({
        read() {
          if (produced >= total) return void this.push(null);
          produced += 256 * 1024;
          this.push(Buffer.alloc(256 * 1024, 5));
        },
      });
      await client.putObject("b", "huge", source);
      expect(consumed).toBe(total);
      expect(maxLag).toBeLessThan(8 * MiB);
    });

    it("cancels the download when the consumer destroys the stream", async () => {
      reset();
      let destroyed = false;
      store.getBody = () =>
        new Readable({
          read() {
            this.push(Buffer.alloc(OBJECT_CHUNK_BYTES, 1));
          },
          destroy(err, cb) {
            destroyed = true;
            cb(err);
          },
        });
      const body = await client.getObject("b", "endless");
      await new Promise<void>((resolve) => body.once("data", () => resolve()));
      body.destroy();
      // The server notices the cancellation and destroys its source; a later call still works.
      await expect.poll(() => destroyed).toBe(true);
      expect(await client.objectExists("b", "nothing")).toBe(false);
    });
  });

  describe("ObjectStore error mapping", () => {
    it("maps a thrown Error to PluginError with message, reason and the remote stack", async () => {
      reset();
      store.failWith = (() => {
        try {
          throwFromNamedFunction();
        } catch (e) {
          return e;
        }
      })();
      const error = await client.objectExists("b", "k").then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(PluginError);
      const pe = error as PluginError;
      // as Velero shows a plugin's error: its gRPC status error's text
      expect(pe.message).toBe("rpc error: code = Unknown desc = disk on fire");
      expect(pe.reason).toBe("unknown");
      expect(pe.kind).toBe("ObjectStore");
      expect(pe.pluginName).toBe("test.io/store");
      expect(pe.remoteStack[0]?.function).toBe("throwFromNamedFunction");
      expect(pe.remoteStack[0]?.file).toMatch(/object-store\.round-trip\.test\.ts$/);
      expect(pe.remoteStack[0]?.line).toBeGreaterThan(0);
    });

    it.each([
      { name: "ValidationError", thrown: new ValidationError("bad config key \"x\""), type: PluginError, reason: "invalid", message: 'rpc error: code = InvalidArgument desc = bad config key "x"' },
      { name: "NotFoundError", thrown: new NotFoundError("no such bucket"), type: NotFoundError, reason: undefined, message: "rpc error: code = NotFound desc = no such bucket (not found)" },
      { name: "a thrown string", thrown: "plain string", type: PluginError, reason: "unknown", message: "rpc error: code = Unknown desc = plain string" },
      { name: "a thrown object", thrown: { code: 42 }, type: PluginError, reason: "unknown", message: 'rpc error: code = Unknown desc = {"code":42}' },
    ])("maps $name", async ({ thrown, type, reason, message }) => {
      reset();
      store.failWith = thrown;
      const error = await client.objectExists("b", "k").then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(type);
      expect((error as Error).message).toBe(message);
      if (reason) expect((error as PluginError).reason).toBe(reason);
    });

    it("rejects getObject itself when the plugin fails before the first chunk", async () => {
      reset();
      await expect(client.getObject("b", "missing")).rejects.toBeInstanceOf(NotFoundError);
      store.failWith = new Error("no credentials");
      await expect(client.getObject("b", "x")).rejects.toThrow("no credentials");
    });

    it("fails the stream when the plugin fails mid-download", async () => {
      reset();
      store.getBody = () =>
        Readable.from(
          (async function* () {
            // more than one message goes out before the failure
            yield Buffer.alloc((protocol === "grpc" ? GET_OBJECT_CHUNK_BYTES : FRAMES_OBJECT_CHUNK_BYTES) + OBJECT_CHUNK_BYTES, 1);
            throw new Error("connection reset by bucket");
          })(),
        );
      const body = await client.getObject("b", "half");
      await expect(readAll(body)).rejects.toThrow("connection reset by bucket");
    });

    it("rejects putObject with the plugin's error", async () => {
      reset();
      store.failWith = new Error("bucket is read-only");
      await expect(client.putObject("b", "k", Readable.from([Buffer.from("x")]))).rejects.toThrow("bucket is read-only");
    });

    it("rejects a large upload promptly when the plugin fails without reading it", async () => {
      reset();
      store.failWith = new Error("quota exceeded");
      let produced = 0;
      const endless = new Readable({
        read() {
          produced += 64 * 1024;
          this.push(Buffer.alloc(64 * 1024));
        },
      });
      await expect(client.putObject("b", "k", endless)).rejects.toThrow("quota exceeded");
      expect(produced).toBeLessThan(32 * MiB); // it stopped reading the source
      expect(endless.destroyed).toBe(true);
    });

    it("rejects putObject with the body's own error when the source fails", async () => {
      reset();
      const source = Readable.from(
        (async function* () {
          yield Buffer.alloc(100);
          throw new Error("source file vanished");
        })(),
      );
      await expect(client.putObject("b", "k", source)).rejects.toThrow("source file vanished");
    });

    it("throws PluginUnavailableError when the plugin is gone", async () => {
      const other = await startTestPluginServer(serve({ logger: createNoopPluginLogger() }).registerObjectStore("test.io/s", () => new InMemoryObjectStore()), { protocol });
      const gone = createObjectStoreClient(connectPlugin(other.handshake), "test.io/s");
      await other.close();
      const error = await gone.objectExists("b", "k").then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(PluginUnavailableError);
      expect((error as Error).message).toMatch(/ObjectStore plugin "test.io\/s": ObjectExists failed: the plugin process is unavailable/);
    });
  });
});

describe("PutObject client framing (against a recording server)", () => {
  let server: grpc.Server;
  let port: number;
  const received: PutObjectRequest__Output[][] = [];

  beforeAll(async () => {
    server = new grpc.Server();
    server.addService(serviceDefinition("objectStore"), {
      PutObject: (call: grpc.ServerReadableStream<PutObjectRequest__Output, object>, cb: grpc.sendUnaryData<object>) => {
        const msgs: PutObjectRequest__Output[] = [];
        call.on("data", (m: PutObjectRequest__Output) => msgs.push(m));
        call.on("end", () => {
          received.push(msgs);
          cb(null, {});
        });
      },
    });
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
  });
  afterAll(() => {
    server.forceShutdown();
  });

  it.each([0, -1, 1.5, 2 * 1024 * 1024])("refuses chunk size %s", (chunkBytes) => {
    const conn = connectPlugin({ coreVersion: 1, appVersion: 2, network: "tcp", address: `127.0.0.1:${port}`, protocol: "grpc", serverCert: "" });
    try {
      expect(() => createObjectStoreClient(conn, "test.io/rec", { chunkBytes })).toThrow(RangeError);
    } finally {
      conn.close();
    }
  });

  it.each([
    { name: "empty body: one message with an empty body", pieces: [] as number[], sizes: [0] },
    { name: "small body", pieces: [10, 20], sizes: [30] },
    { name: "exact chunk", pieces: [16384], sizes: [16384] },
    { name: "re-framed pieces", pieces: [10_000, 30_000], sizes: [16384, 16384, 7232] },
    { name: "opt-in 64 KiB messages", pieces: [100_000, 100_000], sizes: [65536, 65536, 65536, 3392], chunkBytes: 65536 },
  ])("$name", async ({ pieces, sizes, chunkBytes }) => {
    const conn = connectPlugin({ coreVersion: 1, appVersion: 2, network: "tcp", address: `127.0.0.1:${port}`, protocol: "grpc", serverCert: "" });
    try {
      await createObjectStoreClient(conn, "test.io/rec", { chunkBytes }).putObject("bkt", "a/key", Readable.from(pieces.map((n) => Buffer.alloc(n, 9))));
      const msgs = received.at(-1) ?? [];
      expect(msgs.map((m) => m.body.length)).toEqual(sizes);
      for (const m of msgs) expect([m.plugin, m.bucket, m.key]).toEqual(["test.io/rec", "bkt", "a/key"]);
    } finally {
      conn.close();
    }
  });
});
