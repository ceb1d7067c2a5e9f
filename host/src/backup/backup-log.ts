/**
 * The per-backup log: logrus-style text lines kept for upload as <b>-logs.gz, teed to the server
 * logger, with warning/error counts and the results file (`{errors, warnings}` grouped as
 * Velero's results.Result: velero / cluster / namespaces).
 */
import type { Logger } from "../shared/logging.js";
import type { BackupResults, Result } from "../persistence/backup-store.js";

type Level = "trace" | "debug" | "info" | "warn" | "error";
const ORDER: Record<Level, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4 };

interface Sink {
  lines: string[];
  warnings: number;
  errors: number;
  results: BackupResults;
  level: Level;
  tee?: Logger;
  now: () => Date;
}

function addResult(result: Result, fields: Record<string, unknown>, msg: string): void {
  const ns = typeof fields.namespace === "string" ? fields.namespace : "";
  if (ns) {
    result.namespaces ??= {};
    (result.namespaces[ns] ??= []).push(msg);
  } else if (fields.name || fields.resource) {
    (result.cluster ??= []).push(msg);
  } else {
    (result.velero ??= []).push(msg);
  }
}

function formatValue(v: unknown): string {
  const s = typeof v === "string" ? v : v instanceof Error ? v.message : JSON.stringify(v);
  return /^[A-Za-z0-9_./:@-]*$/.test(s) && s !== "" ? s : JSON.stringify(s);
}

function formatFields(fields: Record<string, unknown>): string {
  let out = "";
  for (const k in fields) {
    const v = fields[k];
    if (v !== undefined) out += ` ${k}=${formatValue(v)}`;
  }
  return out;
}

function overlaps(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  for (const k in b) if (k in a) return true;
  return false;
}

let lastSecond = NaN;
let lastTimeText = "";
/** RFC 3339 in UTC with whole seconds (logrus' default), cached for the current second. */
function timeText(d: Date): string {
  const second = Math.floor(d.getTime() / 1000);
  if (second !== lastSecond) {
    lastSecond = second;
    lastTimeText = d.toISOString().replace(/\.\d{3}Z$/, "Z");
  }
  return lastTimeText;
}

export class BackupLogger implements Logger {
  readonly #sink: Sink;
  readonly #fields: Record<string, unknown>;
  #formatted: string | undefined;

  constructor(options: { level?: string; tee?: Logger; now?: () => Date; fields?: Record<string, unknown> } = {}, sink?: Sink) {
    const level = (["trace", "debug", "info", "warn", "error"].includes(options.level ?? "") ? options.level : options.level === "warning" ? "warn" : "info") as Level;
    this.#sink = sink ?? {
      lines: [],
      warnings: 0,
      errors: 0,
      results: { errors: {}, warnings: {} },
      level,
      tee: options.tee,
      now: options.now ?? (() => new Date()),
    };
    this.#fields = options.fields ?? {};
  }

  get warnings(): number {
    return this.#sink.warnings;
  }
  get errors(): number {
    return this.#sink.errors;
  }
  get results(): BackupResults {
    return this.#sink.results;
  }
  /** The whole log so far. */
  text(): string {
    return this.#sink.lines.join("");
  }

  child(bindings: Record<string, unknown>): BackupLogger {
    return new BackupLogger({ fields: { ...this.#fields, ...bindings } }, this.#sink);
  }

  trace(obj: object | string, msg?: string): void {
    this.#write("trace", obj, msg);
  }
  debug(obj: object | string, msg?: string): void {
    this.#write("debug", obj, msg);
  }
  info(obj: object | string, msg?: string): void {
    this.#write("info", obj, msg);
  }
  warn(obj: object | string, msg?: string): void {
    this.#write("warn", obj, msg);
  }
  error(obj: object | string, msg?: string): void {
    this.#write("error", obj, msg);
  }

  #write(level: Level, obj: object | string, msg?: string): void {
    const s = this.#sink;
    const plain = typeof obj === "string";
    const message = plain ? obj : (msg ?? "");
    const counted = level === "warn" || level === "error";
    if (!counted && ORDER[level] < ORDER[s.level]) return;
    const fields = plain ? this.#fields : { ...this.#fields, ...(obj as Record<string, unknown>) };
    if (level === "warn") {
      s.warnings++;
      addResult(s.results.warnings, fields, message + (fields.err ? `: ${String(fields.err)}` : ""));
    }
    if (level === "error") {
      s.errors++;
      addResult(s.results.errors, fields, message + (fields.err ? `: ${String(fields.err)}` : ""));
    }
    if (ORDER[level] < ORDER[s.level]) return;
    // Most lines carry only the logger's bound fields: those are formatted once per logger.
    const bound = (this.#formatted ??= formatFields(this.#fields));
    const formatted = plain ? bound : overlaps(this.#fields, obj as Record<string, unknown>) ? formatFields(fields) : bound + formatFields(obj as Record<string, unknown>);
    s.lines.push(`time="${timeText(s.now())}" level=${level === "warn" ? "warning" : level} msg=${JSON.stringify(message)}${formatted}\n`);
    s.tee?.[level](fields, message);
  }
}
