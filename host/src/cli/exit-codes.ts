/**
 * Exit codes of the velero CLI. 0/1/2 follow the usual convention; `--wait` maps the final phase
 * of a backup or restore to its own code so scripts can tell the outcomes apart.
 */
export const EXIT_CODES = {
  ok: 0,
  failure: 1,
  usage: 2,
  partiallyFailed: 3,
  failed: 4,
  failedValidation: 5,
} as const;

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** The exit code for a terminal backup/restore phase seen by `--wait`. */
export function exitCodeForPhase(phase: string | undefined): ExitCode {
  switch (phase) {
    case "Completed":
      return EXIT_CODES.ok;
    case "PartiallyFailed":
      return EXIT_CODES.partiallyFailed;
    case "FailedValidation":
      return EXIT_CODES.failedValidation;
    default:
      return EXIT_CODES.failed;
  }
}
