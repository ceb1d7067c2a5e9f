/**
 * serve(): turns this process into a Velero plugin that real Velero (go-plugin host) and the
 * velero-ts host can run.
 *
 * ```ts
import { serve } from "@velero-ts/plugin-sdk";
 * await serve()
 *   .registerObjectStore("example.io/my-store", ({ logger }) => new MyObjectStore(logger))
 *   .registerBackupItemAction("example.io/my-action", () => new MyAction())
 *   .start();
 * ```
 *
 * What start() does (velero-compat.md 1.8 checklist A):
 *  1. Refuses to run unless VELERO_PLUGIN=hello (message on stderr, exit code 1, nothing on stdout).
 *  2. Ignores all command-line arguments (Velero passes its own server flags to every plugin).
 *  3. Listens on a unix socket in a private 0700 directory ($PLUGIN_UNIX_SOCKET_DIR or the temp
 *     dir), or on 127.0.0.1 with `network: "tcp"` / VELERO_PLUGIN_NETWORK=tcp.
 *  4. THEN prints exactly one handshake line `1|2|unix|<path>|grpc|` on stdout (straight to fd 1);
 *     from the moment start() is called every other stdout write goes to stderr. When the host is
 *     velero-ts and offers the faster vtframes1 transport (VELERO_TS_PLUGIN_PROTOCOLS=vtframes1),
 *     the server speaks that instead and the line ends `|vtframes1|` (ADR 0004); Velero never
 *     offers it, so under Velero nothing changes.
 *  5. Serves each registered name, creating implementations lazily on first use (one instance per
 *     kind and name for the life of the process); ListPlugins answers with this executable's path.
 *  6. Exits promptly after the host's Shutdown call, on SIGTERM, and with a non-zero code on an
 *     uncaught exception or unhandled rejection (failing in-flight calls with ABORTED first).
 */
import { resolve as resolvePath } from "node:path";
import { closeSync, openSync, writeSync } from "node:fs";
import { isSea } from "node:sea";
import type { PluginKind } from "./contract/kinds.js";
import type {
  BackupItemAction,
  BackupItemActionV2,
  DeleteItemAction,
  ItemBlockAction,
  ObjectStore,
  PluginKindMap,
  RestoreItemAction,
  RestoreItemActionV2,
  VolumeSnapshotter,
} from "./contract/plugins.js";
import { getErrorMessage } from "./contract/errors.js";
import { createPluginLogger, type PluginLogger } from "./logger.js";
import { guardStderrText } from "./stderr-guard.js";
import { formatHandshake, MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE, offersFrames, PLUGIN_PROTOCOLS_ENV } from "./transport/handshake.js";
import { PluginRegistry, type PluginFactory } from "./transport/registry.js";
import type { ListenAddress, PluginGrpcServer } from "./transport/server.js";

export type { PluginFactory, PluginFactoryContext } from "./transport/registry.js";

/** Env var that overrides the `command` ListPlugins reports (the path the host relaunches). */
export const PLUGIN_COMMAND_ENV = "VELERO_PLUGIN_COMMAND";
/** Env var selecting the listener: "unix" (default) or "tcp" (127.0.0.1). */
export const PLUGIN_NETWORK_ENV = "VELERO_PLUGIN_NETWORK";
/** How long a crash waits for the ABORTED statuses of in-flight calls to be written before exit. */
export const CRASH_FLUSH_MS = 100;

/**
 * Process-level effects of start(), injectable for tests. The default is the real process.
 * @internal
 */
export interface ServeRuntime {
  env: Record<string, string | undefined>;
  argv: readonly string[];
  execPath: string;
  isSingleExecutable: boolean;
  /** Writes the handshake line to the real stdout (fd 1), synchronously. */
  writeStdout(text: string): void;
  /**
   * Closes the real stdout after the handshake (/dev/null takes fd 1), so the host reads its end
   * while the plugin runs. go-plugin's host (v1.6.0, Velero's) has a reader of the plugin's stdout
   * racing the process wait that closes the pipe: when the pipe ends only as the process exits,
   * it may log "error encountered while scanning stdout ... file already closed" at error level,
   * into the log of the backup being run (a Go plugin's fd 1 is closed by the garbage collector
   * once go-plugin swaps os.Stdout, so it rarely meets the race).
   */
  endStdout(): void;
  writeStderr(text: string): void;
  /** Sends all later process.stdout / console.log output to stderr. */
  redirectStdoutToStderr(): void;
  /** Installs crash, SIGINT and SIGTERM handlers. */
  installProcessHandlers(handlers: { onCrash(error: unknown): void; onTerminate(): void; onExit(): void }): void;
  /** Calls `onGone` once the process that started this one has exited (the plugin was orphaned). */
  watchParent(onGone: () => void): void;
  exit(code: number): void;
}

export interface ServeOptions {
  /** Listener kind; default $VELERO_PLUGIN_NETWORK or "unix". */
  network?: "unix" | "tcp";
  /** The executable path ListPlugins reports; default $VELERO_PLUGIN_COMMAND or resolvePluginCommand(). */
  command?: string;
  /** Logger handed (as a child) to every factory; default createPluginLogger(). */
  logger?: PluginLogger;
  /**
   * GetObject message size in bytes; default 256 KiB (Go plugins send 16384). Up to 1 MiB is
   * allowed: Velero's host accepts messages up to 2 GiB, and large messages move big objects faster.
   */
  getObjectChunkBytes?: number;
  /** @internal test seam */
  runtime?: ServeRuntime;
  /** @internal `velero run-plugins`: these are the built-ins, not names that clash with them. */
  servesVeleroBuiltins?: boolean;
}

/** A started plugin server. */
export interface RunningPlugin {
  readonly network: "unix" | "tcp";
  readonly address: string;
  /** Stops serving and exits the process with code 0 (what the host's Shutdown call does). */
  shutdown(): Promise<void>;
}

/**
 * The path the host should launch to run this plugin again, as ListPlugins must report it
 * (trap 1: Velero relaunches exactly this path):
 *  - $VELERO_PLUGIN_COMMAND when set (e.g. a wrapper that execs node);
 *  - a Node single-executable application: the executable itself (process.execPath);
 *  - `node /path/script.js` (or an executable script with a `#!` line): the absolute script path,
 *    as launched (symlinks not resolved, like Go's os.Args[0]);
 *  - otherwise process.execPath.
 */
export function resolvePluginCommand(rt: Pick<ServeRuntime, "env" | "argv" | "execPath" | "isSingleExecutable">): string {
  const override = rt.env[PLUGIN_COMMAND_ENV];
  if (override) return override;
  if (rt.isSingleExecutable) return rt.execPath;
  const script = rt.argv[1];
  return script ? resolvePath(script) : rt.execPath;
}

const KIND_LABEL: Record<PluginKind, string> = {
  ObjectStore: "object store",
  VolumeSnapshotter: "volume snapshotter",
  BackupItemAction: "backup item action",
  BackupItemActionV2: "backup item action (v2)",
  RestoreItemAction: "restore item action",
  RestoreItemActionV2: "restore item action (v2)",
  DeleteItemAction: "delete item action",
  ItemBlockAction: "item block action",
};

/** Builder returned by serve(). An invalid or duplicate name is logged as an error and not served, as in Velero's Go plugin framework. */
export class PluginServerBuilder {
  readonly #options: ServeOptions;
  readonly #logger: PluginLogger;
  readonly #registry: PluginRegistry;
  #started = false;

  constructor(options: ServeOptions = {}) {
    this.#options = options;
    this.#logger = options.logger ?? createPluginLogger();
    this.#registry = new PluginRegistry(this.#logger, { warnOnBuiltins: options.servesVeleroBuiltins !== true });
  }

  #register<K extends PluginKind>(kind: K, name: string, factory: PluginFactory<PluginKindMap[K]>): this {
    if (this.#started) throw new Error(`cannot register ${KIND_LABEL[kind]} "${name}" after start()`);
    this.#registry.register(kind, name, factory);
    return this;
  }

  registerObjectStore(name: string, factory: PluginFactory<ObjectStore>): this {
    return this.#register("ObjectStore", name, factory);
  }
  registerVolumeSnapshotter(name: string, factory: PluginFactory<VolumeSnapshotter>): this {
    return this.#register("VolumeSnapshotter", name, factory);
  }
  /** A v1 action; hosts also use it where a v2 action is expected (no async operations). */
  registerBackupItemAction(name: string, factory: PluginFactory<BackupItemAction>): this {
    return this.#register("BackupItemAction", name, factory);
  }
  registerBackupItemActionV2(name: string, factory: PluginFactory<BackupItemActionV2>): this {
    return this.#register("BackupItemActionV2", name, factory);
  }
  registerRestoreItemAction(name: string, factory: PluginFactory<RestoreItemAction>): this {
    return this.#register("RestoreItemAction", name, factory);
  }
  registerRestoreItemActionV2(name: string, factory: PluginFactory<RestoreItemActionV2>): this {
    return this.#register("RestoreItemActionV2", name, factory);
  }
  registerDeleteItemAction(name: string, factory: PluginFactory<DeleteItemAction>): this {
    return this.#register("DeleteItemAction", name, factory);
  }
  registerItemBlockAction(name: string, factory: PluginFactory<ItemBlockAction>): this {
    return this.#register("ItemBlockAction", name, factory);
  }

  /** @internal the registrations, for the in-process test harness. */
  get registry(): PluginRegistry {
    return this.#registry;
  }

  /** @internal */
  get logger(): PluginLogger {
    return this.#logger;
  }

  /** @internal the logger passed to serve(), if any (the test harness defaults to no logging instead). */
  get configuredLogger(): PluginLogger | undefined {
    return this.#options.logger;
  }

  /**
   * Checks the magic cookie, listens, prints the handshake line and serves until Shutdown.
   * Without the cookie it writes a message to stderr and exits with code 1.
   */
  async start(): Promise<RunningPlugin> {
    if (this.#started) throw new Error("serve().start() was already called; a process serves one plugin server");
    this.#started = true;
    const rt = this.#options.runtime ?? processRuntime();
    // From here on nothing but the handshake line (written straight to fd 1) may reach stdout.
    rt.redirectStdoutToStderr();
    if (rt.env[MAGIC_COOKIE_KEY] !== MAGIC_COOKIE_VALUE) {
      rt.writeStderr(
        "This binary is a Velero plugin. It is not meant to be executed directly: Velero (or velero-ts) launches it " +
          `from its plugin directory (--plugin-dir). To run it by hand for debugging, set ${MAGIC_COOKIE_KEY}=${MAGIC_COOKIE_VALUE}.\n`,
      );
      rt.exit(1);
      throw new Error("plugin refused to start: magic cookie missing");
    }
    const network = this.#options.network ?? (rt.env[PLUGIN_NETWORK_ENV] === "tcp" ? "tcp" : "unix");
    const command = this.#options.command ?? resolvePluginCommand(rt);
    // Loaded here, not with the module: a program that imports the SDK for its types, contracts
    // and helpers (the velero CLI) does not load gRPC and the protobuf descriptors.
    const { PluginGrpcServer: Server } = await import("./transport/server.js");
    let server: PluginGrpcServer | undefined;
    let exiting = false;
    const exitAfterClose = async (code: number): Promise<void> => {
      if (exiting) return;
      exiting = true;
      await server?.close();
      rt.exit(code);
    };
    server = new Server({
      registry: this.#registry,
      logger: this.#logger,
      command,
      onShutdownRequested: () => void exitAfterClose(0),
      getObjectChunkBytes: this.#options.getObjectChunkBytes,
      protocol: offersFrames(rt.env[PLUGIN_PROTOCOLS_ENV]) ? "vtframes1" : "grpc",
    });
    const running = server;
    rt.installProcessHandlers({
      onCrash: (error) => {
        this.#logger.error({ err: error }, `plugin crashed: ${getErrorMessage(error)}`);
        running.inflight.failAll(error);
        if (exiting) return;
        exiting = true;
        // Give the ABORTED statuses a moment to reach the host, then go.
        setTimeout(() => void running.close(0).finally(() => rt.exit(1)), CRASH_FLUSH_MS);
      },
      onTerminate: () => void exitAfterClose(0),
      onExit: () => running.removeSocketDir(),
    });
    let address: ListenAddress;
    try {
      address = await server.listen(network, rt.env.PLUGIN_UNIX_SOCKET_DIR || undefined);
    } catch (error) {
      rt.writeStderr(`velero plugin: cannot listen on a ${network} socket: ${getErrorMessage(error)}\n`);
      rt.exit(1);
      throw error;
    }
    // !!! PROTOCOL INVARIANT: listen first, then print the handshake as the first and only stdout
    // line, synchronously (the host dials as soon as it reads it). !!!
    rt.writeStdout(formatHandshake(address.network, address.address, server.protocol));
    rt.endStdout();
    // A host killed outright (SIGKILL, OOM) cannot stop its plugins: they go when it does.
    rt.watchParent(() => {
      this.#logger.info({}, "the host process is gone; exiting");
      void exitAfterClose(0);
    });
    this.#logger.debug({ network: address.network, address: address.address, protocol: server.protocol, cmd: command }, "plugin server listening");
    return { network: address.network, address: address.address, shutdown: () => exitAfterClose(0) };
  }
}

/** Starts building a plugin server; see the file comment for what start() guarantees. */
export function serve(options: ServeOptions = {}): PluginServerBuilder {
  return new PluginServerBuilder(options);
}

function processRuntime(): ServeRuntime {
  return {
    env: process.env,
    argv: process.argv,
    execPath: process.execPath,
    isSingleExecutable: isSea(),
    writeStdout: (text) => writeSync(1, text),
    endStdout: () => {
      try {
        closeSync(1);
      } catch {
        return; // already closed
      }
      try {
        // Whatever still writes to fd 1 (nothing should: process.stdout goes to stderr) then goes
        // nowhere, not into a file or socket opened later that would take the number.
        const fd = openSync("/dev/null", "w");
        if (fd !== 1) closeSync(fd);
      } catch {
        // no /dev/null: fd 1 stays free
      }
    },
    writeStderr: (text) => writeSync(2, text),
    redirectStdoutToStderr,
    installProcessHandlers: ({ onCrash, onTerminate, onExit }) => {
      process.on("uncaughtException", onCrash);
      process.on("unhandledRejection", onCrash);
      // Go plugins ignore SIGINT (a Ctrl-C in the host's terminal reaches the plugin too; the
      // host decides when the plugin stops).
      process.on("SIGINT", () => {});
      process.on("SIGTERM", onTerminate);
      process.on("exit", onExit);
    },
    exit: (code) => process.exit(code),
    watchParent: (onGone) => {
      // The parent's exit re-parents this process (to init or a subreaper): its ppid changes.
      const timer = setInterval(() => {
        if (process.ppid === PARENT_AT_LOAD) return;
        clearInterval(timer);
        onGone();
      }, PARENT_CHECK_MS);
      timer.unref();
    },
  };
}

/** How often a plugin checks that its host is still there. */
const PARENT_CHECK_MS = 1000;
/** The host: the parent when this module was loaded (as early as the plugin can look). */
const PARENT_AT_LOAD = process.ppid;

/**
 * !!! STDOUT BELONGS TO THE PROTOCOL !!!
 * The host takes the FIRST stdout line as the handshake (anything printed before it makes the
 * plugin fail to start) and discards everything after it. Plugin code and its dependencies happily
 * call console.log, so once start() runs, console.log/info/debug and process.stdout.write all go to
 * stderr, where the host forwards them into its log. The handshake itself is written with
 * fs.writeSync(1, …), bypassing this redirection.
 * Everything written to stderr through process.stderr.write (so console.* too) passes
 * guardStderrText: a JSON line that would crash go-plugin's host is written as a plain message.
 */
function redirectStdoutToStderr(): void {
  const write = process.stderr.write.bind(process.stderr) as (chunk: unknown, ...rest: unknown[]) => boolean;
  const guarded = ((chunk: unknown, ...rest: unknown[]): boolean => {
    if (typeof chunk === "string") return write(guardStderrText(chunk), ...rest);
    if (chunk instanceof Uint8Array) {
      const encoding = typeof rest[0] === "string" ? rest.slice(1) : rest;
      return write(guardStderrText(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString("utf8")), ...encoding);
    }
    return write(chunk, ...rest);
  }) as typeof process.stderr.write;
  process.stderr.write = guarded;
  process.stdout.write = guarded;
  console.log = console.error;
  console.info = console.error;
  console.debug = console.error;
}
