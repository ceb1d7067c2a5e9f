/**
 * Item / Backup / Restore JSON on the wire (velero-compat.md 3.10, trap 19).
 *
 * Go decodes item integers as int64; a JS number silently loses precision above 2^53. So:
 *  - parsing: integers that are not safe JS integers become `bigint`; every other number is a
 *    plain `number` (Go itself holds non-integers as float64, so nothing more is lost);
 *  - stringifying: `bigint` values are written back verbatim as JSON integers.
 * Plugin authors therefore see `bigint` for such fields (e.g. a huge `spec.replicas` would be
 * `9007199254740993n`) and may return them unchanged. JSON without any 16-digit run takes the fast
 * native path.
 */
import { isInteger, isSafeNumber, parse, stringify } from "lossless-json";
import { ValidationError } from "../contract/errors.js";

const DIGIT_RUN = 16;

/**
 * True when `text` holds a run of 16 or more ASCII digits (the only way to spell an integer
 * beyond 2^53), as /\d{16}/ would say, but looking at every 16th character only: any such run
 * covers one of them. Item JSON is parsed on every item action call, so this matters.
 */
export function mayHoldUnsafeInteger(text: string): boolean {
  const n = text.length;
  for (let i = DIGIT_RUN - 1; i < n; i += DIGIT_RUN) {
    if (!isDigit(text.charCodeAt(i))) continue;
    let start = i;
    let end = i;
    while (start > 0 && isDigit(text.charCodeAt(start - 1))) start--;
    while (end + 1 < n && isDigit(text.charCodeAt(end + 1))) end++;
    if (end - start + 1 >= DIGIT_RUN) return true;
    i = end;
  }
  return false;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function parseNumber(value: string): number | bigint {
  return isInteger(value) && !isSafeNumber(value) ? BigInt(value) : Number(value);
}

/**
 * A JSON syntax error's message without the input it quotes. V8's JSON.parse messages carry up to
 * ~10 characters each side of the error (`Unexpected token 'U', ..."password":U0VDUkVUTU"... is
 * not valid JSON`): from a Secret's item JSON or a credential plugin's output, that is part of a
 * credential in a log or a status. Go's encoding/json names only the bad character; so does this
 * (`Unexpected token 'U' in JSON`). Messages that quote nothing are returned unchanged.
 */
export function jsonSyntaxMessage(message: string): string {
  const quoted = /^(.*?), (?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s.exec(message);
  if (quoted) return `${quoted[1]} in JSON`;
  if (/^(?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s.test(message)) return "the text is not valid JSON";
  return message;
}

/** JSON.parse whose SyntaxError does not quote the input (jsonSyntaxMessage). */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    if (error instanceof SyntaxError) throw new SyntaxError(jsonSyntaxMessage(error.message));
    throw error;
  }
}

/**
 * Parses JSON keeping integers above 2^53 exact (as bigint). A syntax error does not quote the
 * input (jsonSyntaxMessage).
 */
export function parseLosslessJson(text: string): unknown {
  if (!mayHoldUnsafeInteger(text)) return parseJson(text);
  return parse(text, null, parseNumber);
}

/** Stringifies JSON, writing bigint values verbatim. */
export function stringifyLosslessJson(value: unknown): string {
  try {
    const text = JSON.stringify(value);
    if (text !== undefined) return text;
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
  }
  const text = stringify(value);
  if (text === undefined) throw new TypeError("value is not JSON-serialisable");
  return text;
}

/** JSON bytes of an object for a `bytes` proto field. */
export function encodeJson(value: unknown): Buffer {
  return Buffer.from(stringifyLosslessJson(value), "utf8");
}

/** The object in a `bytes` proto field; `what` names the field in the ValidationError. */
export function decodeJson<T>(bytes: Uint8Array | undefined, what: string): T {
  if (!bytes || bytes.length === 0) {
    throw new ValidationError(`${what}: the JSON payload is empty (unexpected end of JSON input)`, [{ path: what, reason: "empty" }]);
  }
  try {
    return parseLosslessJson(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8")) as T;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ValidationError(`${what}: invalid JSON: ${reason}`, [{ path: what, reason }], { cause: error });
  }
}
