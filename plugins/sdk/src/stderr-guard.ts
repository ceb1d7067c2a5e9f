/**
 * Text written to a plugin's stderr by anything but the SDK logger (console.log and
 * process.stdout.write, which serve() sends to stderr; console.error, process.stderr.write, a
 * dependency's own logging) made safe for go-plugin's host.
 *
 * The host parses every stderr line that is a JSON object as an hclog entry and reads "@message",
 * "@level" and "@timestamp" with unchecked string assertions: one line such as
 * `{"@message": 42}` panics the whole Velero server (logger.ts rule 2). A line like that is
 * written instead as an hclog entry whose message is the line itself; every other line is left
 * as it is. Each write ends with a newline, so no line can be completed by a later write into one
 * the guard did not see whole.
 */

const HCLOG_STRING_KEYS = ["@message", "@level", "@timestamp"] as const;

/** Whether go-plugin's host would panic on this one line (no newline in it). */
export function crashesGoPluginHost(line: string): boolean {
  const start = line.trimStart();
  if (!start.startsWith("{")) return false;
  let value: unknown;
  try {
    value = JSON.parse(start);
  } catch {
    return false; // not JSON: the host logs it as text
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  return HCLOG_STRING_KEYS.some((key) => key in record && typeof record[key] !== "string");
}

/** `text` with every line that would crash go-plugin's host rewritten, ending with a newline. */
export function guardStderrText(text: string): string {
  if (text === "") return text;
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  let out = "";
  for (const line of lines) {
    out += (crashesGoPluginHost(line) ? JSON.stringify({ "@level": "debug", "@message": line }) : line) + "\n";
  }
  return out;
}
