/** Velero's label.GetValidName. */
import { createHash } from "node:crypto";
import { MAX_LABEL_VALUE_LENGTH } from "@velero-ts/plugin-sdk";

/** Values longer than 63 characters become their first 57 characters plus the first 6 hex digits of their SHA-256. */
export function validLabelValue(value: string): string {
  if (value.length <= MAX_LABEL_VALUE_LENGTH) return value;
  return value.slice(0, MAX_LABEL_VALUE_LENGTH - 6) + createHash("sha256").update(value).digest("hex").slice(0, 6);
}
