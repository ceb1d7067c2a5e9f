/**
 * JSON exactly as Go's encoding/json writes it: compact, `<` `>` `&` U+2028 U+2029 escaped as
 * \u003c \u003e \u0026 \u2028 \u2029, control characters as \b \f \n \r \t or \u00XX, lone
 * surrogates as \ufffd, and (for unstructured objects, which are Go maps) keys sorted. Integers
 * beyond 2^53 survive a round trip: parseItemJson keeps them as LosslessNumber when present.
 */
import { LosslessNumber, parse as losslessParse } from "lossless-json";

const ESCAPES: Record<string, string> = {
  '"': '\\"',
  "\\": "\\\\",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "<": "\\u003c",
  ">": "\\u003e",
  "&": "\\u0026",
  "\u2028": "\\u2028",
  "\u2029": "\\u2029",
};

// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /["\\<>&\u0000-\u001f\u2028\u2029\ud800-\udfff]/;
// eslint-disable-next-line no-control-regex
const ESCAPE_ALL = /["\\<>&\u0000-\u001f\u2028\u2029]|[\ud800-\udbff][\udc00-\udfff]|[\ud800-\udfff]/g;

export function goQuote(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return `"${s}"`;
  return (
    '"' +
    s.replace(ESCAPE_ALL, (ch) => {
      if (ch.length === 2) return ch; // a valid surrogate pair
      const known = ESCAPES[ch];
      if (known) return known;
      const code = ch.charCodeAt(0);
      if (code >= 0xd800 && code <= 0xdfff) return "\\ufffd";
      return "\\u" + code.toString(16).padStart(4, "0");
    }) +
    '"'
  );
}

export interface MarshalOptions {
  /** Sort object keys (Go maps). Default true. */
  sortKeys?: boolean;
}

/** Compact JSON as Go's json.Marshal writes it. */
export function marshalGo(value: unknown, options: MarshalOptions = {}): string {
  const parts: string[] = [];
  write(value, options.sortKeys ?? true, parts);
  return parts.join("");
}

function write(value: unknown, sortKeys: boolean, out: string[]): void {
  if (value === null || value === undefined) {
    out.push("null");
    return;
  }
  switch (typeof value) {
    case "string":
      out.push(goQuote(value));
      return;
    case "number":
      out.push(Number.isFinite(value) ? String(value) : "null");
      return;
    case "boolean":
      out.push(value ? "true" : "false");
      return;
    case "bigint":
      out.push(value.toString());
      return;
    case "object":
      break;
    default:
      out.push("null");
      return;
  }
  if (value instanceof LosslessNumber) {
    out.push(value.value);
    return;
  }
  if (value instanceof Date) {
    out.push(goQuote(value.toISOString().replace(/\.\d{3}Z$/, "Z")));
    return;
  }
  if (Array.isArray(value)) {
    out.push("[");
    value.forEach((v, i) => {
      if (i > 0) out.push(",");
      write(v, sortKeys, out);
    });
    out.push("]");
    return;
  }
  const obj = value as Record<string, unknown>;
  let keys = Object.keys(obj).filter((k) => obj[k] !== undefined);
  if (sortKeys) keys = keys.sort(compareUtf8);
  out.push("{");
  keys.forEach((k, i) => {
    if (i > 0) out.push(",");
    out.push(goQuote(k), ":");
    write(obj[k], sortKeys, out);
  });
  out.push("}");
}

/** Go sorts map keys by their UTF-8 bytes; for BMP text that is code-point order. */
function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  const len = Math.min(a.length, b.length);
  for (let i = 0; i < len; i++) {
    const ca = a.codePointAt(i) as number;
    const cb = b.codePointAt(i) as number;
    if (ca !== cb) return ca - cb;
    if (ca > 0xffff) i++;
  }
  return a.length - b.length;
}

const BIG_INTEGER = /[-]?\d{16,}/;

/** Parses item JSON; integers too large for a double are kept exactly (LosslessNumber). */
export function parseItemJson<T = unknown>(text: string): T {
  if (!BIG_INTEGER.test(text)) return JSON.parse(text) as T;
  return losslessParse(text, null, (raw) => {
    const n = Number(raw);
    return Number.isSafeInteger(n) || !/^-?\d+$/.test(raw) ? n : new LosslessNumber(raw);
  }) as T;
}
