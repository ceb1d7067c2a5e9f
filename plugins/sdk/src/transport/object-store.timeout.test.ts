// ObjectStore client time limit (idleTimeoutMs) over both plugin transports: a plugin, or the
// storage behind it, that stops answering fails the call instead of hanging it; slow callers do not.
import { PassThrough, Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PluginTimeoutError } from "../contract/errors.js";
import type { ObjectStore } from "../contract/plugins.js";
import { createNoopPluginLogger } from "../logger.js";
import { serve } from "../serve.js";
import { PLUGIN_PROTOCOLS, startTestPluginServer, type TestPluginServer } from "../testing/harness.js";
import { InMemoryObjectStore } from "../testing/in-memory-object-store.js";
import { readAll } from "../testing/object-store-conformance.js";
import { createObjectStoreClient } from "./object-store.client.js";
import { formatWait } from "./unary.js";

const LIMIT_MS = 250;
const MiB = 1024 * 1024;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Calls named in `hang` never answer until release(); the rest behave. */
class HangingStore extends InMemoryObjectStore {
  hang = new Set<string>();
  /** What a PutObject's body saw: "ended", "errored" or "open". */
  putBody: "ended" | "errored" | "open" | undefined;
  getBody: (() => Readable) | undefined;
  readonly #waiting: (() => void)[] = [];

  #stall(): Promise<never> {
    return new Promise<never>((_resolve, reject) => this.#waiting.push(() => reject(new Error("released"))));
  }
  release(): void {
    for (const r of this.#waiting.splice(0)) r();
  }
  override async listCommonPrefixes(bucket: string, prefix: string, delimiter: string): Promise<string[]> {
    if (this.hang.has("listCommonPrefixes")) return this.#stall();
    return super.listCommonPrefixes(bucket, prefix, delimiter);
  }
  override async putObject(bucket: string, key: string, body: Readable): Promise<void> {
    this.putBody = "open";
    body.once("end", () => (this.putBody = "ended"));
    body.once("error", () => (this.putBody = "errored"));
    if (this.hang.has("putObject:unread")) return this.#stall();
    if (this.hang.has("putObject:after-read")) {
      await readAll(body);
      return this.#stall();
    }
    return super.putObject(bucket, key, body);
  }
  override async getObject(bucket: string, key: string): Promise<Readable> {
    if (this.hang.has("getObject")) return this.#stall();
    return this.getBody ? this.getBody() : super.getObject(bucket, key);
  }
}

describe.each(PLUGIN_PROTOCOLS)("ObjectStore idleTimeoutMs over %s", (protocol) => {
  let store: HangingStore;
  let plugin: TestPluginServer;
  let client: ObjectStore;

  beforeAll(async () => {
    store = new HangingStore();
    plugin = await startTestPluginServer(serve({ logger: createNoopPluginLogger() }).registerObjectStore("test.io/hang", () => store), { protocol });
    client = createObjectStoreClient(plugin.connection, "test.io/hang", { idleTimeoutMs: LIMIT_MS });
  });
  afterAll(async () => {
    store.release();
    await plugin.close();
  });
  const reset = (): void => {
    store.release();
    store.hang.clear();
    store.getBody = undefined;
    store.putBody = undefined;
  };

  it("a unary call with no answer fails with PluginTimeoutError naming the plugin and the call; the next call works", async () => {
    reset();
    store.hang.add("listCommonPrefixes");
    const started = Date.now();
    const error = await client.listCommonPrefixes("b", "backups/", "/").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PluginTimeoutError);
    expect((error as Error).message).toBe(
      `ObjectStore plugin "test.io/hang": ListCommonPrefixes got no answer within ${formatWait(LIMIT_MS)}: the plugin, or the storage it talks to, stopped responding; the call was cancelled`,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(LIMIT_MS - 20);
    store.hang.clear();
    await client.putObject("b", "backups/x/k", Readable.from([Buffer.from("x")]));
    expect(await client.listCommonPrefixes("b", "backups/", "/")).toEqual(["backups/x/"]);
  });

  it("PutObject fails when the plugin stops taking the body, and the plugin's body is cut off (never a clean end)", async () => {
    reset();
    store.hang.add("putObject:unread");
    const error = await client.putObject("b", "big", Readable.from(Array.from({ length: 32 }, () => Buffer.alloc(MiB, 1)))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PluginTimeoutError);
    expect((error as Error).message).toMatch(/^ObjectStore plugin "test\.io\/hang": PutObject made no progress for 250ms: /);
    await expect.poll(() => store.putBody).toBe("errored");
    expect(await client.objectExists("b", "big")).toBe(false);
  });

  it("PutObject fails when the plugin read the whole body and never finishes", async () => {
    reset();
    store.hang.add("putObject:after-read");
    const error = await client.putObject("b", "small", Readable.from([Buffer.from("abc")])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PluginTimeoutError);
    expect((error as Error).message).toMatch(/PutObject made no progress for 250ms/);
  });

  it("PutObject waits for a slow caller's body as long as it takes (that is not the plugin's silence)", async () => {
    reset();
    const body = new PassThrough();
    const upload = client.putObject("b", "slow", body);
    for (let i = 0; i < 3; i++) {
      body.write(Buffer.from(`part${i};`));
      await sleep(LIMIT_MS * 2);
    }
    body.end();
    await upload;
    expect((await readAll(await client.getObject("b", "slow"))).toString()).toBe("part0;part1;part2;");
  });

  it("GetObject with no first chunk rejects; one that stalls mid-body fails the reader", async () => {
    reset();
    store.hang.add("getObject");
    const first = await client.getObject("b", "k").catch((e: unknown) => e);
    expect(first).toBeInstanceOf(PluginTimeoutError);
    expect((first as Error).message).toMatch(/^ObjectStore plugin "test\.io\/hang": GetObject sent nothing for 250ms: /);

    reset();
    const stalled = new PassThrough();
    stalled.write(Buffer.alloc(4 * MiB, 2)); // more than one message: the plugin side sends whole messages
    store.getBody = () => stalled;
    const body = await client.getObject("b", "k");
    const error = await readAll(body).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PluginTimeoutError);
    expect((error as Error).message).toMatch(/GetObject sent nothing for 250ms/);
    stalled.destroy();
  });

  it("GetObject lets a paused reader take its time", async () => {
    reset();
    const data = Buffer.alloc(8 * MiB, 7);
    await client.putObject("b", "large", Readable.from([data]));
    const body = await client.getObject("b", "large");
    await sleep(LIMIT_MS * 3); // nobody reads: the call is paused, not idle
    expect((await readAll(body)).equals(data)).toBe(true);
  });
});
