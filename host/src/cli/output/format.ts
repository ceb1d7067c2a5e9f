/** Value formatting that matches what Go's fmt prints for Velero's table cells and describers. */

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}

function zoneName(date: Date, offsetMinutes: number): string {
  if (offsetMinutes === 0) return "UTC";
  const part = new Intl.DateTimeFormat("en-US", { timeZoneName: "short" })
    .formatToParts(date)
    .find((p) => p.type === "timeZoneName");
  return part?.value ?? "";
}

/**
 * Go's time.Time.String() for a time decoded from the API (local zone, whole seconds):
 * "2017-07-27 20:05:24 +0000 UTC".
 */
export function formatGoTime(value: string | Date | undefined | null): string {
  if (value === undefined || value === null || value === "") return "<nil>";
  const date = typeof value === "string" ? new Date(value) : value;
  if (Number.isNaN(date.getTime())) return String(value);
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  const abs = Math.abs(offset);
  const ms = date.getMilliseconds();
  const frac = ms === 0 ? "" : `.${String(ms).padStart(3, "0").replace(/0+$/, "")}`;
  return (
    `${date.getFullYear()}-${pad2(date.getMonth() + 1)}-${pad2(date.getDate())} ` +
    `${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}${frac} ` +
    `${sign}${pad2(Math.floor(abs / 60))}${pad2(abs % 60)} ${zoneName(date, offset)}`
  );
}

/** apimachinery duration.ShortHumanDuration. */
export function shortHumanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 24) return `${hours}h`;
  if (hours < 24 * 365) return `${Math.trunc(hours / 24)}d`;
  return `${Math.trunc(hours / 24 / 365)}y`;
}

/** Velero's humanReadableTimeFromNow: "29d", "5m ago", or "n/a" for a zero time. */
export function humanReadableTimeFromNow(when: Date | undefined, now: Date): string {
  if (!when || Number.isNaN(when.getTime())) return "n/a";
  const diff = when.getTime() - now.getTime();
  if (diff >= 0) return shortHumanDuration(diff);
  return `${shortHumanDuration(-diff)} ago`;
}
