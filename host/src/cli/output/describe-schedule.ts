/** `velero schedule describe` in Velero's layout (pkg/cmd/util/output/schedule_describer.go). */
import type { Schedule } from "@velero-ts/plugin-sdk";
import { describeBackupSpec } from "./describe-backup.js";
import type { Colors } from "./colors.js";
import { Describer } from "./describer.js";
import { formatGoTime } from "./format.js";

export function describeSchedule(schedule: Schedule, colors?: Colors): string {
  const d = new Describer(colors);
  d.describeMetadata(schedule.metadata);
  d.println();
  const phase = schedule.status?.phase || "New";
  d.printf(`Phase:\t${phase === "Enabled" ? d.colors.green(phase) : phase === "FailedValidation" ? d.colors.red(phase) : phase}\n`);
  const template = schedule.spec.template ?? {};
  if (template.resourcePolicy) {
    d.println();
    d.printf("Resource policies:\n");
    d.printf(`\tType:\t${template.resourcePolicy.kind}\n`);
    d.printf(`\tName:\t${template.resourcePolicy.name}\n`);
  }
  if ((template.uploaderConfig?.parallelFilesUpload ?? 0) > 0) {
    d.println();
    d.printf("Uploader config:\n");
    d.printf(`\tParallel files upload:\t${template.uploaderConfig?.parallelFilesUpload}\n`);
  }
  const validationErrors = schedule.status?.validationErrors ?? [];
  if (validationErrors.length > 0) {
    d.println();
    d.printf("Validation errors:");
    for (const ve of validationErrors) d.printf(`\t${d.colors.red(ve)}\n`);
  }
  d.println();
  d.printf(`Paused:\t${schedule.spec.paused === true}\n`);
  d.println();
  d.printf(`Schedule:\t${schedule.spec.schedule}\n`);
  d.println();
  d.println("Backup Template:");
  d.prefix = "\t";
  describeBackupSpec(d, template);
  d.prefix = "";
  d.println();
  d.printf(`Last Backup:\t${schedule.status?.lastBackup ? formatGoTime(schedule.status.lastBackup) : "<never>"}\n`);
  return d.render();
}
