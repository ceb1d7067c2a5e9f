/** velero schedule create NAME --schedule CRON [backup template flags] */
import { Command } from "commander";
import { LABELS, MAX_LABEL_VALUE_LENGTH, type Schedule } from "@velero-ts/plugin-sdk";
import { UsageError } from "../../shared/errors.js";
import { buildBackupSpec, bindBackupTemplateFlags, validateNamespaceFilters, validateResourceFilters, type BackupTemplateOptions } from "../backup/template-flags.js";
import { actionFor, addBoolFlag, addOutputFlags, addValueFlag, validateOutputFormat, type Verb } from "../command-kit.js";
import { parseGoBool } from "../flags/values.js";
import { EXIT_CODES } from "../exit-codes.js";
import type { Factory } from "../factory.js";
import { validateSchedule } from "../flags/cron.js";
import { mustGet } from "../lookups.js";
import { encodeNewObject, type OutputFormat } from "../output/encode.js";
import { scheduleTable } from "../output/printers.js";
import { renderTable, tableOptions } from "../output/table.js";
import { GVR, VELERO_API_VERSION } from "../resources.js";

export interface ScheduleCreateOptions extends BackupTemplateOptions {
  name: string;
  schedule?: string;
  useOwnerReferencesInBackup?: boolean;
  paused?: boolean;
  skipImmediately?: boolean | "";
  output?: OutputFormat;
}

/** Pure: the Schedule `velero schedule create` submits. */
export function buildSchedule(namespace: string, o: ScheduleCreateOptions): Schedule {
  const metadata: Schedule["metadata"] = { namespace, name: o.name };
  if (o.labels && Object.keys(o.labels).length) metadata.labels = o.labels;
  const template = buildBackupSpec(o);
  const spec: Schedule["spec"] = {
    template,
    schedule: o.schedule ?? "",
    useOwnerReferencesInBackup: o.useOwnerReferencesInBackup === true,
    ...(o.paused === true ? { paused: true } : {}),
  };
  if (typeof o.skipImmediately === "boolean") spec.skipImmediately = o.skipImmediately;
  return { apiVersion: VELERO_API_VERSION, kind: "Schedule", metadata, spec };
}

class CreateSchedule implements Verb {
  readonly #f: Factory;
  o: ScheduleCreateOptions = { name: "", includeNamespaces: ["*"] };
  constructor(f: Factory) {
    this.#f = f;
  }
  complete(args: string[], flags: Record<string, unknown>): void {
    this.o = { ...(flags as Partial<ScheduleCreateOptions>), includeNamespaces: (flags.includeNamespaces as string[]) ?? ["*"], name: args[0] ?? "" };
    this.o.output = validateOutputFormat(flags.output, "create");
  }
  validate(): void {
    const o = this.o;
    if (o.name.length > MAX_LABEL_VALUE_LENGTH) {
      throw new UsageError(
        `schedule name "${o.name}" is ${o.name.length} characters long: at most ${MAX_LABEL_VALUE_LENGTH} can be the ${LABELS.scheduleName} label of its backups; use a shorter name`,
      );
    }
    if (!o.schedule) throw new UsageError('--schedule is required, for example --schedule="0 1 * * *" or --schedule="@every 24h"');
    o.schedule = validateSchedule(o.schedule);
    validateResourceFilters(o);
    validateNamespaceFilters(o.includeNamespaces, o.excludeNamespaces ?? []);
    buildBackupSpec(o);
  }
  async run(): Promise<number> {
    const f = this.#f;
    const schedule = buildSchedule(f.namespace(), this.o);
    // as Velero's Validate, before anything is printed or created
    if (this.o.storageLocation) await mustGet(f, GVR.backupStorageLocations, this.o.storageLocation);
    for (const vsl of this.o.volumeSnapshotLocations ?? []) await mustGet(f, GVR.volumeSnapshotLocations, vsl);
    if (this.o.output === "table") {
      f.out(renderTable(scheduleTable([schedule], f.deps.now()), tableOptions(this.o)));
      return EXIT_CODES.ok;
    }
    if (this.o.output) {
      f.out(encodeNewObject(schedule, this.o.output));
      return EXIT_CODES.ok;
    }
    const kube = await f.kube();
    await kube.create(GVR.schedules, schedule as never);
    f.out(`Schedule "${this.o.name}" created successfully.\n`);
    return EXIT_CODES.ok;
  }
}

/**
 * `--skip-immediately` of schedule create, pause and unpause: Velero's optionalBool without a
 * default, so it takes a value (`--skip-immediately true` or `=true`); an empty one leaves it unset.
 */
export function addSkipImmediatelyFlag(cmd: Command): void {
  // (commander stores "" for a parser's undefined or null: "" is "unset")
  addValueFlag(cmd, "--skip-immediately <bool>", "Skip the next scheduled backup immediately", (v): boolean | "" => {
    if (v === "") return "";
    const b = parseGoBool(v);
    if (b === undefined) throw new UsageError(`invalid argument "${v}" for "--skip-immediately" flag: use true or false`);
    return b;
  });
}

export function newScheduleCreateCommand(f: Factory, use: string): Command {
  const cmd = new Command(use)
    .summary("Create a schedule")
    .description(
      `Create a schedule

The --schedule flag is required, in cron notation, using UTC time:

  | Character Position | Character Period | Acceptable Values |
  | -------------------|:----------------:| -----------------:|
  | 1                  | Minute           | 0-59,*            |
  | 2                  | Hour             | 0-23,*            |
  | 3                  | Day of Month     | 1-31,*            |
  | 4                  | Month            | 1-12,*            |
  | 5                  | Day of Week      | 0-6,*             |

  The schedule can also be expressed using "@every <duration>" syntax.
  The duration can be specified using a combination of seconds (s),
  minutes (m), and hours (h), for example: "@every 2h30m".`,
    )
    .argument("<NAME>", "schedule name")
    .addHelpText(
      "after",
      `
Examples:
  # Create a backup every 6 hours.
  velero create schedule NAME --schedule="0 */6 * * *"

  # Create a backup every 6 hours with the @every notation.
  velero create schedule NAME --schedule="@every 6h"

  # Create a daily backup of the web namespace.
  velero create schedule NAME --schedule="@every 24h" --include-namespaces web

  # Create a weekly backup, each living for 90 days (2160 hours).
  velero create schedule NAME --schedule="@every 168h" --ttl 2160h0m0s`,
    );
  bindBackupTemplateFlags(cmd, "schedule");
  addSkipImmediatelyFlag(cmd);
  cmd.option("--schedule <cron>", "A cron expression specifying a recurring schedule for this backup to run");
  addBoolFlag(cmd, "--use-owner-references-in-backup", "Specifies whether to use OwnerReferences on backups created by this Schedule. Notice: if set to true, when schedule is deleted, backups will be deleted too.");
  addBoolFlag(cmd, "--paused", "Specifies whether the newly created schedule is paused or not.");
  addOutputFlags(cmd, { defaultTable: false, labels: true });
  return cmd.action(actionFor(f, () => new CreateSchedule(f)));
}
