import { describe, expect, it } from "vitest";
import { captureLogger, type Captured } from "../testing/capturing-logger.js";
import { PluginLogRouter, withCallLogger } from "./log-router.js";
import { createPluginLogSink } from "./plugin-log.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function createCapturingLogger() {
  const records: Captured[] = [];
  return {
    logger: captureLogger(records),
    get lines() {
      return records.map((r) => ({ level: r.level, msg: r.message, ...r.fields }));
    },
  };
}

describe("PluginLogRouter", () => {
  it("sends a plugin's lines to the loggers of the calls in flight, until the grace period after the call", async () => {
    const router = new PluginLogRouter(20);
    const server = createCapturingLogger();
    const backup = createCapturingLogger();
    const sink = createPluginLogSink(server.logger, { plugin: "p" }, router);
    sink.line('{"@level":"info","@message":"before"}');
    const slow = withCallLogger({ run: async () => sink.line('{"@level":"warn","@message":"during","n":1}') }, router, backup.logger);
    await slow.run();
    sink.line("[INFO] just after the reply");
    await sleep(40);
    sink.line('{"@level":"info","@message":"long after"}');
    expect(backup.lines.map((l) => l.msg)).toEqual(["during", "[INFO] just after the reply"]);
    expect(backup.lines[0]).toMatchObject({ level: "warn", plugin: "p", n: 1 });
    // A logger that does not echo to the server log: the server log has every line too.
    expect(server.lines.map((l) => l.msg)).toEqual(["before", "during", "[INFO] just after the reply", "long after"]);
    expect(router.size).toBe(0);
  });

  it("leaves a line the attached logger echoes to the server log out of the server log (one copy there)", async () => {
    const router = new PluginLogRouter(10);
    const server = createCapturingLogger();
    const backup = createCapturingLogger();
    const sink = createPluginLogSink(server.logger, {}, router);
    const plugin = withCallLogger({ run: async () => sink.line("[ERROR] boom") }, router, backup.logger, { echoesToServerLog: true });
    await plugin.run();
    expect(backup.lines.map((l) => `${l.level}:${l.msg}`)).toEqual(["error:[ERROR] boom"]);
    expect(server.lines).toEqual([]);
  });

  it("with two operations' calls overlapping, a line goes to the one whose call began last, never to both", async () => {
    const router = new PluginLogRouter(10);
    const server = createCapturingLogger();
    const backup = createCapturingLogger();
    const restore = createCapturingLogger();
    const sink = createPluginLogSink(server.logger, {}, router);
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    // a call of the backup that stays in flight (say, one whose reply is slow)
    const forBackup = withCallLogger({ run: async () => held }, router, backup.logger, { echoesToServerLog: true });
    const forRestore = withCallLogger({ run: async () => sink.line("[INFO] the restore's line") }, router, restore.logger, { echoesToServerLog: true });
    const running = forBackup.run();
    await forRestore.run();
    const again = withCallLogger({ run: async () => sink.line("[INFO] the backup's line") }, router, backup.logger, { echoesToServerLog: true });
    await again.run();
    release();
    await running;
    expect(restore.lines.map((l) => l.msg)).toEqual(["[INFO] the restore's line"]);
    expect(backup.lines.map((l) => l.msg)).toEqual(["[INFO] the backup's line"]);
    expect(server.lines, "each logger echoes its lines to the server log itself").toEqual([]);
  });

  it("holds a logger while any of its calls runs, releases it when a call throws, and passes properties through", async () => {
    const router = new PluginLogRouter(5);
    const log = createCapturingLogger();
    let release: () => void = () => {};
    const plugin = withCallLogger(
      {
        name: "x",
        wait: () => new Promise<void>((r) => (release = r)),
        quick: async () => 1,
        fail: () => {
          throw new Error("sync failure");
        },
      },
      router,
      log.logger,
    );
    expect(plugin.name).toBe("x");
    const waiting = plugin.wait();
    expect(await plugin.quick()).toBe(1);
    expect(() => plugin.fail()).toThrow("sync failure");
    await sleep(20);
    expect(router.size, "the waiting call still holds it").toBe(1);
    release();
    await waiting;
    await sleep(20);
    expect(router.size).toBe(0);
  });
});
