/**
 * The logger plugin authors use: JSON lines on STDERR in the hclog shape Velero's host parses.
 *
 *   {"@level":"info","@message":"uploaded object","bucket":"b","key":"k"}
 *
 * !!! READ BEFORE CHANGING ANYTHING HERE !!!
 *  1. NEVER LOG TO STDOUT. The plugin's stdout carries the go-plugin handshake line and nothing
 *     else: the host reads its first line as the handshake, and everything after is discarded.
 *  2. THE VELERO SERVER CRASHES on a stderr JSON line whose "@message", "@level" or "@timestamp" is
 *     present but NOT A STRING (go-plugin reads them with unchecked Go type assertions and the
 *     panic takes down the whole Velero server). So: @message and @level are always strings,
 *     user fields can never use those keys (they are renamed to "_@message" etc.), and there is
 *     NO @timestamp (Velero adds its own; a timestamp without exactly 6 fractional digits demotes
 *     the line to an unparsed debug line).
 *  3. Levels are hclog names: trace, debug, info, warn, error ("warning" or "fatal" would be
 *     logged verbatim at debug by the host, i.e. lost at the default level).
 */
import { format } from "node:util";
import { CREDENTIAL_FIELDS, redactCredentials, redactCredentialText } from "./redact.js";
import { parseJsStack } from "./transport/js-stack.js";
import { pino, type DestinationStream, type LevelWithSilent, type Logger as PinoLogger } from "pino";

/** The logger interface the SDK hands to plugin factories (a subset of pino's, like the host's). */
export interface PluginLogger {
  trace(obj: object | string, msg?: string): void;
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  child(bindings: Record<string, unknown>): PluginLogger;
}

export type PluginLogLevel = "trace" | "debug" | "info" | "warn" | "error";

export interface PluginLoggerOptions {
  /** Minimum level. Default: the `--log-level` flag Velero passes to plugins, else "info". */
  level?: PluginLogLevel | "silent";
  /** Where lines go. Default: file descriptor 2 (stderr), written synchronously. */
  destination?: DestinationStream;
  /** Fields added to every line. */
  fields?: Record<string, unknown>;
}

const RESERVED = new Set(["@message", "@level", "@timestamp"]);

/**
 * pino redact paths for CREDENTIAL_FIELDS at the top level and one or two objects down, and `key`
 * (a private key) when nested: for authors who build their own pino logger. The SDK's and the
 * host's loggers redact at any depth and inside strings instead (redact.ts).
 */
export function credentialRedactPaths(): string[] {
  return [...CREDENTIAL_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]), "*.key", "*.*.key"];
}

function sanitize(obj: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const key of Object.keys(obj)) {
    if (RESERVED.has(key)) {
      out ??= { ...obj };
      delete out[key];
      out[`_${key}`] = obj[key];
    }
  }
  return out ?? obj;
}

/**
 * Errors as Velero's plugin framework logs them (its ErrorLocationHook): `error` is the message,
 * `error.file` and `error.function` where it was made; `err` (pino's key, `logger.error(e, ...)`)
 * becomes `error` too. A Velero host would show an Error object as one `map[...]` field.
 */
function errorFields(obj: Record<string, unknown>): Record<string, unknown> {
  const key = obj["err"] instanceof Error ? "err" : obj["error"] instanceof Error ? "error" : undefined;
  if (!key) return obj;
  const err = obj[key] as Error;
  const { [key]: _dropped, ...rest } = obj;
  const frame = parseJsStack(err.stack ?? "")[0];
  return { ...rest, error: err.message, ...(frame ? { "error.file": `${frame.file}:${frame.line}`, "error.function": frame.function } : {}) };
}

/**
 * Velero passes its own server flags (logrus level names) to every plugin; as with Go's flag
 * parsing, the last `--log-level` given wins.
 */
export function levelFromArgv(argv: readonly string[] = process.argv): PluginLogLevel | "silent" | undefined {
  for (let i = argv.length - 1; i >= 0; i--) {
    const arg = argv[i] ?? "";
    let value: string | undefined;
    if (arg.startsWith("--log-level=")) value = arg.slice("--log-level=".length);
    else if (arg === "--log-level") value = argv[i + 1];
    if (value === undefined) continue;
    switch (value.toLowerCase()) {
      case "trace":
      case "debug":
      case "info":
      case "error":
        return value.toLowerCase() as PluginLogLevel;
      case "warn":
      case "warning":
        return "warn";
      // logrus at fatal or panic writes only those levels, which this logger does not have
      case "fatal":
      case "panic":
        return "silent";
      default:
        return undefined;
    }
  }
  return undefined;
}

/** Creates the hclog-compatible stderr logger (see the file comment for the rules it enforces). */
export function createPluginLogger(options: PluginLoggerOptions = {}): PluginLogger {
  const level: LevelWithSilent = options.level ?? levelFromArgv() ?? "info";
  // STDERR ONLY (fd 2), synchronously so the last lines before a crash are not lost. See rule 1.
  const destination = options.destination ?? pino.destination({ dest: 2, sync: true });
  const logger = pino(
    {
      level,
      messageKey: "@message",
      timestamp: false, // rule 2: no @timestamp
      // Velero's plugin framework marks each line as located by the plugin; Velero's host then
      // keeps the plugin's own logSource (or none) instead of naming its log adapter's line, and
      // drops the marker.
      base: { "@logSourceSetBy": "plugin" },
      formatters: {
        // Rule 3: hclog level names only; pino's "fatal" is not one.
        level: (label: string) => ({ "@level": label === "fatal" ? "error" : label }),
        log: (obj: Record<string, unknown>) => redactCredentials(sanitize(errorFields(obj))),
      },
      hooks: {
        // Rule 2: @message is ALWAYS a string, whatever JavaScript callers pass
        // (logger.info({ fields }), logger.info(42), logger.info(obj, { not: "a string" }), ...).
        logMethod(args: unknown[], method: (...a: unknown[]) => void) {
          // (and with credentials in it redacted, as the fields are)
          const [first, ...rest] = args;
          if (first instanceof Error) {
            method.call(this, first, redactCredentialText(rest.length > 0 ? format(...rest) : String(first.message)));
          } else if (typeof first === "object" && first !== null) {
            method.call(this, first, redactCredentialText(rest.length > 0 ? format(...rest) : ""));
          } else {
            method.call(this, {}, redactCredentialText(format(...args)));
          }
        },
      },
    },
    destination,
  );
  // Child bindings are sanitised (rule 2) and redacted, once per child.
  const bindings = (fields: Record<string, unknown>): Record<string, unknown> => redactCredentials(sanitize(fields));
  return withChildBindings(options.fields ? logger.child(bindings(options.fields)) : logger, bindings);
}

/**
 * `logger` with every child's bindings passed through `transform` as the child is made (pino
 * runs no formatter on a child's bindings): how the SDK's and the host's loggers redact them.
 */
export function withChildBindings(logger: PinoLogger, transform: (bindings: Record<string, unknown>) => Record<string, unknown>): PluginLogger & { isLevelEnabled(level: string): boolean } {
  return {
    trace: logger.trace.bind(logger),
    debug: logger.debug.bind(logger),
    info: logger.info.bind(logger),
    warn: logger.warn.bind(logger),
    error: logger.error.bind(logger),
    isLevelEnabled: logger.isLevelEnabled.bind(logger),
    child: (bindings) => withChildBindings(logger.child(transform(bindings)), transform),
  };
}

/** A logger that drops everything (default for in-process tests). */
export function createNoopPluginLogger(): PluginLogger {
  const noop = (): void => {};
  const logger: PluginLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, child: () => logger };
  return logger;
}
