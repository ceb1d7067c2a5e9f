/**
 * Kubernetes resource quantities ("10Gi", "500m", "1.5e3"), parsed exactly (no floating point) so
 * that they compare as the API machinery does.
 */

const FORMAT_WRONG = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
const SUFFIX_WRONG = "unable to parse quantity's suffix";

/** Powers of 1024 for the binary suffixes, powers of 10 for the decimal ones. */
const BINARY: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

/** Exponents beyond this are refused rather than expanded into enormous integers. */
const MAX_EXPONENT = 1000;

/** value = mantissa × 10^exp10 × 2^exp2 */
export interface Quantity {
  readonly mantissa: bigint;
  readonly exp10: number;
  readonly exp2: number;
}

export const ZERO_QUANTITY: Quantity = { mantissa: 0n, exp10: 0, exp2: 0 };

/** A quantity's text in its parts (sign, digits before and after the point, suffix); throws when it has not that shape. */
function splitQuantity(text: string): { sign: string; whole: string; fraction: string; suffix: string } {
  const m = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(.*)$/s.exec(text);
  const [, sign = "", whole = "", fraction = "", suffix = ""] = m ?? [];
  if (!m || whole + fraction === "" || !/^[eEinumkKMGTP]*[-+]?[0-9]*$/.test(suffix)) throw new Error(FORMAT_WRONG);
  return { sign, whole, fraction, suffix };
}

/** Parses a quantity; throws with the API machinery's message when the text is not one. */
export function parseQuantity(text: string): Quantity {
  const { sign, whole, fraction, suffix } = splitQuantity(text);
  let exp10 = -fraction.length;
  let exp2 = 0;
  if (suffix in BINARY) exp2 = BINARY[suffix] as number;
  else if (suffix in DECIMAL) exp10 += DECIMAL[suffix] as number;
  else {
    const e = /^[eE]([-+]?[0-9]+)$/.exec(suffix);
    const n = e ? Number(e[1]) : NaN;
    if (!Number.isSafeInteger(n) || Math.abs(n) > MAX_EXPONENT) throw new Error(SUFFIX_WRONG);
    exp10 += n;
  }
  const digits = BigInt(whole + fraction);
  return { mantissa: sign === "-" ? -digits : digits, exp10, exp2 };
}

/**
 * Velero's installer takes a request or limit equal to the quantity "0" as unbounded (it leaves it
 * out); "0m" and "0.0" are other quantities to it, written as "0".
 */
export function isUnboundedQuantity(text: string): boolean {
  return /^[+-]?0+$/.test(text);
}

export function isZeroQuantity(q: Quantity): boolean {
  return q.mantissa === 0n;
}

/** -1, 0 or 1 as a is less than, equal to or greater than b. */
export function compareQuantities(a: Quantity, b: Quantity): -1 | 0 | 1 {
  const e10 = Math.min(a.exp10, b.exp10);
  const e2 = Math.min(a.exp2, b.exp2);
  const scale = (q: Quantity): bigint => q.mantissa * 10n ** BigInt(q.exp10 - e10) * 2n ** BigInt(q.exp2 - e2);
  const x = scale(a);
  const y = scale(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

const DECIMAL_SUFFIX_OF: Record<number, string> = { [-9]: "n", [-6]: "u", [-3]: "m", 0: "", 3: "k", 6: "M", 9: "G", 12: "T", 15: "P", 18: "E" };
const BINARY_SUFFIXES = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];

/**
 * A quantity in the API machinery's canonical form, as a Go client prints a parsed one: "1000m" →
 * "1", "2000" → "2k", "0.25" → "250m", "1024Mi" → "1Gi", "1.5Gi" → "1536Mi", "1e3" stays "1e3".
 * The format follows the suffix written (binary, decimal SI, or decimal exponent); a binary value
 * below 1024 or not a whole number is printed as decimal SI. Text already in a canonical shape is
 * kept as written, as the API machinery's parser keeps it ("1E-3", "+1", "3Mi"). Throws as
 * parseQuantity does.
 */
export function canonicalQuantity(text: string): string {
  const q = parseQuantity(text);
  if (q.mantissa === 0n) return "0";
  const { whole, fraction, suffix } = splitQuantity(text);
  if (keptAsWritten(whole, fraction, suffix, q)) return text;
  // value = digits × 10^exp10, digits a whole number
  let digits = q.mantissa * 2n ** BigInt(q.exp2);
  let exp10 = q.exp10;
  if (suffix in BINARY) {
    const integer = exp10 >= 0 ? digits * 10n ** BigInt(exp10) : digits % 10n ** BigInt(-exp10) === 0n ? digits / 10n ** BigInt(-exp10) : undefined;
    if (integer !== undefined && (integer >= 1024n || integer <= -1024n)) {
      let n = integer;
      let power = 0;
      while (n % 1024n === 0n && power < BINARY_SUFFIXES.length - 1) {
        n /= 1024n;
        power++;
      }
      return `${n}${BINARY_SUFFIXES[power]}`;
    }
  }
  while (digits % 10n === 0n) {
    digits /= 10n;
    exp10++;
  }
  // the exponent a multiple of 3 (rounding down)
  const shift = ((exp10 % 3) + 3) % 3;
  digits *= 10n ** BigInt(shift);
  exp10 -= shift;
  if (/^[eE]/.test(suffix) && !(suffix in DECIMAL)) return exp10 === 0 ? `${digits}` : `${digits}e${exp10}`;
  // decimal SI: within n..E
  if (exp10 < -9) {
    // finer than nano: rounded up to a whole nano, as the API machinery does
    const divisor = 10n ** BigInt(-9 - exp10);
    digits = digits / divisor + (digits % divisor > 0n ? 1n : 0n);
    exp10 = -9;
  }
  while (exp10 > 18) {
    digits *= 1000n;
    exp10 -= 3;
  }
  return `${digits}${DECIMAL_SUFFIX_OF[exp10]}`;
}

/**
 * The API machinery's parser remembers the text of a quantity it reads on its fast path when the
 * text is already canonical-looking: decimal with a scale that is a multiple of 3, no "000" at the
 * end of its digits (leading zeros of the whole part not counted) and no leading 0; binary with no fraction and a number not a multiple of 8.
 */
function keptAsWritten(whole: string, fraction: string, suffix: string, q: Quantity): boolean {
  const digits = whole.replace(/^0+/, "") + fraction;
  if (suffix in BINARY) return fraction === "" && digits.length <= 15 && (BigInt(digits) & 7n) !== 0n;
  const scale = q.exp10;
  return digits.length <= 18 && scale >= -9 && scale % 3 === 0 && !digits.endsWith("000") && !digits.startsWith("0");
}

/**
 * A byte count as the API machinery prints `resource.NewQuantity(n, BinarySI)`: below 1024 in
 * decimal SI ("1k" for 1000), else the largest power of 1024 that divides it ("1Gi", "1536").
 */
export function binaryQuantity(bytes: number): string {
  if (bytes > -1024 && bytes < 1024) return canonicalQuantity(String(bytes));
  let n = BigInt(bytes);
  let power = 0;
  while (n % 1024n === 0n && power < BINARY_SUFFIXES.length - 1) {
    n /= 1024n;
    power++;
  }
  return `${n}${BINARY_SUFFIXES[power]}`;
}

/** A quantity's value as a whole number, rounded up (the API machinery's Quantity.Value()); 0 for text that is not a quantity. */
export function quantityBytes(text: string): number {
  let q: Quantity;
  try {
    q = parseQuantity(text);
  } catch {
    return 0;
  }
  let n = q.mantissa * 2n ** BigInt(q.exp2);
  if (q.exp10 >= 0) return Number(n * 10n ** BigInt(q.exp10));
  const d = 10n ** BigInt(-q.exp10);
  const whole = n / d;
  return Number(n % d > 0n ? whole + 1n : whole);
}
