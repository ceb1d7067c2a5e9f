/**
 * The restore side of EnableAPIGroupVersions (Velero's prioritize_group_version.go). For each
 * resource directory of a backup written with every served version, the copy to restore:
 *   0. the first version of the user's list for that resource that both the backup and the cluster
 *      have (ConfigMap `enableapigroupversions` in Velero's namespace, key
 *      `restoreResourcesVersionPriority`, one `<resource>.<group>=<v>,<v>,…` line per resource);
 *   1. the cluster's preferred version, if the backup has it;
 *   2. the backup's preferred version, if the cluster serves it;
 *   3. the common version of highest Kubernetes version priority, leaving out the top entry of each
 *      side's priority-sorted list (Velero's rule: that entry is normally the preferred version);
 *   otherwise, and when the cluster does not serve the group at all, the backup's preferred version.
 * The item is then created at the chosen version; any conversion to the storage version is the
 * API server's (CRD conversion strategy or webhook), as with Velero.
 */
import { getErrorMessage } from "@velero-ts/plugin-sdk";
import type { KubeClient } from "../kube/client.js";
import { GVR } from "../kube/gvr.js";
import type { Logger } from "../shared/logging.js";
import { PREFERRED_VERSION_SUFFIX, type BackupResource } from "./backup-contents.js";
import type { ServedGroup } from "./discovery.js";
import { compareKubeVersions, groupOfResourceDir, type ChosenVersion } from "./version-chooser.js";

export const USER_PRIORITY_CONFIGMAP = "enableapigroupversions";
export const USER_PRIORITY_KEY = "restoreResourcesVersionPriority";

/** "<resource>.<group>" → versions, highest user priority first. */
export type UserVersionPriorities = ReadonlyMap<string, readonly string[]>;

/** Why a priority line is ignored, or undefined when it is usable (Velero's validateUserPriority). */
function invalidPriorityLine(line: string): string | undefined {
  const parts = line.split("=");
  if (parts.length !== 2) return "line must have one and only one equal sign";
  if (parts[0] === "" || parts[1] === "") return "line must contain at least one character before and after equal sign";
  return undefined;
}

/**
 * Parses `restoreResourcesVersionPriority`: lines `<resource>.<group>=<v1>,<v2>`, spaces removed
 * first; an invalid line is logged at debug and ignored; a later line for the same resource wins.
 */
export function parseUserVersionPriorities(data: string, log: Logger): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const lines = data
    .split("\n")
    .map((l) => l.replaceAll(" ", ""))
    .filter((l) => l !== "");
  for (const line of lines) {
    const invalid = invalidPriorityLine(line);
    if (invalid) {
      log.debug(`Unable to validate user priority versions ${JSON.stringify(line)} due to ${invalid}`);
      continue;
    }
    const [resource, versions] = line.split("=") as [string, string];
    out.set(resource, versions.split(","));
  }
  return out;
}

/**
 * The user's version priorities from the ConfigMap in Velero's namespace; undefined when there is
 * no ConfigMap or no usable line. Any error but NotFound is thrown (the restore then fails).
 */
export async function loadUserVersionPriorities(kube: KubeClient, namespace: string, log: Logger): Promise<UserVersionPriorities | undefined> {
  let cm;
  try {
    cm = await kube.get(GVR.configMaps, USER_PRIORITY_CONFIGMAP, namespace);
  } catch (err) {
    throw new Error(`retrieving enableapigroupversion config map: getting enableapigroupversions config map from velero namespace: ${getErrorMessage(err)}`, { cause: err });
  }
  if (!cm) {
    log.debug("No enableapigroupversion config map found in velero namespace. Using pre-defined priorities.");
    return undefined;
  }
  const data = (cm.data as Record<string, unknown> | undefined)?.[USER_PRIORITY_KEY];
  const priorities = parseUserVersionPriorities(typeof data === "string" ? data : "", log);
  if (priorities.size === 0) {
    log.debug("No valid user version priorities found in enableapigroupversion config map. Using pre-defined priorities.");
    return undefined;
  }
  return priorities;
}

interface SourceGroup {
  /** Backed-up versions, Kubernetes priority order. */
  versions: string[];
  /** The backup cluster's preferred version ("" when no directory is marked). */
  preferred: string;
}

/** Velero's ParseGroupVersions for one resource directory. */
function sourceGroup(resource: BackupResource): SourceGroup {
  let preferred = "";
  const versions = resource.versionDirs.map((dir) => {
    if (!dir.includes(PREFERRED_VERSION_SUFFIX)) return dir;
    preferred = dir.endsWith(PREFERRED_VERSION_SUFFIX) ? dir.slice(0, -PREFERRED_VERSION_SUFFIX.length) : dir;
    return preferred;
  });
  return { versions: versions.sort(compareKubeVersions), preferred };
}

export interface ChooseVersionsInput {
  /** The backup's resource directories. */
  resources: Iterable<BackupResource>;
  /** The restore cluster's served versions of a group (undefined when not served). */
  target: (group: string) => ServedGroup | undefined;
  user?: UserVersionPriorities;
  log: Logger;
}

/** The version directory to restore each resource from, keyed by resource directory name. */
export function chooseVersionsToRestore(input: ChooseVersionsInput): Map<string, ChosenVersion> {
  const chosen = new Map<string, ChosenVersion>();
  for (const resource of input.resources) {
    // Nothing to choose from (a backup without versioned copies): the unversioned path is used.
    if (resource.versionDirs.length === 0) continue;
    const group = groupOfResourceDir(resource.groupResource);
    chosen.set(resource.groupResource, chooseOne(resource.groupResource, sourceGroup(resource), input.target(group), input));
  }
  return chosen;
}

function chooseOne(rg: string, source: SourceGroup, target: ServedGroup | undefined, input: ChooseVersionsInput): ChosenVersion {
  const { log, user } = input;
  const pick = (version: string, dir: string): ChosenVersion => ({ version, dir });
  const fallback = pick(source.preferred, source.preferred + PREFERRED_VERSION_SUFFIX);
  if (!target || target.versions.length === 0) {
    log.debug(`Chose ${groupOfResourceDir(rg)}/${fallback.version} API group version to restore`);
    return fallback;
  }
  const targetVersions = [...target.versions].sort(compareKubeVersions);
  const withSuffixIfPreferred = (v: string): string => (v === source.preferred ? v + PREFERRED_VERSION_SUFFIX : v);

  if (user) {
    const uv = (user.get(rg) ?? []).find((v) => targetVersions.includes(v) && source.versions.includes(v)) ?? "";
    if (uv !== "") {
      log.debug(`APIGroupVersionsFeatureFlag Priority 0: User defined API group version ${uv} chosen for ${rg}`);
      return pick(uv, withSuffixIfPreferred(uv));
    }
    log.info(`Cannot find user defined version in both the cluster and backup cluster. Ignoring version ${uv} for ${rg}`);
  }

  if (source.versions.includes(target.preferredVersion)) {
    log.debug(`APIGroupVersionsFeatureFlag Priority 1: Cluster preferred API group version ${target.preferredVersion} found in backup for ${rg}`);
    return pick(target.preferredVersion, withSuffixIfPreferred(target.preferredVersion));
  }
  log.info(`Cannot find cluster preferred API group version in backup. Ignoring version ${target.preferredVersion} for ${rg}`);

  if (targetVersions.includes(source.preferred)) {
    log.debug(`APIGroupVersionsFeatureFlag Priority 2: Cluster preferred API group version not found in backup. Using backup preferred version ${source.preferred} for ${rg}`);
    return fallback;
  }
  log.info(`Cannot find backup preferred API group version in cluster. Ignoring version ${source.preferred} for ${rg}`);

  const common = targetVersions.slice(1).find((v) => source.versions.slice(1).includes(v));
  if (common !== undefined) {
    log.debug(`APIGroupVersionsFeatureFlag Priority 3: Common supported but not preferred API group version ${common} chosen for ${rg}`);
    return pick(common, common);
  }
  log.info(`Cannot find non-preferred a common supported API group version. Using ${source.preferred} (default behavior without feature flag) for ${rg}`);
  // Velero names the cluster's preferred version in this message although it restores the backup's.
  log.debug(
    `APIGroupVersionsFeatureFlag: Unable to find supported priority API group version. Using backup preferred version ${target.preferredVersion} for ${rg} (default behavior without feature flag).`,
  );
  return fallback;
}
