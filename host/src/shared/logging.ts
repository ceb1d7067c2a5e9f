/**
 * The host's logger. Created once by the composition root (server or CLI) and injected; there is
 * no importable singleton. Credentials are redacted (by field name, and inside strings).
 */
import { redactCredentials, redactCredentialText, withChildBindings } from "@velero-ts/plugin-sdk";
import { writeSync } from "node:fs";
import { pino } from "pino";
import { logrusLevel, LogrusTextLogger, type LineSink } from "./logrus-format.js";

/** The narrow logger interface the host passes around (a subset of pino's). */
export interface Logger {
  trace(obj: object | string, msg?: string): void;
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
  /** Whether lines of `level` are written (pino's); callers skip building messages otherwise. */
  isLevelEnabled?(level: string): boolean;
}

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "panic";

export interface CreateLoggerOptions {
  level?: LogLevel;
  /** "text" writes human-readable lines; "json" writes pino JSON. Default "text". */
  format?: "text" | "json";
  destination?: NodeJS.WritableStream;
  /**
   * The lines written in one turn of the event loop leave in one write (at
   * setImmediate, or at once when 64 KiB are pending), not one write each; on process exit what
   * is pending is written at once. For a long-running server, whose process.stderr is a pipe
   * Node writes to synchronously: a large backup logs two lines per item.
   */
  batch?: boolean;
}

/** Maps Velero's logrus level names (panic, fatal, error, warning, info, debug, trace) to pino's. */
export function toPinoLevel(level: string): "trace" | "debug" | "info" | "warn" | "error" | "fatal" {
  switch (level.toLowerCase()) {
    case "trace":
      return "trace";
    case "debug":
      return "debug";
    case "warn":
    case "warning":
      return "warn";
    case "error":
      return "error";
    case "fatal":
    case "panic":
      return "fatal";
    default:
      return "info";
  }
}

export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const destination = options.destination ?? process.stderr;
  if (options.format !== "json") {
    // logrus text, formatted directly (no JSON round trip): every line of a backup's log is also
    // written here, as Velero's server log has them.
    const sink: LineSink = options.batch ? new BatchedLineSink(destination) : { write: (line) => void destination.write(line) };
    return new LogrusTextLogger(sink, logrusLevel(toPinoLevel(options.level ?? "info")));
  }
  const base = pino(
    {
      level: toPinoLevel(options.level ?? "info"),
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }), log: redactCredentials },
      hooks: {
        // the message, like the fields, with the credentials in it redacted
        logMethod(args: unknown[], method: (...a: unknown[]) => void) {
          method.apply(this, args.map((a) => (typeof a === "string" ? redactCredentialText(a) : a)));
        },
      },
    },
    options.batch ? new BatchedLineSink(destination) : (destination as pino.DestinationStream),
  );
  return withChildBindings(base, redactCredentials);
}

/** Pending text above which a BatchedLineSink writes at once. */
const BATCH_FLUSH_CHARS = 64 * 1024;
/** Sinks with lines pending, written out by the process's exit listener. */
const pendingSinks = new Set<BatchedLineSink>();
let exitListening = false;

/**
 * Lines gathered and written to the destination together: at the end of the event loop's turn
 * (setImmediate), when BATCH_FLUSH_CHARS are pending, and when the process exits or is about to
 * print an uncaught exception (synchronously to process.stdout/stderr, whose file descriptors
 * Node writes to synchronously anyway; handed to write() for any other stream).
 */
export class BatchedLineSink implements LineSink {
  readonly #out: NodeJS.WritableStream;
  #pending = "";
  #scheduled = false;

  constructor(out: NodeJS.WritableStream) {
    this.#out = out;
  }

  write(line: string): void {
    this.#pending += line;
    if (this.#pending.length >= BATCH_FLUSH_CHARS) {
      this.flush();
      return;
    }
    if (this.#scheduled) return;
    this.#scheduled = true;
    pendingSinks.add(this);
    if (!exitListening) {
      exitListening = true;
      process.on("exit", flushPendingLines);
      // before Node prints an uncaught exception: the last lines come before its stack
      process.on("uncaughtExceptionMonitor", flushPendingLines);
    }
    setImmediate(() => this.flush());
  }

  /** Writes what is pending now. */
  flush(): void {
    const text = this.#take();
    if (text) this.#out.write(text);
  }

  /** At exit: what is pending, written synchronously to stdout/stderr. */
  flushSync(): void {
    const text = this.#take();
    if (!text) return;
    if (this.#out === process.stderr) writeSync(process.stderr.fd, text);
    else if (this.#out === process.stdout) writeSync(process.stdout.fd, text);
    else this.#out.write(text);
  }

  /** What is pending, no longer pending. */
  #take(): string {
    this.#scheduled = false;
    pendingSinks.delete(this);
    const text = this.#pending;
    this.#pending = "";
    return text;
  }
}

/** Writes every BatchedLineSink's pending lines at once (the process is exiting). */
export function flushPendingLines(): void {
  for (const sink of [...pendingSinks]) sink.flushSync();
}

/** A logger writing each line to both `a` and `b` (each at its own level), and so are its children. */
export function teeLogger(a: Logger, b: Logger): Logger {
  return {
    trace: (obj, msg) => (a.trace(obj, msg), b.trace(obj, msg)),
    debug: (obj, msg) => (a.debug(obj, msg), b.debug(obj, msg)),
    info: (obj, msg) => (a.info(obj, msg), b.info(obj, msg)),
    warn: (obj, msg) => (a.warn(obj, msg), b.warn(obj, msg)),
    error: (obj, msg) => (a.error(obj, msg), b.error(obj, msg)),
    child: (bindings) => teeLogger(a.child(bindings), b.child(bindings)),
    isLevelEnabled: (level) => (a.isLevelEnabled?.(level) ?? true) || (b.isLevelEnabled?.(level) ?? true),
  };
}

/** A logger that drops everything (tests, library defaults). */
export function createSilentLogger(): Logger {
  return pino({ level: "silent" }) as unknown as Logger;
}
