/**
 * velero.io/pod-volume-restore, as far as velero-ts goes without a node agent: removes the
 * `restore-wait` (and legacy `restic-wait`) init containers a pod carries from an earlier Velero
 * file-system restore. Velero's action removes them from every pod first (its helper in them waits
 * for a marker file of one restore UID, so an old copy never finishes and the pod would stay in
 * Init for ever); it then adds a fresh one for the pod's PodVolumeRestores, which velero-ts cannot
 * run (the restorer reports such volumes as not restored).
 */
import type { RestoreItemAction, RestoreItemActionInput, RestoreItemActionOutput, UnstructuredItem } from "@velero-ts/plugin-sdk";
import type { Logger } from "../../shared/logging.js";
import { asObj, clone, logged, output, selectorFor } from "./common.js";

export const POD_VOLUME_RESTORE = "velero.io/pod-volume-restore";
const WAIT_INIT_CONTAINERS = new Set(["restore-wait", "restic-wait"]);

export class PodVolumeRestoreAction implements RestoreItemAction {
  async appliesTo() {
    return selectorFor(["pods"]);
  }

  execute(input: RestoreItemActionInput): Promise<RestoreItemActionOutput> {
    return logged("Executing PodVolumeRestoreAction", "Done executing PodVolumeRestoreAction", (log) => output(withoutWaitInitContainers(clone(input.item), log)));
  }
}

/** The pod without its restore-wait/restic-wait init containers (in place). */
function withoutWaitInitContainers(pod: UnstructuredItem, log: Logger | undefined): UnstructuredItem {
  const spec = asObj(pod.spec);
  const inits = spec?.["initContainers"];
  const isWait = (c: unknown): boolean => WAIT_INIT_CONTAINERS.has(String(asObj(c)?.["name"] ?? ""));
  if (spec && Array.isArray(inits) && inits.some(isWait)) {
    const kept = inits.filter((c) => !isWait(c));
    log?.child({ pod: `${pod.metadata.namespace ?? ""}/${pod.metadata.name}` }).info(`Removed ${inits.length - kept.length} existing restore-wait init container(s)`);
    spec["initContainers"] = kept;
  }
  return pod;
}
