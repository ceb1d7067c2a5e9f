/** A Logger that records every call (level, message, fields with its bindings), for tests. */
import type { Logger } from "../shared/logging.js";

export interface LogRecord {
  level: string;
  message: string | undefined;
  fields: Record<string, unknown>;
}

/** The same record, by the name the unit tests use. */
export type Captured = LogRecord;

/** A Logger that keeps every record (and the bindings of its children) in `records`. */
export function captureLogger(records: LogRecord[] = [], bindings: Record<string, unknown> = {}): Logger & { records: LogRecord[] } {
  const at =
    (level: string) =>
    (obj: object | string, msg?: string): void => {
      if (typeof obj === "string") records.push({ level, message: obj, fields: { ...bindings } });
      else records.push({ level, message: msg, fields: { ...bindings, ...obj } });
    };
  return {
    records,
    trace: at("trace"),
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child: (more) => captureLogger(records, { ...bindings, ...more }),
  };
}
