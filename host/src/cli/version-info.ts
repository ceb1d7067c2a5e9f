/** Build information printed by `velero version`. */
export const VERSION = {
  /** velero-ts release; the server reports the same version through ServerStatusRequests. */
  version: "v0.1.0",
  gitCommit: process.env.VELERO_TS_GIT_COMMIT ?? "unknown",
};
