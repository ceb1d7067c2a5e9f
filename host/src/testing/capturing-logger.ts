/** A Logger that records every call (level, fields with its bindings, message), for tests. */
import type { Logger } from "../shared/logging.js";

export interface Captured {
  level: string;
  fields: Record<string, unknown>;
  message: string | undefined;
}

export function captureLogger(records: Captured[], bindings: Record<string, unknown> = {}): Logger {
  const at =
    (level: string) =>
    (obj: object | string, msg?: string): void => {
      if (typeof obj === "string") records.push({ level, fields: { ...bindings }, message: obj });
      else records.push({ level, fields: { ...bindings, ...obj }, message: msg });
    };
  return {
    trace: at("trace"),
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child: (more) => captureLogger(records, { ...bindings, ...more }),
  };
}
