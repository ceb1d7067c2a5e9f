import { VELERO_TS_VERSION } from "../shared/version.js";

/** Build information printed by `velero version`. */
export const VERSION = {
  version: VELERO_TS_VERSION,
  gitCommit: process.env.VELERO_TS_GIT_COMMIT ?? "unknown",
};
