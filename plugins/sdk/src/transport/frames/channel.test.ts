// vtframes1 client channel <-> server over a unix socket: multiplexing, flow control,
// cancellation, deadlines, connection loss and corrupt streams.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { serviceDefinition } from "@velero-ts/proto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FramesChannel } from "./channel.js";
import { encodeFrame, FrameType, INITIAL_WINDOW_BYTES } from "./codec.js";
import { FramesServer } from "./server.js";
import { createFramesServiceClient } from "./service-client.js";

type Call = grpc.ServerUnaryCall<Record<string, unknown>, unknown> & grpc.ServerWritableStream<Record<string, unknown>, unknown>;
type Callback = (err: Partial<grpc.ServiceError> | null, res?: unknown) => void;
type ClientStream = grpc.ClientReadableStream<{ data: Buffer }> & grpc.ClientWritableStream<unknown>;
type Client = Record<string, (...args: unknown[]) => ClientStream>;

const CHUNK = 256 * 1024;
let dir: string;
let path: string;
let server: FramesServer;
let channel: FramesChannel;
let client: Client;
let handlers: Record<string, unknown>;

function startServer(): Promise<number> {
  server = new FramesServer();
  // the handlers see the frames server's call objects; typed loosely as the grpc-js shapes they mimic
  const route = (name: string) => (call: unknown, cb: unknown) => (handlers[name] as (c: unknown, cb: unknown) => void)(call, cb);
  server.addService(serviceDefinition("objectStore"), {
    ObjectExists: route("ObjectExists"),
    GetObject: route("GetObject"),
    PutObject: route("PutObject"),
  } as unknown as grpc.UntypedServiceImplementation);
  return server.listen({ path });
}

function exists(key: string, options: { deadline?: number; metadata?: grpc.Metadata } = {}): Promise<boolean> {
  return new Promise((resolve, reject) => {
    client["ObjectExists"]!({ plugin: "p", bucket: "b", key }, options.metadata ?? new grpc.Metadata(), { deadline: options.deadline }, (err: grpc.ServiceError | null, res?: { exists: boolean }) =>
      err ? reject(err) : resolve(res?.exists ?? false),
    );
  });
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "vt-frames-"));
  path = join(dir, "s.sock");
  handlers = { ObjectExists: (call: Call, cb: Callback) => cb(null, { exists: call.request["key"] === "yes" }) };
  await startServer();
  channel = new FramesChannel(`unix:${path}`, { path });
  client = createFramesServiceClient(channel, serviceDefinition("objectStore")) as Client;
});

afterEach(() => {
  channel.close();
  server.forceShutdown();
  rmSync(dir, { recursive: true, force: true });
});

describe("vtframes1 calls", () => {
  it("multiplexes many concurrent calls over one connection", async () => {
    const keys = Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? "yes" : `no-${i}`));
    expect(await Promise.all(keys.map((k) => exists(k)))).toEqual(keys.map((k) => k === "yes"));
  });

  it("answers an unknown method with UNIMPLEMENTED", async () => {
    const other = createFramesServiceClient(channel, serviceDefinition("health")) as Client;
    const err = await new Promise<grpc.ServiceError | null>((resolve) => other["Check"]!({ service: "plugin" }, (e: grpc.ServiceError | null) => resolve(e)));
    expect(err?.code).toBe(grpc.status.UNIMPLEMENTED);
    expect(err?.details).toBe("The server does not implement the method /grpc.health.v1.Health/Check");
    expect(err?.metadata).toBeInstanceOf(grpc.Metadata);
  });

  it("carries code, details and grpc-status-details-bin of a failed call", async () => {
    const metadata = new grpc.Metadata();
    metadata.set("grpc-status-details-bin", Buffer.from([8, 5]));
    handlers["ObjectExists"] = (_call: Call, cb: Callback) => cb({ code: grpc.status.NOT_FOUND, details: 'no bucket "b"', metadata });
    const err = (await exists("k").catch((e: unknown) => e)) as grpc.ServiceError;
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toBe('5 NOT_FOUND: no bucket "b"');
    expect([err.code, err.details]).toEqual([grpc.status.NOT_FOUND, 'no bucket "b"']);
    expect(err.metadata.get("grpc-status-details-bin")).toEqual([Buffer.from([8, 5])]);
  });
});

describe("vtframes1 flow control", () => {
  it("stops a GetObject sender at the window while the consumer is paused, without blocking other calls", async () => {
    const total = 4 * INITIAL_WINDOW_BYTES;
    let written = 0;
    let resolveBlocked: (sent: number) => void = () => {};
    const blocked = new Promise<number>((r) => (resolveBlocked = r));
    handlers["GetObject"] = (call: Call) => {
      const pump = (): void => {
        while (written < total) {
          written += CHUNK;
          if (!call.write({ data: Buffer.alloc(CHUNK, 1) })) {
            resolveBlocked(written);
            call.once("drain", pump);
            return;
          }
        }
        call.end();
      };
      pump();
    };
    const call = client["GetObject"]!({ plugin: "p", bucket: "b", key: "k" });
    let received = 0;
    call.pause();
    const ended = new Promise<void>((resolve, reject) => {
      call.on("data", (m: { data: Buffer }) => (received += m.data.length));
      call.on("end", resolve);
      call.on("error", reject);
    });
    const sentWhenBlocked = await blocked;
    expect(sentWhenBlocked).toBeLessThanOrEqual(INITIAL_WINDOW_BYTES + CHUNK);
    // the paused stream does not hold up other calls on the same connection
    expect(await exists("yes")).toBe(true);
    expect(written).toBe(sentWhenBlocked);
    expect(received).toBe(0);
    call.resume();
    await ended;
    expect(received).toBe(total);
  });

  it("tears the connection down when the plugin keeps sending on a paused stream beyond its window", async () => {
    server.forceShutdown();
    rmSync(path, { force: true });
    const rogue: Server = createServer((socket: Socket) => {
      socket.on("error", () => undefined); // the client resets the connection while this writes
      socket.once("data", () => {
        // GetObject replies for stream 1, ignoring credit: twice the window at once.
        const message = Buffer.concat([Buffer.from([0x0a, 0x80, 0x80, 0x10]), Buffer.alloc(CHUNK, 1)]);
        for (let sent = 0; sent < 2 * INITIAL_WINDOW_BYTES; sent += CHUNK) socket.write(encodeFrame(FrameType.MESSAGE, 0, 1, message));
      });
    });
    await new Promise<void>((resolve) => rogue.listen(path, resolve));
    try {
      const call = client["GetObject"]!({ plugin: "p", bucket: "b", key: "k" });
      call.pause();
      const err = await new Promise<grpc.ServiceError>((resolve) => call.on("error", resolve));
      expect(err.code).toBe(grpc.status.INTERNAL);
      expect(err.details).toMatch(/flow-control window it had used up/);
    } finally {
      rogue.close();
    }
  });

  it("makes a PutObject writer wait for drain while the plugin does not read", async () => {
    let serverCall: (Call & { pause(): void; resume(): void }) | undefined;
    let serverReceived = 0;
    const opened = new Promise<void>((resolve) => {
      handlers["PutObject"] = (call: Call & { pause(): void; resume(): void }, cb: Callback) => {
        serverCall = call;
        call.pause();
        call.on("data", (m: { body: Buffer }) => (serverReceived += m.body.length));
        call.on("end", () => cb(null, {}));
        resolve();
      };
    });
    const done = new Promise<grpc.ServiceError | null>((resolve) => {
      const call = client["PutObject"]!((err: grpc.ServiceError | null) => resolve(err));
      let sent = 0;
      while (call.write({ plugin: "p", bucket: "b", key: "k", body: Buffer.alloc(CHUNK) })) sent += CHUNK;
      sent += CHUNK;
      expect(sent).toBeLessThanOrEqual(INITIAL_WINDOW_BYTES + CHUNK);
      call.once("drain", () => call.end());
      void opened.then(() => serverCall?.resume());
    });
    expect(await done).toBeNull();
    expect(serverReceived).toBeGreaterThanOrEqual(INITIAL_WINDOW_BYTES);
  });
});

describe("vtframes1 cancellation and deadlines", () => {
  it("cancels a server stream at the plugin when the client cancels", async () => {
    const cancelled = new Promise<void>((resolve) => {
      handlers["GetObject"] = (call: Call) => {
        call.on("cancelled", () => resolve());
        call.write({ data: Buffer.from("first") });
      };
    });
    const call = client["GetObject"]!({ plugin: "p", bucket: "b", key: "k" });
    const error = new Promise<grpc.ServiceError>((resolve) => call.on("error", resolve));
    await new Promise((resolve) => call.once("data", resolve));
    call.cancel();
    expect((await error).code).toBe(grpc.status.CANCELLED);
    await cancelled;
  });

  it("fails a call with DEADLINE_EXCEEDED and cancels it at the plugin", async () => {
    const cancelled = new Promise<boolean>((resolve) => {
      handlers["ObjectExists"] = (call: Call) => call.on("cancelled", () => resolve(call.cancelled));
    });
    const err = (await exists("slow", { deadline: Date.now() + 20 }).catch((e: unknown) => e)) as grpc.ServiceError;
    expect(err.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(await cancelled).toBe(true);
  });
});

describe("vtframes1 connection loss", () => {
  it("fails calls in flight with UNAVAILABLE when the plugin goes away, and reconnects for the next call", async () => {
    const entered = new Promise<void>((resolve) => {
      handlers["ObjectExists"] = () => resolve();
    });
    const inFlight = exists("hang").catch((e: unknown) => e);
    await entered;
    server.forceShutdown();
    const err = (await inFlight) as grpc.ServiceError;
    expect(err.code).toBe(grpc.status.UNAVAILABLE);
    expect(err.details).toBe(`vtframes1 connection to unix:${path} closed by the plugin`);

    rmSync(path, { force: true });
    handlers["ObjectExists"] = (call: Call, cb: Callback) => cb(null, { exists: call.request["key"] === "yes" });
    await startServer();
    expect(await exists("yes")).toBe(true);
  });

  it("fails a call with UNAVAILABLE when nothing listens, but waitForReady waits for the listener", async () => {
    server.forceShutdown();
    rmSync(path, { force: true });
    const err = (await exists("yes").catch((e: unknown) => e)) as grpc.ServiceError;
    expect(err.code).toBe(grpc.status.UNAVAILABLE);
    expect(err.details).toMatch(/vtframes1 connection to unix:.* failed \(connect ENOENT/);

    const waiting = exists("yes", { metadata: new grpc.Metadata({ waitForReady: true }), deadline: Date.now() + 10_000 });
    await startServer();
    expect(await waiting).toBe(true);
  });

  it("fails calls with INTERNAL naming the target when the plugin sends a corrupt frame", async () => {
    server.forceShutdown();
    rmSync(path, { force: true });
    const rogue: Server = createServer((socket: Socket) => {
      socket.once("data", () => socket.write(Buffer.concat([encodeFrame(FrameType.CREDIT, 0, 1, Buffer.alloc(4)), Buffer.from([0, 0, 0, 0, 0, 0, 0, 1, 42, 0, 0, 0])])));
    });
    await new Promise<void>((resolve) => rogue.listen(path, resolve));
    try {
      const err = (await exists("k").catch((e: unknown) => e)) as grpc.ServiceError;
      expect(err.code).toBe(grpc.status.INTERNAL);
      expect(err.details).toBe(`vtframes1 connection to unix:${path} broke: unknown frame type 42 (stream 1, length 0)`);
    } finally {
      rogue.close();
    }
  });

  it("fails only the call with INTERNAL when the plugin's reply is not a valid protobuf message, and the connection keeps serving", async () => {
    server.forceShutdown();
    rmSync(path, { force: true });
    let calls = 0;
    const rogue: Server = createServer((socket: Socket) => {
      socket.on("data", () => {
        calls++;
        // stream 1 gets a truncated message (a length-delimited field claiming 100 bytes), stream 2 a valid empty one
        const reply = calls === 1 ? Buffer.from([0x0a, 0x64, 0x01]) : Buffer.alloc(0);
        socket.write(Buffer.concat([encodeFrame(FrameType.MESSAGE, 0, calls, reply), encodeFrame(FrameType.STATUS, 0, calls, Buffer.alloc(8))]));
      });
    });
    await new Promise<void>((resolve) => rogue.listen(path, resolve));
    try {
      const err = (await exists("k").catch((e: unknown) => e)) as grpc.ServiceError;
      expect(err.code).toBe(grpc.status.INTERNAL);
      expect(err.details).toMatch(new RegExp(`^the plugin at unix:${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} sent a /generated.ObjectStore/ObjectExists reply that is not a valid protobuf message: `));
      expect(await exists("k")).toBe(false);
    } finally {
      rogue.close();
    }
  });

  it("fails calls after close() with UNAVAILABLE", async () => {
    channel.close();
    const err = (await exists("yes").catch((e: unknown) => e)) as grpc.ServiceError;
    expect(err.code).toBe(grpc.status.UNAVAILABLE);
    expect(err.details).toMatch(/is closed/);
  });
});
