/**
 * JSON exactly as Go's encoding/json writes it: compact, `<` `>` `&` U+2028 U+2029 escaped as
 * \u003c \u003e \u0026 \u2028 \u2029, control characters as \b \f \n \r \t or \u00XX, lone
 * surrogates as \ufffd, and (for unstructured objects, which are Go maps) keys sorted. Integers
 * beyond 2^53 arrive as bigint (the SDK's parseLosslessJson, used by the kube client and the
 * restore's item reader) and are written exactly.
 */

import { sortInPlace } from "../shared/sort-in-place.js";
import { compareUtf8 } from "../shared/utf8-order.js";

// JSON.stringify already writes what Go writes for `"`, `\\` and control characters (\b \f \n \r
// \t, else \u00xx in lower-case hex, as Go >= 1.22 does) and keeps valid surrogate pairs raw; it
// differs only for < > & U+2028 U+2029 (kept raw) and lone surrogates (written as \udxxx). One
// pass over its output fixes those; `\\\\` is matched first so an escaped backslash followed by
// "ud800" in the original text is left alone.
const NEEDS_FIX = /[<>&\u2028\u2029\ud800-\udfff]/;
const FIX_ALL = /\\(?:\\|u(d[89a-f][0-9a-f]{2}))|[<>&\u2028\u2029]/g;
const FIXES: Record<string, string> = { "<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029" };

function fix(match: string, surrogate: string | undefined): string {
  if (surrogate !== undefined) return "\\ufffd";
  return FIXES[match] ?? match;
}

// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /["\\<>&\u0000-\u001f\u2028\u2029\ud800-\udfff]/;
/** From this length a string is checked by parts: one character class with ranges scans ~300 MB/s, the parts ~3 GB/s. */
const LONG_STRING = 256;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f]/;
/** Also any surrogate, paired or not (JSON.stringify writes a lone one that Go writes as \ufffd). */
const GO_ONLY_ESCAPES = /[<>&\u2028\u2029\ud800-\udfff]/;

/** NEEDS_ESCAPE.test(s) is false, faster on long strings (a Secret's base64 data: up to 1.5 MiB). */
function plainLongString(s: string): boolean {
  return !s.includes('"') && !s.includes("\\") && !CONTROL.test(s) && !GO_ONLY_ESCAPES.test(s);
}

export function goQuote(s: string): string {
  if (s.length < LONG_STRING ? !NEEDS_ESCAPE.test(s) : plainLongString(s)) return '"' + s + '"';
  const quoted = JSON.stringify(s);
  return NEEDS_FIX.test(s) ? quoted.replace(FIX_ALL, fix) : quoted;
}

/** Quoted object keys: items repeat the same few hundred keys (bounded so odd data cannot grow it). */
const quotedKeys = new Map<string, string>();
function quoteKey(k: string): string {
  let q = quotedKeys.get(k);
  if (q === undefined) {
    q = goQuote(k);
    if (quotedKeys.size < 4096) quotedKeys.set(k, q);
  }
  return q;
}

export interface MarshalOptions {
  /** Sort object keys (Go maps). Default true. */
  sortKeys?: boolean;
}

/** Compact JSON as Go's json.Marshal writes it. */
export function marshalGo(value: unknown, options: MarshalOptions = {}): string {
  const sortKeys = options.sortKeys ?? true;
  try {
    return write(value, sortKeys);
  } catch (error) {
    // Nested deeper than the call stack allows (the API server takes ~10,000 levels; Go has no
    // limit here): the same output from a walk that keeps its own stack.
    if (error instanceof RangeError && /call stack/i.test(error.message)) return writeDeep(value, sortKeys);
    throw error;
  }
}

type Frame = { array: readonly unknown[]; next: number } | { object: Record<string, unknown>; keys: string[]; next: number; empty: boolean };

/** write() without recursion: containers go on an explicit stack; scalars are written by write(). */
function writeDeep(root: unknown, sortKeys: boolean): string {
  const out: string[] = [];
  const stack: Frame[] = [];
  const open = (value: unknown): void => {
    if (value === null || typeof value !== "object" || value instanceof Date) {
      out.push(write(value, sortKeys));
    } else if (Array.isArray(value)) {
      out.push("[");
      stack.push({ array: value, next: 0 });
    } else {
      const object = value as Record<string, unknown>;
      const keys = Object.keys(object);
      if (sortKeys) sortKeysUtf8(keys);
      out.push("{");
      stack.push({ object, keys, next: 0, empty: true });
    }
  };
  open(root);
  for (let frame = stack.at(-1); frame; frame = stack.at(-1)) {
    if ("array" in frame) {
      if (frame.next >= frame.array.length) {
        out.push("]");
        stack.pop();
        continue;
      }
      if (frame.next > 0) out.push(",");
      open(frame.array[frame.next++]);
      continue;
    }
    while (frame.next < frame.keys.length && frame.object[frame.keys[frame.next] as string] === undefined) frame.next++;
    if (frame.next >= frame.keys.length) {
      out.push("}");
      stack.pop();
      continue;
    }
    const key = frame.keys[frame.next++] as string;
    out.push((frame.empty ? "" : ",") + quoteKey(key) + ":");
    frame.empty = false;
    open(frame.object[key]);
  }
  return out.join("");
}

function write(value: unknown, sortKeys: boolean): string {
  if (value === null || value === undefined) return "null";
  switch (typeof value) {
    case "string":
      return goQuote(value);
    case "number":
      return Number.isFinite(value) ? String(value) : "null";
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      return value.toString();
    case "object":
      break;
    default:
      return "null";
  }
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ",";
      out += write(value[i], sortKeys);
    }
    return out + "]";
  }
  if (value instanceof Date) return goQuote(value.toISOString().replace(/\.\d{3}Z$/, "Z"));
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (sortKeys) sortKeysUtf8(keys);
  let out = "{";
  let first = true;
  for (const k of keys) {
    const v = obj[k];
    if (v === undefined) continue;
    if (first) first = false;
    else out += ",";
    out += quoteKey(k) + ":" + write(v, sortKeys);
  }
  return out + "}";
}

/** Sorts object keys in place in Go's map-key order (nearly every object of an item has a handful). */
function sortKeysUtf8(keys: string[]): void {
  sortInPlace(keys, compareUtf8);
}

/**
 * Go's json.Indent(dst, src, "", indent) of compact JSON (what json.MarshalIndent writes): a
 * newline and the depth's indent after each opening bracket and comma and before each closing
 * one, ": " between key and value, and an empty object or array kept as {} or [].
 */
export function indentGo(compact: string, indent = "  "): string {
  let out = "";
  let depth = 0;
  let needIndent = false;
  const newline = (): string => "\n" + indent.repeat(depth);
  for (let i = 0; i < compact.length; i++) {
    const c = compact.charCodeAt(i);
    if (c === 0x22) {
      // a string: copied as is up to its closing quote (escapes skipped)
      let j = i + 1;
      while (j < compact.length && compact.charCodeAt(j) !== 0x22) j += compact.charCodeAt(j) === 0x5c ? 2 : 1;
      if (needIndent) {
        needIndent = false;
        depth++;
        out += newline();
      }
      out += compact.slice(i, j + 1);
      i = j;
      continue;
    }
    const closing = c === 0x7d || c === 0x5d;
    if (needIndent && !closing) {
      needIndent = false;
      depth++;
      out += newline();
    }
    switch (c) {
      case 0x7b: // {
      case 0x5b: // [
        out += compact[i];
        needIndent = true;
        break;
      case 0x2c: // ,
        out += "," + newline();
        break;
      case 0x3a: // :
        out += ": ";
        break;
      case 0x7d: // }
      case 0x5d: // ]
        if (needIndent) needIndent = false;
        else {
          depth--;
          out += newline();
        }
        out += compact[i];
        break;
      default:
        out += compact[i];
    }
  }
  return out;
}

/**
 * A JSON merge patch of a Velero status that leaves it as its Go struct writes it: each field of
 * `omitted` (all `omitempty`) that is 0 or "" is sent as null (a merge patch deletes it), and so
 * is each zero field of the `nested` objects, so a zero written earlier in a run goes too.
 */
export function omitEmptyMergePatch<T extends Record<string, unknown>>(status: T, omitted: readonly string[], nested: readonly string[]): T {
  const patch: Record<string, unknown> = { ...status };
  for (const k of omitted) if (patch[k] === 0 || patch[k] === "") patch[k] = null;
  for (const n of nested) {
    const value = status[n];
    if (value && typeof value === "object") patch[n] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, v === 0 ? null : v]));
  }
  return patch as T;
}
