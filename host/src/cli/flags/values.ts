/** Parsers for Velero's flag value types (pflag Map, StringArray, OptionalBool, Enum). */
import { UsageError } from "../../shared/errors.js";

import { parseGoBool } from "../../shared/strconv.js";

export { parseGoBool };

/** Splits one CSV record the way encoding/csv does (quotes group delimiters, "" escapes a quote). */
function splitCsv(text: string, delimiter: string): string[] {
  const out: string[] = [];
  let field = "";
  let i = 0;
  let atFieldStart = true;
  while (i < text.length) {
    const ch = text[i] as string;
    if (atFieldStart && ch === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error(`unterminated quote in ${JSON.stringify(text)}`);
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
  return out;
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

/** Non-negative integer flag. */
export function parseIntFlag(flag: string, value: string): number {
  if (!/^-?\d+$/.test(value)) throw new UsageError(`invalid value "${value}" for ${flag}: expected an integer`);
  return Number(value);
}

/** A decimal number flag (Go's float32 flags: "20", "2.5", "1e2"). */
export function parseFloatFlag(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n)) throw new UsageError(`invalid value "${value}" for ${flag}: expected a number`);
  return n;
}
