/**
 * A plugin process that comes back after it dies (velero-compat.md 2.5). One per plugin binary,
 * shared by every plugin of that binary that a manager uses. Before each call it checks the
 * process; if it has exited it launches a new one and re-runs every registered re-initialiser
 * (Init with the original config for object stores and volume snapshotters) before the call goes
 * out. A call in flight when the process dies fails with PluginUnavailableError; the next call
 * restarts it. After more than MAX_RESTART_FAILURES consecutive failed starts it gives up, failing
 * calls at once, for RETRY_AFTER_GIVING_UP_MS; then it tries again (Velero's managers live for one
 * backup or restore, so the next one tries again; this one lives as long as the server, and a
 * passing problem, a full disk or a binary being replaced, must not disable the plugin for good).
 */
import { Readable } from "node:stream";
import { getErrorMessage, isVeleroError, PluginUnavailableError } from "@velero-ts/plugin-sdk";
import type { PluginConnection } from "@velero-ts/plugin-sdk/host";
import type { Logger } from "../shared/logging.js";
import { describeCommand, type PluginCommand, type PluginProcess } from "./plugin-process.js";

/** Velero gives up on a plugin after this many consecutive failed restarts. */
export const MAX_RESTART_FAILURES = 10;
/** How long calls fail at once after giving up, before starts are tried again. */
export const RETRY_AFTER_GIVING_UP_MS = 60_000;
/** After a failed call, how long to wait for the process exit that explains it. */
const EXIT_SETTLE_MS = 500;

export type Reinitializer = (connection: PluginConnection) => Promise<void>;

export interface RestartableProcessOptions {
  command: PluginCommand;
  launch: (command: PluginCommand) => Promise<PluginProcess>;
  logger: Logger;
  /** Milliseconds now (tests); default Date.now. */
  now?: () => number;
}

export class RestartableProcess {
  readonly command: PluginCommand;
  readonly #launch: (command: PluginCommand) => Promise<PluginProcess>;
  readonly #log: Logger;
  readonly #reinitializers = new Map<string, Reinitializer>();
  /** Clients per process: a dead process's clients are never reused. */
  readonly #clients = new WeakMap<PluginProcess, Map<string, unknown>>();
  #current: PluginProcess | undefined;
  #starting: Promise<PluginProcess> | undefined;
  #failures = 0;
  #lastFailure: unknown;
  #lastFailureAt = 0;
  readonly #now: () => number;
  /** Calls in flight, and streams they returned that are still open. */
  #busy = 0;
  #lastActive: number;
  /** The current process was stopped while idle (release()): the next call starts another. */
  #released = false;
  #starts = 0;
  #stopped = false;

  constructor(options: RestartableProcessOptions) {
    this.command = options.command;
    this.#launch = options.launch;
    this.#log = options.logger;
    this.#now = options.now ?? Date.now;
    this.#lastActive = this.#now();
  }

  /** How long no call has been in flight (0 while one is, or a stream it returned is open). */
  get idleMs(): number {
    return this.#busy > 0 ? 0 : this.#now() - this.#lastActive;
  }

  /**
   * Stops the running process while nothing uses it; unlike stop(), the next call starts a new
   * one and re-initialises it (Init with the same config), as after a crash.
   */
  async release(): Promise<boolean> {
    const current = this.#current;
    if (this.#stopped || this.#busy > 0 || this.#starting || !current || current.exited) return false;
    this.#released = true;
    await current.stop();
    return true;
  }

  #enter(): void {
    this.#busy++;
  }

  #leave(): void {
    this.#busy--;
    this.#lastActive = this.#now();
  }

  /** How many processes were started so far (1 + restarts). */
  get starts(): number {
    return this.#starts;
  }

  /** The live process's pid, or undefined when none is running. */
  get pid(): number | undefined {
    const current = this.#current;
    return current && !current.exited ? current.pid : undefined;
  }

  /** The wire protocol of the live process, or undefined when none is running. */
  get protocol(): PluginConnection["protocol"] | undefined {
    const current = this.#current;
    return current && !current.exited ? current.connection.protocol : undefined;
  }

  /**
   * Registers (or replaces) what must run on every new process before it serves calls, e.g.
   * `ObjectStore/velero.io/aws` → Init(config). Not run now: the caller does its own first call.
   */
  setReinitializer(key: string, reinit: Reinitializer): void {
    this.#reinitializers.set(key, reinit);
  }

  /**
   * A client for the current process, created once per process by `create` (clients of a dead
   * process are never reused).
   */
  async client<T>(key: string, create: (connection: PluginConnection) => T): Promise<T> {
    return this.#clientOf(await this.process(), key, create);
  }

  #clientOf<T>(proc: PluginProcess, key: string, create: (connection: PluginConnection) => T): T {
    let clients = this.#clients.get(proc);
    if (!clients) {
      clients = new Map();
      this.#clients.set(proc, clients);
    }
    let client = clients.get(key) as T | undefined;
    if (client === undefined) {
      client = create(proc.connection);
      clients.set(key, client);
    }
    return client;
  }

  /**
   * Runs one call against the live process (restarting it first when needed). A failure caused
   * by the process dying becomes a PluginUnavailableError.
   */
  async call<T>(what: string, fn: (connection: PluginConnection) => Promise<T>): Promise<T> {
    this.#enter();
    try {
      const proc = await this.process();
      try {
        return await fn(proc.connection);
      } catch (error) {
        throw await this.#explain(what, proc, error);
      }
    } finally {
      this.#leave();
    }
  }

  /** Like call(), with a client from client(). */
  async callClient<C, T>(what: string, key: string, create: (connection: PluginConnection) => C, fn: (client: C) => Promise<T>): Promise<T> {
    this.#enter();
    let streaming = false;
    try {
      const current = this.#current;
      // hot path: no extra promise when the process is up
      const proc = current && !current.exited && !this.#stopped && !this.#released ? current : await this.process();
      const client = this.#clientOf(proc, key, create);
      let result: T;
      try {
        result = await fn(client);
      } catch (error) {
        throw await this.#explain(what, proc, error);
      }
      if (result instanceof Readable) {
        this.#explainStreamErrors(what, proc, result);
        // busy until the caller is done with the stream (GetObject's body)
        if (!result.destroyed) {
          streaming = true;
          result.once("close", () => this.#leave());
        }
      }
      return result;
    } finally {
      if (!streaming) this.#leave();
    }
  }

  /**
   * A stream the call returned (GetObject's body) fails the way a call does: an error caused by
   * the process dying mid-stream waits for its exit and becomes the same PluginUnavailableError,
   * and by then the process is known dead, so the next call restarts it. The stream's _destroy
   * is wrapped (no extra stream in the data path).
   */
  #explainStreamErrors(what: string, proc: PluginProcess, stream: Readable): void {
    const destroy = stream._destroy.bind(stream);
    stream._destroy = (error: Error | null, callback: (error?: Error | null) => void): void => {
      destroy(error, (destroyError) => {
        const failure = destroyError ?? error;
        if (!failure) return callback(null);
        void this.#explain(what, proc, failure).then((explained) => callback(explained as Error));
      });
    };
  }

  /** The live process, started or restarted (and re-initialised) when necessary. */
  process(): Promise<PluginProcess> {
    if (this.#stopped) {
      return Promise.reject(new PluginUnavailableError(`plugin "${describeCommand(this.command)}" was stopped; create a new plugin manager`));
    }
    const current = this.#current;
    // a process being released (stopped while idle) takes no new calls: they start another
    if (current && !current.exited && !this.#released) return Promise.resolve(current);
    this.#starting ??= this.#start().finally(() => {
      this.#starting = undefined;
    });
    return this.#starting;
  }

  async #start(): Promise<PluginProcess> {
    const name = describeCommand(this.command);
    if (this.#failures > MAX_RESTART_FAILURES) {
      const waitMs = this.#lastFailureAt + RETRY_AFTER_GIVING_UP_MS - this.#now();
      if (waitMs > 0) {
        throw new PluginUnavailableError(
          `plugin "${name}" failed to start ${this.#failures} times in a row; giving up for ${Math.ceil(waitMs / 1000)} s more (last error: ${getErrorMessage(this.#lastFailure)})`,
          { cause: this.#lastFailure },
        );
      }
      this.#log.info({ cmd: this.command.command }, "trying the plugin again after giving up on it a minute ago");
      this.#failures = 0;
    }
    const restart = this.#current !== undefined;
    if (restart) {
      if (this.#released) this.#log.debug({ cmd: this.command.command }, "starting the plugin again (it was stopped while unused)");
      else this.#log.info({ cmd: this.command.command }, "plugin process exited; restarting it");
    }
    this.#released = false;
    let proc: PluginProcess | undefined;
    try {
      proc = await this.#launch(this.command);
      this.#starts++;
      this.#current = proc;
      for (const reinit of this.#reinitializers.values()) await reinit(proc.connection);
      this.#failures = 0;
      return proc;
    } catch (error) {
      this.#failures++;
      this.#lastFailure = error;
      this.#lastFailureAt = this.#now();
      await proc?.stop();
      const what = restart ? "restart" : "start";
      throw new PluginUnavailableError(`failed to ${what} plugin "${name}" (attempt ${this.#failures}): ${getErrorMessage(error)}`, {
        cause: error,
      });
    }
  }

  async #explain(what: string, proc: PluginProcess, error: unknown): Promise<unknown> {
    if (!proc.exited && !looksLikeLostProcess(error)) return error;
    const died = proc.exited || (await settled(proc.exit, EXIT_SETTLE_MS));
    if (!died) return error;
    return new PluginUnavailableError(
      `${what} failed: plugin process "${describeCommand(this.command)}" (pid ${proc.pid}) died during the call; the next call restarts it (${getErrorMessage(error)})`,
      { cause: error },
    );
  }

  /** Stops the process (Shutdown, grace period, SIGKILL). Later calls fail. */
  async stop(): Promise<void> {
    this.#stopped = true;
    const starting = this.#starting;
    if (starting) await starting.catch(() => undefined);
    await this.#current?.stop();
  }
}

function looksLikeLostProcess(error: unknown): boolean {
  if (!isVeleroError(error)) return false;
  if (error.code === "VELERO_PLUGIN_UNAVAILABLE") return true;
  const reason = (error as { reason?: unknown }).reason;
  return reason === "unavailable" || reason === "aborted" || reason === "internal";
}

async function settled(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    promise.then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
  ]);
  clearTimeout(timer);
  return result;
}
