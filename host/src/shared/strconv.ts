/** Go's strconv.ParseBool: true/false in its spellings ("1", "t", "TRUE", "True"...), else undefined. */
export function parseGoBool(value: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(value)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(value)) return false;
  return undefined;
}
