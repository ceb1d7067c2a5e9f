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

/** Parses a quantity; throws with the API machinery's message when the text is not one. */
export function parseQuantity(text: string): Quantity {
  const m = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(.*)$/s.exec(text);
  const [, sign = "", whole = "", fraction = "", suffix = ""] = m ?? [];
  if (!m || whole + fraction === "" || !/^[eEinumkKMGTP]*[-+]?[0-9]*$/.test(suffix)) throw new Error(FORMAT_WRONG);
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
