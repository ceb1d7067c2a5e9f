/** Velero's name helpers. */
export { validLabelValue } from "../shared/label-value.js";

/** The local-time 20060102150405 stamp Velero's restore create appends to generated names. */
export function timestampSuffixLocal(date: Date): string {
  const p = (n: number): string => String(n).padStart(2, "0");
  return `${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
}
