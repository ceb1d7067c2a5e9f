/** Parsers for Velero's flag value types (pflag Map, StringArray, OptionalBool, Enum). */
import { UsageError } from "../../shared/errors.js";
import { parseDurationFlag } from "./duration.js";

import { parseGoBool } from "../../shared/strconv.js";

export { parseGoBool };

/**
 * Splits one CSV record the way encoding/csv's Reader does (quotes group delimiters, "" escapes a
 * quote), refusing what it refuses: a quote inside a field that does not start with one, and
 * anything but a delimiter after a closing quote or a quote never closed.
 */
function splitCsv(text: string, delimiter: string): string[] {
  const out: string[] = [];
  const bare = (i: number) => new Error(`parse error on line 1, column ${i + 1}: bare " in non-quoted-field`);
  const extraneous = (i: number) => new Error(`parse error on line 1, column ${i + 1}: extraneous or missing " in quoted-field`);
  let field = "";
  let i = 0;
  let atFieldStart = true;
  while (i < text.length) {
    const ch = text[i] as string;
    if (atFieldStart && ch === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw extraneous(i);
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += text[i];
        i++;
      }
      if (i < text.length && text[i] !== delimiter) throw extraneous(i);
      atFieldStart = false;
      continue;
    }
    if (ch === delimiter) {
      out.push(field);
      field = "";
      atFieldStart = true;
      i++;
      continue;
    }
    if (ch === '"') throw bare(i);
    field += ch;
    atFieldStart = false;
    i++;
  }
  out.push(field);
  return out;
}

/**
 * Velero's flag.Map: "k1=v1,k2=v2" (CSV-quoted entries may contain the delimiter). `kvDelimiter`
 * is ":" for --namespace-mappings.
 */
export function parseMapFlag(
  flag: string,
  value: string,
  previous: Record<string, string> = {},
  kvDelimiter = "=",
): Record<string, string> {
  let parts: string[];
  try {
    parts = splitCsv(value, ",");
  } catch (err) {
    throw new UsageError(`invalid value for ${flag}: ${(err as Error).message}`);
  }
  const out = { ...previous };
  for (const part of parts) {
    const idx = part.indexOf(kvDelimiter);
    if (idx < 0) {
      const example = kvDelimiter === ":" ? "src1:dst1,src2:dst2" : "key1=value1,key2=value2";
      throw new UsageError(`invalid value ${JSON.stringify(part)} for ${flag}: expected ${example}`);
    }
    out[part.slice(0, idx)] = part.slice(idx + kvDelimiter.length);
  }
  return sortedByKey(out);
}

/** A map with its keys in the order Go's encoding/json writes a map's (sorted), for printed objects. */
export function sortedByKey<T>(map: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Velero's flag.StringArray: comma-split, the last occurrence wins. */
export function parseStringArray(value: string): string[] {
  return value.split(",");
}

/** A flag restricted to a set of values (flag.Enum). */
export function parseEnum(flag: string, value: string, allowed: readonly string[]): string {
  if (!allowed.includes(value)) {
    throw new UsageError(`invalid value "${value}" for ${flag}: valid values are ${allowed.join(", ")}`);
  }
  return value;
}

/**
 * An integer as Go's int flags read it (strconv.ParseInt(s, 0, 64)): an optional sign, a 0x, 0o
 * or 0b prefix or a leading 0 for octal, and underscores between digits ("1_000", "0x_1f").
 * Undefined when Go refuses it.
 */
export function parseGoInt(text: string): number | undefined {
  const m = /^([+-]?)(0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|0(?:_?[0-7])*|[1-9](?:_?[0-9])*)$/.exec(text);
  if (!m) return undefined;
  const body = (m[2] as string).replace(/_/g, "");
  const literal = /^0[0-7]/.test(body) ? `0o${body.slice(1)}` : body;
  const n = BigInt(literal);
  const value = m[1] === "-" ? -n : n;
  if (value > (1n << 63n) - 1n || value < -(1n << 63n)) return undefined;
  return Number(value);
}

/** An integer flag, read as Go reads it. */
export function parseIntFlag(flag: string, value: string): number {
  const n = parseGoInt(value);
  if (n === undefined) throw new UsageError(`invalid value "${value}" for ${flag}: expected an integer`);
  return n;
}

/** A decimal number flag (Go's float32 flags: "20", "2.5", "1e2"). */
export function parseFloatFlag(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n)) throw new UsageError(`invalid value "${value}" for ${flag}: expected a number`);
  return n;
}

/**
 * A flag value this CLI accepts without acting on it, checked as Go's flag package would parse
 * its type (Go plugins given the same command line exit on a value they cannot parse).
 */
export function checkGoFlagValue(flag: string, kind: "duration" | "int" | "uint" | "string", value: string): string {
  if (kind === "duration") parseDurationFlag(flag, value);
  if (kind === "int" || kind === "uint") {
    const n = parseIntFlag(flag, value);
    if (kind === "uint" && n < 0) throw new UsageError(`invalid value "${value}" for ${flag}: expected a non-negative integer`);
  }
  return value;
}

/** Velero's --log-level values (not "warn": Velero refuses it, and so do the Go plugins it is passed to). */
export const LOG_LEVELS = ["panic", "fatal", "error", "warning", "info", "debug", "trace"] as const;

/** --log-level and --log-format of `velero server` and `velero node-agent server`, checked as Velero's flags check them. */
export function parseLogFlags(level: string, format: string): { logLevel: string; logFormat: "text" | "json" } {
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new UsageError(`invalid --log-level "${level}": use one of ${LOG_LEVELS.join(", ")}`);
  if (format !== "text" && format !== "json") throw new UsageError(`invalid --log-format "${format}": use text or json`);
  return { logLevel: level, logFormat: format };
}
