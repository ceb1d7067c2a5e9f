import fs from "node:fs";
import { afterEach, describe, expect, expectTypeOf, it, vi } from "vitest";
import type { PluginLogger } from "../logger.js";
import { serve } from "../serve.js";
import { startTestPluginServer } from "./harness.js";
import { InMemoryObjectStore } from "./in-memory-object-store.js";
import type { PluginProtocol, TestPluginServerOptions } from "./index.js";

interface Line {
  level: string;
  msg: string;
  bindings: Record<string, unknown>;
}

function captureLogger(lines: Line[], bindings: Record<string, unknown> = {}): PluginLogger {
  const at =
    (level: string) =>
    (obj: object | string, msg?: string): void => {
      lines.push({ level, msg: typeof obj === "string" ? obj : (msg ?? ""), bindings });
    };
  return {
    trace: at("trace"),
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child: (more) => captureLogger(lines, { ...bindings, ...more }),
  };
}

/** serve() with an object store whose factory and objectExists log at info. */
function chattyPlugin(logger?: PluginLogger) {
  return serve(logger ? { logger } : {}).registerObjectStore("example.io/chatty", ({ logger: log }) => {
    log.info("chatty store created");
    const store = new InMemoryObjectStore();
    return Object.assign(store, {
      objectExists: async (bucket: string, key: string): Promise<boolean> => {
        log.info({ bucket, key }, "chatty objectExists");
        return false;
      },
    });
  });
}

describe("startTestPluginServer", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("writes no log line to stderr when neither it nor serve() was given a logger", async () => {
    // serve()'s default logger writes JSON lines to fd 2 with fs.writeSync
    const writes = vi.spyOn(fs, "writeSync");
    const plugin = await startTestPluginServer(chattyPlugin());
    try {
      expect(await plugin.objectStore("example.io/chatty").objectExists("b", "k")).toBe(false);
    } finally {
      await plugin.close();
    }
    const chatty = writes.mock.calls.filter(([, data]) => String(data).includes("chatty"));
    expect(chatty).toEqual([]);
  });

  it("logs through the logger option, with the plugin and kind on the factory's logger", async () => {
    const lines: Line[] = [];
    const plugin = await startTestPluginServer(chattyPlugin(), { logger: captureLogger(lines) });
    try {
      await plugin.objectStore("example.io/chatty").objectExists("b", "k");
    } finally {
      await plugin.close();
    }
    expect(lines.filter((l) => l.msg.startsWith("chatty"))).toEqual([
      { level: "info", msg: "chatty store created", bindings: { plugin: "example.io/chatty", pluginKind: "ObjectStore" } },
      { level: "info", msg: "chatty objectExists", bindings: { plugin: "example.io/chatty", pluginKind: "ObjectStore" } },
    ]);
  });

  it("keeps logging to the logger given to serve() when it has no logger option", async () => {
    const lines: Line[] = [];
    const plugin = await startTestPluginServer(chattyPlugin(captureLogger(lines)));
    try {
      await plugin.objectStore("example.io/chatty").objectExists("b", "k");
    } finally {
      await plugin.close();
    }
    expect(lines.map((l) => l.msg).filter((m) => m.startsWith("chatty"))).toEqual(["chatty store created", "chatty objectExists"]);
  });

  it("types its protocol option with the PluginProtocol exported from the testing entry", () => {
    expectTypeOf<TestPluginServerOptions["protocol"]>().toEqualTypeOf<PluginProtocol | undefined>();
    expectTypeOf<"grpc">().toExtend<PluginProtocol>();
    expectTypeOf<"vtframes1">().toExtend<PluginProtocol>();
  });
});
