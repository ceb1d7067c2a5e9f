// A host Logger for integration suites that keeps every record (with the bindings of its
// children) in memory, including a plugin's forwarded stderr lines.
import type { Logger } from "../../host/src/shared/logging.ts";

export interface LogRecord {
  level: string;
  message: string | undefined;
  fields: Record<string, unknown>;
}

/** A host Logger that keeps every record (and the bindings of children) in `records`. */
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
