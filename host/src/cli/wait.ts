/**
 * `--wait` for backups and restores: reads the object until its phase is terminal, showing a live
 * progress bar (phase, items done/total, rate, elapsed, ETA) on a terminal and one plain line per
 * change otherwise. It reads the object once a second and, through a watch on it, at once when it
 * changes, so the wait ends the moment the phase is terminal (Velero's CLI waits on an informer).
 * Ctrl-C only stops waiting; the operation continues on the server.
 */
import cliProgress from "cli-progress";
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import type { GroupVersionResource } from "../kube/client.js";
import type { Factory } from "./factory.js";
import type { OutputStream } from "./deps.js";
import { ObjectChanges } from "./object-changes.js";

export const TERMINAL_PHASES = ["Completed", "PartiallyFailed", "Failed", "FailedValidation"];

/** How often the object is read while waiting, whatever its watch says (and the progress redrawn). */
export const WAIT_POLL_INTERVAL_MS = 1000;
/** After this long in phase New, tell the user the server may not be running. */
export const SERVER_HINT_AFTER_MS = 30_000;

export interface WaitTarget {
  noun: "backup" | "restore";
  gvr: GroupVersionResource;
  namespace: string;
  name: string;
  /** Items done / total from the object's status.progress. */
  progress(obj: UnstructuredItem): { done: number; total: number };
}

export interface Progress {
  phase: string;
  done: number;
  total: number;
  elapsedMs: number;
}

function seconds(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

/** Items per second, elapsed and ETA, rendered for humans. */
export function progressFigures(p: Progress): { rate: string; elapsed: string; eta: string } {
  const rate = p.elapsedMs > 0 ? (p.done * 1000) / p.elapsedMs : 0;
  const remaining = p.total - p.done;
  const eta = rate > 0 && remaining > 0 ? seconds((remaining / rate) * 1000) : remaining <= 0 && p.total > 0 ? "0s" : "-";
  return { rate: rate.toFixed(1), elapsed: seconds(p.elapsedMs), eta };
}

/** One plain progress line (non-terminal output). */
export function progressLine(target: Pick<WaitTarget, "noun" | "name">, p: Progress): string {
  const f = progressFigures(p);
  const verb = target.noun === "backup" ? "backed up" : "restored";
  const items = p.total > 0 ? `${p.done}/${p.total} items ${verb}` : `${p.done} items ${verb}`;
  return `${target.noun} ${target.name}: ${p.phase}, ${items}, ${f.rate} items/s, elapsed ${f.elapsed}, ETA ${f.eta}\n`;
}

interface ProgressView {
  update(p: Progress): void;
  note(text: string): void;
  stop(): void;
}

function plainView(out: OutputStream, target: WaitTarget): ProgressView {
  let last = "";
  return {
    update(p) {
      const key = `${p.phase}/${p.done}/${p.total}`;
      if (key === last) return;
      last = key;
      out.write(progressLine(target, p));
    },
    note(text) {
      out.write(text);
    },
    stop() {},
  };
}

function barView(out: OutputStream, target: WaitTarget): ProgressView {
  const bar = new cliProgress.SingleBar({
    stream: out as unknown as NodeJS.WritableStream,
    format: `${target.noun} ${target.name} {phase} [{bar}] {value}/{total} items | {rate} items/s | elapsed {elapsedText} | ETA {etaText}`,
    barsize: 25,
    hideCursor: true,
    clearOnComplete: false,
    stopOnComplete: false,
    fps: 4,
  }, cliProgress.Presets.shades_classic);
  let started = false;
  return {
    update(p) {
      const f = progressFigures(p);
      const payload = { phase: p.phase, rate: f.rate, elapsedText: f.elapsed, etaText: f.eta };
      if (!started) {
        bar.start(Math.max(p.total, 1), p.done, payload);
        started = true;
        return;
      }
      bar.setTotal(Math.max(p.total, 1));
      bar.update(p.done, payload);
    },
    note(text) {
      out.write(`\n${text}`);
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}

/**
 * Waits for a terminal phase and returns the final object. Prints the same closing sentence as
 * Velero. Returns undefined if the object disappeared while waiting.
 */
export async function waitForCompletion(f: Factory, target: WaitTarget): Promise<UnstructuredItem | undefined> {
  const kube = await f.kube();
  const out = f.deps.stdout;
  const view = out.isTTY ? barView(out, target) : plainView(out, target);
  const started = f.deps.now().getTime();
  let hinted = false;
  try {
    // { obj: undefined }: the object is gone
    const { obj } = await new ObjectChanges(kube, target.gvr, { namespace: target.namespace, name: target.name }).until(WAIT_POLL_INTERVAL_MS, f.deps.sleep, async () => {
      const obj = await kube.get(target.gvr, target.name, target.namespace);
      if (!obj) {
        view.stop();
        out.write(`\nError waiting: ${target.noun} "${target.name}" no longer exists.\n`);
        return { obj: undefined };
      }
      const phase = ((obj.status as { phase?: string } | undefined)?.phase ?? "New") || "New";
      const elapsedMs = f.deps.now().getTime() - started;
      view.update({ phase, ...target.progress(obj), elapsedMs });
      if (TERMINAL_PHASES.includes(phase)) {
        view.stop();
        out.write(
          `\n${target.noun === "backup" ? "Backup" : "Restore"} completed with status: ${phase}. You may check for more information using the commands \`velero ${target.noun} describe ${target.name}\` and \`velero ${target.noun} logs ${target.name}\`.\n`,
        );
        return { obj };
      }
      if (!hinted && phase === "New" && elapsedMs >= SERVER_HINT_AFTER_MS) {
        hinted = true;
        view.note(
          `${target.noun} ${target.name} is still New after ${seconds(elapsedMs)}: is the Velero server running? Check 'kubectl logs deployment/velero -n ${target.namespace}' or run 'velero server --kubeconfig <file> -n ${target.namespace}' locally.\n`,
        );
      }
      return undefined;
    });
    return obj;
  } finally {
    view.stop();
  }
}
