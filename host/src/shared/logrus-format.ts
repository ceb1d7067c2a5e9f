/**
 * logrus' TextFormatter, as Velero's backup and restore logs are written: `time="<RFC 3339, whole
 * seconds>" level=<level> msg="<message>"` then the fields sorted by key, `err` written as
 * `error`, values quoted only when they need it, credential fields (the SDK's CREDENTIAL_FIELDS, any
 * case, nested `key`s) written as [redacted], and URL passwords and presigned-URL signatures in the
 * message and values redacted. Pieces for loggers that format their bound fields once and
 * merge a call's own fields into them.
 */

import { isCredentialField, REDACTED, redactCredentialText } from "@velero-ts/plugin-sdk";
import { sortInPlace } from "./sort-in-place.js";

export type LogrusLevel = "trace" | "debug" | "info" | "warn" | "error";
export const LOGRUS_LEVEL_ORDER: Record<LogrusLevel, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4 };

/** A level name (logrus' "warning" too) as a LogrusLevel; fatal and panic are error, anything else info. */
export function logrusLevel(level: string | undefined): LogrusLevel {
  if (level === "warning") return "warn";
  if (level === "fatal" || level === "panic") return "error";
  return level !== undefined && level in LOGRUS_LEVEL_ORDER ? (level as LogrusLevel) : "info";
}

/** One line: time, level (warn written "warning"), the quoted message, then the formatted fields. */
export function logrusLine(time: Date, level: LogrusLevel, message: string, fields: string): string {
  return `time="${timeText(time)}" level=${level === "warn" ? "warning" : level} msg=${JSON.stringify(redactCredentialText(message))}${fields}\n`;
}

/** logrus' TextFormatter quotes a value holding anything but these characters (not an empty one). */
const BARE_VALUE = /^[A-Za-z0-9\-._/@^+]*$/;

/** JSON of an object field with credentials (the SDK's redactCredentials) redacted at any depth. */
function redactedJson(v: unknown): string {
  return JSON.stringify(v, (k, value: unknown) => (k !== "" && (isCredentialField(k) || k === "key") ? REDACTED : typeof value === "string" ? redactCredentialText(value) : value));
}

/**
 * A field's value as logrus writes it; a credential field's value is never written, nor a URL's
 * password or a presigned URL's signature in any value.
 */
function formatValue(key: string, v: unknown): string {
  if (isCredentialField(key)) return JSON.stringify(REDACTED);
  const s = typeof v === "string" ? redactCredentialText(v) : v instanceof Error ? redactCredentialText(v.message) : redactedJson(v);
  return BARE_VALUE.test(s) ? s : JSON.stringify(s);
}

/** The key a field is written under: `err` (our loggers' convention) is logrus' `error`. */
function logKey(key: string): string {
  return key === "err" ? "error" : key;
}

/**
 * The fields as logrus' TextFormatter writes them after time, level and msg: sorted by key
 * (Velero's lines read `backup=... name=... namespace=... resource=...`), undefined ones left out.
 */
export function joinPieces(pieces: [string, string][]): string {
  let out = "";
  for (const [, piece] of pieces) out += piece;
  return out;
}

/** The fields as [written key, " key=value"] pairs, sorted by written key. */
export function fieldPieces(fields: Record<string, unknown>): [string, string][] {
  const pieces: [string, string][] = [];
  for (const k in fields) {
    const v = fields[k];
    if (v === undefined) continue;
    const key = logKey(k);
    pieces.push([key, ` ${key}=${formatValue(k, v)}`]);
  }
  // (a backup makes a child logger per item)
  sortInPlace(pieces, byKey);
  return pieces;
}

/** Field pieces in key order (one comparator, not one closure per child logger). */
const byKey = (a: [string, string], b: [string, string]): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/**
 * A logger's bound fields merged with a call's own (the call's value wins for a key both have),
 * sorted: the bound ones are formatted and sorted once per logger, so a line with a field or two of
 * its own (most of a backup's per-item lines) costs a merge, not a sort of every field.
 */
export function mergeFields(bound: [string, string][], own: Record<string, unknown>): string {
  // One field of its own ({progress: ""} on every "Processing item"): no arrays, no sort.
  let only: string | undefined;
  let count = 0;
  for (const k in own) {
    if (own[k] === undefined) continue;
    only = k;
    if (++count > 1) break;
  }
  if (count === 1) {
    const key = logKey(only as string);
    const piece = ` ${key}=${formatValue(only as string, own[only as string])}`;
    let out = "";
    let placed = false;
    for (const [boundKey, boundPiece] of bound) {
      if (!placed && boundKey >= key) {
        out += piece;
        placed = true;
      }
      if (boundKey !== key) out += boundPiece;
    }
    return placed ? out : out + piece;
  }
  const extra = fieldPieces(own);
  if (extra.length === 0) {
    let out = "";
    for (const [, piece] of bound) out += piece;
    return out;
  }
  let out = "";
  let i = 0;
  for (const [key, piece] of extra) {
    while (i < bound.length && (bound[i] as [string, string])[0] <= key) {
      const [boundKey, boundPiece] = bound[i] as [string, string];
      if (boundKey !== key) out += boundPiece;
      i++;
    }
    out += piece;
  }
  while (i < bound.length) {
    const [boundKey, boundPiece] = bound[i] as [string, string];
    if (!extra.some(([key]) => key === boundKey)) out += boundPiece;
    i++;
  }
  return out;
}

/**
 * A child logger's bound fields: its parent's, already formatted and sorted, merged with the
 * child's own (which win for a key both have; an undefined one removes the parent's); only the
 * child's own are formatted.
 */
export function childPieces(parent: [string, string][], bindings: Record<string, unknown>): [string, string][] {
  const extra = fieldPieces(bindings);
  if (!hasKeys(bindings)) return parent;
  // A parent field the child binds again (or unbinds with undefined) gives way to the child's.
  const replaced = (key: string): boolean => Object.hasOwn(bindings, key) || (key === "error" && Object.hasOwn(bindings, "err"));
  const out: [string, string][] = [];
  let i = 0;
  for (const pair of extra) {
    for (; i < parent.length && (parent[i] as [string, string])[0] <= pair[0]; i++) {
      const bound = parent[i] as [string, string];
      if (!replaced(bound[0])) out.push(bound);
    }
    out.push(pair);
  }
  for (; i < parent.length; i++) {
    const bound = parent[i] as [string, string];
    if (!replaced(bound[0])) out.push(bound);
  }
  return out;
}

function hasKeys(o: object): boolean {
  for (const key in o) if (Object.hasOwn(o, key)) return true;
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


/** Where a LogrusTextLogger's lines go (with the line's level, for a sink that filters or forwards). */
export interface LineSink {
  write(line: string, level: LogrusLevel): void;
}

/**
 * A logger that also takes whole lines formatted elsewhere (a backup's log, whose lines Velero's
 * server writes to its own output byte for byte as they go to the backup's log file).
 */
export interface FormattedLineWriter {
  writeFormatted(level: LogrusLevel, line: string): void;
}

export function writesFormattedLines(logger: object): logger is FormattedLineWriter {
  return typeof (logger as Partial<FormattedLineWriter>).writeFormatted === "function";
}

/**
 * The Logger surface (a method per level, isLevelEnabled) over one write(level, ...) that a
 * logrus logger implements.
 */
export abstract class LogrusLevels {
  protected abstract minLevel(): LogrusLevel;
  protected abstract write(level: LogrusLevel, obj: object | string, msg?: string): void;

  isLevelEnabled(level: string): boolean {
    return level in LOGRUS_LEVEL_ORDER && LOGRUS_LEVEL_ORDER[level as LogrusLevel] >= LOGRUS_LEVEL_ORDER[this.minLevel()];
  }

  trace(obj: object | string, msg?: string): void {
    this.write("trace", obj, msg);
  }
  debug(obj: object | string, msg?: string): void {
    this.write("debug", obj, msg);
  }
  info(obj: object | string, msg?: string): void {
    this.write("info", obj, msg);
  }
  warn(obj: object | string, msg?: string): void {
    this.write("warn", obj, msg);
  }
  error(obj: object | string, msg?: string): void {
    this.write("error", obj, msg);
  }
}

/**
 * A Logger writing logrus text lines (logrusLine) to a sink: the bound fields are formatted once
 * per logger and a call's own merged into them, with no JSON in between.
 */
export class LogrusTextLogger extends LogrusLevels implements FormattedLineWriter {
  readonly #sink: LineSink;
  readonly #level: LogrusLevel;
  readonly #fields: Record<string, unknown>;
  #pieces: [string, string][] | undefined;
  #formatted: string | undefined;

  /** `pieces`: the fields already formatted (fieldPieces), when the caller has them. */
  constructor(sink: LineSink, level: LogrusLevel, fields: Record<string, unknown> = {}, pieces?: [string, string][]) {
    super();
    this.#sink = sink;
    this.#level = level;
    this.#fields = fields;
    this.#pieces = pieces;
  }

  child(bindings: Record<string, unknown>): LogrusTextLogger {
    const fields = { ...this.#fields, ...bindings };
    return new LogrusTextLogger(this.#sink, this.#level, fields, childPieces((this.#pieces ??= fieldPieces(this.#fields)), bindings));
  }

  protected minLevel(): LogrusLevel {
    return this.#level;
  }

  protected write(level: LogrusLevel, obj: object | string, msg?: string): void {
    if (LOGRUS_LEVEL_ORDER[level] < LOGRUS_LEVEL_ORDER[this.#level]) return;
    const plain = typeof obj === "string";
    const pieces = (this.#pieces ??= fieldPieces(this.#fields));
    const fields = plain ? (this.#formatted ??= joinPieces(pieces)) : mergeFields(pieces, obj as Record<string, unknown>);
    this.#sink.write(logrusLine(new Date(), level, plain ? obj : (msg ?? ""), fields), level);
  }

  writeFormatted(level: LogrusLevel, line: string): void {
    if (LOGRUS_LEVEL_ORDER[level] >= LOGRUS_LEVEL_ORDER[this.#level]) this.#sink.write(line, level);
  }
}
