/**
 * The Backup a Schedule submits (Velero's BackupBuilder.FromSchedule), shared by the schedule
 * controller and `velero backup create --from-schedule`, which Velero builds the same way.
 */
import { LABELS, VELERO_API_VERSION, type Backup, type Schedule } from "@velero-ts/plugin-sdk";
import { compareUtf8 } from "./utf8-order.js";

/** `<schedule>-<yyyyMMddHHmmss>` in UTC, Velero's Schedule.TimestampedName. */
export function scheduledBackupName(scheduleName: string, at: Date): string {
  const stamp = at.toISOString().replace(/[-:T]/g, "").slice(0, 14);
  return `${scheduleName}-${stamp}`;
}

/**
 * The Backup `schedule` submits at `at`, named `name` (default: the timestamped name), in the
 * schedule's namespace.
 */
export function backupFromSchedule(schedule: Schedule, at: Date, name?: string): Backup {
  const scheduleName = schedule.metadata.name ?? "";
  // Template labels win when the template sets them at all (even to {}); else the schedule's labels.
  const templateLabels = schedule.spec.template?.metadata?.labels;
  const labels = { ...(templateLabels ?? schedule.metadata.labels ?? {}), [LABELS.scheduleName]: scheduleName };
  const metadata: Backup["metadata"] = { name: name ?? scheduledBackupName(scheduleName, at), namespace: schedule.metadata.namespace, labels };
  if (schedule.metadata.annotations) metadata.annotations = { ...schedule.metadata.annotations };
  if (schedule.spec.useOwnerReferencesInBackup === true) {
    metadata.ownerReferences = [
      { apiVersion: VELERO_API_VERSION, kind: "Schedule", name: scheduleName, uid: schedule.metadata.uid ?? "", controller: true },
    ];
  }
  const spec = structuredClone(schedule.spec.template ?? {});
  // Velero's FromSchedule rewrites the policy reference to {kind: configmap, name} (the kind the
  // backup engine reads); a template's "ConfigMap" or apiGroup does not reach the Backup.
  if (spec.resourcePolicy) spec.resourcePolicy = { kind: "configmap", name: spec.resourcePolicy.name };
  // Velero adds the schedule-name label to the template's own label map (it reuses that map for the
  // Backup's labels), so a Backup whose template sets labels carries the label in its spec too.
  if (templateLabels && spec.metadata?.labels) spec.metadata.labels[LABELS.scheduleName] = scheduleName;
  return { apiVersion: VELERO_API_VERSION, kind: "Backup", metadata, spec };
}

/**
 * The line Velero's FromSchedule logs (at info) about the labels it gave `backup`: the template's
 * when the template sets labels at all, else the schedule's; with its fields.
 */
export function scheduleLabelsNote(schedule: Schedule, backup: Backup): { message: string; fields: { backup: string; labels: string } } {
  const templateLabels = schedule.spec.template?.metadata?.labels;
  const fields = { backup: `${backup.metadata.namespace ?? ""}/${backup.metadata.name ?? ""}`, labels: goMapString(templateLabels ?? schedule.metadata.labels ?? {}) };
  return templateLabels
    ? { message: "Schedule.template.metadata.labels set - using those labels instead of schedule.labels for backup object", fields }
    : { message: "No Schedule.template.metadata.labels set - using Schedule.labels for backup object", fields };
}

/** A map[string]string as Go's fmt prints it: `map[a:1 b:2]`, keys in byte order. */
function goMapString(map: Record<string, string>): string {
  const keys = Object.keys(map).sort(compareUtf8);
  return `map[${keys.map((k) => `${k}:${map[k] ?? ""}`).join(" ")}]`;
}
