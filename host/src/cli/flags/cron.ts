/**
 * Client-side check of --schedule with the server's own parser (shared/cron.ts, robfig/cron
 * ParseStandard semantics), so a typo fails at the prompt instead of as FailedValidation later.
 */
import { parseCronSchedule } from "../../shared/cron.js";
import { UsageError } from "../../shared/errors.js";

export function validateSchedule(schedule: string): string {
  const spec = schedule.trim();
  const parsed = parseCronSchedule(spec);
  if (!parsed.ok) {
    throw new UsageError(
      `invalid --schedule "${schedule}": ${parsed.error}; use 5 cron fields such as "0 1 * * *", a descriptor such as "@daily", or "@every 24h"`,
    );
  }
  return spec;
}
