/**
 * The host's logger. Created once by the composition root (server or CLI) and injected; there is
 * no importable singleton. Credentials are redacted (by field name, and inside strings).
 */
import { redactCredentials, redactCredentialText } from "@velero-ts/plugin-sdk";
import { withChildBindings } from "@velero-ts/plugin-sdk/host";
import { pino } from "pino";
import { logrusLevel, LogrusTextLogger } from "./logrus-format.js";

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
    return new LogrusTextLogger({ write: (line) => void destination.write(line) }, logrusLevel(toPinoLevel(options.level ?? "info")));
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
    destination as pino.DestinationStream,
  );
  return withChildBindings(base, redactCredentials);
}


/** A logger that drops everything (tests, library defaults). */
export function createSilentLogger(): Logger {
  return pino({ level: "silent" }) as unknown as Logger;
}
