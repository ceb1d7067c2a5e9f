/**
 * velero.io/pv: a bound PVC's PersistentVolume is backed up with it, and the claim is written as
 * one that can be provisioned again on restore (Velero's PVCAction).
 */
import type { Backup, BackupItemAction, BackupItemActionOutput, ResourceSelector, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { ANNOTATIONS, emptyResourceSelector, LABELS } from "@velero-ts/plugin-sdk";
import { actionLog } from "../../shared/action-log.js";

interface ClaimSpec {
  volumeName?: string;
  storageClassName?: string | null;
  dataSource?: unknown;
  dataSourceRef?: unknown;
  selector?: { matchLabels?: Record<string, string> | null } | null;
}

/** Labels earlier restores and backups left on a claim (Velero's cleanupStaleVeleroLabels). */
const STALE_ALWAYS = new Set([LABELS.restoreName, "velero.io/volume-snapshot-name", ANNOTATIONS.mustIncludeAdditionalItems]);

export class PvcBackupAction implements BackupItemAction {
  async appliesTo(): Promise<ResourceSelector> {
    return { ...emptyResourceSelector(), includedResources: ["persistentvolumeclaims"] };
  }

  async execute(item: UnstructuredItem, backup: Backup): Promise<BackupItemActionOutput> {
    const log = actionLog();
    log?.info("Executing PVCAction");
    const spec = (item.spec ?? {}) as ClaimSpec;
    const phase = (item.status as { phase?: string } | undefined)?.phase;
    // Only a Bound claim names a volume that is its own; any other is written as it is.
    if (phase !== "Bound" || !spec.volumeName) return { item, additionalItems: [] };
    const out = structuredClone(item);
    const s = out.spec as ClaimSpec;
    // A claim restored from a snapshot names it as its source; restored again, it must not.
    delete s.dataSource;
    delete s.dataSourceRef;
    // With a storage class (or the default one), the claim is provisioned anew on restore: a
    // selector would keep it from binding. storageClassName "" reserves a PV: its selector stays.
    if (s.storageClassName !== "") delete s.selector;
    for (const key of Object.keys(s.selector?.matchLabels ?? {})) {
      if (!key.startsWith("velero.io/")) continue;
      log?.info(`Deleting stale Velero label ${key} from PVC ${item.metadata.name} selector`);
      delete (s.selector?.matchLabels as Record<string, string>)[key];
    }
    const labels = out.metadata.labels;
    if (labels) {
      for (const [key, value] of Object.entries(labels)) {
        if (!STALE_ALWAYS.has(key) && !(key === LABELS.backupName && value !== backup.metadata.name)) continue;
        log?.info(`Deleting stale Velero label ${key}=${value} from PVC ${item.metadata.name}`);
        delete labels[key];
      }
    }
    return { item: out, additionalItems: [{ group: "", resource: "persistentvolumes", namespace: "", name: spec.volumeName }] };
  }
}
