/** The Velero release whose API, CLI and formats velero-ts implements. */
const VELERO_COMPATIBLE_VERSION = "v1.18.1";
/** This velero-ts release. */
const VELERO_TS_RELEASE = "0.1.0";
/**
 * What `velero version` prints and the server reports through ServerStatusRequests: Velero's
 * version with velero-ts's release as semver build metadata ("v1.18.1+velero-ts.0.1.0"). Velero's
 * own CLI compares the major.minor of its version and the server's and warns when they differ: a
 * velero-ts server reporting "v0.1.0" made every `velero version` of a v1.18 CLI ask to update it.
 */
export const VELERO_TS_VERSION = `${VELERO_COMPATIBLE_VERSION}+velero-ts.${VELERO_TS_RELEASE}`;
