/** Velero's name helpers. */
import { createHash } from "node:crypto";

const MAX_LABEL_VALUE = 63;

/** label.GetValidName: values over 63 chars become the first 57 chars + 6 hex of their SHA-256. */
export function validLabelValue(value: string): string {
  if (value.length <= MAX_LABEL_VALUE) return value;
  return value.slice(0, MAX_LABEL_VALUE - 6) + createHash("sha256").update(value).digest("hex").slice(0, 6);
}

/** The local-time 20060102150405 stamp Velero's restore create appends to generated names. */
export function timestampSuffixLocal(date: Date): string {
  const p = (n: number): string => String(n).padStart(2, "0");
  return `${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
}
