/**
 * Plugin stderr → host log, the way go-plugin's host does it (velero-compat.md 1.6): hclog JSON
 * lines keep their level and fields; other lines are logged whole, at the level a `[LEVEL]`
 * prefix names, else debug. A JSON line whose `@timestamp` is not in hclog's exact format
 * (6 fractional digits) is not hclog's to go-plugin either: logged whole at debug. After a plain
 * line starting "panic: " or "fatal error: ", the plain lines that follow (a Go stack trace) are
 * errors; JSON lines keep their levels. That is go-plugin v1.7's rule: v1.6.0, which Velero
 * v1.18.1 builds with, logs a plugin's panic at debug, hidden at the default level (the
 * reference's 1.6 describes v1.7). The Velero host drops the field `@logSourceSetBy` Velero's
 * plugin framework adds to every line; so does this one.
 */
import type { Logger } from "../shared/logging.js";
import type { PluginLogRouter } from "./log-router.js";

/** go-plugin reads stderr with a 64 KiB buffer; longer lines are logged in pieces. */
export const MAX_LOG_LINE_BYTES = 64 * 1024;

type Level = "trace" | "debug" | "info" | "warn" | "error";

const HCLOG_LEVELS: ReadonlySet<string> = new Set(["trace", "debug", "info", "warn", "error"]);
/** Keys the host sets itself or that duplicate what the host logger adds. */
const DROPPED_KEYS = new Set(["@message", "@level", "@timestamp", "time", "timestamp", "level", "msg", "@logSourceSetBy"]);
const PREFIX = /^\[(TRACE|DEBUG|INFO|WARN|ERROR)\]/;
/** hclog's time format, the only @timestamp go-plugin's parseJSON takes ("2006-01-02T15:04:05.000000Z07:00"). */
const HCLOG_TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(?:Z|[+-]\d\d:\d\d)$/;

export interface PluginLogSink {
  /** One complete line (without the newline). */
  line(text: string): void;
}

/**
 * A sink that re-emits each stderr line through `logger` with `defaults` (the host's `plugin` =
 * executable basename and `cmd` = path) under the line's own fields, so a plugin that logs its
 * registered name as `plugin` (the SDK logger does) keeps that more precise value; and through
 * `router` to the logs of the backups and restores being served (PluginLogRouter).
 */
export function createPluginLogSink(logger: Logger, defaults: Record<string, unknown> = {}, router?: PluginLogRouter): PluginLogSink {
  let panicking = false;
  return {
    line(text: string): void {
      if (text.trim() === "") return;
      const entry = parseLine(text);
      if (!entry.json && (text.startsWith("panic: ") || text.startsWith("fatal error: "))) panicking = true;
      const level: Level = panicking && !entry.json ? "error" : entry.level;
      const fields = { ...defaults, ...entry.fields };
      // A backup's log echoes its lines to the server log itself: one copy there, as in Velero.
      if (!router?.emit(level, fields, entry.message)) logger[level](fields, entry.message);
    },
  };
}

interface Entry {
  level: Level;
  message: string;
  fields: Record<string, unknown>;
  /** An hclog JSON line (not plain text). */
  json?: boolean;
}

function parseLine(text: string): Entry {
  const json = parseHclogJson(text);
  if (json) return json;
  // go-plugin logs the whole line, prefix included
  const prefix = PREFIX.exec(text);
  if (prefix?.[1]) return { level: prefix[1].toLowerCase() as Level, message: text, fields: {} };
  return { level: "debug", message: text, fields: {} };
}

function parseHclogJson(text: string): Entry | undefined {
  if (!text.startsWith("{")) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  const message = record["@message"] ?? record["msg"] ?? "";
  const rawLevel = record["@level"];
  // A non-string @message/@level crashes go-plugin's host; we just treat the line as plain text.
  if (typeof message !== "string" || (rawLevel !== undefined && typeof rawLevel !== "string")) return undefined;
  const timestamp = record["@timestamp"];
  if (timestamp !== undefined && (typeof timestamp !== "string" || !HCLOG_TIMESTAMP.test(timestamp))) return undefined;
  const fields: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(record)) {
    if (!DROPPED_KEYS.has(key)) fields[key] = field;
  }
  const level = typeof rawLevel === "string" ? rawLevel.toLowerCase() : "";
  if (HCLOG_LEVELS.has(level)) return { level: level as Level, message, fields, json: true };
  return { level: "debug", message, fields, json: true };
}

/**
 * Splits a byte stream into lines for `onLine`, cutting lines longer than `maxLineBytes` into
 * pieces (go-plugin does the same), so a plugin that never writes a newline cannot grow our
 * memory.
 */
export function createLineSplitter(onLine: (line: string) => void, maxLineBytes = MAX_LOG_LINE_BYTES): {
  push(chunk: Buffer): void;
  end(): void;
} {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = (): void => {
    if (pendingBytes === 0) return;
    const text = Buffer.concat(pending).toString("utf8");
    pending = [];
    pendingBytes = 0;
    onLine(text.endsWith("\r") ? text.slice(0, -1) : text);
  };
  return {
    push(chunk: Buffer): void {
      let start = 0;
      while (start < chunk.length) {
        const newline = chunk.indexOf(0x0a, start);
        const end = newline === -1 ? chunk.length : newline;
        let piece = chunk.subarray(start, end);
        while (pendingBytes + piece.length > maxLineBytes) {
          const room = maxLineBytes - pendingBytes;
          pending.push(piece.subarray(0, room));
          pendingBytes += room;
          flush();
          piece = piece.subarray(room);
        }
        if (piece.length > 0) {
          pending.push(piece);
          pendingBytes += piece.length;
        }
        if (newline === -1) break;
        if (pendingBytes === 0) onLine("");
        else flush();
        start = newline + 1;
      }
    },
    end: flush,
  };
}
