import { PluginUnavailableError } from "@velero-ts/plugin-sdk";
import type { PluginConnection } from "@velero-ts/plugin-sdk/host";
import { describe, expect, it } from "vitest";
import { createSilentLogger } from "../shared/logging.js";
import type { PluginExit, PluginProcess } from "./plugin-process.js";
import { MAX_RESTART_FAILURES, RestartableProcess, RETRY_AFTER_GIVING_UP_MS } from "./restartable-process.js";

class FakeProcess implements PluginProcess {
  readonly command = { command: "/plugins/fake", args: [] };
  readonly connection: PluginConnection;
  readonly exit: Promise<PluginExit>;
  exited = false;
  #resolveExit!: (e: PluginExit) => void;
  constructor(readonly pid: number) {
    this.connection = { target: `fake:${pid}`, protocol: "grpc", close: () => {} };
    this.exit = new Promise((r) => (this.#resolveExit = r));
  }
  die(): void {
    this.exited = true;
    this.#resolveExit({ code: null, signal: "SIGKILL" });
  }
  /** How long stop() takes (a graceful Shutdown). */
  stopDelayMs = 0;
  async stop(): Promise<void> {
    if (this.stopDelayMs > 0) await new Promise((r) => setTimeout(r, this.stopDelayMs));
    this.die();
  }
}

function setup(failFirst = 0, clock = { ms: 0 }) {
  const started: FakeProcess[] = [];
  let attempts = 0;
  const proc = new RestartableProcess({
    command: { command: "/plugins/fake", args: [] },
    logger: createSilentLogger(),
    now: () => clock.ms,
    launch: async () => {
      attempts++;
      if (attempts <= failFirst) throw new Error(`boom ${attempts}`);
      const p = new FakeProcess(100 + started.length);
      started.push(p);
      return p;
    },
  });
  return { proc, started };
}

describe("RestartableProcess", () => {
  it("shares one process between concurrent callers", async () => {
    const { proc, started } = setup();
    const targets = await Promise.all([1, 2, 3].map(() => proc.call("x", async (c) => c.target)));
    expect(targets).toEqual(["fake:100", "fake:100", "fake:100"]);
    expect(started).toHaveLength(1);
  });

  it("restarts a dead process and replays re-initialisers before the next call", async () => {
    const { proc, started } = setup();
    const seen: string[] = [];
    await proc.call("first", async () => undefined);
    proc.setReinitializer("ObjectStore/x.io/a", async (c) => {
      seen.push(`init on ${c.target}`);
    });
    started[0]!.die();
    await proc.call("second", async (c) => {
      seen.push(`call on ${c.target}`);
    });
    expect(seen).toEqual(["init on fake:101", "call on fake:101"]);
    expect(proc.starts).toBe(2);
  });

  it("turns a failure of a call whose process died into PluginUnavailableError", async () => {
    const { proc, started } = setup();
    const error = await proc
      .call("ObjectStore GetObject", async () => {
        started[0]!.die();
        throw new Error("stream reset");
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PluginUnavailableError);
    expect((error as Error).message).toMatch(/ObjectStore GetObject failed: plugin process "\/plugins\/fake" \(pid 100\) died during the call/);
  });

  it("passes through ordinary plugin errors", async () => {
    const { proc } = setup();
    await expect(proc.call("x", async () => Promise.reject(new Error("bucket missing")))).rejects.toThrow("bucket missing");
  });

  it("gives up after more than MAX_RESTART_FAILURES consecutive failed starts, for a minute; then tries again (a passing problem does not disable the plugin for good)", async () => {
    const clock = { ms: 1_000_000 };
    const { proc, started } = setup(MAX_RESTART_FAILURES + 1, clock);
    for (let i = 1; i <= MAX_RESTART_FAILURES + 1; i++) {
      await expect(proc.call("x", async () => undefined)).rejects.toThrow(`(attempt ${i})`);
    }
    await expect(proc.call("x", async () => undefined)).rejects.toThrow(/failed to start 11 times in a row; giving up for 60 s more/);
    clock.ms += RETRY_AFTER_GIVING_UP_MS - 1000;
    await expect(proc.call("x", async () => undefined)).rejects.toThrow(/giving up for 1 s more/);
    expect(started).toHaveLength(0);
    clock.ms += 1000;
    // the problem has passed: the next call starts the plugin
    await expect(proc.call("x", async () => "ok")).resolves.toBe("ok");
    expect(started).toHaveLength(1);
  });

  it("release() stops an idle process; a call meanwhile (while it shuts down) or later gets a new one, and a busy process is not released", async () => {
    const clock = { ms: 0 };
    const { proc, started } = setup(0, clock);
    await proc.call("x", async () => undefined);
    clock.ms += 5_000;
    expect(proc.idleMs).toBe(5_000);
    // busy while a call runs
    let finish: () => void = () => undefined;
    const running = proc.call("slow", () => new Promise<void>((r) => (finish = r)));
    await new Promise((r) => setImmediate(r));
    expect(proc.idleMs).toBe(0);
    expect(await proc.release()).toBe(false);
    finish();
    await running;
    // idle: released; its graceful stop takes a while, and a call arriving then does not use it
    started[0]!.stopDelayMs = 50;
    const releasing = proc.release();
    await proc.call("during the release", async (c) => expect(c.target).toBe("fake:101"));
    expect(await releasing).toBe(true);
    expect(started.map((p) => p.exited)).toEqual([true, false]);
    expect(proc.starts).toBe(2);
  });

  it("refuses calls after stop", async () => {
    const { proc, started } = setup();
    await proc.call("x", async () => undefined);
    await proc.stop();
    expect(started[0]!.exited).toBe(true);
    await expect(proc.call("x", async () => undefined)).rejects.toThrow(/was stopped/);
  });
});
