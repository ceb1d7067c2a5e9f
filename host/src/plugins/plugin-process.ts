/**
 * One running plugin process: spawn with the go-plugin handshake environment, read the handshake
 * line with a timeout, connect, drain GRPCStdio, check health, forward stderr into the host log,
 * and stop it the way go-plugin does (Shutdown rpc, wait, SIGKILL the direct child).
 * velero-compat.md 1.2–1.7 and checklist B.
 *
 * Transport (ADR 0004): the host offers its TypeScript plugins the vtframes1 transport through
 * VELERO_TS_PLUGIN_PROTOCOLS; a plugin that does not know it (every Go plugin) answers "grpc".
 * VELERO_TS_PLUGIN_TRANSPORT=grpc on the host, or `transport: "grpc"`, offers gRPC only.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { basename } from "node:path";
import {
  APP_PROTOCOL_VERSION,
  checkHealth,
  connectPlugin,
  drainStdio,
  MAGIC_COOKIE_KEY,
  MAGIC_COOKIE_VALUE,
  parseHandshake,
  PLUGIN_PROTOCOLS_ENV,
  PLUGIN_TRANSPORT_ENV,
  VTFRAMES_PROTOCOL,
  shutdownPlugin,
  type PluginConnection,
} from "@velero-ts/plugin-sdk/host";
import { getErrorMessage, isVeleroError, PluginProtocolError, PluginUnavailableError } from "@velero-ts/plugin-sdk";
import { formatGoDuration } from "../shared/duration.js";
import type { Logger } from "../shared/logging.js";
import type { PluginLogRouter } from "./log-router.js";
import { createLineSplitter, createPluginLogSink } from "./plugin-log.js";

/** go-plugin's default StartTimeout, which Velero keeps. */
export const HANDSHAKE_TIMEOUT_MS = 60_000;
/** After this long without a handshake line, a warning names the plugin being waited for. */
export const SLOW_HANDSHAKE_MS = 5_000;
/** How long the first health check may take once the handshake is read. */
export const HEALTH_TIMEOUT_MS = 10_000;
/** go-plugin waits this long after Shutdown before it SIGKILLs the plugin. */
export const STOP_GRACE_MS = 2_000;
/** How long an exited plugin's stdout and stderr are waited for (a child of it may keep them open). */
const STDIO_DRAIN_MS = 1000;
/** How much of a failing plugin's stderr goes into the error message. */
const STDERR_TAIL_LINES = 8;

/** What to run: an executable and its arguments (the server flags, or `run-plugins` + flags). */
export interface PluginCommand {
  command: string;
  args: readonly string[];
}

/**
 * What the host offers a plugin: "vtframes1" (gRPC or vtframes1, the plugin chooses; the default)
 * or "grpc" (gRPC only).
 */
export type PluginTransport = "vtframes1" | "grpc";

/** The host's default offer: gRPC only when VELERO_TS_PLUGIN_TRANSPORT=grpc, else vtframes1. */
export function defaultPluginTransport(env: NodeJS.ProcessEnv = process.env): PluginTransport {
  return env[PLUGIN_TRANSPORT_ENV]?.trim().toLowerCase() === "grpc" ? "grpc" : VTFRAMES_PROTOCOL;
}

export interface LaunchOptions {
  logger: Logger;
  /** What to offer the plugin; default defaultPluginTransport(). */
  transport?: PluginTransport;
  handshakeTimeoutMs?: number;
  healthTimeoutMs?: number;
  /** Extra environment on top of the host's (tests use it to pass markers to fixtures). */
  env?: Record<string, string>;
  /** Also sends each stderr line to the loggers of the calls being served. */
  logRouter?: PluginLogRouter;
}

export interface PluginExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A started, connected and healthy plugin process. */
export interface PluginProcess {
  readonly command: PluginCommand;
  readonly pid: number;
  readonly connection: PluginConnection;
  /** True once the process has exited (for any reason). */
  readonly exited: boolean;
  /** Resolves when the process exits. */
  readonly exit: Promise<PluginExit>;
  /** Shutdown rpc, wait up to STOP_GRACE_MS, then SIGKILL. Idempotent. */
  stop(): Promise<void>;
}

/** The human name of a command in messages: its path, plus args when there are any. */
export function describeCommand(cmd: PluginCommand): string {
  return cmd.args.length > 0 && cmd.args[0] === "run-plugins" ? `${cmd.command} run-plugins` : cmd.command;
}

/**
 * The environment go-plugin's host gives a plugin: the full host environment plus the magic
 * cookie and port/version variables. TLS and multiplexing are never requested. With transport
 * "vtframes1" it also offers that protocol (VELERO_TS_PLUGIN_PROTOCOLS), which only velero-ts
 * plugins read.
 */
export function pluginEnvironment(extra: Record<string, string> = {}, transport: PluginTransport = defaultPluginTransport()): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env["PLUGIN_CLIENT_CERT"];
  delete env["PLUGIN_MULTIPLEX_GRPC"];
  delete env[PLUGIN_PROTOCOLS_ENV];
  if (transport === VTFRAMES_PROTOCOL) env[PLUGIN_PROTOCOLS_ENV] = VTFRAMES_PROTOCOL;
  env[MAGIC_COOKIE_KEY] = MAGIC_COOKIE_VALUE;
  // go-plugin's client defaults (NewClient: MinPort 10000, MaxPort 25000), what Velero's plugins see
  env["PLUGIN_MIN_PORT"] = "10000";
  env["PLUGIN_MAX_PORT"] = "25000";
  env["PLUGIN_PROTOCOL_VERSIONS"] = String(APP_PROTOCOL_VERSION);
  return env;
}

/**
 * Process groups of the plugins this process started and has not killed yet, while their output
 * is open (a group member still runs): what killStartedPluginProcesses() kills.
 */
const liveGroups = new Set<number>();

/**
 * SIGKILL to the process group of every plugin this process started and did not stop: for a
 * server told to stop before it has a plugin manager to stop them (a signal during start-up).
 * Returns how many groups were signalled.
 */
export function killStartedPluginProcesses(): number {
  let killed = 0;
  for (const pid of liveGroups) {
    try {
      process.kill(-pid, "SIGKILL");
      killed++;
    } catch {
      // already gone
    }
  }
  liveGroups.clear();
  return killed;
}

/**
 * Starts the plugin and resolves once it is connected and healthy. Rejects with a
 * PluginProtocolError (bad or missing handshake) or PluginUnavailableError (could not start,
 * exited, unhealthy) whose message names the executable; the process is killed in that case.
 */
export async function launchPlugin(cmd: PluginCommand, options: LaunchOptions): Promise<PluginProcess> {
  const name = describeCommand(cmd);
  // (`pluginName` as Velero's log adapter names it; `plugin` too, which a plugin's own lines set to the
  // registered name it logs for)
  const fields = { plugin: basename(cmd.command), pluginName: basename(cmd.command), cmd: cmd.command };
  const transport = options.transport ?? defaultPluginTransport();
  const child = spawn(cmd.command, [...cmd.args], {
    env: pluginEnvironment(options.env, transport),
    stdio: ["ignore", "pipe", "pipe"],
    // A process group of its own: what the plugin starts is stopped with it (see kill()).
    detached: true,
  });
  if (child.pid !== undefined) {
    const pid = child.pid;
    liveGroups.add(pid);
    child.once("close", () => liveGroups.delete(pid));
  }
  const proc = new ChildPluginProcess(cmd, child, options.logger, fields, options.logRouter);
  const log = options.logger.child(fields);
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS;
  // A plugin slow to answer holds up the server's start (as in Velero): say which, while waiting.
  const slowMs = Math.min(SLOW_HANDSHAKE_MS, handshakeTimeoutMs / 2);
  const slow = setTimeout(() => log.warn({ waitedMs: slowMs }, `plugin executable ${name} has not printed its handshake line yet; waiting for it up to ${formatGoDuration(handshakeTimeoutMs)}`), slowMs);
  slow.unref();
  try {
    const line = await proc.readHandshakeLine(handshakeTimeoutMs).finally(() => clearTimeout(slow));
    const info = parseHandshake(line, { offered: transport === VTFRAMES_PROTOCOL ? [VTFRAMES_PROTOCOL] : [] });
    proc.attach(connectPlugin(info));
    await Promise.race([checkHealth(proc.connection, options.healthTimeoutMs ?? HEALTH_TIMEOUT_MS), proc.exitedEarly()]);
    log.debug({ pid: child.pid, address: info.address, protocol: info.protocol }, "plugin process started");
    return proc;
  } catch (error) {
    proc.kill();
    await proc.exit;
    await proc.releaseStdio();
    throw wrapLaunchError(name, error, proc.stderrTail());
  }
}

function wrapLaunchError(name: string, error: unknown, stderrTail: string): Error {
  const tail = stderrTail ? `; its stderr ends with: ${JSON.stringify(stderrTail)}` : "";
  const message = `plugin executable "${name}": ${getErrorMessage(error)}${tail}`;
  if (isVeleroError(error) && error.code === "VELERO_PLUGIN_PROTOCOL") return new PluginProtocolError(message, { cause: error });
  return new PluginUnavailableError(message, { cause: error });
}

class ChildPluginProcess implements PluginProcess {
  readonly command: PluginCommand;
  readonly exit: Promise<PluginExit>;
  readonly #child: ChildProcess;
  readonly #log: Logger;
  readonly #stderrTail: string[] = [];
  #exited = false;
  #exitInfo: PluginExit | undefined;
  #spawnError: Error | undefined;
  #connection: PluginConnection | undefined;
  #stopping: Promise<void> | undefined;
  #onFirstLine: ((line: string) => void) | undefined;
  #firstLine: string | undefined;
  /** Resolves once the process exited and its stdout and stderr were read to the end ("close"). */
  readonly #closed: Promise<void>;

  constructor(cmd: PluginCommand, child: ChildProcess, logger: Logger, fields: Record<string, string>, logRouter?: PluginLogRouter) {
    this.command = cmd;
    this.#child = child;
    const log = logger.child(fields);
    this.#log = log;
    this.exit = new Promise<PluginExit>((resolve) => {
      child.once("exit", (code, signal) => {
        this.#exited = true;
        this.#exitInfo = { code, signal };
        this.#connection?.close();
        resolve(this.#exitInfo);
      });
      child.once("error", (error) => {
        // spawn failures (ENOENT, EACCES) emit "error" and no "exit"
        this.#spawnError = error;
        if (child.pid === undefined) {
          this.#exited = true;
          this.#exitInfo = { code: null, signal: null };
          resolve(this.#exitInfo);
        }
      });
    });
    this.#closed = new Promise<void>((resolve) => {
      child.once("close", () => resolve());
      child.once("error", () => {
        if (child.pid === undefined) resolve();
      });
    });
    const sink = createPluginLogSink(logger, fields, logRouter);
    const stderr = createLineSplitter((line) => {
      this.#rememberStderr(line);
      sink.line(line);
    });
    child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.stderr?.on("end", () => stderr.end());
    // !!! The first stdout line is the handshake; every later line is drained and logged at
    // debug (go-plugin discards them). Never stop reading: a full pipe blocks the plugin.
    const stdout = createLineSplitter((line) => {
      if (this.#firstLine === undefined) {
        this.#firstLine = line;
        this.#onFirstLine?.(line);
      } else if (line.trim() !== "") {
        log.debug({ stdout: line }, "plugin wrote to stdout");
      }
    });
    child.stdout?.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stdout?.on("end", () => stdout.end());
  }

  get pid(): number {
    return this.#child.pid ?? -1;
  }

  get exited(): boolean {
    return this.#exited;
  }

  get connection(): PluginConnection {
    if (!this.#connection) throw new Error("plugin process is not connected yet");
    return this.#connection;
  }

  attach(connection: PluginConnection): void {
    this.#connection = connection;
    if (this.#exited) connection.close();
    drainStdio(connection, (_channel, data) => {
      const text = data.toString("utf8").trimEnd();
      if (text !== "") this.#log.debug({ stdio: text }, "plugin stdio");
    });
  }

  stderrTail(): string {
    return this.#stderrTail.join("\n");
  }

  #rememberStderr(line: string): void {
    if (line.trim() === "") return;
    this.#stderrTail.push(line.length > 300 ? `${line.slice(0, 300)}…` : line);
    if (this.#stderrTail.length > STDERR_TAIL_LINES) this.#stderrTail.shift();
  }

  readHandshakeLine(timeoutMs: number): Promise<string> {
    if (this.#firstLine !== undefined) return Promise.resolve(this.#firstLine);
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new PluginProtocolError(`printed no handshake line on stdout within ${timeoutMs} ms; is it a Velero plugin?`));
      }, timeoutMs);
      this.#onFirstLine = (line) => {
        clearTimeout(timer);
        resolve(line);
      };
      void this.exit.then(async () => {
        clearTimeout(timer);
        // "exit" may come before the pipes are drained: stdout may still hold the line, and stderr
        // the plugin's last words for the error. Wait for them (not forever: a child the plugin
        // started may hold the pipes open).
        await this.#stdioDrained();
        if (this.#firstLine !== undefined) return resolve(this.#firstLine);
        reject(this.#earlyExitError("before printing its handshake line"));
      });
    });
  }

  /** Rejects when the process exits; never resolves otherwise. */
  exitedEarly(): Promise<never> {
    return this.exit.then(async () => {
      await this.#stdioDrained();
      throw this.#earlyExitError("right after its handshake");
    });
  }

  /** After "exit": until stdout and stderr are read to the end, at most STDIO_DRAIN_MS. */
  async #stdioDrained(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, STDIO_DRAIN_MS)))]);
    clearTimeout(timer);
  }

  #earlyExitError(when: string): Error {
    if (this.#spawnError) return new PluginUnavailableError(`could not be started: ${this.#spawnError.message}`, { cause: this.#spawnError });
    const info = this.#exitInfo;
    const how = info?.signal ? `was killed by ${info.signal}` : `exited with code ${info?.code ?? "unknown"}`;
    return new PluginUnavailableError(`${how} ${when}`);
  }

  /**
   * SIGKILL to the plugin's process group (the plugin and what it started, even once the plugin
   * itself has exited): a process it left behind would otherwise live on and hold its stdout and
   * stderr open, and with them this process, which could not exit.
   */
  kill(): void {
    const pid = this.#child.pid;
    if (pid === undefined) return;
    liveGroups.delete(pid);
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // the group is gone (or was never made): the plugin alone, if it still runs
      if (!this.#exited) this.#child.kill("SIGKILL");
    }
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    if (!this.#exited) {
      if (this.#connection) {
        await Promise.race([shutdownPlugin(this.#connection), this.exit]);
        this.#connection.close();
      }
      let timer: NodeJS.Timeout | undefined;
      const graceful = await Promise.race([
        this.exit.then(() => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), STOP_GRACE_MS))),
      ]);
      clearTimeout(timer);
      if (!graceful) this.#log.warn({ pid: this.pid }, "plugin failed to exit gracefully; killing it");
    }
    // The plugin if it still runs, and whatever it started and left behind.
    this.kill();
    await this.exit;
    await this.releaseStdio();
  }

  /**
   * After the exit: reads what is left of stdout and stderr (at most STDIO_DRAIN_MS), then stops
   * reading them, should a process outside the plugin's group still hold them open.
   */
  async releaseStdio(): Promise<void> {
    await this.#stdioDrained();
    this.#child.stdout?.destroy();
    this.#child.stderr?.destroy();
  }
}
