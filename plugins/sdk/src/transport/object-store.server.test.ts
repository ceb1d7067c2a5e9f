// The PutObject handler's body stream: chunks reach the plugin as they arrived (never concatenated), paced by the call.
import { EventEmitter } from "node:events";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import type { ObjectStore } from "../contract/plugins.js";
import { createNoopPluginLogger } from "../logger.js";
import { InflightCalls } from "./handler.js";
import { objectStoreHandlers } from "./object-store.server.js";
import { PluginRegistry } from "./registry.js";

/** A client-streaming call as the handlers see it (grpc-js / vtframes1 surface): data/end, pause/resume. */
class FakeCall extends EventEmitter {
  paused = false;
  resumes = 0;
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
    this.resumes++;
  }
}

function setup(consume: (body: Readable) => Promise<unknown>): { call: FakeCall; done: Promise<unknown> } {
  const registry = new PluginRegistry(createNoopPluginLogger());
  let finish: (v: unknown) => void = () => {};
  const done = new Promise((resolve) => (finish = resolve));
  registry.register("ObjectStore", "t.io/s", () => ({ putObject: async (_b: string, _k: string, body: Readable) => finish(await consume(body)) }) as unknown as ObjectStore);
  const handlers = objectStoreHandlers(registry, new InflightCalls());
  const call = new FakeCall();
  (handlers.PutObject as unknown as (call: FakeCall, cb: (err: unknown) => void) => void)(call, () => {});
  return { call, done };
}

const msg = (body: Buffer) => ({ plugin: "t.io/s", bucket: "b", key: "k", body });

describe("PutObject handler body", () => {
  it("hands a for-await consumer each received chunk as it is (several chunks of one message are not concatenated)", async () => {
    const chunks = [Buffer.alloc(65_536, 1), Buffer.alloc(65_536, 2), Buffer.alloc(65_536, 3), Buffer.alloc(10, 4)];
    const { call, done } = setup(async (body) => {
      const seen: Buffer[] = [];
      for await (const chunk of body as AsyncIterable<Buffer>) seen.push(chunk);
      return seen;
    });
    // one vtframes1 message arrives as several data events in one go
    for (const chunk of chunks) call.emit("data", msg(chunk));
    expect(call.paused).toBe(true);
    call.emit("end");
    const seen = (await done) as Buffer[];
    expect(seen).toHaveLength(chunks.length);
    seen.forEach((chunk, i) => expect(chunk).toBe(chunks[i]));
  });

  it("holds what the consumer has not asked for with the call paused, and resumes it once everything is taken", async () => {
    let release: () => void = () => {};
    const { call, done } = setup(async (body) => {
      let n = 0;
      for await (const chunk of body as AsyncIterable<Buffer>) {
        n += chunk.length;
        if (n === 3) await new Promise<void>((r) => (release = r));
      }
      return n;
    });
    call.emit("data", msg(Buffer.alloc(1)));
    call.emit("data", msg(Buffer.alloc(2)));
    expect(call.paused).toBe(true);
    await new Promise((r) => setImmediate(r));
    // the consumer took both and is busy: at most one more chunk is read ahead, the rest waits paused
    call.emit("data", msg(Buffer.alloc(4)));
    call.emit("data", msg(Buffer.alloc(8)));
    expect(call.paused).toBe(true);
    const resumesBefore = call.resumes;
    release();
    await new Promise((r) => setImmediate(r));
    expect(call.resumes).toBeGreaterThan(resumesBefore);
    expect(call.paused).toBe(false);
    call.emit("data", msg(Buffer.alloc(16)));
    call.emit("end");
    expect(await done).toBe(31);
  });

  it("ends the body after the queued chunks when the call ends while they wait", async () => {
    const { call, done } = setup(async (body) => {
      await new Promise((r) => setImmediate(r));
      return Buffer.concat(await (body as Readable).toArray()).toString();
    });
    call.emit("data", msg(Buffer.from("ab")));
    call.emit("data", msg(Buffer.from("cd")));
    call.emit("end");
    expect(await done).toBe("abcd");
  });
});

describe("GetObject handler", () => {
  it("a call the host cancels mid-stream is no longer counted in flight (it was kept for the process's life)", async () => {
    const registry = new PluginRegistry(createNoopPluginLogger());
    async function* body(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 100; i++) yield Buffer.alloc(1024, i);
    }
    registry.register("ObjectStore", "t.io/s", () => ({ getObject: async () => Readable.from(body()) }) as unknown as ObjectStore);
    const calls = new InflightCalls();
    const handlers = objectStoreHandlers(registry, calls);
    const written: Buffer[] = [];
    const call = Object.assign(new EventEmitter(), {
      request: { plugin: "t.io/s", bucket: "b", key: "k" },
      cancelled: false,
      write(m: { data: Buffer }): boolean {
        written.push(m.data);
        if (written.length === 3) call.cancelled = true;
        return true;
      },
      end: (): void => {
        throw new Error("a cancelled call is not ended");
      },
    });
    (handlers.GetObject as unknown as (c: typeof call) => void)(call);
    expect(calls.size).toBe(1);
    await new Promise((r) => setTimeout(r, 20));
    expect(written.length).toBeGreaterThanOrEqual(3);
    expect(calls.size).toBe(0);
  });
});
