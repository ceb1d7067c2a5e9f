/** velero schedule pause|unpause [NAMES] | --all | --selector */
import { Command } from "commander";
import type { Schedule } from "@velero-ts/plugin-sdk";
import { actionFor, type Verb } from "../command-kit.js";
import { addSkipImmediatelyFlag } from "./create.js";
import type { Factory } from "../factory.js";
import { listNamespaced, mustGet } from "../lookups.js";
import { GVR } from "../resources.js";
import { bindSelectFlags, selectorQuery, validateSelection, type SelectFlags } from "../select-kit.js";

interface Flags extends SelectFlags {
  skipImmediately?: boolean | "";
}

class PauseSchedules implements Verb {
  readonly #f: Factory;
  readonly #paused: boolean;
  names: string[] = [];
  flags: Flags = {};
  constructor(f: Factory, paused: boolean) {
    this.#f = f;
    this.#paused = paused;
  }
  complete(args: string[], flags: Flags): void {
    this.names = args;
    this.flags = flags;
  }
  validate(): void {
    validateSelection(this.names, this.flags, "schedule");
  }
  async run(): Promise<void> {
    const f = this.#f;
    const schedules: Schedule[] = [];
    // As Velero: a missing name does not stop the others; it is the command's error at the end
    // (none found at all: "No schedules found", exit 0).
    const missing: string[] = [];
    if (this.names.length > 0) {
      for (const n of this.names) {
        try {
          schedules.push(await mustGet<Schedule>(f, GVR.schedules, n));
        } catch (err) {
          missing.push((err as Error).message);
        }
      }
    } else schedules.push(...(await listNamespaced<Schedule>(f, GVR.schedules, selectorQuery(this.flags))));
    if (schedules.length === 0) {
      f.out("No schedules found\n");
      return;
    }
    const word = this.#paused ? "paused" : "unpaused";
    const kube = await f.kube();
    for (const s of schedules) {
      if ((s.spec.paused === true) === this.#paused) {
        f.out(`Schedule ${s.metadata.name} is already ${word}, skip\n`);
        continue;
      }
      await kube.patch(GVR.schedules, s.metadata.name ?? "", f.namespace(), {
        // null removes the field, as Velero's typed update leaves a false `paused` out (omitempty)
        spec: { paused: this.#paused ? true : null, skipImmediately: typeof this.flags.skipImmediately === "boolean" ? this.flags.skipImmediately : null },
      });
      f.out(`Schedule ${s.metadata.name} ${word} successfully\n`);
    }
    if (missing.length > 0) throw new Error(missing.join("; "));
  }
}

function newPauseLike(f: Factory, use: string, paused: boolean): Command {
  const verb = paused ? "Pause" : "Unpause";
  const cmd = new Command(use).description(`${verb} schedules`).argument("[NAMES...]", "schedule names");
  bindSelectFlags(cmd, "pause", "schedule");
  addSkipImmediatelyFlag(cmd);
  return cmd.action(actionFor(f, () => new PauseSchedules(f, paused)));
}

export function newSchedulePauseCommand(f: Factory): Command {
  return newPauseLike(f, "pause", true);
}

export function newScheduleUnpauseCommand(f: Factory): Command {
  return newPauseLike(f, "unpause", false);
}
