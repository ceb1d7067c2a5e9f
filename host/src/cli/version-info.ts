/** Build information printed by `velero version`. */
export const VERSION = {
  /** Velero-compatible version line (the client speaks velero.io/v1 like Velero 1.18). */
  version: "v1.18.0-ts.0.1.0",
  gitCommit: process.env.VELERO_TS_GIT_COMMIT ?? "unknown",
};
